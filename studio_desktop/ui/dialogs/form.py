"""A base for the small form dialogs: labelled fields, an error line under each, OK/Cancel.

Validation runs when the user presses OK (every field at once, the first bad one gets the focus);
after that, a field with an error is re-checked as it is edited, so the message goes away as soon
as the value is fixed. Subclasses implement :meth:`validate_fields`.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from studio_desktop.domain.errors import ValidationError
from studio_desktop.ui.icons import app_icon
from studio_desktop.ui.theme import scaled_font


class FormDialog(QDialog):
    def __init__(self, title: str, heading: str, intro: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setWindowIcon(app_icon())
        self._editors: dict[str, QWidget] = {}
        self._errors: dict[str, QLabel] = {}
        self._checks: dict[str, Callable[[], object]] = {}

        self.heading = QLabel(heading, self)
        self.heading.setFont(scaled_font(self.font(), 1.25, bold=True))
        self.intro = QLabel(intro, self)
        self.intro.setWordWrap(True)
        self.intro.setProperty("muted", True)
        self.intro.setTextFormat(Qt.TextFormat.PlainText)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.form.setHorizontalSpacing(12)
        self.form.setVerticalSpacing(6)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(self.heading)
        layout.addWidget(self.intro)
        layout.addSpacing(4)
        layout.addLayout(self.form)
        layout.addStretch(1)
        layout.addSpacing(6)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(500)

    @property
    def ok_button(self) -> QWidget:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def add_field(
        self, name: str, label: str, editor: QWidget, check: Callable[[], object] | None = None
    ) -> None:
        """A labelled field with its (hidden) error line; ``check`` raises ValidationError."""
        error = QLabel(self)
        error.setObjectName(f"{name}_error")
        error.setProperty("role", "field-error")
        error.setWordWrap(True)
        error.hide()
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(3)
        column.addWidget(editor)
        column.addWidget(error)
        self.form.addRow(label, column)
        self._editors[name] = editor
        self._errors[name] = error
        if check is not None:
            self._checks[name] = check
            if isinstance(editor, QLineEdit):
                editor.textEdited.connect(lambda _text, n=name: self._recheck(n))

    def field_error(self, name: str) -> str:
        """The error shown under a field ('' when none): for tests and accessibility."""
        label = self._errors[name]
        return "" if label.isHidden() else label.text()

    def set_field_error(self, name: str, message: str | None) -> None:
        label = self._errors[name]
        label.setText(message or "")
        label.setVisible(bool(message))
        editor = self._editors[name]
        editor.setProperty("invalid", bool(message))
        editor.setAccessibleDescription(message or "")

    def fit_height(self) -> None:
        """Grow or shrink to the height the contents need at the current width (error lines
        wrap, so ``adjustSize`` alone would cut them)."""
        layout = self.layout()
        layout.activate()
        needed = (
            layout.totalHeightForWidth(self.width())
            if layout.hasHeightForWidth()
            else layout.totalSizeHint().height()
        )
        self.resize(self.width(), max(needed, layout.totalMinimumSize().height()))

    def _recheck(self, name: str) -> None:
        if not self.field_error(name):
            return
        try:
            self._checks[name]()
        except ValidationError as error:
            self.set_field_error(name, error.message)
        else:
            self.set_field_error(name, None)
            self.fit_height()

    def validate_fields(self) -> list[ValidationError]:
        """Every field's problem (empty when all is valid). Default: run the registered checks."""
        problems: list[ValidationError] = []
        for name, check in self._checks.items():
            if not self._editors[name].isEnabled():
                continue
            try:
                check()
            except ValidationError as error:
                problems.append(ValidationError(error.message, error.field or name))
        return problems

    def accept(self) -> None:
        problems = self.validate_fields()
        failed = {p.field for p in problems}
        for name in self._errors:
            if name not in failed:
                self.set_field_error(name, None)
        for problem in problems:
            if problem.field in self._errors:
                self.set_field_error(problem.field, problem.message)
        if problems:
            first = problems[0].field
            if first in self._editors:
                self._editors[first].setFocus(Qt.FocusReason.OtherFocusReason)
            self.fit_height()
            return
        self.emit_values()
        super().accept()

    def emit_values(self) -> None:
        """Called once the fields are valid, before the dialog closes: subclasses emit their
        typed value here."""
