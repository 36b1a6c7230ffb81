"""Where the app keeps its files: a chosen data root holds everything; the default root logs to
the platform's log directory."""

from __future__ import annotations

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
