"""The layer rule (docs/architecture.md), checked two ways: the import-linter contracts, and a
fresh interpreter that imports every non-UI module and proves Qt was never loaded."""

from __future__ import annotations

import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import studio_desktop

ROOT = Path(__file__).resolve().parents[2]
NON_UI_LAYERS = ("domain", "store", "sync", "imaging", "engine", "services")


def test_import_linter_contracts_hold() -> None:
    lint_imports = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run(
        [lint_imports, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken" in result.stdout
    assert "Screens talk to services and domain only KEPT" in result.stdout


def test_non_ui_layers_import_without_qt() -> None:
    modules = [
        info.name
        for layer in NON_UI_LAYERS
        for info in pkgutil.walk_packages(
            [str(Path(studio_desktop.__file__).parent / layer)], f"studio_desktop.{layer}."
        )
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'shiboken6', 'qasync'))\n"
        "assert not loaded, loaded\n"
        "print(len(" + repr(modules) + "))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}  # no DISPLAY, no QT_QPA_PLATFORM
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
