"""The Profiles area: the profile manager (cards) and the Garments panel.

::

    ┌ [+ New profile] [Edit…] [Reference image…] [Delete]            [ search… ] ┐
    │ ┌card┐ ┌card┐ ┌card┐                                  │ Garments panel     │
    │ └────┘ └────┘ └────┘   (drop an image on a card)       │ (ui/garments)      │
    └────────────────────────────────────────────────────────────────────────────┘

Built by :func:`make_profiles_area` over the open workspace's services. The list, the
selection and the commands live in a Qt-free
:class:`~studio_desktop.services.profiles_screen.ProfilesScreen` (``self.screen``); this widget
holds the tool row, the cards (a :class:`ProfilesModel` over the screen), the dialogs, the undo
stack and the Garments panel. Every action is one screen command through ``run_op`` (off the
GUI thread; refusals in the message bar, or under the form's field for a
:class:`ValidationError`). Edits, creations, deletions and reference changes can be undone
(Edit → Undo, Ctrl+Z). "Show in History" goes through the window's navigator.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio_desktop.domain.errors import ExternalError, ValidationError
from studio_desktop.domain.models import Profile
from studio_desktop.services.missing_files import BlobRequester
from studio_desktop.services.profiles import ProfileFields
from studio_desktop.services.profiles_screen import DeleteOutcome, ProfilesScreen, ReferenceOutcome
from studio_desktop.services.workspace import WorkspaceServices
from studio_desktop.ui.areas import AreaKey, AreaWidget
from studio_desktop.ui.garments.panel import IMAGE_FILTER, GarmentPanel
from studio_desktop.ui.icons import icon
from studio_desktop.ui.operations import run_op, show_external_error
from studio_desktop.ui.profiles.cards import ProfileGrid
from studio_desktop.ui.profiles.commands import (
    CreateProfileCommand,
    DeleteProfileCommand,
    EditProfileCommand,
    ProfileIds,
    ReferenceCommand,
    fields_of,
)
from studio_desktop.ui.profiles.form import ProfileDialog
from studio_desktop.ui.profiles.model import ProfileRole, ProfilesFilter, ProfilesModel
from studio_desktop.ui.profiles.thumbnails import ThumbnailLoader
from studio_desktop.ui.widgets.empty_state import EmptyState
from studio_desktop.ui.widgets.message_bar import MessageLevel
from studio_desktop.ui.widgets.message_box import MESSAGE_BOX_WIDTH
from studio_desktop.ui.widgets.search_field import add_clear_action

if TYPE_CHECKING:
    from studio_desktop.ui.drop_choices import DropOption

log = logging.getLogger(__name__)


def _window_message(widget: QWidget, text: str, level: MessageLevel = MessageLevel.SUCCESS) -> None:
    from studio_desktop.ui.main_window import main_window_of

    window = main_window_of(widget)
    if window is not None:
        window.show_message(text, level=level)


class ProfilesArea(AreaWidget):
    area_key = AreaKey.PROFILES
    accepts_paste = True

    def __init__(
        self,
        services: WorkspaceServices | None = None,
        parent: QWidget | None = None,
        *,
        request_blob: BlobRequester | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.garments: GarmentPanel | None = None
        self.dialog: ProfileDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self.ids = ProfileIds()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        if services is None:
            self.model: ProfilesModel | None = None
            layout.addWidget(
                EmptyState(
                    "profiles",
                    "No workspace is open",
                    "Profiles appear here once a workspace is open.",
                    self,
                )
            )
            return
        self.loader = ThumbnailLoader(services.thumbnails, services.executor, parent=self)
        self.screen = ProfilesScreen(services.profiles, request_blob=request_blob)
        self.model = ProfilesModel(self.screen, self.loader, self)
        self.proxy = ProfilesFilter(self.model, self)

        # ---- tool row
        self.new_button = self._tool("add", "New profile", self.new_profile, "Ctrl+N")
        self.edit_button = self._tool("settings", "Edit…", self.edit_selected, None)
        self.reference_button = self._tool("image", "Reference image…", self.choose_reference, None)
        self.delete_button = self._tool("delete", "Delete", self.delete_selected, None)
        self.search = QLineEdit(self)
        self.search.setObjectName("profile_search")
        self.search.setPlaceholderText("Search profiles")
        self.clear_search_action = add_clear_action(self.search)
        self.search.addAction(
            icon("search", tone="muted"), QLineEdit.ActionPosition.LeadingPosition
        )
        self.search.setMaximumWidth(260)
        self.search.textChanged.connect(self.proxy.set_search)
        tools = QHBoxLayout()
        tools.setContentsMargins(16, 12, 16, 8)
        tools.setSpacing(6)
        for button in (self.new_button, self.edit_button, self.reference_button):
            tools.addWidget(button)
        tools.addWidget(self.delete_button)
        tools.addStretch(1)
        tools.addWidget(self.search)

        # ---- cards or the empty state
        self.grid = ProfileGrid(self)
        self.grid.setModel(self.proxy)
        self.grid.image_dropped.connect(self.set_reference)
        self.grid.drop_refused.connect(
            lambda message: show_external_error(self, ExternalError(message))
        )
        self.grid.doubleClicked.connect(lambda _index: self.edit_selected())
        self.grid.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.grid.customContextMenuRequested.connect(self._context_menu)
        self.grid.selectionModel().selectionChanged.connect(self._grid_selection_changed)
        delete_action = QAction("Delete the selected profile", self.grid)
        delete_action.setShortcuts([QKeySequence.StandardKey.Delete, QKeySequence("Backspace")])
        delete_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        delete_action.triggered.connect(self.delete_selected)
        self.grid.addAction(delete_action)
        self.action_paste = QAction(icon("import"), "Paste image", self)
        self.action_paste.setShortcut(QKeySequence.StandardKey.Paste)
        self.action_paste.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.action_paste.setToolTip(
            "Paste an image: cut out a garment, set the selected profile's reference, or edit "
            "it in Magic Canvas (Ctrl+V)"
        )
        self.action_paste.triggered.connect(self.paste)
        self.addAction(self.action_paste)
        self.paste_menu: QMenu | None = None
        self.empty_state = EmptyState(
            "profiles",
            "No model profiles yet",
            "A profile describes a model: name, gender, skin tone, region, background and a "
            "reference image. Create one, then drop a photo on it to set its reference.",
            self,
        )
        self.cards = QStackedWidget(self)
        self.cards.addWidget(self.empty_state)
        self.cards.addWidget(self.grid)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(0)
        left_layout.addLayout(tools)
        grid_frame = QVBoxLayout()
        grid_frame.setContentsMargins(10, 4, 4, 0)
        grid_frame.addWidget(self.cards, 1)
        left_layout.addLayout(grid_frame, 1)

        # ---- garments
        self.garments = GarmentPanel(services, self.model, self.loader, self)
        self.garments.reveal_job_requested.connect(self._reveal_job)
        self.garments.open_job_requested.connect(self._open_job_in_canvas)
        self.garments.move_local_work_requested.connect(self._move_local_work)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("ProfilesSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(left)
        # The panel scrolls when its rows (packs, try-ons with their images) are taller than
        # the window: at 1024×640 nothing is squeezed and the window never grows.
        self.garments_scroll = QScrollArea(self)
        self.garments_scroll.setObjectName("GarmentPanelScroll")
        self.garments_scroll.setWidgetResizable(True)
        self.garments_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.garments_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.garments_scroll.setWidget(self.garments)
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        self.garments_scroll.setMinimumWidth(self.garments.minimumWidth() + bar)
        self.garments_scroll.setMaximumWidth(self.garments.maximumWidth() + bar)
        self.splitter.addWidget(self.garments_scroll)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        layout.addWidget(self.splitter)

        for signal in (
            self.model.modelReset,
            self.model.rowsInserted,
            self.model.rowsRemoved,
        ):
            signal.connect(self._update_empty)
        self._update_empty()
        self._update_actions()
        self.model.load()

    def _tool(
        self, icon_name: str, text: str, slot: Callable[[], object], shortcut: str | None
    ) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName(f"profiles_{icon_name}")
        button.setIcon(icon(icon_name))
        button.setText(text)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setAutoRaise(True)
        button.clicked.connect(lambda _checked=False: slot())
        if shortcut:
            action = QAction(text, self)  # (named: Help ▸ Keyboard shortcuts lists it)
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda _checked=False: slot())
            self.addAction(action)
            button.setToolTip(f"{text} ({QKeySequence(shortcut).toString()})")
        return button

    # ------------------------------------------------------------------ state
    def area_activated(self) -> None:
        if self.model is not None:
            self.grid.setFocus()

    def _update_empty(self, *_args: object) -> None:
        has = self.model is not None and self.model.rowCount() > 0
        self.cards.setCurrentWidget(self.grid if has else self.empty_state)
        self.search.setVisible(has)

    def _grid_selection_changed(self, *_args: object) -> None:
        """The card chosen becomes the screen's selection; the tools follow, and the garment
        panel's Profile box shows it."""
        indexes = self.grid.selectionModel().selectedIndexes()
        profile: Profile | None = indexes[0].data(ProfileRole.PROFILE) if indexes else None
        self.screen.select(profile.id if profile is not None else None)
        self._update_actions()
        if profile is not None and self.garments is not None:
            self.garments.choose_profile(profile.id)

    def _update_actions(self, *_args: object) -> None:
        chosen = self.selected_profile() is not None
        for button in (self.edit_button, self.reference_button, self.delete_button):
            button.setEnabled(chosen)

    def selected_profile(self) -> Profile | None:
        """The selected profile, as stored now (the screen's selection)."""
        return self.screen.selected if self.model is not None else None

    def select_profile(self, profile_id: str) -> bool:
        if self.model is None:
            return False
        row = self.model.row_of(profile_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row))
        if not index.isValid():
            return False
        self.grid.setCurrentIndex(index)
        self.grid.scrollTo(index)
        return True

    def card_rect(self, profile_id: str) -> Any:
        """Where a profile's card is in the grid's viewport (for drops and tests)."""
        assert self.model is not None
        row = self.model.row_of(profile_id)
        assert row is not None, f"no card for {profile_id}"
        return self.grid.visualRect(self.proxy.mapFromSource(self.model.index(row)))

    def _run(self, work: Any, **kwargs: Any) -> Any:
        return run_op(self, work, **kwargs)

    # ------------------------------------------------------------------ create / edit
    def new_profile(self) -> ProfileDialog:
        dialog = self._open_dialog(ProfileDialog(self, profile=None))
        dialog.submitted.connect(lambda fields: self._create(dialog, fields))
        return dialog

    def edit_selected(self) -> ProfileDialog | None:
        profile = self.selected_profile()
        return self.edit_profile(profile) if profile is not None else None

    def edit_profile(self, profile: Profile) -> ProfileDialog:
        dialog = self._open_dialog(ProfileDialog(self, profile=profile))
        dialog.submitted.connect(lambda fields: self._update(dialog, profile, fields))
        return dialog

    def _open_dialog(self, dialog: ProfileDialog) -> ProfileDialog:
        if self.dialog is not None:
            self.dialog.close()
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_a, d=dialog: self._forget_dialog(d))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _forget_dialog(self, dialog: ProfileDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def _refusal_handler(self, dialog: ProfileDialog) -> Callable[[ExternalError], None]:
        def failed(error: ExternalError) -> None:
            if isinstance(error, ValidationError):
                dialog.refuse(error)
                return
            dialog.failed()
            show_external_error(self, error)

        return failed

    def _create(self, dialog: ProfileDialog, fields: ProfileFields) -> None:
        assert self.services is not None
        service = self.services.profiles

        def created(profile: Profile) -> None:
            dialog.finish()
            self.undo_stack.push(CreateProfileCommand(service, self._run, self.ids, profile))
            self.select_profile(profile.id)
            _window_message(self, f"Profile “{profile.name}” created.")

        self._run(
            self.screen.create(fields),
            on_success=created,
            on_failure=self._refusal_handler(dialog),
            progress="Creating the profile…",
        )

    def _update(self, dialog: ProfileDialog, profile: Profile, fields: ProfileFields) -> None:
        assert self.services is not None
        service = self.services.profiles
        before = fields_of(profile)

        def saved(updated: Profile) -> None:
            dialog.finish()
            if fields_of(updated) != before:
                self.undo_stack.push(
                    EditProfileCommand(
                        service,
                        self._run,
                        self.ids,
                        profile_id=profile.id,
                        before=before,
                        after=fields_of(updated),
                    )
                )
            _window_message(self, f"Profile “{updated.name}” saved.")

        self._run(
            self.screen.update(self.ids.current(profile.id), fields),
            on_success=saved,
            on_failure=self._refusal_handler(dialog),
            progress="Saving the profile…",
        )

    # ------------------------------------------------------------------ delete
    def delete_selected(self) -> QMessageBox | None:
        profile = self.selected_profile()
        return self.delete_profile(profile) if profile is not None else None

    def delete_profile(self, profile: Profile) -> QMessageBox:
        """Ask first (window-modal, no nested loop); deletes when the user confirms."""
        box = QMessageBox(self)
        box.setObjectName("confirm_delete_profile")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Delete profile")
        box.setText(f"Delete the profile “{profile.name}”?")
        box.setInformativeText(
            "Its reference image is removed too. Jobs made with it stay in the history. "
            "You can undo this with Edit → Undo."
        )
        delete = box.addButton("Delete profile", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setStyleSheet(MESSAGE_BOX_WIDTH)

        def answered(button: object) -> None:
            if button is delete:
                self._delete(profile)

        box.buttonClicked.connect(answered)
        box.destroyed.connect(lambda *_a: setattr(self, "confirm_box", None))
        self.confirm_box = box
        box.open()
        return box

    def _delete(self, profile: Profile) -> None:
        assert self.services is not None
        service = self.services.profiles

        def deleted(outcome: DeleteOutcome) -> None:
            if outcome.gone:
                self.undo_stack.push(
                    DeleteProfileCommand(
                        service,
                        self._run,
                        self.ids,
                        outcome.profile,
                        outcome.reference,
                        notify=lambda text: _window_message(self, text),
                    )
                )
            _window_message(self, f"Profile “{profile.name}” deleted. Undo with Ctrl+Z.")

        self._run(
            self.screen.delete(self.ids.current(profile.id)),
            on_success=deleted,
            progress="Deleting the profile…",
        )

    # ------------------------------------------------------------------ reference image
    def choose_reference(self) -> QFileDialog | None:
        profile = self.selected_profile()
        if profile is None:
            return None
        dialog = QFileDialog(self, f"Reference image for “{profile.name}”", str(Path.home()))
        dialog.setNameFilter(IMAGE_FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda file: self.set_reference(profile.id, Path(file)))
        dialog.open()
        return dialog

    def set_reference(self, profile_id: str, path: Path) -> None:
        """Use ``path`` as the profile's reference image (a bad file changes nothing)."""
        assert self.services is not None
        service = self.services.profiles

        def done(outcome: ReferenceOutcome) -> None:
            if outcome.after is not None:
                self.undo_stack.push(
                    ReferenceCommand(
                        service,
                        self._run,
                        self.ids,
                        profile=outcome.profile,
                        before=outcome.before,
                        after=outcome.after,
                    )
                )
            name = outcome.profile.name
            _window_message(self, f"Reference image of “{name}” set from “{path.name}”.")

        self._run(
            self.screen.set_reference(self.ids.current(profile_id), path),
            on_success=done,
            progress=f"Reading “{path.name}”…",
        )

    def clear_reference(self, profile: Profile) -> None:
        self._run(
            self.screen.clear_reference(self.ids.current(profile.id)),
            progress="Removing the reference image…",
        )

    # ------------------------------------------------------------------ menus
    def _context_menu(self, pos: QPoint) -> None:
        index: QModelIndex = self.grid.indexAt(pos)
        if not index.isValid():
            return
        self.grid.setCurrentIndex(index)
        menu = self.card_menu(index.data(ProfileRole.PROFILE))
        menu.popup(self.grid.viewport().mapToGlobal(pos))

    def card_menu(self, profile: Profile) -> QMenu:
        """The context menu of ``profile``'s card (not shown yet)."""
        menu = QMenu(self)
        menu.addAction(icon("settings"), "Edit…", lambda: self.edit_profile(profile))
        menu.addAction(icon("image"), "Set reference image…", self.choose_reference)
        remove = menu.addAction("Remove reference image", lambda: self.clear_reference(profile))
        remove.setEnabled(bool(profile.reference_image_path))
        garments = self.garments
        assert garments is not None
        menu.addAction(
            icon("garment"), "Use for the next pack", lambda: garments.choose_profile(profile.id)
        )
        try_on = menu.addAction(
            icon("profiles"), "Try on the garment", lambda: garments.try_on_profile(profile.id)
        )
        # Any other try-on under way never blocks this one; the same garment on this profile
        # while its try-on still runs does, and the tooltip says so.
        refusal = garments.tryon_blocker_for(profile.id)
        try_on.setEnabled(refusal is None)
        if refusal is None:
            try_on.setToolTip("Dress this profile's model in the garment of the Garments panel")
        elif not garments.has_photo:
            try_on.setToolTip("Drop a photo of the garment in the Garments panel first")
        else:
            try_on.setToolTip(f"{refusal}.")
        menu.setToolTipsVisible(True)
        menu.addSeparator()
        menu.addAction(icon("delete"), "Delete…", lambda: self.delete_profile(profile))
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        return menu

    def _reveal_job(self, job_id: str) -> None:
        """A garment job's "Show in History": History with that job selected and scrolled to."""
        if job_id:
            self.navigator.reveal_job(job_id)

    def _move_local_work(self) -> None:
        """A waiting try-on's "Move local work…": the window's Account → Move local work."""
        from studio_desktop.ui.main_window import main_window_of

        window = main_window_of(self)
        if window is not None:
            window.move_local_work_requested.emit()

    def _open_job_in_canvas(self, job_id: str) -> None:
        """A garment job's "Open in Canvas": its creation (made on first open) in Magic Canvas."""
        if not job_id or self.services is None:
            return
        navigator = self.navigator
        run_op(
            self,
            self.services.history.open_in_canvas(job_id),
            on_success=navigator.open_creation,
            progress="Opening in Magic Canvas…",
        )

    # ------------------------------------------------------------------ drops and paste
    def drop_options(self, paths: list[Path]) -> list[DropOption]:
        from studio_desktop.ui.drop_choices import choices_for

        if self.services is None:
            return []
        profile = self.selected_profile()
        return list(
            choices_for(AreaKey.PROFILES, paths, profile_name=profile.name if profile else None)
        )

    def reference_from(self, paths: list[Path]) -> None:
        """A drop or paste chosen as the selected profile's reference."""
        profile = self.selected_profile()
        if profile is None or not paths:
            show_external_error(
                self, ExternalError("Select a profile first, then drop its reference photo.")
            )
            return
        self.set_reference(profile.id, paths[0])

    def can_paste(self) -> bool:
        from studio_desktop.ui.drop_choices import clipboard_has_paste

        return self.services is not None and clipboard_has_paste()

    def paste(self) -> QMenu | None:
        """Ctrl+V: the clipboard's image(s) offered like a drop on this screen."""
        from studio_desktop.ui.drop_choices import choice_menu, clipboard_files

        if self.services is None:
            return None
        try:
            paths = clipboard_files(self.services.store.dirs.root / "pasted")
        except OSError as error:
            show_external_error(
                self, ExternalError(f"The pasted image could not be saved: {error}.")
            )
            return None
        if paths is None:
            _window_message(
                self,
                "The clipboard holds no image to paste. Copy an image or image files, then "
                "press Ctrl+V again.",
                MessageLevel.WARNING,
            )
            return None
        options = self.drop_options(paths)
        navigator = self.navigator
        if len(options) == 1:
            navigator.deliver(options[0].choice.value, paths)
            return None
        menu = choice_menu(self, options, lambda choice: navigator.deliver(choice, paths))
        self.paste_menu = menu
        menu.popup(self.mapToGlobal(self.rect().center()))
        return menu


def make_profiles_area(
    services: WorkspaceServices | None, *, request_blob: BlobRequester | None = None
) -> ProfilesArea:
    """The Profiles area over ``services`` (the window's factory for AreaKey.PROFILES);
    ``request_blob(bucket, path)`` asks the sync for a reference not on this computer."""
    return ProfilesArea(services, request_blob=request_blob)
