"""Use cases, one readable call per user action, async, no Qt."""
