"""The message bar of the main window: routine errors and notices, never a modal.

It floats over the bottom of the content (a child of the window's central widget that is in no
layout), so showing or hiding it never moves anything: what is under the pointer stays there.
For a moment after a message appears (:data:`CLICK_THROUGH_MS`) the bar lets clicks through
to what is underneath, so a click aimed at a control a moment before cannot land on the bar
instead; hovering the bar pauses its auto-hide, so it never vanishes while the pointer reaches
for its buttons.

An :class:`~studio_desktop.domain.errors.ExternalError` from an operation lands here (see
``ui/operations.py``): the readable message, an optional "Copy details" with the technical
details, and a close button. Errors and warnings stay until dismissed (or replaced); info and
success notices hide themselves after a while. The same message shown again counts up ("×3")
instead of flickering.

    window.message_bar.show_message("Saved 3 images.", level=MessageLevel.SUCCESS)
    window.message_bar.show_error(error, details=traceback_text)
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QEnterEvent, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsDropShadowEffect,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from studio_desktop.domain.errors import StudioError
from studio_desktop.domain.redact import redact
from studio_desktop.ui.icons import icon

AUTO_HIDE_MS = 8000
#: After a message appears, clicks go through the bar to what is under it for this long.
CLICK_THROUGH_MS = 600
#: The floating bar's distance from its parent's edges, and its widest width.
MARGIN = 12
MAX_WIDTH = 760


class MessageLevel(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    SUCCESS = "success"

    @property
    def icon_name(self) -> str:
        return {"error": "error", "warning": "warning", "info": "info", "success": "check-circle"}[
            self.value
        ]

    @property
    def tone(self) -> str:
        return {"error": "error", "warning": "warning", "info": "accent", "success": "success"}[
            self.value
        ]


class MessageBar(QFrame):
    """A floating banner over the bottom of its parent; hidden until something is shown.

    ``bottom_inset`` keeps it above something at the parent's bottom edge; ``left_inset``
    beside something at its left (the window's side bar)."""

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MessageBar")
        self.setAutoFillBackground(True)
        self.left_inset = 0
        self.bottom_inset = 0
        shadow = QGraphicsDropShadowEffect(self)
        shadow.setBlurRadius(18)
        shadow.setOffset(0, 2)
        shadow.setColor(QColor(0, 0, 0, 70))
        self.setGraphicsEffect(shadow)
        if parent is not None:
            parent.installEventFilter(self)
        self.setProperty("level", MessageLevel.INFO.value)
        self._level = MessageLevel.INFO
        self._text = ""
        self._details: str | None = None
        self._repeat = 1

        self.icon_label = QLabel(self)
        self.icon_label.setFixedSize(20, 20)
        self.text_label = QLabel(self)
        self.text_label.setObjectName("MessageText")
        self.text_label.setWordWrap(True)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.copy_button = QToolButton(self)
        self.copy_button.setText("Copy details")
        self.copy_button.setIcon(icon("copy"))
        self.copy_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.copy_button.setIconSize(QSize(16, 16))
        self.copy_button.clicked.connect(self.copy_details)
        self.close_button = QToolButton(self)
        self.close_button.setIcon(icon("close"))
        self.close_button.setIconSize(QSize(16, 16))
        self.close_button.setToolTip("Dismiss")
        self.close_button.setAccessibleName("Dismiss message")
        self.close_button.clicked.connect(self.dismiss)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 8, 6)
        layout.setSpacing(10)
        layout.addWidget(self.icon_label, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.text_label, 1)
        layout.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)

        self._hide_timer = QTimer(self)
        self._hide_timer.setSingleShot(True)
        self._hide_timer.timeout.connect(self.dismiss)
        self._hide_after_ms = 0
        self._through_timer = QTimer(self)
        self._through_timer.setSingleShot(True)
        self._through_timer.timeout.connect(self._end_click_through)
        self.hide()

    # ------------------------------------------------------------------ floating
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parentWidget() and event.type() in (
            QEvent.Type.Resize,
            QEvent.Type.LayoutRequest,
        ):
            self.place()
        return False

    def place(self) -> None:
        """Float over the bottom of the parent, centred in the part right of ``left_inset``."""
        parent = self.parentWidget()
        if parent is None:
            return
        area = parent.rect().adjusted(self.left_inset, 0, 0, -self.bottom_inset)
        width = max(120, min(MAX_WIDTH, area.width() - 2 * MARGIN))
        self.layout().activate()
        height = self.heightForWidth(width) if self.hasHeightForWidth() else -1
        height = max(height, self.minimumSizeHint().height())
        x = area.left() + (area.width() - width) // 2
        y = area.bottom() + 1 - MARGIN - height
        self.setGeometry(QRect(x, max(area.top(), y), width, height))
        self.raise_()

    @property
    def clicks_pass_through(self) -> bool:
        """True for a moment after a message appeared: clicks reach what is under the bar."""
        return self.testAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)

    def _end_click_through(self) -> None:
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, False)

    def enterEvent(self, event: QEnterEvent) -> None:
        super().enterEvent(event)
        if self._hide_timer.isActive():  # hold it while the pointer is on it
            self._hide_timer.stop()

    def leaveEvent(self, event: QEvent) -> None:
        super().leaveEvent(event)
        if self._hide_after_ms and not self.isHidden():
            self._hide_timer.start(max(2000, self._hide_after_ms // 2))

    # ------------------------------------------------------------------ reading (tests, a11y)
    @property
    def level(self) -> MessageLevel:
        return self._level

    def text(self) -> str:
        """The message as shown (without the repeat count)."""
        return self._text

    def details(self) -> str | None:
        return self._details

    # ------------------------------------------------------------------ showing
    def show_message(
        self,
        text: str,
        *,
        level: MessageLevel = MessageLevel.INFO,
        details: str | None = None,
        timeout_ms: int | None = None,
    ) -> None:
        """Show ``text``; ``timeout_ms`` None means: errors/warnings stay, others auto-hide."""
        level = MessageLevel(level)
        if not self.isHidden() and (text, level) == (self._text, self._level):
            self._repeat += 1
        else:
            self._repeat = 1
        self._text = text
        self._level = level
        self._details = redact(details) if details else None
        shown = text if self._repeat == 1 else f"{text}  (×{self._repeat})"
        self.text_label.setText(shown)
        self.setAccessibleDescription(text)
        self._refresh_icon()
        self.copy_button.setVisible(bool(self._details))
        self.setProperty("level", level.value)
        self.style().unpolish(self)
        self.style().polish(self)
        if self.isHidden() or self._repeat == 1:
            self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
            self._through_timer.start(CLICK_THROUGH_MS)
        self.place()
        self.show()
        self.place()  # (again: the label's height for its width is known once polished)
        if timeout_ms is None and level in (MessageLevel.INFO, MessageLevel.SUCCESS):
            timeout_ms = AUTO_HIDE_MS
        self._hide_after_ms = timeout_ms or 0
        if timeout_ms and not self.underMouse():
            self._hide_timer.start(timeout_ms)
        else:
            self._hide_timer.stop()

    def show_error(self, error: StudioError | str, *, details: str | None = None) -> None:
        """An error's readable message (``StudioError.message``), with optional details."""
        text = error.message if isinstance(error, StudioError) else str(error)
        self.show_message(text, level=MessageLevel.ERROR, details=details)

    def _refresh_icon(self) -> None:
        level = self._level
        self.icon_label.setPixmap(
            icon(level.icon_name, tone=level.tone).pixmap(QSize(20, 20), self.devicePixelRatioF())
        )

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.DevicePixelRatioChange):
            self._refresh_icon()

    def copy_details(self) -> None:
        """The message and its details to the clipboard (already redacted)."""
        parts = [self._text]
        if self._details:
            parts.append(self._details)
        QGuiApplication.clipboard().setText("\n\n".join(parts))

    def dismiss(self) -> None:
        self._hide_timer.stop()
        self._through_timer.stop()
        self._end_click_through()
        if not self.isHidden():
            self.hide()
            self.dismissed.emit()
        self._repeat = 1
