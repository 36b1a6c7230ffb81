-- Sync support: a change log filled by triggers, and the RPCs a client pulls it through.
--
-- THE LOG. sync.changes gets one entry per inserted, updated or deleted row of the eight tables
-- (cascaded deletes and ON DELETE SET NULL updates included, because those are ordinary row
-- changes that fire the same triggers). An entry carries the table, the operation, the row id,
-- the row as jsonb (the new row; the old row for a delete), the owner's user id, the id of the
-- writing transaction (xid, pg_current_xact_id()) and a sequence number (seq) that orders the
-- entries of one transaction. Its owner alone can read it (RLS).
--
-- Owners. For the tables with user_id, the owner is the row's user_id. job_outputs has none:
-- its owner is its job's user_id. When a job is deleted, ON DELETE CASCADE deletes its outputs
-- from an AFTER trigger of jobs, so when the outputs' own triggers run the job row is already
-- gone. To keep the owner, a job's DELETE entry is written by a BEFORE DELETE trigger (while
-- the row still exists), and an output whose job has vanished takes its owner from that entry
-- (same transaction, same job id). An UPDATE that moves a row to another owner (or changes its
-- id) also writes a DELETE entry for the previous owner, so the row leaves that user's replicas.
--
-- THE CURSOR. Text 'v1.<xid>.<seq>' (decimal xid8 and bigint): a position in the log, ordered
-- by (xid, seq). A pull returns entries strictly after the cursor and strictly below the xmin of
-- the pull's snapshot.
--
-- WHY NOTHING IS SKIPPED. Transactions receive their xid when they first write, but commit in
-- any order: T1 (xid 100) may commit after T2 (xid 101). A plain "after the last id I saw"
-- cursor would let a client read 101, move its cursor past 100 and never see T1's entry. Here a
-- pull only returns entries with xid < xmin, where xmin is the oldest transaction still running
-- when the pull's snapshot was taken. Every transaction with xid < xmin has finished (committed
-- or aborted), and no transaction can later receive such an xid, so the set of entries below
-- xmin is final: it will never grow. A page therefore returns a prefix, in (xid, seq) order, of
-- a set that is complete, and the cursor moves only to the last entry returned (page full) or
-- to 'v1.<xmin>.0' (nothing more below xmin; seq starts at 1, so every entry of xid >= xmin
-- is after it). In the example: while T1 is running, xmin <= 100, so neither 100 nor 101 is
-- returned; once T1 has finished, both are, in order. An entry below the cursor is never
-- needed again, an entry above it is never lost.
--
-- WHAT A CHANGE SAYS. Xid order is not commit order either: a transaction with a lower xid can
-- overwrite a row after one with a higher xid committed. So a pull does not replay the logged
-- row images; for every row named by entries of the page it returns the row's CURRENT state as
-- the caller can see it (RLS), or 'delete' when the caller can no longer see it (deleted, or
-- moved to another owner). Applying a page therefore always moves a replica forward to the state
-- of that pull's snapshot, and since a change committed after a pull's snapshot has an xid >=
-- that snapshot's xmin, its entry is still ahead of the cursor and will be pulled later. Rows
-- named several times in a page are returned once (collapsed), at their last position. A page
-- may name a child before its parent (e.g. an asset before the job output it points at, which a
-- later transaction wrote); a client applies a page in one local transaction and must not
-- require parents to arrive first.
--
-- RETENTION. sync_prune(interval) (service role; schedule it with pg_cron on Supabase) deletes
-- entries older than the interval and records, per owner, the highest pruned position in
-- sync.prune_marks. A cursor below its owner's mark may have missed pruned entries: the pull
-- answers resync_required with a fresh cursor instead of changes (see sync_pull).
--
-- FULL RESYNC. Take the cursor that a resync_required answer carries (or pull with a NULL
-- cursor, which always answers resync_required), THEN read every table with plain selects
-- (keyset paging by (updated_at or created_at, id), index-backed per user), then pull from that
-- cursor. Anything committed after the cursor was made is still ahead of it.

CREATE SCHEMA IF NOT EXISTS sync;
COMMENT ON SCHEMA sync IS 'Change log for offline-first clients; read through public.sync_pull().';
REVOKE ALL ON SCHEMA sync FROM PUBLIC;
GRANT USAGE ON SCHEMA sync TO authenticated, service_role;

CREATE TABLE sync.changes (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  table_name text NOT NULL,
  op text NOT NULL CHECK (op IN ('INSERT', 'UPDATE', 'DELETE')),
  row_id uuid NOT NULL,
  owner uuid,
  "row" jsonb NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE sync.changes IS
  'One entry per row change of the 8 synced tables; ordered by (xid, seq); owner-only (RLS).';
-- The pull: one owner, positions after a cursor, in order.
CREATE INDEX changes_owner_position_idx ON sync.changes (owner, xid, seq);
-- Retention scans by age; the job-owner lookup of cascaded output deletes by row id.
CREATE INDEX changes_changed_at_idx ON sync.changes (changed_at);
CREATE INDEX changes_row_id_idx ON sync.changes (row_id, xid);

CREATE TABLE sync.prune_marks (
  owner uuid PRIMARY KEY,
  xid xid8 NOT NULL,
  seq bigint NOT NULL,
  pruned_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE sync.prune_marks IS
  'Per owner, the highest (xid, seq) deleted by sync_prune: cursors below it need a full resync.';

ALTER TABLE sync.changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE sync.prune_marks ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON sync.changes, sync.prune_marks FROM PUBLIC, anon, authenticated;
-- Read-only for users (their own entries); only the triggers (SECURITY DEFINER) write.
GRANT SELECT ON sync.changes, sync.prune_marks TO authenticated;
GRANT SELECT, DELETE ON sync.changes TO service_role;
GRANT SELECT ON sync.prune_marks TO service_role;
CREATE POLICY "own entries" ON sync.changes FOR SELECT TO authenticated
  USING (owner = (SELECT auth.uid()));
CREATE POLICY "own mark" ON sync.prune_marks FOR SELECT TO authenticated
  USING (owner = (SELECT auth.uid()));

-- ---------------------------------------------------------------- triggers
-- Owner of a job output: its job's user, or, when the job was deleted earlier in this same
-- transaction (cascade), the owner its BEFORE DELETE trigger logged.
CREATE OR REPLACE FUNCTION sync.job_owner(p_job_id uuid) RETURNS uuid
LANGUAGE sql STABLE
SET search_path = ''
AS $$
  SELECT coalesce(
    (SELECT j.user_id FROM public.jobs j WHERE j.id = p_job_id),
    (SELECT c.owner FROM sync.changes c
      WHERE c.row_id = p_job_id AND c.xid = pg_current_xact_id()
        AND c.table_name = 'jobs' AND c.op = 'DELETE'
      ORDER BY c.seq DESC LIMIT 1)
  )
$$;

CREATE OR REPLACE FUNCTION sync.log_change() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
  v_old_owner uuid;
  v_new_owner uuid;
BEGIN
  IF TG_TABLE_NAME = 'job_outputs' THEN
    IF TG_OP <> 'INSERT' THEN v_old_owner := sync.job_owner(OLD.job_id); END IF;
    IF TG_OP <> 'DELETE' THEN v_new_owner := sync.job_owner(NEW.job_id); END IF;
  ELSE
    IF TG_OP <> 'INSERT' THEN v_old_owner := OLD.user_id; END IF;
    IF TG_OP <> 'DELETE' THEN v_new_owner := NEW.user_id; END IF;
  END IF;

  IF TG_OP = 'DELETE' THEN
    INSERT INTO sync.changes (table_name, op, row_id, owner, "row")
    VALUES (TG_TABLE_NAME, 'DELETE', OLD.id, v_old_owner, to_jsonb(OLD));
    RETURN OLD;  -- ignored for AFTER triggers; the BEFORE DELETE trigger of jobs needs it
  END IF;

  IF TG_OP = 'UPDATE'
     AND (v_old_owner IS DISTINCT FROM v_new_owner OR OLD.id IS DISTINCT FROM NEW.id) THEN
    -- The old row leaves its previous owner's view (or its old id stops existing).
    INSERT INTO sync.changes (table_name, op, row_id, owner, "row")
    VALUES (TG_TABLE_NAME, 'DELETE', OLD.id, v_old_owner, to_jsonb(OLD));
  END IF;
  INSERT INTO sync.changes (table_name, op, row_id, owner, "row")
  VALUES (TG_TABLE_NAME, TG_OP, NEW.id, v_new_owner, to_jsonb(NEW));

  IF TG_TABLE_NAME = 'jobs' AND TG_OP = 'UPDATE' AND v_old_owner IS DISTINCT FROM v_new_owner THEN
    -- A job's outputs change owner with it.
    INSERT INTO sync.changes (table_name, op, row_id, owner, "row")
    SELECT 'job_outputs', 'DELETE', o.id, v_old_owner, to_jsonb(o)
      FROM public.job_outputs o WHERE o.job_id = NEW.id;
    INSERT INTO sync.changes (table_name, op, row_id, owner, "row")
    SELECT 'job_outputs', 'UPDATE', o.id, v_new_owner, to_jsonb(o)
      FROM public.job_outputs o WHERE o.job_id = NEW.id;
  END IF;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION sync.log_change(), sync.job_owner(uuid) FROM PUBLIC;

DO $triggers$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['profiles', 'job_outputs', 'canvas_threads', 'canvas_assets',
                           'canvas_conversations', 'canvas_messages', 'garment_cutouts']
  LOOP
    EXECUTE format(
      'CREATE TRIGGER sync_log AFTER INSERT OR UPDATE OR DELETE ON public.%I '
      'FOR EACH ROW EXECUTE FUNCTION sync.log_change()', t);
  END LOOP;
END
$triggers$;
-- jobs: inserts and updates after the fact; deletes BEFORE, so that the job's owner is on
-- record when the cascade deletes its outputs (see sync.job_owner).
CREATE TRIGGER sync_log AFTER INSERT OR UPDATE ON public.jobs
  FOR EACH ROW EXECUTE FUNCTION sync.log_change();
CREATE TRIGGER sync_log_delete BEFORE DELETE ON public.jobs
  FOR EACH ROW EXECUTE FUNCTION sync.log_change();

-- ---------------------------------------------------------------- cursors
CREATE OR REPLACE FUNCTION sync.format_cursor(p_xid xid8, p_seq bigint) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = ''
AS $$ SELECT 'v1.' || p_xid::text || '.' || p_seq::text $$;

-- ---------------------------------------------------------------- the pull
CREATE OR REPLACE FUNCTION public.sync_pull(p_cursor text DEFAULT NULL, p_limit int DEFAULT 1000)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = ''
AS $$
-- Changes of the caller's rows after p_cursor, at most p_limit log entries (1..5000).
-- Answer: {"changes": [{"table", "op": "upsert"|"delete", "id", "row": {...}|null, "owner",
--          "cursor"}...], "cursor": text, "has_more": bool, "resync_required": bool}.
-- "cursor" of a change is the position of its last entry in this page (a client may stop after
-- any change and resume from there); the top-level "cursor" is where to continue. With
-- resync_required, "changes" is empty and "cursor" is a fresh position to pull from after a
-- full resync (see the top of this file). STABLE: every statement below reads the snapshot of
-- the calling query, so xmin, the entries and the current rows agree.
DECLARE
  v_uid uuid := auth.uid();
  v_snapshot pg_snapshot := pg_current_snapshot();
  v_xmin xid8 := pg_snapshot_xmin(v_snapshot);
  v_head text := sync.format_cursor(pg_snapshot_xmin(v_snapshot), 0);
  v_match text[];
  v_xid xid8;
  v_seq bigint;
  v_mark sync.prune_marks%ROWTYPE;
  v_count int;
  v_last_xid xid8;
  v_last_seq bigint;
  v_changes jsonb;
  v_next text;
BEGIN
  IF v_uid IS NULL THEN
    RAISE EXCEPTION 'sync_pull needs a signed-in user'
      USING ERRCODE = '42501', HINT = 'Call it with a user''s access token.';
  END IF;
  IF p_limit IS NULL OR p_limit < 1 OR p_limit > 5000 THEN
    RAISE EXCEPTION 'p_limit must be between 1 and 5000, got %', coalesce(p_limit::text, 'null')
      USING ERRCODE = '22023';
  END IF;
  IF p_cursor IS NULL THEN
    -- A client with no cursor has no replica yet: it starts with a full resync.
    RETURN jsonb_build_object('changes', '[]'::jsonb, 'cursor', v_head,
                              'has_more', false, 'resync_required', true);
  END IF;
  v_match := regexp_match(p_cursor, '^v1\.([0-9]{1,20})\.([0-9]{1,19})$');
  IF v_match IS NULL THEN
    RAISE EXCEPTION 'invalid sync cursor: %', left(p_cursor, 60)
      USING ERRCODE = '22023',
            HINT = 'Pass a cursor returned by sync_pull, or null to start with a full resync.';
  END IF;
  -- xid8's input saturates instead of failing, so check the range first.
  IF v_match[1]::numeric > 18446744073709551615 OR v_match[2]::numeric > 9223372036854775807 THEN
    RAISE EXCEPTION 'invalid sync cursor: %', left(p_cursor, 60) USING ERRCODE = '22023';
  END IF;
  v_xid := v_match[1]::xid8;
  v_seq := v_match[2]::bigint;

  -- Too old (entries after it were pruned) or not from this database's history (ahead of every
  -- transaction id handed out so far): the replica cannot be brought up to date by changes.
  SELECT * INTO v_mark FROM sync.prune_marks m WHERE m.owner = v_uid;
  IF (FOUND AND (v_xid, v_seq) < (v_mark.xid, v_mark.seq))
     OR v_xid > pg_snapshot_xmax(v_snapshot) THEN
    RETURN jsonb_build_object('changes', '[]'::jsonb, 'cursor', v_head,
                              'has_more', false, 'resync_required', true);
  END IF;

  -- The page: entries of finished transactions only (xid < xmin), in (xid, seq) order; one
  -- more than asked, to know whether more follow. Then one change per row, at its last
  -- position, with the row as the caller sees it now (RLS applies: this runs as the caller).
  WITH page AS (
    SELECT c.xid, c.seq, c.table_name, c.row_id
      FROM sync.changes c
     WHERE c.owner = v_uid AND (c.xid, c.seq) > (v_xid, v_seq) AND c.xid < v_xmin
     ORDER BY c.xid, c.seq
     LIMIT p_limit + 1
  ), kept AS (
    SELECT p.* FROM page p ORDER BY p.xid, p.seq LIMIT p_limit
  ), latest AS (
    SELECT DISTINCT ON (k.table_name, k.row_id) k.*
      FROM kept k
     ORDER BY k.table_name, k.row_id, k.xid DESC, k.seq DESC
  ), resolved AS (
    SELECT l.*,
      CASE l.table_name
        WHEN 'profiles' THEN (SELECT to_jsonb(t) FROM public.profiles t WHERE t.id = l.row_id)
        WHEN 'jobs' THEN (SELECT to_jsonb(t) FROM public.jobs t WHERE t.id = l.row_id)
        WHEN 'job_outputs' THEN (SELECT to_jsonb(t) FROM public.job_outputs t WHERE t.id = l.row_id)
        WHEN 'canvas_threads' THEN (SELECT to_jsonb(t) FROM public.canvas_threads t WHERE t.id = l.row_id)
        WHEN 'canvas_assets' THEN (SELECT to_jsonb(t) FROM public.canvas_assets t WHERE t.id = l.row_id)
        WHEN 'canvas_conversations' THEN (SELECT to_jsonb(t) FROM public.canvas_conversations t WHERE t.id = l.row_id)
        WHEN 'canvas_messages' THEN (SELECT to_jsonb(t) FROM public.canvas_messages t WHERE t.id = l.row_id)
        WHEN 'garment_cutouts' THEN (SELECT to_jsonb(t) FROM public.garment_cutouts t WHERE t.id = l.row_id)
      END AS cur
    FROM latest l
  )
  SELECT
    (SELECT count(*) FROM page),
    (SELECT k.xid FROM kept k ORDER BY k.xid DESC, k.seq DESC LIMIT 1),
    (SELECT k.seq FROM kept k ORDER BY k.xid DESC, k.seq DESC LIMIT 1),
    coalesce((
      SELECT jsonb_agg(jsonb_build_object(
               'table', r.table_name,
               'op', CASE WHEN r.cur IS NULL THEN 'delete' ELSE 'upsert' END,
               'id', r.row_id,
               'row', r.cur,
               'owner', v_uid,
               'cursor', sync.format_cursor(r.xid, r.seq))
             ORDER BY r.xid, r.seq)
        FROM resolved r), '[]'::jsonb)
  INTO v_count, v_last_xid, v_last_seq, v_changes;

  IF v_count > p_limit THEN
    v_next := sync.format_cursor(v_last_xid, v_last_seq);
  ELSIF (v_xid, v_seq) > (v_xmin, 0::bigint) THEN
    -- Never move a cursor backwards (a snapshot from a lagging replica could have a lower xmin).
    v_next := sync.format_cursor(v_xid, v_seq);
  ELSE
    -- Everything below xmin is final and was returned: continue from xmin.
    v_next := v_head;
  END IF;
  RETURN jsonb_build_object('changes', v_changes, 'cursor', v_next,
                            'has_more', v_count > p_limit, 'resync_required', false);
END
$$;
COMMENT ON FUNCTION public.sync_pull(text, int) IS
  'Changes of the caller''s rows after a cursor (see supabase/migrations/*_sync.sql).';
REVOKE ALL ON FUNCTION public.sync_pull(text, int) FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION public.sync_pull(text, int) TO authenticated;
REVOKE ALL ON FUNCTION sync.format_cursor(xid8, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sync.format_cursor(xid8, bigint) TO authenticated, service_role;

-- ---------------------------------------------------------------- retention
CREATE OR REPLACE FUNCTION public.sync_prune(p_older_than interval) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
-- Deletes log entries written more than p_older_than ago (only of finished transactions) and
-- raises each affected owner's mark to the highest position deleted. Returns how many entries
-- were deleted. Run it as the service role, e.g. daily with pg_cron: sync_prune('30 days').
DECLARE
  v_deleted bigint;
BEGIN
  IF p_older_than IS NULL OR p_older_than < interval '0' THEN
    RAISE EXCEPTION 'p_older_than must be a positive interval, got %',
      coalesce(p_older_than::text, 'null') USING ERRCODE = '22023';
  END IF;
  WITH gone AS (
    DELETE FROM sync.changes c
     WHERE c.changed_at < now() - p_older_than
       AND c.xid < pg_snapshot_xmin(pg_current_snapshot())
    RETURNING c.owner, c.xid, c.seq
  ), marks AS (
    SELECT DISTINCT ON (g.owner) g.owner, g.xid, g.seq
      FROM gone g
     WHERE g.owner IS NOT NULL
     ORDER BY g.owner, g.xid DESC, g.seq DESC
  ), upserted AS (
    INSERT INTO sync.prune_marks AS m (owner, xid, seq)
    SELECT mk.owner, mk.xid, mk.seq FROM marks mk
    ON CONFLICT (owner) DO UPDATE
      SET xid = CASE WHEN (excluded.xid, excluded.seq) > (m.xid, m.seq)
                     THEN excluded.xid ELSE m.xid END,
          seq = CASE WHEN (excluded.xid, excluded.seq) > (m.xid, m.seq)
                     THEN excluded.seq ELSE m.seq END,
          pruned_at = now()
    RETURNING 1
  )
  SELECT count(*) INTO v_deleted FROM gone;
  RETURN v_deleted;
END
$$;
COMMENT ON FUNCTION public.sync_prune(interval) IS
  'Retention of the sync log (service role only); cursors below a pruned position must resync.';
REVOKE ALL ON FUNCTION public.sync_prune(interval) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION public.sync_prune(interval) TO service_role;
