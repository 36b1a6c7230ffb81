"""Where the designer was is kept under an id that lives in the workspace folder: a data
folder moved or copied (with its ``qt/`` settings, as the app keeps them) still finds it; a
copy running beside the original goes its own way; memories of older versions, keyed by the
folder's full path, are moved to the id. Real ``QSettings`` INI files, real folders."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from PySide6.QtCore import QSettings

from studio_desktop.ui.session import ID_FILE, RememberedSide, SessionMemory, workspace_id


def _settings(root: Path) -> QSettings:
    """The data root's own settings file, where the app keeps them (``<root>/qt/``)."""
    return QSettings(str(root / "qt" / "Studio" / "Studio Desktop.ini"), QSettings.Format.IniFormat)


def _memory(root: Path) -> tuple[SessionMemory, QSettings]:
    settings = _settings(root)
    return SessionMemory(root / "workspaces" / "local", settings), settings


def _remember(memory: SessionMemory, thread: str, asset: str, photo: str) -> None:
    memory.remember_creation(thread, asset)
    memory.remember_garment_side("front", RememberedSide(Path(photo), "garments", "k/front", True))
    memory.settings.sync()


def test_a_moved_data_folder_still_knows_where_the_designer_was(tmp_path: Path) -> None:
    before = tmp_path / "Studio data"
    memory, settings = _memory(before)
    _remember(memory, "thread-1", "asset-2", "/photos/tee.png")
    del memory, settings
    after = tmp_path / "external drive" / "Studio data"
    after.parent.mkdir()
    before.rename(after)

    memory, _ = _memory(after)
    assert memory.creation() == ("thread-1", "asset-2")
    side = memory.garment_side("front")
    assert side == RememberedSide(Path("/photos/tee.png"), "garments", "k/front", True)


def test_a_copy_running_beside_the_original_starts_where_it_was_then_goes_its_own_way(
    tmp_path: Path,
) -> None:
    original = tmp_path / "data"
    memory, _ = _memory(original)
    _remember(memory, "thread-1", "asset-2", "/photos/tee.png")
    copy = tmp_path / "data copy"
    shutil.copytree(original, copy)

    mine, _ = _memory(original)
    theirs, _ = _memory(copy)  # both open at once, each on its own settings file
    assert theirs.creation() == mine.creation() == ("thread-1", "asset-2")
    theirs.remember_creation("thread-9", "asset-9")
    theirs.remember_garment_side("front", None)
    theirs.settings.sync()
    mine.remember_creation("thread-1", "asset-3")
    mine.settings.sync()
    assert _memory(copy)[0].creation() == ("thread-9", "asset-9")
    assert _memory(copy)[0].garment_side("front") is None
    assert _memory(original)[0].creation() == ("thread-1", "asset-3")
    assert _memory(original)[0].garment_side("front") is not None


def test_a_memory_of_an_older_version_keyed_by_the_path_is_moved_to_the_id(
    tmp_path: Path,
) -> None:
    root = tmp_path / "data"
    workspace = root / "workspaces" / "local"
    workspace.mkdir(parents=True)
    # As the previous version wrote it: the group named by the digest of the full path.
    old_group = "session/" + hashlib.sha1(str(workspace.resolve()).encode()).hexdigest()[:12]
    settings = _settings(root)
    settings.setValue(f"{old_group}/canvas/thread", "thread-old")
    settings.setValue(f"{old_group}/canvas/asset", "asset-old")
    settings.setValue(f"{old_group}/garments/back/path", "/photos/jeans.png")
    settings.setValue(f"{old_group}/garments/back/bucket", "garments")
    settings.setValue(f"{old_group}/garments/back/key", "k/back")
    settings.setValue(f"{old_group}/garments/back/from_cache", "false")
    settings.setValue("session/0123456789ab/canvas/thread", "another workspace's")
    settings.sync()
    assert not (workspace / ID_FILE).exists()

    memory = SessionMemory(workspace, settings)
    assert memory.creation() == ("thread-old", "asset-old")
    assert memory.garment_side("back") == RememberedSide(
        Path("/photos/jeans.png"), "garments", "k/back", False
    )
    folder_id = (workspace / ID_FILE).read_text(encoding="ascii").strip()
    assert memory.group == f"session/{folder_id}"
    settings.sync()
    assert not [key for key in settings.allKeys() if key.startswith(old_group)]
    # Another workspace's old memory is not taken.
    assert settings.value("session/0123456789ab/canvas/thread") == "another workspace's"

    # Moved afterwards, it is still found; a second open keeps the same id.
    moved = tmp_path / "moved"
    del memory
    settings.sync()
    root.rename(moved)
    again = SessionMemory(moved / "workspaces" / "local", _settings(moved))
    assert again.creation() == ("thread-old", "asset-old")
    assert workspace_id(moved / "workspaces" / "local") == folder_id


def test_the_id_is_made_once_and_a_damaged_one_is_replaced(tmp_path: Path) -> None:
    workspace = tmp_path / "w"
    first = workspace_id(workspace)
    assert first is not None and len(first) == 32
    assert workspace_id(workspace) == first
    (workspace / ID_FILE).write_text("not an id", encoding="ascii")
    second = workspace_id(workspace)
    assert second is not None and second != first
    assert [p.name for p in (workspace / "session").iterdir()] == ["id"]  # no temp file left


def test_where_no_id_can_be_kept_the_path_keys_the_memory_as_before(tmp_path: Path) -> None:
    workspace = tmp_path / "w"
    workspace.mkdir()
    (workspace / "session").write_text("a file where the folder should be", encoding="utf-8")
    settings = _settings(tmp_path)
    memory = SessionMemory(workspace, settings)
    digest = hashlib.sha1(str(workspace.resolve()).encode()).hexdigest()[:12]
    assert memory.group == f"session/{digest}"
    memory.remember_creation("thread-1", "asset-1")
    assert SessionMemory(workspace, settings).creation() == ("thread-1", "asset-1")
