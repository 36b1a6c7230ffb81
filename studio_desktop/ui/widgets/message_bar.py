"""The message line of the main window: routine errors and notices, never a modal.

Messages have a place of their own: a fixed-height line at the left of the status bar
(:class:`MessageLine`), always there and the same size whether it shows something or not. So a
message never moves anything (nothing is pushed down) and never covers anything (nothing is
under it): a click aimed at a control lands on that control, before, during and after a
message. The line's height is the status bar's, fixed when the window is built.

A message reads on one line: the level's icon, the sentence (cut with "…" when the line is too
narrow, the whole of it in the tooltip and copied by "Copy"), then its buttons right after the
text, so they stay put while the status bar's right side (sync status, busy label) changes.

How long messages stay:

- info and success notices go by themselves after :data:`AUTO_HIDE_MS` (8 s, time to read two
  lines); hovering holds them;
- errors and warnings stay until dismissed (× or Esc in the window). Several of them queue: the
  newest is shown with "+N more", dismissing it shows the one before. At most :data:`MAX_KEPT`
  are kept, the oldest dropped first, so they cannot pile up. An info notice shown meanwhile
  takes the line for its time, then the kept warning comes back;
- the same message again counts up ("×3") instead of queuing a copy.

An :class:`~studio_desktop.domain.errors.ExternalError` from an operation lands here (see
``ui/operations.py``): the readable message, "Copy details" with the technical details.

    window.message_bar.show_message("Saved 3 images.", level=MessageLevel.SUCCESS)
    window.message_bar.show_error(error, details=traceback_text)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QEnterEvent, QFontMetrics, QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from studio_desktop.domain.errors import StudioError
from studio_desktop.domain.redact import redact
from studio_desktop.ui.icons import icon

#: Info and success notices hide after this long (hovering holds them).
AUTO_HIDE_MS = 8000
#: Errors and warnings kept at once (the shown one and those under it); older ones are dropped.
MAX_KEPT = 3


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


@dataclass
class _Message:
    text: str
    level: MessageLevel
    details: str | None
    #: 0: stays until dismissed; otherwise hides itself after this many ms.
    timeout_ms: int
    repeat: int = 1

    def same_as(self, text: str, level: MessageLevel) -> bool:
        return (self.text, self.level) == (text, level)


def line_height(metrics: QFontMetrics) -> int:
    """The message line's height for a font: one line of text with a button's padding."""
    return max(26, metrics.height() + 12)


class MessageLine(QWidget):
    """The reserved place of messages: a fixed-height strip at the left of the status bar.

    It is always shown and never changes height, whether a message is in it or not; the bar
    itself is built on the first message (:attr:`bar`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MessageLine")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(120)
        self.setFixedHeight(line_height(self.fontMetrics()))
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._bar: MessageBar | None = None

    @property
    def has_message(self) -> bool:
        return self._bar is not None and not self._bar.isHidden()

    @property
    def bar(self) -> MessageBar:
        if self._bar is None:
            self._bar = MessageBar(self)
            self._layout.addWidget(self._bar)
        return self._bar

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.setFixedHeight(line_height(self.fontMetrics()))


class MessageBar(QFrame):
    """The message shown in a :class:`MessageLine`, hidden while there is none."""

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MessageBar")
        self.setAutoFillBackground(True)
        self.setProperty("level", MessageLevel.INFO.value)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        #: Errors and warnings not dismissed yet, oldest first (the last one shows when no
        #: notice is over it).
        self._kept: list[_Message] = []
        #: An info/success notice over the kept ones, for its time.
        self._notice: _Message | None = None
        self._shown: _Message | None = None

        self.icon_label = QLabel(self)
        self.icon_label.setFixedSize(20, 20)
        self.text_label = QLabel(self)
        self.text_label.setObjectName("MessageText")
        self.text_label.setTextFormat(Qt.TextFormat.PlainText)
        self.text_label.setMinimumWidth(40)
        self.text_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.more_label = QLabel(self)
        self.more_label.setProperty("muted", True)
        self.copy_button = self._button("Copy details", "copy", self.copy_details)
        self.close_button = self._button("", "close", self.dismiss)
        self.close_button.setToolTip("Dismiss (Esc)")
        self.close_button.setAccessibleName("Dismiss message")

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 4, 0)
        layout.setSpacing(8)
        layout.addWidget(self.icon_label)
        layout.addWidget(self.text_label)
        layout.addWidget(self.more_label)
        layout.addWidget(self.copy_button)
        layout.addWidget(self.close_button)
        layout.addStretch(1)

        self._hide_timer = QTimer(self)
        self._hide_timer.setSingleShot(True)
        self._hide_timer.timeout.connect(self._notice_over)
        self.hide()

    def _button(self, text: str, icon_name: str, slot: object) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setIcon(icon(icon_name))
        button.setIconSize(QSize(16, 16))
        if text:
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setMaximumHeight(max(20, line_height(self.fontMetrics()) - 4))
        button.clicked.connect(slot)
        return button

    # ------------------------------------------------------------------ hover holds a notice
    def enterEvent(self, event: QEnterEvent) -> None:
        super().enterEvent(event)
        self._hide_timer.stop()

    def leaveEvent(self, event: QEvent) -> None:
        super().leaveEvent(event)
        if self._shown is not None and self._shown is self._notice:
            self._hide_timer.start(max(2000, self._notice.timeout_ms // 2))

    # ------------------------------------------------------------------ reading (tests, a11y)
    @property
    def level(self) -> MessageLevel:
        return self._shown.level if self._shown else MessageLevel.INFO

    def text(self) -> str:
        """The message shown, whole (without the repeat count); "" when none is."""
        return self._shown.text if self._shown else ""

    def details(self) -> str | None:
        return self._shown.details if self._shown else None

    def kept(self) -> list[str]:
        """The errors and warnings waiting to be dismissed, oldest first."""
        return [m.text for m in self._kept]

    # ------------------------------------------------------------------ showing
    def show_message(
        self,
        text: str,
        *,
        level: MessageLevel = MessageLevel.INFO,
        details: str | None = None,
        timeout_ms: int | None = None,
    ) -> None:
        """Show ``text``; ``timeout_ms`` None means: errors/warnings stay, others auto-hide
        (0: stays whatever the level)."""
        level = MessageLevel(level)
        if timeout_ms is None:
            timeout_ms = AUTO_HIDE_MS if level in (MessageLevel.INFO, MessageLevel.SUCCESS) else 0
        details = redact(details) if details else None
        shown = self._shown
        if shown is not None and not self.isHidden() and shown.same_as(text, level):
            shown.repeat += 1
            shown.details = details or shown.details
            self._show(shown)
            return
        message = _Message(text, level, details, timeout_ms)
        if timeout_ms:
            self._notice = message
        else:
            self._notice = None
            for old in [m for m in self._kept if m.same_as(text, level)]:
                self._kept.remove(old)
                message.repeat += old.repeat
            self._kept.append(message)
            del self._kept[:-MAX_KEPT]
        self._show(message)

    def show_error(self, error: StudioError | str, *, details: str | None = None) -> None:
        """An error's readable message (``StudioError.message``), with optional details."""
        text = error.message if isinstance(error, StudioError) else str(error)
        self.show_message(text, level=MessageLevel.ERROR, details=details)

    def _show(self, message: _Message | None) -> None:
        self._shown = message
        self._hide_timer.stop()
        if message is None:
            if not self.isHidden():
                self.hide()
                self.dismissed.emit()
            return
        self.setProperty("level", message.level.value)
        self.style().unpolish(self)
        self.style().polish(self)
        self._refresh_icon()
        waiting = len(self._kept) - (0 if message is self._notice else 1)
        self.more_label.setText(f"+{waiting} more" if waiting > 0 else "")
        self.more_label.setVisible(waiting > 0)
        self.more_label.setToolTip("\n".join(m.text for m in self._kept if m is not message))
        self.setAccessibleDescription(message.text)
        self.show()
        self._fit_text()
        if message.timeout_ms and not self.underMouse():
            self._hide_timer.start(message.timeout_ms)

    def _fit_text(self) -> None:
        """The sentence on one line, cut with "…" when the line is too narrow; whole in the
        tooltip, and "Copy" (which copies it) offered when it is cut."""
        message = self._shown
        if message is None:
            return
        whole = message.text if message.repeat == 1 else f"{message.text}  (×{message.repeat})"
        layout = self.layout()
        margins = layout.contentsMargins()
        others = [self.icon_label, self.more_label, self.close_button]
        fixed = margins.left() + margins.right() + layout.spacing() * 4
        fixed += sum(w.sizeHint().width() for w in others if not w.isHidden())
        copy_width = self.copy_button.sizeHint().width()
        metrics = self.text_label.fontMetrics()
        room = max(40, self.width() - fixed)
        cut = metrics.horizontalAdvance(whole) > room - (copy_width if message.details else 0)
        self.copy_button.setText("Copy details" if message.details else "Copy")
        self.copy_button.setToolTip(
            "Copy the message and its technical details"
            if message.details
            else "Copy the whole message"
        )
        self.copy_button.setVisible(bool(message.details) or cut)
        if self.copy_button.isVisibleTo(self):
            room -= self.copy_button.sizeHint().width() + layout.spacing()
        room = max(40, room)
        shown = metrics.elidedText(whole, Qt.TextElideMode.ElideRight, room)
        self.text_label.setText(shown)
        self.text_label.setToolTip(message.text if shown != whole else "")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_text()

    def _notice_over(self) -> None:
        self._notice = None
        self._show(self._kept[-1] if self._kept else None)

    def _refresh_icon(self) -> None:
        self.icon_label.setPixmap(
            icon(self.level.icon_name, tone=self.level.tone).pixmap(
                QSize(20, 20), self.devicePixelRatioF()
            )
        )

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.DevicePixelRatioChange):
            self._refresh_icon()

    def copy_details(self) -> None:
        """The message and its details to the clipboard (already redacted)."""
        parts = [self.text()]
        if self.details():
            parts.append(self.details() or "")
        QGuiApplication.clipboard().setText("\n\n".join(parts))

    def dismiss(self) -> None:
        """Put away the message shown: the kept error or warning under it comes back."""
        shown = self._shown
        if shown is self._notice:
            self._notice = None
        elif shown is not None and shown in self._kept:
            self._kept.remove(shown)
        self._show(self._kept[-1] if self._kept else None)

    def dismiss_all(self) -> None:
        """Put away every message, the kept ones too."""
        self._kept.clear()
        self._notice = None
        self._show(None)
