"""The chat panel: conversations, the message list, job progress and the instruction box.

Messages are rows of a list model painted by :class:`MessageDelegate` (no widget per message, so
a conversation of hundreds of turns opens and scrolls at once): the user's instruction in an
accent bubble on the right, with a thumbnail of the mask it was sent with; the assistant's reply
on the left with the new version's thumbnail, or the reason it could not make one. Thumbnails are
asked for only when a row is painted (``ThumbnailLoader``).

The list follows new messages only when it was already at the bottom: a designer reading back
up the conversation keeps their place. Ctrl+Enter sends; an empty instruction shows a gentle
note under the box and sends nothing.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QImage,
    QKeyEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListView,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio_desktop.domain.enums import MessageRole
from studio_desktop.domain.models import CanvasMessage
from studio_desktop.services.canvas import CANCELED_REPLY, CanvasProgress
from studio_desktop.services.canvas_screen import mask_key, output_key
from studio_desktop.ui.canvas.images import ObjectKey, ThumbnailLoader
from studio_desktop.ui.canvas.view import OVERLAY_COLOUR
from studio_desktop.ui.icons import icon
from studio_desktop.ui.theme import current_tones, scaled_font
from studio_desktop.ui.widgets.undo_keys import pass_undo_keys_through

THUMB_SIZE = 256
MASK_BOX = 44
OUTPUT_BOX = QSize(140, 105)
PAD = 10
GAP = 8
MARGIN_X = 12
MARGIN_Y = 6
BUBBLE_SHARE = 0.82
FOLLOW_SLACK = 24  # px from the bottom that still counts as "at the bottom"

MESSAGE_ROLE = Qt.ItemDataRole.UserRole + 1

EMPTY_HINT = (
    "Paint over the part to change, then describe the edit.\n"
    "For example: “make it navy”, “remove this”, “blur the background”."
)


def _time(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone().strftime("%H:%M")
    return ""


def tint_mask(image: QImage, colour: QColor) -> QPixmap:
    """A mask thumbnail (grey) as the overlay colour whose opacity is the mask's value."""
    grey = image.convertToFormat(QImage.Format.Format_Grayscale8)
    alpha = QImage(
        grey.constBits(),
        grey.width(),
        grey.height(),
        grey.bytesPerLine(),
        QImage.Format.Format_Alpha8,
    ).copy()
    tinted = QImage(grey.size(), QImage.Format.Format_ARGB32_Premultiplied)
    tinted.fill(colour)
    painter = QPainter(tinted)
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_DestinationIn)
    painter.drawImage(0, 0, alpha)
    painter.end()
    return QPixmap.fromImage(tinted)


class MessageModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._messages: list[CanvasMessage] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._messages)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._messages):
            return None
        message = self._messages[index.row()]
        if role == MESSAGE_ROLE:
            return message
        if role == Qt.ItemDataRole.DisplayRole:
            return message.text or ""
        if role == Qt.ItemDataRole.AccessibleTextRole:
            who = "You" if message.role == MessageRole.USER else "Assistant"
            return f"{who}: {message.text or ''}"
        return None

    def set_messages(self, messages: list[CanvasMessage]) -> None:
        self.beginResetModel()
        self._messages = list(messages)
        self.endResetModel()

    def append(self, message: CanvasMessage) -> None:
        row = len(self._messages)
        self.beginInsertRows(QModelIndex(), row, row)
        self._messages.append(message)
        self.endInsertRows()

    def messages(self) -> list[CanvasMessage]:
        return list(self._messages)

    def rows_showing(self, key: ObjectKey) -> list[int]:
        return [i for i, m in enumerate(self._messages) if key in (mask_key(m), output_key(m))]


class MessageDelegate(QStyledItemDelegate):
    """Paints one message as a bubble (see the module docstring)."""

    def __init__(self, view: QListView, thumbnails: ThumbnailLoader) -> None:
        super().__init__(view)
        self._view = view
        self._thumbnails = thumbnails
        self._tinted: dict[int, QPixmap] = {}

    # ------------------------------------------------------------------ geometry
    def _bubble_width(self) -> int:
        return max(180, int((self._view.viewport().width() - 2 * MARGIN_X) * BUBBLE_SHARE))

    def _layout(
        self, message: CanvasMessage, font_metrics: QFontMetrics
    ) -> tuple[QSize, QRect, QRect]:
        """(bubble size, text rect, image rect) relative to the bubble's top-left."""
        max_width = self._bubble_width()
        text = message.text or ""
        is_user = message.role == MessageRole.USER
        image = QSize()
        if is_user and mask_key(message) is not None:
            image = QSize(MASK_BOX, MASK_BOX)
        elif not is_user and output_key(message) is not None:
            image = QSize(OUTPUT_BOX)
        if is_user and image.isValid():
            text_width = max_width - 2 * PAD - image.width() - GAP
        else:
            text_width = max_width - 2 * PAD
        bounds = font_metrics.boundingRect(
            QRect(0, 0, text_width, 100_000), int(Qt.TextFlag.TextWordWrap), text
        )
        text_w, text_h = bounds.width(), max(bounds.height(), font_metrics.height())
        if is_user and image.isValid():
            width = PAD + image.width() + GAP + text_w + PAD
            height = PAD + max(text_h, image.height()) + PAD
            image_rect = QRect(PAD, PAD, image.width(), image.height())
            text_rect = QRect(PAD + image.width() + GAP, PAD, text_w, text_h)
        elif image.isValid():
            width = PAD + max(text_w, image.width()) + PAD
            height = PAD + text_h + GAP + image.height() + PAD
            text_rect = QRect(PAD, PAD, text_w, text_h)
            image_rect = QRect(PAD, PAD + text_h + GAP, image.width(), image.height())
        else:
            width, height = PAD + text_w + PAD, PAD + text_h + PAD
            text_rect, image_rect = QRect(PAD, PAD, text_w, text_h), QRect()
        return QSize(width, height), text_rect, image_rect

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        message = index.data(MESSAGE_ROLE)
        if not isinstance(message, CanvasMessage):
            return QSize(0, 0)
        bubble, _t, _i = self._layout(message, QFontMetrics(option.font))
        small = QFontMetrics(scaled_font(option.font, 0.85))
        return QSize(
            self._view.viewport().width(), bubble.height() + small.height() + 2 * MARGIN_Y + 2
        )

    # ------------------------------------------------------------------ painting
    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        message = index.data(MESSAGE_ROLE)
        if not isinstance(message, CanvasMessage):
            return
        tones = current_tones()
        palette = option.palette
        is_user = message.role == MessageRole.USER
        bubble, text_rect, image_rect = self._layout(message, QFontMetrics(option.font))
        row = option.rect
        left = row.right() - MARGIN_X - bubble.width() + 1 if is_user else row.left() + MARGIN_X
        top = row.top() + MARGIN_Y
        box = QRect(left, top, bubble.width(), bubble.height())

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        path = QPainterPath()
        path.addRoundedRect(QRectF(box), 12, 12)
        if is_user:
            fill = QColor(tones.selected_bg)
            border = QColor(tones.accent)
            border.setAlphaF(0.35)
        else:
            fill = palette.color(QPalette.ColorRole.Base)
            border = QColor(tones.border)
        painter.fillPath(path, fill)
        painter.setPen(border)
        painter.drawPath(path)

        canceled = not is_user and (message.text or "") == CANCELED_REPLY
        failed = not is_user and not canceled and output_key(message) is None
        font = option.font
        text_colour = palette.color(QPalette.ColorRole.Text)
        if canceled:
            font = scaled_font(option.font, 1.0)
            font.setItalic(True)
            text_colour = QColor(tones.muted)
        painter.setFont(font)
        painter.setPen(text_colour)
        painter.drawText(
            text_rect.translated(box.topLeft()),
            int(Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop),
            message.text or "",
        )
        if image_rect.isValid():
            self._paint_image(painter, message, image_rect.translated(box.topLeft()), is_user)

        small = scaled_font(option.font, 0.85)
        painter.setFont(small)
        painter.setPen(QColor(tones.muted))
        meta = _time(message.created_at)
        if failed:
            meta = (meta + " · no new version") if meta else "No new version"
        meta_rect = QRect(box.left(), box.bottom() + 2, box.width(), QFontMetrics(small).height())
        align = Qt.AlignmentFlag.AlignRight if is_user else Qt.AlignmentFlag.AlignLeft
        painter.drawText(meta_rect, int(align | Qt.AlignmentFlag.AlignVCenter), meta)
        painter.restore()

    def _paint_image(
        self, painter: QPainter, message: CanvasMessage, rect: QRect, is_user: bool
    ) -> None:
        key = mask_key(message) if is_user else output_key(message)
        clip = QPainterPath()
        clip.addRoundedRect(QRectF(rect), 6, 6)
        painter.save()
        pixmap = self._thumbnails.pixmap(key, THUMB_SIZE)
        if is_user:  # the mask, tinted, on a dark tile (what the overlay looks like)
            painter.setClipPath(clip)
            painter.fillRect(rect, QColor(34, 34, 40))
        elif pixmap is None:  # not loaded yet: a quiet placeholder of the same size
            painter.setClipPath(clip)
            painter.fillRect(rect, QColor(current_tones().border))
        if pixmap is not None:
            if is_user:
                pixmap = self._tint(pixmap)
            fitted = pixmap.size().scaled(rect.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, fitted.width(), fitted.height())
            target.moveCenter(rect.center())
            if not is_user:
                target.moveLeft(rect.left())
                rounded = QPainterPath()
                rounded.addRoundedRect(QRectF(target), 6, 6)
                painter.setClipPath(rounded)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawPixmap(target, pixmap)
        painter.restore()

    def _tint(self, pixmap: QPixmap) -> QPixmap:
        key = pixmap.cacheKey()
        tinted = self._tinted.get(key)
        if tinted is None:
            tinted = tint_mask(pixmap.toImage(), OVERLAY_COLOUR)
            if len(self._tinted) > 200:
                self._tinted.clear()
            self._tinted[key] = tinted
        return tinted


class ChatList(QListView):
    """The message list, with a hint when the conversation is empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ChatList")
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(False)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setMouseTracking(False)
        bar = self.verticalScrollBar()
        bar.setSingleStep(24)
        self.empty_hint = EMPTY_HINT
        # Stuck to the bottom: new rows, a taller row or a shorter list keep the last message in
        # view. Scrolling up unsticks (the designer's place is kept); scrolling back down sticks.
        self._stick = True
        bar.valueChanged.connect(self._value_changed)
        bar.rangeChanged.connect(self._range_changed)

    def _value_changed(self, value: int) -> None:
        self._stick = value >= self.verticalScrollBar().maximum() - FOLLOW_SLACK

    def _range_changed(self, _minimum: int, maximum: int) -> None:
        if self._stick:
            self.verticalScrollBar().setValue(maximum)

    def follow(self) -> None:
        """Scroll to the last message and stay there."""
        self._stick = True
        self.scrollToBottom()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0 and self.empty_hint:
            painter = QPainter(self.viewport())
            painter.setPen(QColor(current_tones().muted))
            painter.drawText(
                QRectF(self.viewport().rect()).adjusted(20, 20, -20, -20),
                int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                self.empty_hint,
            )
            painter.end()

    def at_bottom(self) -> bool:
        return self._stick


class InstructionEdit(QPlainTextEdit):
    """The instruction box: Ctrl+Enter (or Ctrl+Return) submits."""

    #: For Help ▸ Keyboard shortcuts (handled in ``keyPressEvent``).
    KEY_HINTS = (("Ctrl+Enter", "Send the instruction"),)

    submitted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("InstructionEdit")
        self.setPlaceholderText("Describe the change…")
        self.setTabChangesFocus(True)
        line = self.fontMetrics().lineSpacing()
        self.setFixedHeight(line * 3 + 14)
        pass_undo_keys_through(self)  # an emptied box lets Ctrl+Z undo a deleted chat

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (
            event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class ChatPanel(QWidget):
    conversation_selected = Signal(str)
    new_conversation_requested = Signal()
    rename_conversation_requested = Signal(str, str)  # conversation id, new title
    delete_conversation_requested = Signal(str)  # conversation id (undoable)
    send_requested = Signal(str)
    cancel_requested = Signal(str)  # job id
    message_activated = Signal(object)  # CanvasMessage (a reply double-clicked)

    def __init__(self, thumbnails: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ChatPanel")
        self._thumbnails = thumbnails
        self._progress_job: str | None = None
        self.rename_dialog: QInputDialog | None = None

        title = QLabel("Chat", self)
        title.setFont(scaled_font(self.font(), 1.1, bold=True))
        self.conversation_combo = QComboBox(self)
        self.conversation_combo.setObjectName("ConversationCombo")
        self.conversation_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.conversation_combo.setMinimumContentsLength(8)
        self.conversation_combo.setSizePolicy(
            QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed
        )
        self.conversation_combo.setToolTip("Switch between the conversations of this creation")
        self.conversation_combo.activated.connect(self._combo_activated)
        self.new_button = QToolButton(self)
        self.new_button.setIcon(icon("add"))
        self.new_button.setToolTip("New chat")
        self.new_button.setAutoRaise(True)
        self.new_button.clicked.connect(self.new_conversation_requested)
        # "…": the chat's menu (rename, delete); the button keeps its old name for callers.
        self.conversation_menu = QMenu(self)
        self.conversation_menu.setObjectName("ConversationMenu")
        self.action_rename = self.conversation_menu.addAction(icon("settings"), "Rename chat…")
        self.action_rename.triggered.connect(self.open_rename_dialog)
        self.conversation_menu.addSeparator()
        self.action_delete = self.conversation_menu.addAction(icon("delete"), "Delete chat")
        self.action_delete.setToolTip("Delete this chat and its messages (Ctrl+Z brings it back)")
        self.action_delete.triggered.connect(self._delete_current)
        self.rename_button = QToolButton(self)
        self.rename_button.setObjectName("ConversationMenuButton")
        self.rename_button.setIcon(icon("more"))
        self.rename_button.setToolTip("This chat: rename or delete")
        self.rename_button.setAccessibleName("Chat menu")
        self.rename_button.setAutoRaise(True)
        self.rename_button.setMenu(self.conversation_menu)
        self.rename_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.rename_button.setStyleSheet("QToolButton::menu-indicator { image: none; }")
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.setSpacing(4)
        header.addWidget(title)
        header.addSpacing(6)
        header.addWidget(self.conversation_combo, 1)
        header.addWidget(self.new_button)
        header.addWidget(self.rename_button)

        self.model = MessageModel(self)
        self.list = ChatList(self)
        self.list.setModel(self.model)
        self.delegate = MessageDelegate(self.list, thumbnails)
        self.list.setItemDelegate(self.delegate)
        self.list.doubleClicked.connect(self._double_clicked)
        thumbnails.ready.connect(self._thumbnail_ready)

        self.progress_label = QLabel(self)
        self.progress_label.setObjectName("JobProgressText")
        self.progress_label.setWordWrap(True)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setFixedHeight(6)
        self.cancel_button = QPushButton(icon("cancel"), "Cancel", self)
        self.cancel_button.setObjectName("CancelJobButton")
        self.cancel_button.setToolTip("Stop this edit")
        self.cancel_button.clicked.connect(self._cancel_clicked)
        self.progress_box = QWidget(self)
        progress_layout = QVBoxLayout(self.progress_box)
        progress_layout.setContentsMargins(0, 0, 0, 0)
        progress_layout.setSpacing(4)
        progress_row = QHBoxLayout()
        progress_row.setSpacing(8)
        progress_row.addWidget(self.progress_label, 1)
        progress_row.addWidget(self.cancel_button)
        progress_layout.addLayout(progress_row)
        progress_layout.addWidget(self.progress_bar)
        self.progress_box.hide()

        self.input = InstructionEdit(self)
        self.input.submitted.connect(self.submit)
        self.input.textChanged.connect(self.clear_validation)
        self.validation_label = QLabel(self)
        self.validation_label.setObjectName("ChatValidation")
        self.validation_label.setWordWrap(True)
        self.validation_label.hide()
        self.mask_hint = QLabel(self)
        self.mask_hint.setObjectName("MaskHint")
        self.mask_hint.setProperty("muted", True)
        self.mask_hint.setWordWrap(True)
        self.send_button = QPushButton(icon("send", tone="accent"), "Send", self)
        self.send_button.setObjectName("SendButton")
        self.send_button.setToolTip("Send the instruction (Ctrl+Enter)")
        self.send_button.setDefault(False)
        self.send_button.clicked.connect(self.submit)
        send_row = QHBoxLayout()
        send_row.setSpacing(8)
        send_row.addWidget(self.mask_hint, 1)
        send_row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignTop)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 12)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.progress_box)
        layout.addWidget(self.input)
        layout.addWidget(self.validation_label)
        layout.addLayout(send_row)
        self.set_mask_hint(False)
        self._restyle()

    # ------------------------------------------------------------------ conversations
    def set_conversations(self, conversations: list[tuple[str, str]], current: str | None) -> None:
        combo = self.conversation_combo
        combo.blockSignals(True)
        combo.clear()
        for conversation_id, title in conversations:
            combo.addItem(icon("chat"), title, conversation_id)
        index = combo.findData(current) if current is not None else -1
        combo.setCurrentIndex(index if index >= 0 else combo.count() - 1)
        combo.blockSignals(False)
        self.rename_button.setEnabled(combo.count() > 0 and bool(combo.currentData()))

    @property
    def current_conversation(self) -> str | None:
        data = self.conversation_combo.currentData()
        return str(data) if data is not None else None

    def _combo_activated(self, index: int) -> None:
        data = self.conversation_combo.itemData(index)
        self.rename_button.setEnabled(bool(data))
        if data is not None:
            self.conversation_selected.emit(str(data))

    def _delete_current(self) -> None:
        conversation_id = self.current_conversation
        if conversation_id:
            self.delete_conversation_requested.emit(conversation_id)

    def open_rename_dialog(self) -> QInputDialog | None:
        conversation_id = self.current_conversation
        if not conversation_id:
            return None
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Rename chat")
        dialog.setLabelText("Name of this chat:")
        dialog.setTextValue(self.conversation_combo.currentText())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.textValueSelected.connect(
            lambda text, c=conversation_id: self.rename_conversation_requested.emit(c, text)
        )
        dialog.destroyed.connect(lambda *_: setattr(self, "rename_dialog", None))
        self.rename_dialog = dialog
        dialog.open()
        return dialog

    # ------------------------------------------------------------------ messages
    def set_messages(self, messages: list[CanvasMessage]) -> None:
        self.model.set_messages(messages)
        self.list.follow()

    def append_message(self, message: CanvasMessage, *, follow: bool = False) -> None:
        """Add a message; the list follows it when it was at the bottom (or ``follow``)."""
        at_bottom = follow or self.list.at_bottom()
        self.model.append(message)
        if at_bottom:
            self.list.follow()

    def _thumbnail_ready(self, key: ObjectKey) -> None:
        if self.model.rows_showing(key):
            self.list.viewport().update()

    def _double_clicked(self, index: QModelIndex) -> None:
        message = index.data(MESSAGE_ROLE)
        if isinstance(message, CanvasMessage):
            self.message_activated.emit(message)

    # ------------------------------------------------------------------ progress
    def set_progress(self, progress: CanvasProgress | None) -> None:
        """Show a running edit's progress with Cancel (None hides it)."""
        if progress is None:
            self._progress_job = None
            self.progress_box.hide()
            return
        self._progress_job = progress.job_id
        self.progress_label.setText(progress.text or "Working…")
        self.progress_bar.setValue(round(progress.fraction * 100))
        self.cancel_button.setEnabled(True)
        self.progress_box.show()

    @property
    def progress_job(self) -> str | None:
        return self._progress_job

    def _cancel_clicked(self) -> None:
        if self._progress_job:
            self.cancel_button.setEnabled(False)
            self.progress_label.setText("Canceling…")
            self.cancel_requested.emit(self._progress_job)

    # ------------------------------------------------------------------ input
    @property
    def instruction(self) -> str:
        return self.input.toPlainText()

    def clear_input(self) -> None:
        self.input.blockSignals(True)
        self.input.clear()
        self.input.blockSignals(False)

    def submit(self) -> None:
        text = self.instruction.strip()
        if not text:
            self.show_validation("Type what you want changed first, for example “make it navy”.")
            self.input.setFocus()
            return
        self.clear_validation()
        self.send_requested.emit(text)

    def show_validation(self, text: str) -> None:
        self.validation_label.setText(text)
        self.validation_label.show()

    def clear_validation(self) -> None:
        if self.validation_label.isVisible():
            self.validation_label.hide()
            self.validation_label.clear()

    @property
    def validation_text(self) -> str:
        return self.validation_label.text() if self.validation_label.isVisible() else ""

    def set_mask_hint(self, has_mask: bool) -> None:
        self.mask_hint.setText(
            "Edits the painted area" if has_mask else "No mask: edits the main subject"
        )
        self.mask_hint.setToolTip(
            "With Snap to edges on, the painted area is first fitted to the object's edges."
            if has_mask
            else "With nothing painted, colour and tone edits change the main subject (the "
            "garment or product). Say “the whole image” or “the background” to change those."
        )

    def set_input_enabled(self, enabled: bool) -> None:
        self.input.setEnabled(enabled)
        self.send_button.setEnabled(enabled)

    # ------------------------------------------------------------------ theme
    def _restyle(self) -> None:
        tones = current_tones()
        self.validation_label.setStyleSheet(f"color: {tones.warning};")
        self.list.setStyleSheet(
            f"QListView#ChatList {{ border: 1px solid {tones.border}; border-radius: 8px; }}"
        )

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._restyle()
