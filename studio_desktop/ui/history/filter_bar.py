"""The bar above the feed: search, type / status / profile filters, thumbnail size.

The search box waits :data:`SEARCH_DEBOUNCE_MS` after the last keystroke before it asks the feed
(typing "floral dress" is one query, not twelve); Enter searches at once. ``filters_changed``
carries a :class:`~studio_desktop.services.history.HistoryFilter`; ``size_requested`` a
:class:`~studio_desktop.ui.preferences.ThumbnailSize` (the area routes it through the main
window's View menu so both stay in step).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from studio_desktop.domain.enums import JobStatus, JobType
from studio_desktop.services.history_labels import HistoryFilter, job_type_label, status_label
from studio_desktop.ui.icons import icon
from studio_desktop.ui.preferences import ThumbnailSize
from studio_desktop.ui.theme import current_tones
from studio_desktop.ui.widgets.search_field import add_clear_action

SEARCH_DEBOUNCE_MS = 250
_SIZE_TEXT = {ThumbnailSize.SMALL: "S", ThumbnailSize.MEDIUM: "M", ThumbnailSize.LARGE: "L"}


class FilterBar(QWidget):
    filters_changed = Signal(object)  # HistoryFilter
    size_requested = Signal(object)  # ThumbnailSize

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("HistoryFilterBar")
        self.search = QLineEdit(self)
        self.search.setObjectName("HistorySearch")
        self.search.setPlaceholderText("Search prompt, type, profile")
        self.search.setToolTip(
            "Finds jobs by anything their row shows: the prompt or instruction, the type "
            "(“pack”, “try-on”, “cutout”, “edit”), the status, a failed job's error and the "
            "profile's name. Every word must match; the start of a word is enough. (Ctrl+F)"
        )
        self.clear_search_action = add_clear_action(self.search)
        self.search.addAction(
            icon("search", tone="muted"), QLineEdit.ActionPosition.LeadingPosition
        )
        self.search.setMinimumWidth(220)
        self.search.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.search.setAccessibleName("Search the history")
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._emit)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.returnPressed.connect(self._emit_now)

        self.type_box = QComboBox(self)
        self.type_box.setObjectName("HistoryTypeFilter")
        self.type_box.setAccessibleName("Job type")
        self.type_box.addItem("All types", None)
        for job_type in JobType:
            self.type_box.addItem(job_type_label(job_type), job_type.value)
        self.status_box = QComboBox(self)
        self.status_box.setObjectName("HistoryStatusFilter")
        self.status_box.setAccessibleName("Status")
        self.status_box.addItem("Any status", None)
        for status in JobStatus:
            self.status_box.addItem(status_label(status), status.value)
        self.profile_box = QComboBox(self)
        self.profile_box.setObjectName("HistoryProfileFilter")
        self.profile_box.setAccessibleName("Profile")
        self.profile_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.profile_box.setMinimumContentsLength(10)
        self.profile_box.addItem("All profiles", None)
        for box in (self.type_box, self.status_box, self.profile_box):
            box.currentIndexChanged.connect(self._emit_now)

        self.clear_button = QToolButton(self)
        self.clear_button.setObjectName("HistoryClearFilters")
        self.clear_button.setText("Clear filters")
        self.clear_button.setIcon(icon("close"))
        self.clear_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.clear_button.clicked.connect(self.clear)
        self.clear_button.setVisible(False)

        self.size_buttons: dict[ThumbnailSize, QToolButton] = {}
        self._size_group = QButtonGroup(self)
        self._size_group.setExclusive(True)
        sizes = QHBoxLayout()
        sizes.setSpacing(0)
        for size in ThumbnailSize:
            button = QToolButton(self)
            button.setObjectName(f"HistorySize{size.label}")
            button.setText(_SIZE_TEXT[size])
            button.setCheckable(True)
            button.setToolTip(f"{size.label} thumbnails")
            button.setAccessibleName(f"{size.label} thumbnails")
            button.setFixedSize(QSize(30, 28))
            button.clicked.connect(lambda _c=False, s=size: self.size_requested.emit(s))
            self._size_group.addButton(button)
            sizes.addWidget(button)
            self.size_buttons[size] = button
        size_icon = QToolButton(self)
        size_icon.setIcon(icon("grid", tone="muted"))
        size_icon.setAutoRaise(True)
        size_icon.setEnabled(False)
        size_icon.setToolTip("Thumbnail size (also in View ▸ Thumbnail size)")

        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(8)
        layout.addWidget(self.search, 3)
        layout.addWidget(self.type_box)
        layout.addWidget(self.status_box)
        layout.addWidget(self.profile_box)
        layout.addWidget(self.clear_button)
        layout.addStretch(1)
        layout.addWidget(size_icon)
        layout.addLayout(sizes)
        self._style_sizes()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._style_sizes()

    def _style_sizes(self) -> None:
        """The chosen size reads as chosen in both palettes (a tinted, accent-coloured key)."""
        tones = current_tones()
        for button in self.size_buttons.values():
            button.setStyleSheet(
                f"QToolButton:checked {{ background: {tones.selected_bg}; color: {tones.accent};"
                f" border: 1px solid {tones.accent}; font-weight: bold; }}"
            )

    # ------------------------------------------------------------------ state
    def current_filter(self) -> HistoryFilter:
        job_type = self.type_box.currentData()
        status = self.status_box.currentData()
        profile = self.profile_box.currentData()
        search = " ".join(self.search.text().split()) or None
        return HistoryFilter(
            types=(job_type,) if job_type else (),
            statuses=(status,) if status else (),
            profile_id=profile or None,
            search=search,
        )

    def set_profiles(self, names: dict[str, str]) -> None:
        """The profile choices (id -> name), sorted by name; the current choice is kept."""
        current = self.profile_box.currentData()
        self.profile_box.blockSignals(True)
        self.profile_box.clear()
        self.profile_box.addItem("All profiles", None)
        for profile_id, name in sorted(names.items(), key=lambda kv: (kv[1].casefold(), kv[0])):
            self.profile_box.addItem(name, profile_id)
        position = self.profile_box.findData(current) if current else 0
        self.profile_box.setCurrentIndex(max(0, position))
        self.profile_box.blockSignals(False)
        if current and position < 0:
            self._emit_now()  # the chosen profile was deleted: show all again

    def set_size(self, size: ThumbnailSize) -> None:
        self.size_buttons[size].setChecked(True)

    def set_filter(self, filters: HistoryFilter) -> None:
        """Show ``filters`` in the controls (emits once)."""
        for box, values in (
            (self.type_box, filters.types),
            (self.status_box, filters.statuses),
        ):
            box.blockSignals(True)
            box.setCurrentIndex(max(0, box.findData(str(values[0]))) if values else 0)
            box.blockSignals(False)
        self.profile_box.blockSignals(True)
        position = self.profile_box.findData(filters.profile_id) if filters.profile_id else 0
        self.profile_box.setCurrentIndex(max(0, position))
        self.profile_box.blockSignals(False)
        self.search.blockSignals(True)
        self.search.setText(filters.search or "")
        self.search.blockSignals(False)
        self._emit_now()

    def clear(self) -> None:
        self.set_filter(HistoryFilter())

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    # ------------------------------------------------------------------ emitting
    def _emit_now(self) -> None:
        self._debounce.stop()
        self._emit()

    def _emit(self) -> None:
        filters = self.current_filter()
        active = bool(filters.types or filters.statuses or filters.profile_id or filters.search)
        self.clear_button.setVisible(active)
        self.filters_changed.emit(filters)
