"""The profile form: name, gender, skin tone, region, background, with suggestions and free text.

Each field is checked by the service's own rules (``services.profiles.validate_profile``) as the
user presses Save, and re-checked as a wrong field is edited. The dialog stays open while the
service saves: a refusal only the store can decide (a name already taken) comes back through
:meth:`ProfileDialog.refuse` and is shown under its field; :meth:`ProfileDialog.finish` closes it.

    dialog = ProfileDialog(parent, profile=None)        # None: a new profile
    dialog.submitted.connect(lambda fields: ...)        # ProfileFields, already cleaned
    dialog.open()
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDialog, QLabel, QLineEdit, QSizePolicy, QWidget

from studio_desktop.domain.errors import ValidationError
from studio_desktop.domain.models import Profile
from studio_desktop.services.profiles import (
    BACKGROUND_CHOICES,
    GENDER_CHOICES,
    MAX_FIELD_CHARS,
    MAX_NAME_CHARS,
    REGION_CHOICES,
    SKIN_TONE_CHOICES,
    ProfileFields,
    describe_background,
    validate_profile,
)
from studio_desktop.ui.dialogs.form import FormDialog

OPTIONAL_FIELDS = ("gender", "skin_tone", "region", "background")


def _combo(
    name: str, choices: tuple[str, ...], value: str | None, hint: str, parent: QWidget
) -> QComboBox:
    combo = QComboBox(parent)
    combo.setObjectName(name)
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    combo.addItem("")
    combo.addItems(list(choices))
    combo.setCurrentText(value or "")
    line = combo.lineEdit()
    line.setPlaceholderText(hint)
    line.setMaxLength(MAX_FIELD_CHARS + 40)  # longer text is refused with a message, not cut
    line.setClearButtonEnabled(True)
    combo.setMinimumContentsLength(24)
    # Expanding, like the line edits: the form's field column (and the error line under the
    # combo box) then takes the dialog's width, so a message wraps where the layout expects.
    combo.setSizePolicy(QSizePolicy.Policy.Expanding, combo.sizePolicy().verticalPolicy())
    return combo


class ProfileDialog(FormDialog):
    """Create or edit a profile; emits :attr:`submitted` with the cleaned fields."""

    submitted = Signal(object)  # ProfileFields

    def __init__(self, parent: QWidget | None = None, *, profile: Profile | None = None) -> None:
        creating = profile is None
        super().__init__(
            "New profile" if creating else "Edit profile",
            "New model profile" if creating else f"Edit “{profile.name}”",  # type: ignore[union-attr]
            "Describe the model. Pick a suggestion or type your own words; only the name is "
            "required. Packs built on this profile use its background.",
            parent,
        )
        self.setObjectName("ProfileDialog")
        self.profile = profile
        self._saving = False
        self.name_edit = QLineEdit(profile.name if profile else "", self)
        self.name_edit.setObjectName("name")
        self.name_edit.setPlaceholderText("e.g. Ana — summer catalogue")
        self.name_edit.setMaxLength(MAX_NAME_CHARS + 40)
        self.name_edit.setClearButtonEnabled(True)
        self.gender = _combo(
            "gender", GENDER_CHOICES, profile.gender if profile else None, "Any", self
        )
        self.skin_tone = _combo(
            "skin_tone", SKIN_TONE_CHOICES, profile.skin_tone if profile else None, "Any", self
        )
        self.region = _combo(
            "region", REGION_CHOICES, profile.region if profile else None, "Any", self
        )
        self.background = _combo(
            "background",
            BACKGROUND_CHOICES,
            profile.background if profile else None,
            "white studio (default)",
            self,
        )
        self.combos = {
            "gender": self.gender,
            "skin_tone": self.skin_tone,
            "region": self.region,
            "background": self.background,
        }
        self.add_field("name", "Name", self.name_edit, lambda: self._check("name"))
        labels = {
            "gender": "Gender",
            "skin_tone": "Skin tone",
            "region": "Region",
            "background": "Background",
        }
        for key, combo in self.combos.items():
            self.add_field(key, labels[key], combo, lambda k=key: self._check(k))
            combo.editTextChanged.connect(lambda _t, k=key: self._recheck(k))
        self.background_hint = QLabel(self)
        self.background_hint.setObjectName("background_hint")
        self.background_hint.setProperty("muted", True)
        self.background_hint.setWordWrap(True)
        self.background_hint.setSizePolicy(
            QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred
        )
        self.form.addRow("", self.background_hint)
        self.background.editTextChanged.connect(self._update_hint)
        self._update_hint(self.background.currentText())
        self.ok_button.setText("Create profile" if creating else "Save")
        self.name_edit.setFocus()

    # ------------------------------------------------------------------ values
    def raw_values(self) -> dict[str, str]:
        values = {"name": self.name_edit.text()}
        values.update({key: combo.currentText() for key, combo in self.combos.items()})
        return values

    def values(self) -> ProfileFields:
        """The cleaned fields; raises ValidationError (with ``field``) for the first bad one."""
        return validate_profile(**self.raw_values())

    def _check(self, field: str) -> None:
        raw = self.raw_values()
        if field == "name":
            validate_profile(raw["name"])
        else:
            validate_profile("x", **{field: raw[field]})

    def _update_hint(self, text: str) -> None:
        hint = describe_background(text)
        if not text.strip():
            message = "Packs use a white studio background."
        elif hint.recognised:
            message = f"Packs use: {hint.description}."
        else:
            message = f"Not a colour Studio knows; packs use {hint.description}."
        self.background_hint.setText(message)

    # ------------------------------------------------------------------ saving
    @property
    def saving(self) -> bool:
        return self._saving

    def accept(self) -> None:
        if self._saving:
            return
        if self.validate_fields():
            super().accept()  # shows every problem under its field and keeps the dialog open
            return
        for name in ("name", *OPTIONAL_FIELDS):
            self.set_field_error(name, None)
        self._saving = True
        self.ok_button.setEnabled(False)
        self.submitted.emit(self.values())

    def refuse(self, error: ValidationError) -> None:
        """The service refused the values: show why under the field, stay open."""
        self._saving = False
        self.ok_button.setEnabled(True)
        field = error.field if error.field in ("name", *OPTIONAL_FIELDS) else "name"
        self.set_field_error(field, error.message)
        self._editors[field].setFocus()
        self.fit_height()

    def failed(self) -> None:
        """Saving failed for another reason (shown in the window): let the user try again."""
        self._saving = False
        self.ok_button.setEnabled(True)

    def finish(self) -> None:
        """Saved: close."""
        self._saving = False
        QDialog.accept(self)
