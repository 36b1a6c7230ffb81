"""Where a workspace's files live, for the UI: the store's :class:`DataDirs` and the local
workspace's key, re-exported (the UI imports services and domain only; this module is light
enough for the window's first paint)."""

from __future__ import annotations

from studio_desktop.store.locations import LOCAL_WORKSPACE, DataDirs

__all__ = ["LOCAL_WORKSPACE", "DataDirs"]
