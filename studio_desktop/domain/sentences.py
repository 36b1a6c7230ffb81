"""Messages that combine several sentences, written properly.

One refusal per file reads best as a list under a lead sentence, one line per item, each item
a whole sentence with exactly one end mark (never ``image..`` or ``image.;``)::

    >>> print(listed("None of the 2 files can be used:", ["“a.png” is a PDF document, not an
    ... image.", "“b.jpg” is empty (0 bytes)"]))
    None of the 2 files can be used:
    • “a.png” is a PDF document, not an image.
    • “b.jpg” is empty (0 bytes).
"""

from __future__ import annotations

from collections.abc import Iterable

_END_MARKS = (".", "!", "?", "…")
_CLOSERS = "”’\"')]"
BULLET = "•"


def sentence(text: str) -> str:
    """``text`` trimmed, with one end mark (a full stop added only when it has none)."""
    text = " ".join(text.split())
    if not text:
        return text
    core = text.rstrip(_CLOSERS)
    while core.endswith(("..", ".;", ";", ",", ":")) and not core.endswith("..."):
        core = core[:-1].rstrip()
    tail = text[len(text.rstrip(_CLOSERS)) :]
    if core.endswith(_END_MARKS):
        return core + tail
    return core + tail + "."


def listed(lead: str, items: Iterable[str], *, limit: int = 6) -> str:
    """``lead`` then one bulleted line per item (duplicates once), at most ``limit`` lines and
    a last line that counts the rest."""
    unique = list(dict.fromkeys(sentence(item) for item in items if item.strip()))
    lines = [lead.strip()]
    shown = unique if len(unique) <= limit else unique[: limit - 1]
    lines += [f"{BULLET} {item}" for item in shown]
    if len(shown) < len(unique):
        rest = len(unique) - len(shown)
        lines.append(f"{BULLET} …and {rest} more.")
    return "\n".join(lines)
