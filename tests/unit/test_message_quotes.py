"""One quoting style in what the app says: names and examples in messages are in typographic
quotes (“Mia”, “make it navy”, ‘front’), never straight ones ("Mia", 'Mia').

The scan reads every string the app's code writes, as Python sees it (``ast``): literals and
the text parts of f-strings, in the layers whose strings reach the designer (screens, services,
engines, imaging, sync, domain). Left out, because a designer never reads them: docstrings and
attribute notes, SQL, log lines and exceptions meant for developers (``BugError``,
``ValueError``…). Two things are flagged:

- a straight-quoted word or placeholder in a sentence: ``"Profile 'Mia' deleted."``,
  ``f'"{name}" is empty'``;
- ``!r`` in an f-string of a message: Python's repr quotes with ``'…'``.

The scanner is tested on bad and good samples first, so this cannot pass by finding nothing.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "studio_desktop"
LAYERS = ("ui", "services", "engine", "imaging", "sync", "domain", "app.py")
#: Calls whose text a designer never reads (logging, developer exceptions, SQL).
NOT_FOR_DESIGNERS = frozenset(
    {
        "debug",
        "info",
        "warning",
        "error",
        "exception",
        "critical",
        "BugError",
        "ValueError",
        "TypeError",
        "RuntimeError",
        "KeyError",
        "AssertionError",
        "NotImplementedError",
        "JobTransitionError",
        "StoragePathError",
        "execute",
        "executemany",
        "executescript",
        "query",
        "query_one",
        "scalar",
        "or_",
        "_bad_shape",
    }
)
STRAIGHT = re.compile(r"""(?:^|[\s(])(["'])(?=[^\s"'])[^"'\n]{1,60}?(?<=\S)\1(?=$|[\s.,:;!?)…])""")
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|WHERE|CASE WHEN|typeof|GLOB)\b")


def straight_quotes(source: str, name: str = "<sample>") -> list[str]:
    """Where ``source`` (Python code) writes a straight-quoted name or a repr into text."""
    tree = ast.parse(source)
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skipped.add(id(node.value))  # docstrings and attribute notes
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in NOT_FOR_DESIGNERS:
                skipped.update(id(sub) for sub in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.JoinedStr):
            skipped.update(id(part) for part in node.values)
            parts = []
            for part in node.values:
                if isinstance(part, ast.Constant):
                    parts.append(str(part.value))
                else:
                    parts.append("{x}")
                    if isinstance(part, ast.FormattedValue) and part.conversion == ord("r"):
                        found.append(f"{name}:{node.lineno}: !r quotes with '…'")
            text = "".join(parts)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if SQL.search(text):
            continue
        if not re.search(r"\s", text) and not re.fullmatch(r"([\"']).*\{x\}.*\1", text):
            continue  # a lone token ('"phoenix"' in a protocol frame), unless it quotes a value
        if STRAIGHT.search(text):
            found.append(f"{name}:{node.lineno}: {text[:90]!r}")
    return found


@pytest.mark.parametrize(
    "bad",
    [
        "show(\"Profile 'Mia' deleted. Undo with Ctrl+Z.\")",
        "message = f'The mask \"{name}\" is too small.'",
        "subject = f'\"{name}\"'",
        "raise ValidationError(f'Unknown angle {value!r}.')",
        "TEXT = 'Say \"remove this\" to erase it.'",
    ],
)
def test_the_scan_finds_straight_quotes(bad: str) -> None:
    assert straight_quotes(bad), bad


@pytest.mark.parametrize(
    "good",
    [
        "show('Profile “Mia” deleted. Undo with Ctrl+Z.')",
        "show(\"The studio's engine can't be reached; it's tried again.\")",
        "log.info('job %s %r', job_id, 'x')",
        "raise BugError(f'unknown tone {tone!r}')",
        "SQL = \"SELECT id FROM jobs WHERE status = 'queued'\"",
        "def f():\n    'A docstring with \"quotes\".'\n",
    ],
)
def test_the_scan_leaves_good_text_alone(good: str) -> None:
    assert straight_quotes(good) == [], good


def test_messages_use_typographic_quotes_only() -> None:
    files = [
        path
        for layer in LAYERS
        for path in sorted(
            (ROOT / layer).rglob("*.py") if (ROOT / layer).is_dir() else [ROOT / layer]
        )
    ]
    assert len(files) > 100
    found = [
        hit
        for path in files
        for hit in straight_quotes(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert found == []
