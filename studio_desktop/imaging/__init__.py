"""Pure image work: safe decode, thumbnails, masks, edits, cutouts, pack rendering. No Qt."""
