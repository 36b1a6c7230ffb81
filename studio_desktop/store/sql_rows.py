"""Model objects from stored rows (``sqlite3.Row`` or dicts): :func:`model_from_sql`.

Light on purpose (the standard library and the domain's models only): the History's early page
(:mod:`studio_desktop.store.feed_sql`) builds its jobs with it before the rest of the store is
imported.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from studio_desktop.domain.models import Row, parse_ts
from studio_desktop.store.tables import column_kind

M = TypeVar("M", bound=Row)


@functools.cache
def _readers(model_type: type[Row]) -> tuple[tuple[str, str], ...]:
    return tuple((c, column_kind(model_type, c)) for c in model_type.columns())


def _read_ts(text: Any) -> Any:
    if isinstance(text, str):
        try:  # what format_ts wrote: the fast path
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    return parse_ts(text)


def model_from_sql(model_type: type[M], row: Mapping[str, Any]) -> M:
    """Build a model from a stored row (``sqlite3.Row`` or dict).

    The feed builds hundreds of these per page, so this skips ``Model.from_row``'s generic
    path: stored timestamps are always ``format_ts`` text, JSON columns are JSON text.
    """
    kwargs: dict[str, Any] = {}
    for column, kind in _readers(model_type):
        value = row[column]
        if value is not None:
            if kind == "timestamp":
                value = _read_ts(value)
            elif kind == "json" and isinstance(value, str):
                value = json.loads(value)
        kwargs[column] = value
    return model_type(**kwargs)
