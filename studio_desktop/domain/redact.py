"""Remove secrets from text before it reaches a log file, the clipboard or a dialog.

Used by the logging filter (``app.py``) and the diagnostics the crash dialog copies. It is
deliberately greedy: a value that merely looks like a token is hidden too.

    >>> redact("Authorization: Bearer abc.def.ghi")
    'Authorization: [redacted]'
    >>> redact("sending Bearer abc.def.ghi")
    'sending Bearer [redacted]'
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"

# A JSON Web Token: three base64url segments, the first two start with '{"' encoded ("eyJ").
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
# Supabase's newer API keys.
_SB_KEY = re.compile(r"\bsb_(?:secret|publishable)_[A-Za-z0-9_-]{8,}")
_BEARER = re.compile(r"(?i)\b(bearer|basic)(\s+)[^\s\"',;]+")
_SECRET_NAMES = (
    r"apikey|api[_-]?key|anon[_-]?key|service[_-]?role(?:[_-]?key)?|access[_-]?token|"
    r"refresh[_-]?token|id[_-]?token|provider[_-]?token|password|passwd|pwd|secret|"
    r"client[_-]?secret|authorization|x-api-key|token"
)
# name=value, name: value, "name": "value", 'name': 'value' (dict reprs, JSON, headers, queries).
_KEY_VALUE = re.compile(
    r"(?i)(?P<key>[\"']?\b(?:" + _SECRET_NAMES + r")\b[\"']?\s*[:=]\s*)"
    r"(?P<value>\"[^\"]*\"|'[^']*'|(?:bearer|basic)\s+[^\s\"',;&}\]]+|[^\s\"',;&}\]]+)"
)


def _replace_value(match: re.Match[str]) -> str:
    value = match.group("value")
    if value.startswith(("'", '"')):
        return f"{match.group('key')}{value[0]}{REDACTED}{value[0]}"
    return f"{match.group('key')}{REDACTED}"


def redact(text: str) -> str:
    """``text`` with tokens, keys and passwords replaced by ``[redacted]``."""
    if not text:
        return text
    text = _KEY_VALUE.sub(_replace_value, text)
    text = _JWT.sub(REDACTED, text)
    text = _SB_KEY.sub(REDACTED, text)
    return _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
