"""Everything Qt: windows, widgets, Qt item models, the brush canvas, dialogs."""
