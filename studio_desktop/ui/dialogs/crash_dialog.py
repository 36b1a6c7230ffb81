"""The dialog for unexpected errors (bugs): what happened, the details, "Copy diagnostics".

It is not modal and the app keeps running: close it and carry on. Further errors while it is open
are added to it instead of stacking dialogs. Shown by ``ui/crash.py``, never directly.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio_desktop import APP_NAME
from studio_desktop.domain.redact import redact
from studio_desktop.ui.icons import icon
from studio_desktop.ui.theme import scaled_font


def summarize(error: BaseException) -> str:
    """``Type: message`` on one line, redacted and shortened."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    summary = f"{type(error).__name__}: {text}" if text else type(error).__name__
    summary = redact(summary)
    return summary if len(summary) <= 200 else summary[:199] + "…"


class CrashDialog(QDialog):
    diagnostics_copied = Signal()

    def __init__(self, error: BaseException, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CrashDialog")
        self.setWindowTitle(f"{APP_NAME}: unexpected problem")
        self.setModal(False)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._errors: list[BaseException] = []
        self._diagnostics = ""

        icon_label = QLabel(self)
        icon_label.setPixmap(
            icon("error", tone="error").pixmap(QSize(40, 40), self.devicePixelRatioF())
        )
        icon_label.setAlignment(Qt.AlignmentFlag.AlignTop)
        title = QLabel("Something went wrong", self)
        title.setFont(scaled_font(self.font(), 1.3, bold=True))
        explanation = QLabel(
            f"{APP_NAME} ran into a problem it did not expect. What you have saved is safe and "
            "you can keep working. If it happens again, copy the diagnostics and send them to "
            "the team.",
            self,
        )
        explanation.setWordWrap(True)
        self.summary_label = QLabel(self)
        self.summary_label.setObjectName("CrashSummary")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.summary_label.font()
        font.setFamily("monospace")
        font.setStyleHint(font.StyleHint.Monospace)
        self.summary_label.setFont(font)

        self.details = QPlainTextEdit(self)
        self.details.setObjectName("CrashDetails")
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setFont(font)
        self.details.setMinimumHeight(160)
        self.details.hide()

        self.details_button = QPushButton("Show details", self)
        self.details_button.setCheckable(True)
        self.details_button.toggled.connect(self._toggle_details)
        self.copy_button = QPushButton(icon("copy"), "Copy diagnostics", self)
        self.copy_button.clicked.connect(self.copy_diagnostics)
        self.continue_button = QPushButton("Continue", self)
        self.continue_button.setDefault(True)
        self.continue_button.setAutoDefault(True)
        self.continue_button.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        buttons.addWidget(self.details_button)
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        buttons.addWidget(self.continue_button)

        text_column = QVBoxLayout()
        text_column.setSpacing(8)
        text_column.addWidget(title)
        text_column.addWidget(explanation)
        text_column.addWidget(self.summary_label)
        header = QHBoxLayout()
        header.setSpacing(16)
        header.addWidget(icon_label, 0, Qt.AlignmentFlag.AlignTop)
        header.addLayout(text_column, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 16)
        layout.setSpacing(14)
        layout.addLayout(header)
        layout.addWidget(self.details, 1)
        layout.addLayout(buttons)
        self.setMinimumWidth(520)
        self.add_error(error)

    @property
    def errors(self) -> list[BaseException]:
        return list(self._errors)

    def add_error(self, error: BaseException) -> None:
        """Another unexpected error while the dialog is open: shown in the same dialog."""
        self._errors.append(error)
        summary = summarize(error)
        if len(self._errors) > 1:
            summary = f"{summary}\n({len(self._errors)} problems since this dialog opened)"
        self.summary_label.setText(summary)
        from studio_desktop.ui.diagnostics import collect_diagnostics  # only when shown

        self._diagnostics = collect_diagnostics(error)
        self.details.setPlainText(self._diagnostics)

    def diagnostics(self) -> str:
        return self._diagnostics

    def copy_diagnostics(self) -> None:
        QGuiApplication.clipboard().setText(self._diagnostics)
        self.copy_button.setText("Copied")
        self.diagnostics_copied.emit()

    def _toggle_details(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.details_button.setText("Hide details" if shown else "Show details")
        self.adjustSize()
