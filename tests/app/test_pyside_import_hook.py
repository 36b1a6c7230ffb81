"""The lighter PySide6 import check (``app.lighten_pyside_import_hook``): the same answers as
PySide's own, without keeping every module's source in ``linecache``."""

from __future__ import annotations

import importlib
import linecache
import sys
from pathlib import Path

import PySide6.QtCore  # noqa: F401  (loads PySide's import hook)
import pytest

from studio_desktop import app


@pytest.fixture
def feature():
    module = sys.modules["shibokensupport.feature"]
    before = module._mod_uses_pyside
    yield module
    module._mod_uses_pyside = before


def _write_module(folder: Path, name: str, text: str) -> None:
    (folder / f"{name}.py").write_text(text, encoding="utf-8")


def test_answers_as_pyside_does(feature, tmp_path: Path, monkeypatch) -> None:
    _write_module(tmp_path, "uses_qt_mod", "from PySide6.QtCore import QObject\n")
    _write_module(tmp_path, "plain_mod", "VALUE = 1\n")
    _write_module(tmp_path, "mentions_mod", '"""Not imported: PySide6 is only named."""\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    modules = [importlib.import_module(n) for n in ("uses_qt_mod", "plain_mod", "mentions_mod")]
    modules += [sys, importlib.import_module("_sqlite3"), importlib.import_module("json")]
    modules += [importlib.import_module("studio_desktop.ui.areas")]
    modules += [importlib.import_module("studio_desktop.domain.errors")]
    original = feature._mod_uses_pyside
    assert app.lighten_pyside_import_hook()
    lighter = feature._mod_uses_pyside
    assert lighter is not original and lighter.original is original
    answers = {m.__name__: lighter(m) for m in modules}
    assert answers == {m.__name__: original(m) for m in modules}
    assert answers["uses_qt_mod"] and answers["mentions_mod"] and answers["studio_desktop.ui.areas"]
    assert not answers["plain_mod"] and not answers["sys"] and not answers["json"]
    assert not app.lighten_pyside_import_hook()  # once is enough
    assert feature._mod_uses_pyside is lighter


def test_modules_imported_later_are_registered_without_caching_their_source(
    feature, tmp_path: Path, monkeypatch
) -> None:
    app.lighten_pyside_import_hook()
    _write_module(tmp_path, "later_qt_mod", "import PySide6.QtCore\n")
    _write_module(tmp_path, "later_plain_mod", "import json\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    # (An import statement, as the app's modules do: PySide hooks ``builtins.__import__``.)
    __import__("later_qt_mod")
    __import__("later_plain_mod")
    registered = feature.pyside_feature_dict
    assert registered["later_qt_mod"] == 0  # uses PySide: follows the __feature__ switches
    assert registered["later_plain_mod"] == -1  # ignored by them
    cached = set(linecache.cache)
    assert str(tmp_path / "later_qt_mod.py") not in cached
    assert str(tmp_path / "later_plain_mod.py") not in cached


def test_an_unreadable_source_counts_as_not_using_pyside(feature, tmp_path: Path) -> None:
    app.lighten_pyside_import_hook()
    gone = type(sys)("gone_mod")
    gone.__spec__ = importlib.util.spec_from_file_location("gone_mod", tmp_path / "gone_mod.py")
    assert feature._mod_uses_pyside(gone) is False
