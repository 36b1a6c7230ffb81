"""Account → Settings…: the cache budget, the engine (local / remote API) and the theme."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from studio_desktop.domain.errors import ValidationError
from studio_desktop.ui.dialogs.form import FormDialog
from studio_desktop.ui.dialogs.validators import validate_api_url
from studio_desktop.ui.preferences import (
    GB,
    MAX_CACHE_BUDGET,
    MB,
    MIN_CACHE_BUDGET,
    EngineChoice,
    SettingsValues,
)
from studio_desktop.ui.theme import ThemeMode

UNITS = {"MB": MB, "GB": GB}


class SettingsDialog(FormDialog):
    """Emits :attr:`settings_accepted` with :class:`SettingsValues` when OK is valid."""

    settings_accepted = Signal(object)

    def __init__(self, values: SettingsValues, parent: QWidget | None = None) -> None:
        super().__init__(
            "Settings",
            "Settings",
            "How much disk space the image cache may use, which engine makes your images, and "
            "how the app looks.",
            parent,
        )
        self.setObjectName("SettingsDialog")

        # Cache budget: a number and a unit; shown in GB when it is a whole number of GB.
        self.budget_spin = QDoubleSpinBox(self)
        self.budget_spin.setObjectName("cache_budget")
        self.budget_spin.setDecimals(1)
        self.budget_spin.setMinimumWidth(110)
        self.budget_unit = QComboBox(self)
        self.budget_unit.addItems(list(UNITS))
        self._unit = "MB"
        self._unit_changed("MB")
        self.budget_unit.currentTextChanged.connect(self._unit_changed)
        budget_row = QHBoxLayout()
        budget_row.setContentsMargins(0, 0, 0, 0)
        budget_row.addWidget(self.budget_spin)
        budget_row.addWidget(self.budget_unit)
        budget_row.addStretch(1)
        budget_box = QWidget(self)
        budget_box.setLayout(budget_row)
        self.add_field("cache_budget", "Image cache", budget_box, self._check_budget)

        # Engine: local or the remote API with its URL.
        self.local_radio = QRadioButton("Local engine (works offline, on this computer)", self)
        self.remote_radio = QRadioButton("The studio's generation API", self)
        self.engine_group = QButtonGroup(self)
        self.engine_group.addButton(self.local_radio)
        self.engine_group.addButton(self.remote_radio)
        self.api_url_edit = QLineEdit(values.remote_api_url, self)
        self.api_url_edit.setObjectName("api_url")
        self.api_url_edit.setPlaceholderText("https://studio.example.com")
        engine_column = QVBoxLayout()
        engine_column.setContentsMargins(0, 0, 0, 0)
        engine_column.setSpacing(4)
        engine_column.addWidget(self.local_radio)
        engine_column.addWidget(self.remote_radio)
        engine_box = QWidget(self)
        engine_box.setLayout(engine_column)
        self.add_field("engine", "Engine", engine_box)
        self.add_field("api_url", "API URL", self.api_url_edit, self._check_api_url)
        self.remote_radio.toggled.connect(self._engine_changed)

        self.theme_combo = QComboBox(self)
        self.theme_combo.setObjectName("theme")
        for mode in ThemeMode:
            self.theme_combo.addItem(mode.label, mode.value)
        self.add_field("theme", "Appearance", self.theme_combo)

        self.set_values(values)

    # ---------------------------------------------------------------- values
    def set_values(self, values: SettingsValues) -> None:
        budget = values.cache_budget_bytes
        unit = "GB" if budget >= GB else "MB"
        self.budget_unit.setCurrentText(unit)
        self.budget_spin.setValue(budget / UNITS[unit])
        self.remote_radio.setChecked(values.engine is EngineChoice.REMOTE)
        self.local_radio.setChecked(values.engine is EngineChoice.LOCAL)
        self.api_url_edit.setText(values.remote_api_url)
        self._engine_changed(values.engine is EngineChoice.REMOTE)
        self.theme_combo.setCurrentIndex(self.theme_combo.findData(values.theme.value))

    def value(self) -> SettingsValues:
        engine = EngineChoice.REMOTE if self.remote_radio.isChecked() else EngineChoice.LOCAL
        api_url = self.api_url_edit.text().strip()
        if engine is EngineChoice.REMOTE:
            api_url = self._check_api_url()
        return SettingsValues(
            cache_budget_bytes=self._check_budget(),
            engine=engine,
            remote_api_url=api_url,
            theme=ThemeMode(self.theme_combo.currentData()),
        )

    def emit_values(self) -> None:
        self.settings_accepted.emit(self.value())

    # ---------------------------------------------------------------- checks
    def _check_budget(self) -> int:
        budget = round(self.budget_spin.value() * UNITS[self.budget_unit.currentText()])
        if budget < MIN_CACHE_BUDGET:
            raise ValidationError(
                f"Give the cache at least {MIN_CACHE_BUDGET // MB} MB, or thumbnails will be "
                "fetched again and again.",
                "cache_budget",
            )
        if budget > MAX_CACHE_BUDGET:
            raise ValidationError(
                f"The cache can use at most {MAX_CACHE_BUDGET // GB} GB.", "cache_budget"
            )
        return budget

    def _check_api_url(self) -> str:
        return validate_api_url(self.api_url_edit.text())

    def _unit_changed(self, unit: str) -> None:
        """Switching the unit keeps the amount: 2 GB becomes 2048 MB."""
        amount = self.budget_spin.value() * UNITS[self._unit]
        self._unit = unit
        if unit == "GB":
            self.budget_spin.setRange(0.1, MAX_CACHE_BUDGET / GB)
            self.budget_spin.setSingleStep(0.5)
        else:
            self.budget_spin.setRange(1, MAX_CACHE_BUDGET / MB)
            self.budget_spin.setSingleStep(128)
        self.budget_spin.setValue(amount / UNITS[unit])

    def _engine_changed(self, remote: bool) -> None:
        self.api_url_edit.setEnabled(remote)
        if not remote:
            self.set_field_error("api_url", None)
