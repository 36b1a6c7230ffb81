"""The local SQLite mirror of the 8 tables, the outbox, the blob cache index, local migrations.

No Qt; stdlib ``sqlite3`` only. Entry points:

- ``workspace.open_local_store(data_dirs)`` / ``open_account_store(data_dirs, project_url,
  user_id)`` / ``open_store(workspace_dirs, user_id=...)`` -> ``workspace.Store``,
  the facade with everything below for one workspace (one database and blob folder each);
  ``workspace.move_local_into_account(local, account)`` for "move my local items".
- ``store.rows`` (:class:`~studio_desktop.store.repository.Repository`): ``save(model)``,
  ``save_many(models)``, ``delete(table, id)`` -- mirror change and outbox entry in one
  transaction; ``apply_remote_rows(table, rows)``, ``apply_remote_deletes(table, ids)`` for the
  pull (no outbox; rows with pending local changes are left alone); ``bulk_load(owner=)``
  for a full resync's listing (:mod:`~studio_desktop.store.bulk`: staged, then stored
  set-based; odd rows handed back for ``apply_remote_rows``); ``get(Model, id)``;
  the ``rows_changed: Event[ChangeSet]`` event, emitted after commit. A bulk load emits the
  same ``ChangeSet(table, ids, "upsert", "remote")`` as ``apply_remote_rows`` (one per
  table and batch, every stored id in it): there is no other change kind.
- ``store.queries`` (:class:`~studio_desktop.store.queries.Queries`): ``feed_page(filter,
  cursor, limit)``, ``job(id)``, ``profiles()``, ``creation(thread_id)``, ``creations()``,
  ``thread_for_job(job_id)``, ``garment_cutout(user_id, source_hash, source_kind)``.
- ``store.outbox`` (:class:`~studio_desktop.store.outbox.Outbox`): ``pending()``,
  ``mark_done/mark_failed/park/unpark/discard(seq)``, ``counts()``, the ``changed`` event.
- ``store.blobs`` (:class:`~studio_desktop.store.blobcache.BlobCache`): ``put``/``put_file``,
  ``get_path``, ``want``, ``queued_downloads``, ``mark_synced``, ``pin``/``unpin``, ``evict``,
  ``total_bytes``, ``path_for_upload``.
- ``store.sync_state`` (:class:`~studio_desktop.store.sync_state.SyncState`): cursor and account.
- ``store.transaction()``: group several of the above into one SQLite transaction.
- Errors (:mod:`~studio_desktop.store.errors`): ``StoreEnvironmentError`` (locked, disk full,
  read-only, corrupt, newer version: show ``.message``) and ``StoreBugError``.
- ``store.recovery`` is set when a damaged database was rebuilt at open (show its ``message``).
"""
