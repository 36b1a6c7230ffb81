"""The garment drop target: cutouts and product packs."""
