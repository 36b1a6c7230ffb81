"""Where a drop (or a paste) on the window can go, for the screen it lands on.

A garment photo dropped on History could be meant for a cutout or for Magic Canvas; one dropped
on Profiles could also be the selected profile's reference. When a drop can mean more than one
thing, the window shows a zone per meaning while the files are dragged over it and the zone the
files are dropped on decides (as in InvokeAI); a paste asks with a menu. When only one thing
makes sense (a folder, more than two files), there is one zone.

Deciding reads no file: only the number of dropped items and whether one is a folder or gone
(a stat each),
so it is done once when the drag enters, never per mouse move.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QMenu, QWidget

from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.icons import icon

#: A garment has a front and a back: a cutout drop takes one or two photos.
MAX_GARMENT_PHOTOS = 2


class DropChoice(StrEnum):
    CUTOUT = "cutout"  # cut the garment out (front, and back for a second photo)
    CANVAS = "canvas"  # start a Magic Canvas creation from the images
    REFERENCE = "reference"  # the selected profile's reference image


@dataclass(frozen=True, slots=True)
class DropOption:
    choice: DropChoice
    label: str
    hint: str
    icon_name: str


def _canvas(count: int) -> DropOption:
    what = "it" if count == 1 else f"these {count}"
    return DropOption(
        DropChoice.CANVAS,
        "Edit in Magic Canvas",
        f"Start a new creation with {what}",
        "canvas",
    )


def choices_for(
    area: AreaKey, paths: Sequence[Path], *, profile_name: str | None = None
) -> list[DropOption]:
    """The options for ``paths`` dropped on ``area`` (in the order the zones are laid out:
    the cutout left, Magic Canvas in the middle or right, the reference right)."""
    count = len(paths)
    # A folder, or a file that is not there, goes the one way that reports on each file.
    odd = any(p.is_dir() or not p.exists() for p in paths)
    if area is AreaKey.CANVAS or odd or count > MAX_GARMENT_PHOTOS or count == 0:
        return [_canvas(max(count, 1))]
    cutout_hint = (
        "The front of the garment"
        if count == 1
        else "The first photo is the front, the second the back"
    )
    options = [
        DropOption(DropChoice.CUTOUT, "Cut out garment", cutout_hint, "garment"),
        _canvas(count),
    ]
    if area is AreaKey.PROFILES and profile_name and count == 1:
        options.append(
            DropOption(
                DropChoice.REFERENCE,
                "Set profile reference",
                f"The reference photo of “{profile_name}”",
                "profiles",
            )
        )
    return options


def save_clipboard_image(image: QImage, folder: Path) -> Path:
    """A pasted image as a PNG file of its own in ``folder`` (so a paste is the same as a
    drop of that file). Raises OSError when it cannot be written."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H.%M.%S")
    path = folder / f"Pasted image {stamp}.png"
    n = 2
    while path.exists():
        path = folder / f"Pasted image {stamp} ({n}).png"
        n += 1
    if image.isNull() or not image.save(str(path), "PNG"):
        raise OSError(f"could not write {path.name}")
    return path


def clipboard_files(folder: Path) -> list[Path] | None:
    """What a paste brings, as files: the local files on the clipboard, or its image saved as
    a PNG in ``folder``; None when it holds neither. Raises OSError when the image cannot be
    saved."""
    clipboard = QGuiApplication.clipboard()
    mime = clipboard.mimeData()
    if mime is not None and mime.hasUrls():
        paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
        if paths:
            return paths
    if mime is not None and mime.hasImage():
        return [save_clipboard_image(clipboard.image(), folder)]
    return None


def clipboard_has_paste() -> bool:
    """True when the clipboard holds local files or an image (Edit ▸ Paste is enabled)."""
    mime = QGuiApplication.clipboard().mimeData()
    if mime is None:
        return False
    if mime.hasUrls() and any(u.isLocalFile() for u in mime.urls()):
        return True
    return mime.hasImage()


def choice_menu(
    parent: QWidget, options: Sequence[DropOption], deliver: Callable[[str], None]
) -> QMenu:
    """A menu with one entry per option (a paste's drop zones); ``deliver(choice value)``."""
    menu = QMenu(parent)
    menu.setObjectName("PasteChoiceMenu")
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    for option in options:
        action = menu.addAction(icon(option.icon_name), f"{option.label} — {option.hint}")
        action.setData(option.choice.value)
        action.triggered.connect(lambda _c=False, c=option.choice.value: deliver(c))
    return menu
