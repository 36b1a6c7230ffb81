"""Talks to Supabase through supabase-py: session, pull, push, blob transfer, status.

No Qt here. Entry points (see each module's docstring):

- ``session.make_session(ConnectionConfig(url, anon_key), secrets_dir) -> SessionManager``:
  ``await restore()``, ``await sign_in(email, password)``, ``await sign_out()``,
  ``await ensure_fresh()``; ``signed_in``, ``user_id``, ``email``, ``signed_out_reason``,
  the ``changed`` event. Tokens live in the OS keyring (``secrets.py``).
- ``engine.SyncEngine(store, session, options=SyncOptions())``: ``start()``, ``sync_now()``,
  ``await run_cycle() -> CycleReport``, ``await stop()``, ``await close()``; ``status`` and the
  ``status_changed: Event[SyncStatus]`` event; ``engine.blobs`` (``BlobTransfer``:
  ``await fetch(bucket, path) -> Path``, ``await signed_url(bucket, path)``).
- ``account_move.local_items(local)`` and ``await account_move.move_local_items(local,
  account, engine)``: "move my local items into my account", then push.
- ``errors``: ``OfflineError``, ``TransientError``, ``AuthRequiredError``,
  ``NotSignedInError``, ``SessionRevokedError``, ``RefusedError`` (``SyncError`` base).
"""
