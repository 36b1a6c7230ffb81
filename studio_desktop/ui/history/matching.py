"""Does a job belong in the feed under a filter? The client-side twin of the store's query.

The feed asks the store for pages (``HistoryService.feed_page``); jobs that arrive later by
events (a job submitted here, a row pulled by the sync) are placed without a query, so the model
needs the same rules here: types and statuses are alternatives, the profile must match, and
every word typed must start a word of the prompt or instruction, ignoring case and accents
(as the store's full-text search does: "dres" finds "Dress", "ete" finds "Été").
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import TYPE_CHECKING, Any

from studio_desktop.domain.models import Job

if TYPE_CHECKING:
    from studio_desktop.services.history import HistoryFilter

_WORD = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """Lower case without accents ("Été" -> "ete")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def job_text(job: Job) -> str:
    """What the search looks at: the prompt and the instruction."""
    parts = [job.input_json.get(key) for key in ("prompt", "instruction")]
    return " ".join(p for p in parts if isinstance(p, str))


def job_prompt(job: Job) -> str | None:
    """The text the designer typed, for display (a prompt or a canvas instruction)."""
    for key in ("prompt", "instruction"):
        value = job.input_json.get(key)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return None


def job_profile_id(job: Job) -> str | None:
    """The profile a job was made for (the app writes ``profileId``; older rows ``profile_id``)."""
    for key in ("profileId", "profile_id"):
        value: Any = job.input_json.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def matches(filters: HistoryFilter, job: Job) -> bool:
    if filters.types and job.type not in {str(t) for t in filters.types}:
        return False
    if filters.statuses and job.status not in {str(s) for s in filters.statuses}:
        return False
    if filters.profile_id and job_profile_id(job) != filters.profile_id:
        return False
    wanted = _WORD.findall(fold(filters.search or ""))
    if wanted:
        words = _WORD.findall(fold(job_text(job)))
        for term in wanted:
            if not any(word.startswith(term) for word in words):
                return False
    return True


def is_filtered(filters: HistoryFilter) -> bool:
    return bool(
        filters.types or filters.statuses or filters.profile_id or (filters.search or "").strip()
    )


def sort_key(job: Job) -> tuple[datetime, str]:
    """The feed's order is newest first by this key (the store's ``(created_at, id)``)."""
    return (job.created_at, job.id)
