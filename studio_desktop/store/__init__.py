"""The local SQLite mirror of the 8 tables, the outbox, the blob cache index, local migrations."""
