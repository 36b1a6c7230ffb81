"""Small reusable widgets: the message bar, the busy indicator, the sync status, empty states."""
