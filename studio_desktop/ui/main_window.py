"""The main window: the side bar and the three areas, the message bar, the status bar, menus.

::

    ┌──────────┬────────────────────────────────────────────────────────────────┐
    │ side bar │ QStackedWidget: History | Profiles | Canvas (built on first show) │
    │          │    ┌ message bar (floats over the areas' bottom; in no layout) ┐   │
    └ status bar: [busy indicator] [sync status] ────────────────────────────────┘

It is the :class:`~studio_desktop.ui.operations.OperationHost` of every ``run_op`` started from
its widgets. It emits what the user asked for (signals below) and renders what it is told
(``set_sync_status``, ``set_account``, ``set_workspaces``, ``show_message``); the composition
root wires both ends to the services.

Start-up: the constructor builds only what the first frame shows: the side bar, the empty
area pages (the restored one selected), the menu bar's titles and the status bar's sync
status. Right after the window's first paint (``first_painted``) a zero-timer fills the menus
(actions, shortcuts, icons) and builds and activates the restored area (``area_changed``),
unless an area was chosen before (the History's early page, ``app.py``: then the menus come
right after its first page is painted; File ▸ Export's state set meanwhile is kept for them).
Reading a menu attribute (``action_import``…) earlier fills the menus at once
(:class:`_MenuPart`). The message bar, the busy indicator and the drop overlay, hidden at
first, are built on first use. This module is on the path to the first paint: it imports
asyncio-based helpers (``ui/operations.py``), the diagnostics and the drop
helpers only inside the methods that use them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from PySide6.QtCore import QEvent, QObject, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QKeyEvent,
    QUndoGroup,
)
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from studio_desktop import APP_NAME
from studio_desktop.domain.errors import ExternalError
from studio_desktop.services.locations import LOCAL_WORKSPACE, DataDirs
from studio_desktop.ui.areas import AreaFactory, AreaKey, AreaWidget, default_factory
from studio_desktop.ui.icons import app_icon, icon
from studio_desktop.ui.navigation import Navigator, ScreenNavigator
from studio_desktop.ui.preferences import Preferences, SettingsValues, ThumbnailSize
from studio_desktop.ui.sidebar import SideBar
from studio_desktop.ui.theme import ThemeMode, theme_manager
from studio_desktop.ui.widgets.message_bar import MessageBar, MessageLevel, MessageLine
from studio_desktop.ui.widgets.sync_status import SyncStatusWidget

if TYPE_CHECKING:
    from PySide6.QtGui import QAction, QKeySequence, QResizeEvent

    from studio_desktop.domain.status import SyncStatus
    from studio_desktop.ui.drop_choices import DropChoice
    from studio_desktop.ui.welcome import WelcomePanel
    from studio_desktop.ui.widgets.busy_indicator import BusyIndicator
    from studio_desktop.ui.widgets.drop_overlay import DropOverlay

log = logging.getLogger(__name__)
T = TypeVar("T")

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.tif *.tiff *.bmp *.gif);;All files (*)"
DEFAULT_SIZE = QSize(1280, 820)
#: The menus wait this long at most for an area's first page painted after the window's.
MENUS_LATEST_MS = 1000


class _MenuPart(Generic[T]):
    """An attribute of the window that its menus' actions provide (``window.action_import``,
    ``window.area_actions``…). The menus are filled right after the first paint; reading one
    of these before that fills them at once. Filling sets the real attributes on the window,
    which from then on shadow this (non-data) descriptor."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, window: MainWindow | None, owner: type | None = None) -> Any:
        if window is None:
            return self
        window._fill_menus()
        return window.__dict__[self._name]


class MainWindow(QMainWindow):
    # What the user asked for; the payloads are plain Python values.
    dropped_files = Signal(list)  # list[Path]: files dropped anywhere on the window (expanded)
    garment_drop_requested = Signal(list)  # list[Path]: 1–2 photos to cut out (front, back)
    reference_drop_requested = Signal(list)  # list[Path]: one photo for the selected profile
    import_requested = Signal(list)  # list[Path]: File → Import images…
    export_requested = Signal()  # File → Export selected…
    connect_requested = Signal(object)  # ProjectConnection
    sign_in_requested = Signal(object)  # Credentials
    sign_out_requested = Signal()
    workspace_switch_requested = Signal(str)  # a workspace key ("local" or an account key)
    move_local_work_requested = Signal()  # Account → Move local work into my account
    settings_changed = Signal(object)  # SettingsValues, already saved to QSettings
    #: The window's size before View ▸ Full screen, given back after it.
    _size_before_full_screen: QSize | None = None
    #: Out of full screen, until the desktop has given the window its new size.
    _leaving_full_screen = False
    thumbnail_size_changed = Signal(int)  # pixels
    area_changed = Signal(str)  # AreaKey value
    first_painted = Signal()  # once, when the window's content is first painted
    welcome_shown = Signal(object)  # a new WelcomePanel: connect its samples_requested

    # Made by _fill_menus (see _MenuPart).
    action_import = _MenuPart["QAction"]()
    action_export = _MenuPart["QAction"]()
    action_quit = _MenuPart["QAction"]()
    action_undo = _MenuPart["QAction"]()
    action_redo = _MenuPart["QAction"]()
    action_paste = _MenuPart["QAction"]()
    area_actions = _MenuPart["dict[AreaKey, QAction]"]()
    theme_actions = _MenuPart["dict[ThemeMode, QAction]"]()
    thumbnail_actions = _MenuPart["dict[ThumbnailSize, QAction]"]()
    action_connect = _MenuPart["QAction"]()
    action_sign_in = _MenuPart["QAction"]()
    action_sign_out = _MenuPart["QAction"]()
    workspace_menu = _MenuPart["QMenu"]()
    action_settings = _MenuPart["QAction"]()
    action_about = _MenuPart["QAction"]()
    action_copy_diagnostics = _MenuPart["QAction"]()
    action_welcome = _MenuPart["QAction"]()
    action_shortcuts = _MenuPart["QAction"]()

    def __init__(
        self,
        dirs: DataDirs,
        *,
        preferences: Preferences | None = None,
        area_factories: Mapping[AreaKey, AreaFactory] | None = None,
    ) -> None:
        super().__init__()
        self.dirs = dirs
        self.preferences = preferences or Preferences()
        #: ``check(url, key)`` the connect dialog runs before accepting a project (the
        #: controller sets the account service's); ``None``: accepted without a check.
        self.project_checker: Callable[[str, str], Awaitable[Any]] | None = None
        self.setObjectName("MainWindow")
        self.setWindowTitle(APP_NAME)
        if QApplication.windowIcon().isNull():  # (the app sets it for every window: app.py)
            self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self._factories: dict[AreaKey, AreaFactory] = {k: default_factory(k) for k in AreaKey}
        self._factories.update(area_factories or {})
        #: How the screens reach one another (the app controller asks it too).
        self.navigator: Navigator = ScreenNavigator(self)
        self._areas: dict[AreaKey, AreaWidget] = {}
        self._current: AreaKey | None = None
        self._painted = False
        self._dialogs: dict[str, QWidget] = {}
        self._account: str | None = None
        self._welcome: WelcomePanel | None = None
        # Hidden until needed, so built when first needed (see their properties).
        self._drop_overlay: DropOverlay | None = None
        self._busy_indicator: BusyIndicator | None = None
        #: Drops held until the app controller can take them (:meth:`hold_drops`): where each
        #: was dropped, its files, whether it holds folders. ``None``: delivered at once.
        self._held_drops: list[tuple[DropChoice, list[Path], bool]] | None = None

        # ------------------------------------------------------------ layout
        self.sidebar = SideBar(self)
        self.sidebar.area_selected.connect(lambda key: self.set_current_area(AreaKey(key)))
        self.stack = QStackedWidget(self)
        self.stack.setObjectName("AreaStack")
        self._pages: dict[AreaKey, QWidget] = {}
        for key in AreaKey:
            page = QWidget(self.stack)
            page.setObjectName(f"{key.value}_page")
            page_layout = QVBoxLayout(page)
            page_layout.setContentsMargins(0, 0, 0, 0)
            self.stack.addWidget(page)
            self._pages[key] = page
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.sidebar)
        body.addWidget(self.stack, 1)
        central = QWidget(self)
        central.setObjectName("Central")
        self._column = QVBoxLayout(central)
        self._column.setContentsMargins(0, 0, 0, 0)
        self._column.setSpacing(0)
        self._column.addLayout(body, 1)
        self.setCentralWidget(central)
        central.installEventFilter(self)

        self.sync_status = SyncStatusWidget(self)
        self.statusBar().setSizeGripEnabled(True)
        # Messages have their own fixed-height place at the status bar's left: they never push
        # nor cover anything (ui/widgets/message_bar.py).
        self.message_line = MessageLine(self.statusBar())
        self.statusBar().addWidget(self.message_line, 1)
        self.statusBar().addPermanentWidget(self.sync_status)  # the busy indicator goes left

        self.undo_group = QUndoGroup(self)
        self._build_menu_bar()

        # ------------------------------------------------------------ restore
        geometry, state, area = self.preferences.window_state()
        if geometry is None or not self.restoreGeometry(geometry):
            self._default_geometry()
        if state is not None:
            self.restoreState(state)
        try:
            start_area = AreaKey(area) if area else AreaKey.HISTORY
        except ValueError:
            start_area = AreaKey.HISTORY
        # The start area's page is chosen now, but its widget is built right after the first
        # paint (see _open_start_area): the window shows up without waiting for it.
        self._start_area = start_area
        self._show_page(start_area)

    # ================================================================ parts built when needed
    @property
    def message_bar(self) -> MessageBar:
        """The errors and notices, in the status bar's message line (hidden while it has
        none); the line keeps its place and size either way."""
        return self.message_line.bar

    @property
    def busy_indicator(self) -> BusyIndicator:
        """The status bar's busy label and bar, left of the sync status (hidden when idle)."""
        if self._busy_indicator is None:
            from studio_desktop.ui.widgets.busy_indicator import BusyIndicator

            self._busy_indicator = BusyIndicator(self)
            # (index 1: right after the message line, left of the sync status)
            self.statusBar().insertPermanentWidget(1, self._busy_indicator)
        return self._busy_indicator

    @property
    def drop_overlay(self) -> DropOverlay:
        """The highlight over the window while files are dragged over it."""
        if self._drop_overlay is None:
            from studio_desktop.ui.widgets.drop_overlay import DropOverlay

            self._drop_overlay = DropOverlay(self.centralWidget())
        return self._drop_overlay

    # ================================================================ areas
    def area(self, key: AreaKey) -> AreaWidget:
        """The area widget for ``key``, built by its factory on first use."""
        if key not in self._areas:
            self._install_area(key, self._factories[key]())
        return self._areas[key]

    def is_area_built(self, key: AreaKey) -> bool:
        return key in self._areas

    @property
    def history_area(self) -> AreaWidget:
        return self.area(AreaKey.HISTORY)

    @property
    def profiles_area(self) -> AreaWidget:
        return self.area(AreaKey.PROFILES)

    @property
    def canvas_area(self) -> AreaWidget:
        return self.area(AreaKey.CANVAS)

    def set_area_factory(self, key: AreaKey, factory: AreaFactory) -> None:
        """Use ``factory`` for an area not built yet; for a built one, see :meth:`replace_area`."""
        self._factories[key] = factory

    def replace_area(self, key: AreaKey, widget: AreaWidget) -> None:
        """Put ``widget`` in the area's slot (the previous widget is deleted)."""
        old = self._areas.pop(key, None)
        if old is not None:
            self.undo_group.removeStack(old.undo_stack)
            old.setParent(None)
            old.deleteLater()
        self._install_area(key, widget)
        if self._current is key:
            self.undo_group.setActiveStack(widget.undo_stack)
            widget.area_activated()

    def _install_area(self, key: AreaKey, widget: AreaWidget) -> None:
        page = self._pages[key]
        page.layout().addWidget(widget)
        widget.show()  # at once, not when the layout gets round to it (the page may be hidden)
        self._areas[key] = widget
        self.undo_group.addStack(widget.undo_stack)

    @property
    def current_area_key(self) -> AreaKey:
        """The area on screen (before the first paint: the one restored, not built yet)."""
        return self._current or self._start_area

    def set_current_area(self, key: AreaKey) -> None:
        """Show ``key``'s area, building it first if needed; it becomes the undo target and
        gets ``area_activated`` (the previous one ``area_deactivated``)."""
        if key is self._current:
            return
        previous = self._areas.get(self._current) if self._current else None
        widget = self.area(key)
        self._show_page(key)
        self._current = key
        self.undo_group.setActiveStack(widget.undo_stack)
        if previous is not None:
            previous.area_deactivated()
        widget.area_activated()
        self.area_changed.emit(key.value)

    def _show_page(self, key: AreaKey) -> None:
        self.stack.setCurrentWidget(self._pages[key])  # (raises the page over its siblings)
        if self._welcome is not None:  # the welcome card stays over every screen
            self._welcome.raise_()
        self.sidebar.set_current(key)
        if self._menus_filled:  # (else _fill_menus checks it)
            self.area_actions[key].setChecked(True)

    def _after_first_paint(self) -> None:
        """Fill the menus, then build and activate the restored area (unless an area was
        chosen meanwhile)."""
        area = self._areas.get(self._current) if self._current is not None else None
        if area is not None and getattr(area, "awaiting_first_page", False):
            # The History's early page (app.py): its page is painted first, then the menus.
            area.first_page_painted.connect(lambda: QTimer.singleShot(0, self, self._fill_menus))
            QTimer.singleShot(MENUS_LATEST_MS, self, self._fill_menus)  # (a page never painted)
            return
        self._fill_menus()
        if self._current is None:
            self.set_current_area(self._start_area)

    # ================================================================ menus
    def _build_menu_bar(self) -> None:
        """The menu bar's titles, in the first frame; their actions come with _fill_menus."""
        bar = self.menuBar()
        titles = ("&File", "&Edit", "&View", "&Account", "&Help")
        self._menus = tuple(bar.addMenu(title) for title in titles)
        self._menus_filled = False
        self._export_state: tuple[bool, str] | None = None

    def _fill_menus(self) -> None:
        """The menus' actions, shortcuts and icons (none of them shows in the first frame):
        right after the first paint, or earlier when one is asked for (see _MenuPart)."""
        if self._menus_filled:
            return
        self._menus_filled = True
        # (Imported here: PySide builds these types, enums included, on first use.)
        from PySide6.QtGui import QAction, QActionGroup, QKeySequence

        file_menu, edit_menu, view_menu, account_menu, help_menu = self._menus

        self.action_import = file_menu.addAction(icon("import"), "&Import images…")
        self.action_import.setShortcut(QKeySequence.StandardKey.Open)
        self.action_import.triggered.connect(self.open_import_dialog)
        self.action_export = file_menu.addAction(icon("export"), "&Export selected…")
        self.action_export.setShortcut(QKeySequence("Ctrl+E"))
        self.action_export.setEnabled(False)
        self.action_export.setToolTip("Select outputs in History to export them")
        if self._export_state is not None:  # (asked before the menus were filled)
            self.action_export.setEnabled(self._export_state[0])
            self.action_export.setText(self._export_state[1])
        self.action_export.triggered.connect(self.export_requested)
        file_menu.addSeparator()
        self.action_quit = file_menu.addAction("&Quit")
        self.action_quit.setShortcut(QKeySequence("Ctrl+Q"))
        self.action_quit.setMenuRole(QAction.MenuRole.QuitRole)
        self.action_quit.triggered.connect(self.close)

        self.action_undo = self.undo_group.createUndoAction(self, "&Undo")
        self.action_undo.setIcon(icon("undo"))
        self.action_undo.setShortcut(QKeySequence.StandardKey.Undo)
        self.action_redo = self.undo_group.createRedoAction(self, "&Redo")
        self.action_redo.setIcon(icon("redo"))
        self.action_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        edit_menu.addAction(self.action_undo)
        edit_menu.addAction(self.action_redo)
        edit_menu.addSeparator()
        # Ctrl+V belongs to the areas (each pastes its way; a second owner of the key would
        # make it ambiguous): the menu entry shows the key and asks the current area.
        self.action_paste = edit_menu.addAction(icon("import"), "&Paste image\tCtrl+V")
        self.action_paste.setObjectName("action_paste")
        self.action_paste.triggered.connect(self.paste_into_area)
        edit_menu.aboutToShow.connect(self.update_paste_action)
        QGuiApplication.clipboard().dataChanged.connect(self.update_paste_action)
        self.area_changed.connect(lambda _key: self.update_paste_action())
        self.update_paste_action()

        self.area_actions: dict[AreaKey, QAction] = {}
        areas = QActionGroup(self)
        for key in AreaKey:
            action = view_menu.addAction(icon(key.icon_name), key.label)
            action.setCheckable(True)
            action.setShortcut(QKeySequence(key.shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _c=False, k=key: self.set_current_area(k))
            areas.addAction(action)
            self.area_actions[key] = action
        view_menu.addSeparator()
        self.action_full_screen = view_menu.addAction("&Full screen")
        self.action_full_screen.setCheckable(True)
        self.action_full_screen.setShortcuts(full_screen_keys())
        self.action_full_screen.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.action_full_screen.toggled.connect(self.set_full_screen)
        theme_menu = view_menu.addMenu(icon("theme"), "&Appearance")
        self.theme_actions: dict[ThemeMode, QAction] = {}
        themes = QActionGroup(self)
        for mode in ThemeMode:
            action = theme_menu.addAction(mode.label)
            action.setCheckable(True)
            action.triggered.connect(lambda _c=False, m=mode: self.set_theme_mode(m))
            themes.addAction(action)
            self.theme_actions[mode] = action
        self.theme_actions[self.preferences.theme].setChecked(True)
        size_menu = view_menu.addMenu(icon("grid"), "&Thumbnail size")
        self.thumbnail_actions: dict[ThumbnailSize, QAction] = {}
        sizes = QActionGroup(self)
        for size in ThumbnailSize:
            action = size_menu.addAction(size.label)
            action.setCheckable(True)
            action.triggered.connect(lambda _c=False, s=size: self.set_thumbnail_size(s))
            sizes.addAction(action)
            self.thumbnail_actions[size] = action
        self.thumbnail_actions[self.preferences.thumbnail_size].setChecked(True)

        self.action_connect = account_menu.addAction(
            icon("database"), "&Connect to Supabase project…"
        )
        self.action_connect.triggered.connect(self.open_connect_dialog)
        self.action_sign_in = account_menu.addAction(icon("sign-in"), "&Sign in…")
        self.action_sign_in.triggered.connect(self.open_sign_in_dialog)
        self.action_sign_out = account_menu.addAction(icon("sign-out"), "Sign &out")
        self.action_sign_out.setEnabled(False)
        self.action_sign_out.triggered.connect(self.sign_out_requested)
        self.action_move_local = account_menu.addAction(
            icon("import"), "&Move local work into my account"
        )
        self.action_move_local.setToolTip(
            "Move what the local workspace holds into the signed-in account, where it syncs "
            "and where the studio's engine runs its waiting try-ons"
        )
        self.action_move_local.triggered.connect(self.move_local_work_requested)
        self.workspace_menu = account_menu.addMenu(icon("local"), "S&witch workspace")
        self._workspace_group = QActionGroup(self)
        self.set_workspaces([(LOCAL_WORKSPACE, "Local workspace")], LOCAL_WORKSPACE)
        account_menu.addSeparator()
        self.action_settings = account_menu.addAction(icon("settings"), "Se&ttings…")
        self.action_settings.setShortcut(QKeySequence.StandardKey.Preferences)
        self.action_settings.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.action_settings.triggered.connect(self.open_settings_dialog)

        self.action_shortcuts = help_menu.addAction(icon("settings"), "&Keyboard shortcuts")
        self.action_shortcuts.setObjectName("action_shortcuts")
        self.action_shortcuts.setShortcuts(
            [QKeySequence(QKeySequence.StandardKey.HelpContents), QKeySequence("?")]
        )
        self.action_shortcuts.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.action_shortcuts.triggered.connect(self.open_shortcuts_dialog)
        help_menu.addSeparator()
        self.action_about = help_menu.addAction(icon("info"), f"&About {APP_NAME}")
        self.action_about.setMenuRole(QAction.MenuRole.AboutRole)
        self.action_about.triggered.connect(self.open_about_dialog)
        self.action_copy_diagnostics = help_menu.addAction(icon("copy"), "&Copy diagnostics")
        self.action_copy_diagnostics.triggered.connect(self.copy_diagnostics)
        self.action_welcome = help_menu.addAction(icon("info"), "&Welcome and sample images")
        self.action_welcome.triggered.connect(self.show_welcome)
        self.area_actions[self.current_area_key].setChecked(True)

    # ================================================================ paste
    def _area_paste(self) -> tuple[AreaWidget | None, bool]:
        """The current area if it accepts a paste (else None) and whether it can paste now."""
        area = self._areas.get(self.current_area_key)
        if area is None or not area.accepts_paste:
            return None, False
        return area, area.can_paste()

    def update_paste_action(self) -> None:
        """Edit ▸ Paste is enabled where a paste would do something (the tooltip says why not)."""
        area, can = self._area_paste()
        self.action_paste.setEnabled(can)
        if area is None:
            tip = f"{self.current_area_key.label} has nothing to paste into"
        elif not can:
            tip = "The clipboard holds no image or image files"
        else:
            tip = "Paste the clipboard's image (Ctrl+V)"
        self.action_paste.setToolTip(tip)
        self.action_paste.setStatusTip(tip)

    def paste_into_area(self) -> None:
        area, _can = self._area_paste()
        if area is not None:
            area.paste()

    # ================================================================ view
    def set_full_screen(self, on: bool) -> None:
        """View ▸ Full screen (F11; Ctrl+Cmd+F on macOS): the window over the whole screen and
        back, keeping whatever runs (an edit, a pack) and the open work as they are."""
        state = self.windowState()
        if on:
            if not self.isFullScreen():
                self._size_before_full_screen = self.size()
            self.setWindowState(state | Qt.WindowState.WindowFullScreen)
        else:
            self.setWindowState(state & ~Qt.WindowState.WindowFullScreen)

    def _restore_size_after_full_screen(self) -> None:
        """Back from full screen, the size the window had. (Qt's Wayland platform, with the
        window's decorations drawn by Qt, brings it back with its frame at the size its
        contents had: 6 × 33 px smaller each time, measured on Weston.)"""
        size, self._size_before_full_screen = self._size_before_full_screen, None
        if size is None or self.windowState() & ~Qt.WindowState.WindowActive:
            return  # (full screen again, maximised or minimised: the desktop's size)
        if self.size() != size:
            self.resize(size)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._leaving_full_screen:  # the size the desktop gives back: then ours
            self._leaving_full_screen = False
            QTimer.singleShot(0, self, self._restore_size_after_full_screen)

    def _forget_size_before_full_screen(self) -> None:
        if self._leaving_full_screen:
            self._leaving_full_screen = False
            self._size_before_full_screen = None

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.WindowStateChange:  # (also when the desktop does it)
            self._leaving_full_screen = (
                not self.isFullScreen() and self._size_before_full_screen is not None
            )
            if self._leaving_full_screen:  # (a desktop that sends no new size: let it be)
                QTimer.singleShot(1000, self, self._forget_size_before_full_screen)
            action = getattr(self, "action_full_screen", None)  # (menus are built after)
            if action is None:
                return
            action.blockSignals(True)
            action.setChecked(self.isFullScreen())
            action.blockSignals(False)

    def set_theme_mode(self, mode: ThemeMode) -> None:
        self.preferences.theme = mode
        self.theme_actions[mode].setChecked(True)
        theme_manager().set_mode(mode)

    def set_thumbnail_size(self, size: ThumbnailSize) -> None:
        self.preferences.thumbnail_size = size
        self.thumbnail_actions[size].setChecked(True)
        self.thumbnail_size_changed.emit(size.pixels)

    @property
    def thumbnail_size(self) -> int:
        return self.preferences.thumbnail_size.pixels

    def set_export_enabled(self, enabled: bool, text: str = "&Export selected…") -> None:
        """Areas enable File → Export (``text`` names what it exports) while they have
        something to export."""
        if not self._menus_filled:  # (the History's early page: its menus come after it)
            self._export_state = (enabled, text)
            return
        self.action_export.setEnabled(enabled)
        self.action_export.setText(text)

    # ================================================================ account
    def set_account(self, email: str | None) -> None:
        """Who is signed in (None: the local workspace); updates menus and the title."""
        self._account = email
        self.action_sign_out.setEnabled(email is not None)
        self.action_sign_in.setEnabled(email is None)
        where = email if email else "Local workspace"
        self.setWindowTitle(f"{where} — {APP_NAME}")

    def set_workspaces(self, workspaces: list[tuple[str, str]], current: str) -> None:
        """The Switch workspace menu: ``(key, label)`` pairs, ``current`` checked."""
        self.workspace_menu.clear()
        for action in self._workspace_group.actions():
            self._workspace_group.removeAction(action)
        for key, label in workspaces:
            action = self.workspace_menu.addAction(label)
            action.setCheckable(True)
            action.setChecked(key == current)
            action.setData(key)
            action.triggered.connect(
                lambda _c=False, k=key: self.workspace_switch_requested.emit(k)
            )
            self._workspace_group.addAction(action)

    def set_sync_status(self, status: SyncStatus) -> None:
        self.sync_status.set_status(status)

    # ================================================================ welcome
    def show_welcome(self) -> WelcomePanel:
        """The first-run welcome, floating over the areas (the composition root shows it when
        the local workspace opens and ``should_show_welcome`` says so; Help ▸ Welcome too)."""
        from studio_desktop.ui.welcome import WelcomePanel

        if self._welcome is None:
            panel = WelcomePanel(self.stack)
            panel.destroyed.connect(self._forget_welcome)
            self._welcome = panel
            self.welcome_shown.emit(panel)
        self._welcome.show_over(self.stack)
        return self._welcome

    @property
    def welcome(self) -> WelcomePanel | None:
        """The welcome card while it is open."""
        return self._welcome

    def _forget_welcome(self) -> None:
        self._welcome = None

    # ================================================================ dialogs
    def _open(self, name: str, dialog: QWidget) -> QWidget:
        previous = self._dialogs.get(name)
        if previous is not None:
            previous.close()
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_a, n=name, d=dialog: self._forget_dialog(n, d))
        self._dialogs[name] = dialog
        dialog.open()  # window-modal, no nested event loop
        return dialog

    def _forget_dialog(self, name: str, dialog: QWidget) -> None:
        if self._dialogs.get(name) is dialog:
            del self._dialogs[name]

    def dialog(self, name: str) -> QWidget | None:
        """An open dialog by name: connect, sign_in, settings, about, import."""
        return self._dialogs.get(name)

    def open_connect_dialog(self, *, then_sign_in: bool = False) -> QWidget:
        from studio_desktop.ui.dialogs.connect_dialog import ConnectDialog, ProjectConnection

        dialog = ConnectDialog(self, url=self.preferences.project_url, checker=self.project_checker)

        def accepted(connection: ProjectConnection) -> None:
            self.preferences.project_url = connection.url
            self.connect_requested.emit(connection)
            if then_sign_in:
                QTimer.singleShot(0, self.open_sign_in_dialog)

        dialog.connection_accepted.connect(accepted)
        return self._open("connect", dialog)

    def open_sign_in_dialog(self) -> QWidget:
        """Sign in to the connected project (asks for the project first if there is none)."""
        if not self.preferences.project_url:
            return self.open_connect_dialog(then_sign_in=True)
        from studio_desktop.ui.dialogs.sign_in_dialog import Credentials, SignInDialog

        dialog = SignInDialog(
            self, project_url=self.preferences.project_url, email=self.preferences.last_email
        )

        def accepted(credentials: Credentials) -> None:
            self.preferences.last_email = credentials.email
            self.sign_in_requested.emit(credentials)

        dialog.credentials_accepted.connect(accepted)
        return self._open("sign_in", dialog)

    def open_settings_dialog(self) -> QWidget:
        from studio_desktop.ui.dialogs.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.preferences.settings_values(), self)
        dialog.settings_accepted.connect(self._apply_settings)
        return self._open("settings", dialog)

    def _apply_settings(self, values: SettingsValues) -> None:
        self.preferences.save_settings_values(values)
        self.set_theme_mode(values.theme)
        self.settings_changed.emit(values)

    def open_about_dialog(self) -> QWidget:
        from studio_desktop.ui.dialogs.about import AboutDialog

        return self._open("about", AboutDialog(self.dirs.root, self))

    def open_shortcuts_dialog(self) -> QWidget:
        """Help ▸ Keyboard shortcuts (F1, ?): read from the real actions of every screen (the
        screens not built yet are built first)."""
        from studio_desktop.ui.dialogs.shortcuts_dialog import ShortcutsDialog, collect_shortcuts

        areas = [(key.label, self.area(key)) for key in AreaKey]
        entries = collect_shortcuts(self, areas)
        dialog = ShortcutsDialog(entries, self)
        dialog.setModal(False)
        return self._open("shortcuts", dialog)

    def open_import_dialog(self) -> QWidget:
        from PySide6.QtWidgets import QFileDialog

        dialog = QFileDialog(self, "Import images", str(Path.home()), IMAGE_FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.filesSelected.connect(
            lambda files: self.import_requested.emit([Path(f) for f in files])
        )
        return self._open("import", dialog)

    def copy_diagnostics(self) -> None:
        """Help → Copy diagnostics: versions, platform, recent log lines (redacted); the log is
        read off the GUI thread. (Imported here: the diagnostics module is not needed to start.)
        """
        from studio_desktop.ui.diagnostics import collect_diagnostics, log_file, log_tail
        from studio_desktop.ui.operations import run_op

        def copy(tail: list[str]) -> None:
            QGuiApplication.clipboard().setText(collect_diagnostics(tail=tail))
            self.show_message(
                "Diagnostics copied to the clipboard. Paste them into your message to the team.",
                level=MessageLevel.SUCCESS,
            )

        run_op(self, lambda: log_tail(log_file()), on_success=copy, progress="Copying diagnostics…")

    # ================================================================ feedback (OperationHost)
    def show_message(
        self,
        text: str,
        *,
        level: MessageLevel = MessageLevel.INFO,
        details: str | None = None,
        timeout_ms: int | None = None,
    ) -> None:
        self.message_bar.show_message(text, level=level, details=details, timeout_ms=timeout_ms)

    def show_external_error(self, error: ExternalError, details: str | None = None) -> None:
        self.message_bar.show_error(error, details=details)

    def begin_busy(self, label: str) -> int:
        return self.busy_indicator.begin(label)

    def end_busy(self, token: int) -> None:
        self.busy_indicator.end(token)

    # ================================================================ drag and drop
    # (ui/drop.py is imported at the first drag, not before the first paint.) What a drop can
    # do on the current screen is decided once at drag-enter (no file is read: see
    # ui/drop_choices.py); a zone per option is shown, and the one under the pointer is what
    # the drop does. Drops are always accepted as copies.
    def drop_options(self, paths: list[Path]) -> list[Any]:
        """The zones for ``paths`` dropped on the current area (its ``drop_options``, else
        Magic Canvas alone)."""
        from studio_desktop.ui.drop_choices import choices_for

        area = self._areas.get(self.current_area_key)
        options = list(area.drop_options(paths)) if area is not None else []
        return options or choices_for(AreaKey.CANVAS, paths)

    def drop_zone_point(self, paths: list[Path], choice: str) -> QPoint:
        """The middle of the zone for ``choice`` when ``paths`` are dragged over the window
        (window coordinates; for tests and the xdotool walkthrough)."""
        overlay = self.drop_overlay
        overlay.left_inset = self.sidebar.width()
        overlay.setGeometry(self.centralWidget().rect())
        options = self.drop_options(paths)
        overlay.options = options
        rects = overlay.zone_rects()
        for option, rect in zip(options, rects, strict=True):
            if option.choice.value == choice:
                return self.centralWidget().mapTo(self, rect.center())
        raise ValueError(f"no {choice!r} zone for these files here")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        from studio_desktop.ui.drop import accept_copy, classify_urls, has_droppable_urls

        if not has_droppable_urls(event.mimeData()):
            event.ignore()
            return
        accept_copy(event)
        items = classify_urls(event.mimeData().urls())
        overlay = self.drop_overlay
        overlay.left_inset = self.sidebar.width()
        if items.local:
            pos = self.centralWidget().mapFrom(self, event.position().toPoint())
            overlay.show_zones(self.drop_options(items.local), pos)
        else:
            overlay.show_over_parent("Links cannot be dropped: save the image first")

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        from studio_desktop.ui.drop import accept_copy, has_droppable_urls

        if has_droppable_urls(event.mimeData()):
            accept_copy(event)
            if self._drop_overlay is not None and self._drop_overlay.isVisible():
                pos = self.centralWidget().mapFrom(self, event.position().toPoint())
                self._drop_overlay.hover(pos)
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.drop_overlay.hide()
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        from studio_desktop.ui.drop import accept_copy, classify_urls, has_droppable_urls
        from studio_desktop.ui.drop_choices import DropChoice

        overlay = self.drop_overlay
        overlay.hide()
        mime = event.mimeData()
        if not has_droppable_urls(mime):
            event.ignore()
            return
        items = classify_urls(mime.urls())
        if not items.local:
            event.ignore()
            self.show_message(
                "Links cannot be opened directly. Save the image to your computer first, then "
                "drop the file.",
                level=MessageLevel.WARNING,
            )
            return
        accept_copy(event)
        if items.links:
            n = len(items.links)
            self.show_message(
                f"{n} link{'s were' if n != 1 else ' was'} skipped: only files from this "
                "computer can be dropped.",
                level=MessageLevel.WARNING,
            )
        pos = self.centralWidget().mapFrom(self, event.position().toPoint())
        options = overlay.options or self.drop_options(items.local)
        if not overlay.options:
            overlay.options = options
        chosen = overlay.zone_at(pos)
        choice = chosen.choice if chosen is not None else DropChoice.CANVAS
        if self._held_drops is not None:
            log.info(
                "%d file(s) for %s held until the workspace is open", len(items.local), choice.value
            )
            self._held_drops.append((choice, items.local, bool(items.folders)))
            return
        self._finish_drop(choice, items.local, has_folders=bool(items.folders))

    def _finish_drop(self, choice: DropChoice, paths: list[Path], *, has_folders: bool) -> None:
        """Send dropped files where the designer dropped them (folders expanded for the canvas)."""
        from studio_desktop.ui.drop import expand_paths
        from studio_desktop.ui.drop_choices import DropChoice

        if choice is not DropChoice.CANVAS:
            self.deliver_drop(choice.value, paths)
            return
        if has_folders:
            from studio_desktop.ui.operations import run_op

            run_op(
                self,
                lambda: expand_paths(paths),
                on_success=self._emit_dropped,
                progress="Reading the dropped folder…",
            )
            return
        try:
            files = expand_paths(paths)
        except ExternalError as error:
            self.show_external_error(error)
            return
        self._emit_dropped(files)

    def hold_drops(self) -> None:
        """Hold files dropped from now on until :meth:`release_drops`: the start-up calls this
        before the window shows, as nothing can take a drop until the app controller exists
        (the History's early page is shown before it)."""
        if self._held_drops is None:
            self._held_drops = []

    def release_drops(self) -> None:
        """Deliver the drops held since :meth:`hold_drops`, in the order they came; from now on
        a drop is delivered at once."""
        held, self._held_drops = self._held_drops or [], None
        for choice, paths, has_folders in held:
            self._finish_drop(choice, paths, has_folders=has_folders)

    def deliver_drop(self, choice: str, paths: list[Path]) -> None:
        """Files (dropped, or pasted) sent where the designer chose: a ``DropChoice`` value."""
        log.info("%d file(s) for %s", len(paths), choice)
        if choice == "cutout":
            self.garment_drop_requested.emit(list(paths))
        elif choice == "reference":
            self.reference_drop_requested.emit(list(paths))
        else:
            self._emit_dropped(list(paths))

    def _emit_dropped(self, files: list[Path]) -> None:
        log.info("%d file(s) dropped on the window", len(files))
        self.dropped_files.emit(files)

    # ================================================================ window life
    def _default_geometry(self) -> None:
        screen = self.screen() or QGuiApplication.primaryScreen()
        size = QSize(DEFAULT_SIZE)
        if screen is not None:
            available = screen.availableGeometry()
            size = size.boundedTo(
                QSize(int(available.width() * 0.9), int(available.height() * 0.9))
            )
            self.resize(size)
            frame = self.frameGeometry()
            frame.moveCenter(available.center())
            self.move(frame.topLeft())
        else:
            self.resize(size)

    def save_window_state(self) -> None:
        self.preferences.save_window_state(
            self.saveGeometry(), self.saveState(), self.current_area_key.value
        )

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # An Esc no screen used (none of them had a search, a selection or a run to end)
        # dismisses the message shown.
        if event.key() == Qt.Key.Key_Escape and self.message_line.has_message:
            self.message_bar.dismiss()
            event.accept()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_window_state()
        for area in self._areas.values():  # where the designer was (ui/session.py)
            area.save_session()
        for dialog in list(self._dialogs.values()):
            dialog.close()
        super().closeEvent(event)

    @property
    def has_painted(self) -> bool:
        """Whether ``first_painted`` was emitted."""
        return self._painted

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            not self._painted
            and event.type() == QEvent.Type.Paint
            and watched is self.centralWidget()
        ):
            self._painted = True
            # After this paint has reached the screen, not inside it.
            QTimer.singleShot(0, self, self._after_first_paint)
            self.first_painted.emit()
        return super().eventFilter(watched, event)


def main_window_of(widget: QWidget | None) -> MainWindow | None:
    """The main window a widget lives in (for areas that need its message bar)."""
    while widget is not None:
        window = widget.window()
        if isinstance(window, MainWindow):
            return window
        widget = window.parentWidget()
    for top in QApplication.topLevelWidgets():
        if isinstance(top, MainWindow):
            return top
    return None


def full_screen_keys() -> list[QKeySequence]:
    """View ▸ Full screen's keys: the platform's own, with F11 first where it is missing. Qt
    binds its standard "full screen" key to F11 only under Windows and KDE (macOS: Ctrl+Cmd+F);
    on GNOME, other desktops and Wayland without a platform theme it is bound to nothing, where
    F11 is what every other application uses."""
    import sys

    from PySide6.QtGui import QKeySequence

    keys = QKeySequence.keyBindings(QKeySequence.StandardKey.FullScreen)
    f11 = QKeySequence(Qt.Key.Key_F11)
    if sys.platform != "darwin" and f11 not in keys:
        keys = [f11, *keys]
    return keys
