"""Dataclasses and enums for the 8 tables, storage path rules, events and errors. No I/O, no Qt."""
