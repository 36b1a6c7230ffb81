"""Dialogs: connect a project, sign in, settings, about, and the crash dialog.

The form dialogs validate their fields (``validators.py``, plain Python) and emit a typed value
when accepted; wiring them to services is the caller's job.
"""
