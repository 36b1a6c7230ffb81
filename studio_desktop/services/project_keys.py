"""What can be said of a Supabase project's key without asking anyone, for the connect form.

Re-exports :func:`studio_desktop.sync.project_check.check_key` (refuses secret and
service-role keys, expired or malformed ones, with a sentence for the form's field) so the UI
imports services and domain only. Importing this module brings the sync's project check (and
httpx): import it when a key is typed, not at start-up.
"""

from __future__ import annotations

from studio_desktop.sync.project_check import ProjectCheckError, check_key

__all__ = ["ProjectCheckError", "check_key"]
