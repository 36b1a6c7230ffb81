"""Where the app keeps its files: a chosen data root holds everything; the default root logs to
the platform's log directory."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import platformdirs
import pytest

from studio_desktop.store.locations import ENV_DATA_DIR, data_dirs_for


def test_a_chosen_data_dir_keeps_the_logs_inside(tmp_path: Path) -> None:
    dirs = data_dirs_for(tmp_path / "d")
    assert dirs.root == (tmp_path / "d").resolve()
    assert dirs.logs == dirs.root / "logs"


def test_the_environment_variable_counts_as_chosen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path / "e"))
    dirs = data_dirs_for(None)
    assert dirs.root == (tmp_path / "e").resolve() and dirs.logs == dirs.root / "logs"


def test_the_default_root_logs_to_the_platform_log_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_DATA_DIR, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    dirs = data_dirs_for(None)
    assert dirs.logs == Path(platformdirs.user_log_dir("studio-desktop", "Studio"))
    assert dirs.logs.is_relative_to(tmp_path / "state")
    assert dirs.root.is_relative_to(tmp_path / "data")


def test_last_workspace_key_reads_the_registry_and_falls_back_to_local(tmp_path: Path) -> None:
    from studio_desktop.store.locations import REGISTRY_FILE, DataDirs, last_workspace_key

    data = DataDirs(tmp_path)
    assert last_workspace_key(data) == "local"  # no file yet
    registry = tmp_path / REGISTRY_FILE
    for text, expected in (
        ('{"last": "abc123-user"}', "abc123-user"),
        ('{"last": null}', "local"),
        ('{"last": "../../etc"}', "local"),
        ("[1, 2]", "local"),
        ("not json {", "local"),
        ('{"last": 7}', "local"),
    ):
        registry.write_text(text, encoding="utf-8")
        assert last_workspace_key(data) == expected, text


# ---------------------------------------------------------------- a folder that cannot be used
def _tree(root: Path) -> list[tuple[str, int, int]]:
    """Every path under ``root``, with each file's size and modification time (what a check
    must keep; a folder's own time changes when a file in it is made and removed)."""
    return sorted(
        (
            str(p.relative_to(root)),
            *((p.stat().st_size, p.stat().st_mtime_ns) if p.is_file() else (0, 0)),
        )
        for p in root.rglob("*")
    )


def test_a_usable_folder_is_made_checked_and_left_as_it_was(tmp_path: Path) -> None:
    from studio_desktop.store.locations import prepare_data_dirs

    dirs = prepare_data_dirs(tmp_path / "new")
    assert dirs.root.is_dir() and dirs.logs.is_dir()
    assert _tree(dirs.root) == [("logs", 0, 0)]
    (dirs.root / "workspaces.json").write_text("{}", encoding="utf-8")
    before = _tree(dirs.root)
    prepare_data_dirs(dirs.root)  # the write check leaves nothing behind
    assert _tree(dirs.root) == before


def test_a_file_in_the_folders_place_is_named(tmp_path: Path) -> None:
    from studio_desktop.store.locations import DataDirError, prepare_data_dirs

    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(DataDirError) as error:
        prepare_data_dirs(tmp_path / "notes.txt")
    assert error.value.headline == (
        f"Studio Desktop cannot use the folder {tmp_path / 'notes.txt'}: "
        f"{tmp_path / 'notes.txt'} is a file, where a folder is needed."
    )
    assert error.value.advice.startswith("Move that file away and start again. Or start")
    assert "--data-dir FOLDER" in error.value.advice
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    # A file on the way to it, and a file where the log folder goes.
    with pytest.raises(DataDirError) as error:
        prepare_data_dirs(tmp_path / "notes.txt" / "studio")
    assert f"{tmp_path / 'notes.txt'} is a file" in error.value.headline
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "logs").write_text("", encoding="utf-8")
    with pytest.raises(DataDirError) as error:
        prepare_data_dirs(tmp_path / "data")
    assert error.value.folder == tmp_path / "data"
    assert f"{tmp_path / 'data' / 'logs'} is a file" in error.value.headline


def test_a_chosen_folder_whose_parent_is_missing_is_not_made(tmp_path: Path) -> None:
    """``--data-dir /media/me/USB/studio`` with the drive not connected: refused, not made
    unseen on the system drive."""
    from studio_desktop.store.locations import DataDirError, prepare_data_dirs

    with pytest.raises(DataDirError) as error:
        prepare_data_dirs(tmp_path / "USB" / "studio")
    assert error.value.headline == (
        f"Studio Desktop cannot make its data folder {tmp_path / 'USB' / 'studio'}: "
        f"the folder {tmp_path / 'USB'} it belongs in does not exist."
    )
    assert "is the drive connected?" in error.value.advice
    assert list(tmp_path.iterdir()) == []


def test_the_default_folder_is_made_with_its_parents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from studio_desktop.store.locations import prepare_data_dirs

    monkeypatch.delenv(ENV_DATA_DIR, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "fresh-user" / "share"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "fresh-user" / "state"))
    dirs = prepare_data_dirs(None)
    assert dirs.root.is_dir() and dirs.root.is_relative_to(tmp_path / "fresh-user" / "share")
    assert dirs.logs.is_dir() and dirs.logs.is_relative_to(tmp_path / "fresh-user" / "state")


@pytest.mark.parametrize(
    ("code", "says"),
    [
        (errno.EROFS, "its drive is read-only."),
        (errno.EACCES, "you do not have permission to change it."),
        (errno.EPERM, "you do not have permission to change it."),
        (errno.ENOSPC, "its drive is full."),
        (errno.EDQUOT, "its drive is full."),
        (errno.ENAMETOOLONG, "File name too long"),
    ],
)
def test_each_reason_reads_as_a_sentence(tmp_path: Path, code: int, says: str) -> None:
    from studio_desktop.store.locations import data_dir_error

    error = data_dir_error(tmp_path, OSError(code, os.strerror(code), str(tmp_path / "x")))
    assert error.headline.startswith(f"Studio Desktop cannot save in the folder {tmp_path}: ")
    assert says in error.headline
    assert error.message == f"{error.headline} {error.advice}"
    assert ".." not in error.message and "None" not in error.message
    on_file = data_dir_error(tmp_path, OSError(code, "x"), file=tmp_path / "a.log")
    assert on_file.headline.startswith(f"Studio Desktop cannot write its file {tmp_path / 'a.log'}")
