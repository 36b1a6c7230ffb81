"""Help ▸ Keyboard shortcuts (also ``?`` and F1): every shortcut of the app, read from the
real actions when the list opens, so it can never drift from what the keys do.

- the window's menus (File, Edit, View, Account, Help) and their actions' ``shortcuts()``;
- each screen's own actions (History's Home/End, Canvas' ``[`` ``]``…), the screens being built
  first if they were not yet;
- keys that are *held* rather than pressed (Space to pan, ``\\`` for the version before,
  Ctrl+Enter in the chat) are not actions: the widget that handles them declares them in a
  ``KEY_HINTS`` class attribute beside its key handler, and the list reads that.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio_desktop.ui.theme import scaled_font
from studio_desktop.ui.widgets.search_field import add_clear_action


@dataclass(frozen=True, slots=True)
class ShortcutEntry:
    section: str
    name: str
    keys: str


def _clean(text: str) -> str:
    text = text.split("\t", 1)[0].replace("&&", "\0").replace("&", "").replace("\0", "&")
    return text.rstrip("…").rstrip(".").strip()


def _keys(sequences: Iterable[QKeySequence]) -> str:
    texts = [
        s.toString(QKeySequence.SequenceFormat.NativeText) for s in sequences if not s.isEmpty()
    ]
    return " or ".join(dict.fromkeys(t for t in texts if t))


def _menu_entries(menu: QMenu, section: str) -> list[ShortcutEntry]:
    entries: list[ShortcutEntry] = []
    for action in menu.actions():
        if action.menu() is not None:
            entries += _menu_entries(action.menu(), section)
            continue
        keys = _keys(action.shortcuts())
        if keys and action.isVisible():
            entries.append(ShortcutEntry(section, _clean(action.text()), keys))
    return entries


def _widget_entries(root: QWidget, section: str) -> list[ShortcutEntry]:
    entries: list[ShortcutEntry] = []
    for action in [*root.actions(), *root.findChildren(QAction)]:
        keys = _keys(action.shortcuts())
        name = _clean(action.text()) or _clean(action.toolTip())
        if keys and name:
            entries.append(ShortcutEntry(section, name, keys))
    for button in root.findChildren(QAbstractButton):
        keys = _keys([button.shortcut()])
        name = _clean(button.text()) or _clean(button.toolTip())
        if keys and name:
            entries.append(ShortcutEntry(section, name, keys))
    seen_classes: set[type] = set()
    for widget in [root, *root.findChildren(QWidget)]:
        cls = type(widget)
        hints = getattr(cls, "KEY_HINTS", None)
        if hints and cls not in seen_classes:
            seen_classes.add(cls)
            entries += [ShortcutEntry(section, what, keys) for keys, what in hints]
    return entries


def collect_shortcuts(
    window: QMainWindow, areas: Iterable[tuple[str, QWidget]]
) -> list[ShortcutEntry]:
    """Every shortcut: the menus' (one section per menu) then each area's, without repeats."""
    entries: list[ShortcutEntry] = []
    for action in window.menuBar().actions():
        menu = action.menu()
        if menu is not None:
            entries += _menu_entries(menu, f"{_clean(action.text())} menu")
    for label, area in areas:
        entries += _widget_entries(area, label)
    unique: dict[tuple[str, str, str], ShortcutEntry] = {}
    for entry in entries:
        unique.setdefault((entry.section, entry.name, entry.keys), entry)
    return list(unique.values())


class ShortcutsDialog(QDialog):
    """The list, grouped by menu and screen, with a filter field."""

    def __init__(self, entries: list[ShortcutEntry], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ShortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        self.entries = entries
        title = QLabel("Keyboard shortcuts", self)
        title.setFont(scaled_font(self.font(), 1.3, bold=True))
        self.filter = QLineEdit(self)
        self.filter.setObjectName("shortcut_filter")
        self.filter.setPlaceholderText("Find a shortcut (a word or a key)")
        add_clear_action(self.filter)
        self.filter.textChanged.connect(self._apply_filter)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("shortcut_list")
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Action", "Keys"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        sections: dict[str, QTreeWidgetItem] = {}
        bold = scaled_font(self.font(), 1.0, bold=True)
        for entry in entries:
            parent_item = sections.get(entry.section)
            if parent_item is None:
                parent_item = QTreeWidgetItem(self.tree, [entry.section, ""])
                parent_item.setFont(0, bold)
                parent_item.setFirstColumnSpanned(True)
                parent_item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                sections[entry.section] = parent_item
            QTreeWidgetItem(parent_item, [entry.name, entry.keys])
        self.tree.expandAll()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree, 1)
        layout.addWidget(buttons)
        width = self.tree.sizeHintForColumn(0) + self.tree.sizeHintForColumn(1) + 90
        self.resize(max(520, min(width, 760)), 600)

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for n in range(self.tree.topLevelItemCount()):
            section = self.tree.topLevelItem(n)
            shown = 0
            for k in range(section.childCount()):
                item = section.child(k)
                hit = not needle or needle in item.text(0).lower() or needle in item.text(1).lower()
                item.setHidden(not hit)
                shown += hit
            section.setHidden(shown == 0)

    def visible_entries(self) -> list[tuple[str, str, str]]:
        """(section, action, keys) of the rows shown (for tests)."""
        rows = []
        for n in range(self.tree.topLevelItemCount()):
            section = self.tree.topLevelItem(n)
            for k in range(section.childCount()):
                item = section.child(k)
                if not item.isHidden() and not section.isHidden():
                    rows.append((section.text(0), item.text(0), item.text(1)))
        return rows
