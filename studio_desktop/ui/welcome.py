"""The first-run welcome: how to start in three steps, and "Try it with sample images".

A card floating over the main window's areas, not a modal dialog: the side bar, the menus and
drops onto the window keep working while it is up (a file dropped on the card reaches the
window like anywhere else).

::

    ┌──────────────────────────────────────────────────────────────── × ┐
    │  Welcome to Studio Desktop                                          │
    │  Edit product images with a brush and a sentence. …                │
    │  [icon] 1 Drop an image  [icon] 2 Paint a mask  [icon] 3 Type …     │
    │  ☐ Don't show again                 [Close] [Try it with sample…]  │
    └─────────────────────────────────────────────────────────────────────┘

When it shows: at the start of the **local** workspace while the designer has not ticked
"Don't show again" (:func:`should_show_welcome`, kept in ``QSettings``); never for an account's
workspace. Help ▸ Welcome shows it again on demand. The composition root wires the button
once, for every card the window puts up (``MainWindow.welcome_shown``)::

    window.welcome_shown.connect(offer_samples)      # panel.samples_requested -> create_samples
    if should_show_welcome(is_local=workspace.is_local):
        window.show_welcome()
    panel.samples_finished(ok)                       # closes on success, re-enables on failure
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import (
    QEvent,
    QMetaMethod,
    QObject,
    QPointF,
    QRect,
    QRectF,
    QSettings,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPainterPath, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio_desktop.ui.icons import icon
from studio_desktop.ui.theme import current_tones, scaled_font, theme_manager

#: QSettings key: True once the designer asked not to see the welcome again.
DONT_SHOW_KEY = "welcome/dont_show_again"
TITLE = "Welcome to Studio Desktop"
LEAD = (
    "Edit product images with a brush and a sentence. This workspace lives on this computer "
    "and needs no account; sign in later to sync with your studio."
)
SAMPLES_BUTTON = "Try it with sample images"
SAMPLES_BUSY = "Adding sample images…"
SAMPLES_UNAVAILABLE = "Sample images can be added once a workspace is open."
SAMPLES_HINT = (
    "Adds a model profile, a creation to edit and a product pack, all made on this computer."
)


@dataclass(frozen=True, slots=True)
class Step:
    icon_name: str
    title: str
    text: str


STEPS: tuple[Step, ...] = (
    Step(
        "import",
        "Drop an image",
        "Drag a photo onto this window and drop it on “Edit in Magic Canvas”: it opens as a "
        "new creation.",
    ),
    Step(
        "brush",
        "Paint a mask",
        "Brush over what you want to change. [ and ] make the brush smaller or larger.",
    ),
    Step(
        "chat",
        "Type an instruction",
        "“Remove the bag” or “make it navy”, then Ctrl+Enter. The new version appears beside it.",
    ),
)

#: Layout, in multiples of the font's height (nothing is tied to one screen size or DPI).
CARD_MAX_EM = 50.0
CARD_MARGIN_EM = 1.6
STACK_BELOW_EM = 40.0  # narrower than this, the steps stack vertically
SHADOW_PX = 14
RADIUS_PX = 14
STEP_ICON_PX = 28


def should_show_welcome(*, is_local: bool, settings: QSettings | None = None) -> bool:
    """Whether the welcome shows when a workspace opens (the local one, not turned off)."""
    if not is_local:
        return False
    value = (settings or QSettings()).value(DONT_SHOW_KEY, False)
    return str(value).lower() not in ("true", "1")


def card_colour(widget: QWidget) -> QColor:
    """The card's fill: the palette's base in light schemes, a raised grey in dark ones."""
    role = QPalette.ColorRole.Button if theme_manager().is_dark else QPalette.ColorRole.Base
    return widget.palette().color(role)


class _StepIcon(QWidget):
    """A step's icon on an accent-tinted rounded square, with its number in a badge."""

    def __init__(self, icon_name: str, number: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icon_name = icon_name
        self.number = number
        side = round(STEP_ICON_PX * 1.9)
        self.setFixedSize(side + 8, side + 8)

    def paintEvent(self, event: QPaintEvent) -> None:
        tones = current_tones()
        accent = QColor(tones.accent)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        side = self.width() - 8
        tile = QRectF(0, 8, side, side)
        tint = QColor(accent)
        tint.setAlphaF(0.14)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(tint)
        painter.drawRoundedRect(tile, 12, 12)
        icon_rect = tile.adjusted(
            (side - STEP_ICON_PX) / 2,
            (side - STEP_ICON_PX) / 2,
            -(side - STEP_ICON_PX) / 2,
            -(side - STEP_ICON_PX) / 2,
        ).toRect()
        icon(self.icon_name, tone="accent").paint(painter, icon_rect)
        badge = QRectF(side - 12, 0, 20, 20)
        painter.setBrush(accent)
        painter.setPen(QPen(card_colour(self), 2))
        painter.drawEllipse(badge)
        painter.setPen(QColor("#ffffff"))
        painter.setFont(scaled_font(self.font(), 0.8, bold=True))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, str(self.number))
        painter.end()


class _StepView(QWidget):
    def __init__(self, step: Step, number: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"WelcomeStep{number}")
        self.icon_widget = _StepIcon(step.icon_name, number, self)
        self.title_label = QLabel(step.title, self)
        self.title_label.setObjectName("WelcomeStepTitle")
        self.title_label.setFont(scaled_font(self.font(), 1.05, bold=True))
        self.text_label = QLabel(step.text, self)
        self.text_label.setObjectName("WelcomeStepText")
        self.text_label.setProperty("muted", True)
        self.text_label.setWordWrap(True)
        self.text_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        words = QVBoxLayout()
        words.setContentsMargins(0, 0, 0, 0)
        words.setSpacing(6)
        words.addWidget(self.title_label)
        words.addWidget(self.text_label)
        words.addStretch(1)
        self.layout_box = QBoxLayout(QBoxLayout.Direction.TopToBottom, self)
        self.layout_box.setContentsMargins(0, 0, 0, 0)
        self.layout_box.setSpacing(8)
        self.layout_box.addWidget(self.icon_widget, 0, Qt.AlignmentFlag.AlignTop)
        self.layout_box.addLayout(words, 1)

    def set_beside(self, beside: bool) -> None:
        """The icon beside the words (steps stacked in a narrow card) or above them."""
        direction = QBoxLayout.Direction.LeftToRight if beside else QBoxLayout.Direction.TopToBottom
        if self.layout_box.direction() != direction:
            self.layout_box.setDirection(direction)
            self.layout_box.setSpacing(14 if beside else 8)


class WelcomeCard(QFrame):
    """The card itself: title, lead, the three steps and the buttons (painted, with a shadow)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("WelcomeCard")
        self.title_label = QLabel(TITLE, self)
        self.title_label.setObjectName("WelcomeTitle")
        self.title_label.setFont(scaled_font(self.font(), 1.5, bold=True))
        self.lead_label = QLabel(LEAD, self)
        self.lead_label.setObjectName("WelcomeLead")
        self.lead_label.setProperty("muted", True)
        self.lead_label.setWordWrap(True)
        self.close_button = QToolButton(self)
        self.close_button.setObjectName("WelcomeClose")
        self.close_button.setIcon(icon("close"))
        self.close_button.setIconSize(QSize(16, 16))
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Close the welcome (Esc)")
        self.close_button.setAccessibleName("Close the welcome")

        self.steps = [_StepView(step, n, self) for n, step in enumerate(STEPS, start=1)]
        self.steps_layout = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.steps_layout.setSpacing(24)
        for view in self.steps:
            self.steps_layout.addWidget(view, 1)

        self.dont_show_box = QCheckBox("Don't show again", self)
        self.dont_show_box.setObjectName("WelcomeDontShow")
        self.later_button = QPushButton("Close", self)
        self.later_button.setObjectName("WelcomeLater")
        self.samples_button = QPushButton(SAMPLES_BUTTON, self)
        self.samples_button.setObjectName("WelcomeSamples")
        self.samples_button.setToolTip(SAMPLES_HINT)
        self.samples_button.setDefault(True)

        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(self.title_label, 1, Qt.AlignmentFlag.AlignVCenter)
        header.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        buttons.addWidget(self.dont_show_box)
        buttons.addStretch(1)
        buttons.addWidget(self.later_button)
        buttons.addWidget(self.samples_button)

        layout = QVBoxLayout(self)
        pad = SHADOW_PX + 24
        layout.setContentsMargins(pad, SHADOW_PX + 18, pad, SHADOW_PX + 22)
        layout.setSpacing(10)
        layout.addLayout(header)
        layout.addWidget(self.lead_label)
        layout.addSpacing(12)
        layout.addLayout(self.steps_layout)
        layout.addSpacing(14)
        layout.addLayout(buttons)

        theme_manager().changed.connect(self._apply_theme)
        self._apply_theme()

    def set_stacked(self, stacked: bool) -> None:
        """Steps side by side, or one under the other in a narrow window."""
        direction = (
            QBoxLayout.Direction.TopToBottom if stacked else QBoxLayout.Direction.LeftToRight
        )
        if self.steps_layout.direction() != direction:  # a change re-lays the card out
            self.steps_layout.setDirection(direction)
            self.steps_layout.setSpacing(16 if stacked else 24)
        for view in self.steps:
            view.set_beside(stacked)

    def _apply_theme(self) -> None:
        tones = current_tones()
        hover = QColor(tones.accent).lighter(112).name()
        # The primary action in the scheme's accent, the secondary one outlined to match.
        self.samples_button.setStyleSheet(
            "QPushButton#WelcomeSamples {"
            f" background: {tones.accent}; color: #ffffff; border: 1px solid {tones.accent};"
            " border-radius: 6px; padding: 6px 14px; font-weight: 600; }"
            f"QPushButton#WelcomeSamples:hover {{ background: {hover}; }}"
            f"QPushButton#WelcomeSamples:disabled {{ background: {tones.border};"
            f" border-color: {tones.border}; color: {tones.muted}; }}"
        )
        self.later_button.setStyleSheet(
            "QPushButton#WelcomeLater {"
            f" background: transparent; border: 1px solid {tones.border};"
            " border-radius: 6px; padding: 6px 14px; }"
            f"QPushButton#WelcomeLater:hover {{ background: {tones.hover}; }}"
        )
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        tones = current_tones()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        card = QRectF(self.rect()).adjusted(SHADOW_PX, SHADOW_PX - 4, -SHADOW_PX, -SHADOW_PX - 4)
        # A soft shadow: rings of fading black around the card, offset a little downwards.
        dark = theme_manager().is_dark
        for ring in range(SHADOW_PX, 0, -2):
            shade = QColor(0, 0, 0)
            shade.setAlphaF((0.07 if dark else 0.025) * (1 - ring / (SHADOW_PX + 1)))
            path = QPainterPath()
            path.addRoundedRect(
                card.adjusted(-ring, -ring + 4, ring, ring + 4), RADIUS_PX + ring, RADIUS_PX + ring
            )
            painter.fillPath(path, shade)
        painter.setPen(QPen(QColor(tones.border), 1))
        painter.setBrush(card_colour(self))
        painter.drawRoundedRect(card.adjusted(0.5, 0.5, -0.5, -0.5), RADIUS_PX, RADIUS_PX)
        # An accent line along the top edge, the card's only colour besides its button.
        clip = QPainterPath()
        clip.addRoundedRect(card, RADIUS_PX, RADIUS_PX)
        painter.setClipPath(clip)
        painter.fillRect(
            QRectF(card.topLeft(), QPointF(card.right(), card.top() + 4)), QColor(tones.accent)
        )
        painter.end()


class WelcomePanel(QWidget):
    """The welcome over a host widget: a light veil over the host and the card on it.

    Only the host (the main window's areas) is covered: the side bar, the menus and drops on
    the window keep working. Put it up with :meth:`show_over`.
    """

    #: "Try it with sample images" was clicked.
    samples_requested = Signal()
    #: It was clicked but nothing is connected to ``samples_requested`` (no workspace).
    samples_unavailable = Signal()
    #: The welcome was closed (×, Close or Escape); True if it will not show again.
    dismissed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("WelcomePanel")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._host: QWidget | None = None
        self._busy = False
        self.card = WelcomeCard(self)
        self.card.installEventFilter(self)
        self.card.close_button.clicked.connect(self.dismiss)
        self.card.later_button.clicked.connect(self.dismiss)
        self.card.samples_button.clicked.connect(self._on_samples)
        theme_manager().changed.connect(self.update)

    # Shortcuts to the card's parts (tests and the composition root use them).
    @property
    def samples_button(self) -> QPushButton:
        return self.card.samples_button

    @property
    def dont_show_box(self) -> QCheckBox:
        return self.card.dont_show_box

    @property
    def close_button(self) -> QToolButton:
        return self.card.close_button

    @property
    def later_button(self) -> QPushButton:
        return self.card.later_button

    # ------------------------------------------------------------------ placement
    def show_over(self, host: QWidget) -> None:
        """Cover ``host`` (following its size), show the card on it, focus its main button."""
        if self._host is not None:
            self._host.removeEventFilter(self)
        self._host = host
        if self.parentWidget() is not host:
            self.setParent(host)
        host.installEventFilter(self)
        self.show()
        self.raise_()
        self._place()
        self.card.samples_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self._host and event.type() == QEvent.Type.Resize) or (
            watched is self.card and event.type() == QEvent.Type.LayoutRequest
        ):
            self._place()
        return False

    def _place(self) -> None:
        host = self._host
        if host is None:
            return
        if self.geometry() != host.rect():
            self.setGeometry(host.rect())
        em = self.fontMetrics().height()
        margin = round(CARD_MARGIN_EM * em)
        available = max(0, host.width() - 2 * margin + 2 * SHADOW_PX)
        width = min(round(CARD_MAX_EM * em) + 2 * SHADOW_PX, available)
        self.card.set_stacked(width < STACK_BELOW_EM * em)
        width = max(width, self.card.minimumSizeHint().width())
        layout = self.card.layout()
        layout.activate()
        height = layout.totalHeightForWidth(width)
        if height <= 0:
            height = self.card.sizeHint().height()
        x = (host.width() - width) // 2
        y = max(0, round((host.height() - height) * 0.38))
        if self.card.geometry() != QRect(x, y, width, height):
            self.card.setGeometry(x, y, width, height)

    # ------------------------------------------------------------------ actions
    def dismiss(self) -> None:
        """Close the welcome; "Don't show again" is remembered when ticked."""
        dont_show = self.card.dont_show_box.isChecked()
        if dont_show:
            QSettings().setValue(DONT_SHOW_KEY, True)
        self._close(dont_show)

    def _close(self, for_good: bool) -> None:
        if self._host is not None:
            self._host.removeEventFilter(self)
        self.hide()
        self.dismissed.emit(for_good)
        self.deleteLater()

    def _on_samples(self) -> None:
        if self._busy:
            return
        if not self.isSignalConnected(QMetaMethod.fromSignal(self.samples_requested)):
            # Nothing would add them (a window without a workspace): say so, never spin.
            button = self.card.samples_button
            button.setEnabled(False)
            button.setToolTip(SAMPLES_UNAVAILABLE)
            self.samples_unavailable.emit()
            return
        self.set_busy(True)
        self.samples_requested.emit()

    def set_busy(self, busy: bool) -> None:
        """While the samples are being added: the button says so and cannot be clicked."""
        self._busy = busy
        button = self.card.samples_button
        button.setEnabled(not busy)
        button.setText(SAMPLES_BUSY if busy else SAMPLES_BUTTON)

    def samples_finished(self, ok: bool) -> None:
        """The samples are in (the welcome closes and will not show again) or failed (the
        button can be clicked again; the error itself is the message bar's to show)."""
        self.set_busy(False)
        if ok:
            QSettings().setValue(DONT_SHOW_KEY, True)
            self._close(True)

    @property
    def busy(self) -> bool:
        return self._busy

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.dismiss()
            return
        super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        """A veil of the window colour, so the card reads above whatever the area shows."""
        painter = QPainter(self)
        veil = self.palette().color(QPalette.ColorRole.Window)
        veil.setAlphaF(0.9)
        painter.fillRect(self.rect(), veil)
        painter.end()
