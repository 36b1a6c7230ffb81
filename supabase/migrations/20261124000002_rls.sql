-- Row level security for the eight tables, and what each API role may touch at all.
--
-- The seed's expectations: a signed-in user selects/inserts/updates/deletes only their own rows
-- (user_id = auth.uid()); job_outputs has no user_id and is protected through jobs.user_id;
-- and a row may only point at parents that its owner owns: foreign keys are checked by
-- Postgres without RLS, so without the WITH CHECK clauses below a user who knows another
-- user's thread id could attach a message to it. The anon role sees and changes nothing: it has
-- no privilege on these tables at all (and no policy), so every attempt is refused.
--
-- auth.uid() is wrapped in a sub-select, as Supabase recommends, so that Postgres evaluates it
-- once per statement instead of once per row.

-- ---------------------------------------------------------------- privileges
-- Supabase's default privileges give anon and authenticated ALL on new tables in public;
-- narrow them: anon nothing, authenticated plain CRUD (no TRUNCATE, REFERENCES, TRIGGER).
DO $grants$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['profiles', 'jobs', 'job_outputs', 'canvas_threads', 'canvas_assets',
                           'canvas_conversations', 'canvas_messages', 'garment_cutouts']
  LOOP
    EXECUTE format('REVOKE ALL ON public.%I FROM anon, authenticated', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON public.%I TO authenticated', t);
    EXECUTE format('GRANT ALL ON public.%I TO service_role', t);
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', t);
  END LOOP;
END
$grants$;

-- ---------------------------------------------------------------- ownership helpers
-- Each answers "does the signed-in user own this parent?" for a WITH CHECK clause. NULL (no
-- parent) is allowed: the column is optional. They run as the caller (SECURITY INVOKER), so
-- the parent is also only visible through its own RLS policy.
CREATE OR REPLACE FUNCTION public.owns_job(p_job_id uuid) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = ''
AS $$
  SELECT p_job_id IS NULL OR EXISTS (
    SELECT 1 FROM public.jobs j WHERE j.id = p_job_id AND j.user_id = (SELECT auth.uid())
  )
$$;

CREATE OR REPLACE FUNCTION public.owns_job_output(p_output_id uuid) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = ''
AS $$
  SELECT p_output_id IS NULL OR EXISTS (
    SELECT 1 FROM public.job_outputs o JOIN public.jobs j ON j.id = o.job_id
    WHERE o.id = p_output_id AND j.user_id = (SELECT auth.uid())
  )
$$;

CREATE OR REPLACE FUNCTION public.owns_canvas_thread(p_thread_id uuid) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = ''
AS $$
  SELECT p_thread_id IS NULL OR EXISTS (
    SELECT 1 FROM public.canvas_threads t
    WHERE t.id = p_thread_id AND t.user_id = (SELECT auth.uid())
  )
$$;

CREATE OR REPLACE FUNCTION public.owns_canvas_asset(p_asset_id uuid) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = ''
AS $$
  SELECT p_asset_id IS NULL OR EXISTS (
    SELECT 1 FROM public.canvas_assets a
    WHERE a.id = p_asset_id AND a.user_id = (SELECT auth.uid())
  )
$$;

CREATE OR REPLACE FUNCTION public.owns_canvas_conversation(p_conversation_id uuid) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = ''
AS $$
  SELECT p_conversation_id IS NULL OR EXISTS (
    SELECT 1 FROM public.canvas_conversations c
    WHERE c.id = p_conversation_id AND c.user_id = (SELECT auth.uid())
  )
$$;

-- Only policies call these; they are no API of their own (PostgREST would expose them as RPC).
REVOKE ALL ON FUNCTION public.owns_job(uuid), public.owns_job_output(uuid),
  public.owns_canvas_thread(uuid), public.owns_canvas_asset(uuid),
  public.owns_canvas_conversation(uuid) FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION public.owns_job(uuid), public.owns_job_output(uuid),
  public.owns_canvas_thread(uuid), public.owns_canvas_asset(uuid),
  public.owns_canvas_conversation(uuid) TO authenticated, service_role;

-- ---------------------------------------------------------------- tables owned by user_id
-- profiles, jobs, garment_cutouts: no parents besides the user.
CREATE POLICY "own rows: select" ON public.profiles FOR SELECT TO authenticated
  USING (user_id = (SELECT auth.uid()));
CREATE POLICY "own rows: insert" ON public.profiles FOR INSERT TO authenticated
  WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY "own rows: update" ON public.profiles FOR UPDATE TO authenticated
  USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY "own rows: delete" ON public.profiles FOR DELETE TO authenticated
  USING (user_id = (SELECT auth.uid()));

CREATE POLICY "own rows: select" ON public.jobs FOR SELECT TO authenticated
  USING (user_id = (SELECT auth.uid()));
CREATE POLICY "own rows: insert" ON public.jobs FOR INSERT TO authenticated
  WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY "own rows: update" ON public.jobs FOR UPDATE TO authenticated
  USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY "own rows: delete" ON public.jobs FOR DELETE TO authenticated
  USING (user_id = (SELECT auth.uid()));

CREATE POLICY "own rows: select" ON public.garment_cutouts FOR SELECT TO authenticated
  USING (user_id = (SELECT auth.uid()));
CREATE POLICY "own rows: insert" ON public.garment_cutouts FOR INSERT TO authenticated
  WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY "own rows: update" ON public.garment_cutouts FOR UPDATE TO authenticated
  USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY "own rows: delete" ON public.garment_cutouts FOR DELETE TO authenticated
  USING (user_id = (SELECT auth.uid()));

-- ---------------------------------------------------------------- job_outputs (through jobs)
-- USING as a semi-join on the caller's jobs (one index scan per statement, not one per row).
CREATE POLICY "outputs of own jobs: select" ON public.job_outputs FOR SELECT TO authenticated
  USING (job_id IN (SELECT j.id FROM public.jobs j WHERE j.user_id = (SELECT auth.uid())));
CREATE POLICY "outputs of own jobs: insert" ON public.job_outputs FOR INSERT TO authenticated
  WITH CHECK (job_id IS NOT NULL AND public.owns_job(job_id));
CREATE POLICY "outputs of own jobs: update" ON public.job_outputs FOR UPDATE TO authenticated
  USING (job_id IN (SELECT j.id FROM public.jobs j WHERE j.user_id = (SELECT auth.uid())))
  WITH CHECK (job_id IS NOT NULL AND public.owns_job(job_id));
CREATE POLICY "outputs of own jobs: delete" ON public.job_outputs FOR DELETE TO authenticated
  USING (job_id IN (SELECT j.id FROM public.jobs j WHERE j.user_id = (SELECT auth.uid())));

-- ---------------------------------------------------------------- canvas_threads
CREATE POLICY "own rows: select" ON public.canvas_threads FOR SELECT TO authenticated
  USING (user_id = (SELECT auth.uid()));
CREATE POLICY "own rows, own parents: insert" ON public.canvas_threads FOR INSERT TO authenticated
  WITH CHECK (user_id = (SELECT auth.uid()) AND public.owns_job(source_job_id));
CREATE POLICY "own rows, own parents: update" ON public.canvas_threads FOR UPDATE TO authenticated
  USING (user_id = (SELECT auth.uid()))
  WITH CHECK (user_id = (SELECT auth.uid()) AND public.owns_job(source_job_id));
CREATE POLICY "own rows: delete" ON public.canvas_threads FOR DELETE TO authenticated
  USING (user_id = (SELECT auth.uid()));

-- ---------------------------------------------------------------- canvas_assets
CREATE POLICY "own rows: select" ON public.canvas_assets FOR SELECT TO authenticated
  USING (user_id = (SELECT auth.uid()));
CREATE POLICY "own rows, own parents: insert" ON public.canvas_assets FOR INSERT TO authenticated
  WITH CHECK (
    user_id = (SELECT auth.uid())
    AND thread_id IS NOT NULL AND public.owns_canvas_thread(thread_id)
    AND public.owns_job(source_job_id)
    AND public.owns_job_output(source_output_id)
  );
CREATE POLICY "own rows, own parents: update" ON public.canvas_assets FOR UPDATE TO authenticated
  USING (user_id = (SELECT auth.uid()))
  WITH CHECK (
    user_id = (SELECT auth.uid())
    AND thread_id IS NOT NULL AND public.owns_canvas_thread(thread_id)
    AND public.owns_job(source_job_id)
    AND public.owns_job_output(source_output_id)
  );
CREATE POLICY "own rows: delete" ON public.canvas_assets FOR DELETE TO authenticated
  USING (user_id = (SELECT auth.uid()));

-- ---------------------------------------------------------------- canvas_conversations
CREATE POLICY "own rows: select" ON public.canvas_conversations FOR SELECT TO authenticated
  USING (user_id = (SELECT auth.uid()));
CREATE POLICY "own rows, own parents: insert" ON public.canvas_conversations
  FOR INSERT TO authenticated
  WITH CHECK (
    user_id = (SELECT auth.uid())
    AND thread_id IS NOT NULL AND public.owns_canvas_thread(thread_id)
  );
CREATE POLICY "own rows, own parents: update" ON public.canvas_conversations
  FOR UPDATE TO authenticated
  USING (user_id = (SELECT auth.uid()))
  WITH CHECK (
    user_id = (SELECT auth.uid())
    AND thread_id IS NOT NULL AND public.owns_canvas_thread(thread_id)
  );
CREATE POLICY "own rows: delete" ON public.canvas_conversations FOR DELETE TO authenticated
  USING (user_id = (SELECT auth.uid()));

-- ---------------------------------------------------------------- canvas_messages
CREATE POLICY "own rows: select" ON public.canvas_messages FOR SELECT TO authenticated
  USING (user_id = (SELECT auth.uid()));
CREATE POLICY "own rows, own parents: insert" ON public.canvas_messages
  FOR INSERT TO authenticated
  WITH CHECK (
    user_id = (SELECT auth.uid())
    AND thread_id IS NOT NULL AND public.owns_canvas_thread(thread_id)
    AND public.owns_canvas_conversation(conversation_id)
    AND public.owns_canvas_asset(asset_id)
    AND public.owns_job(output_job_id)
  );
CREATE POLICY "own rows, own parents: update" ON public.canvas_messages
  FOR UPDATE TO authenticated
  USING (user_id = (SELECT auth.uid()))
  WITH CHECK (
    user_id = (SELECT auth.uid())
    AND thread_id IS NOT NULL AND public.owns_canvas_thread(thread_id)
    AND public.owns_canvas_conversation(conversation_id)
    AND public.owns_canvas_asset(asset_id)
    AND public.owns_job(output_job_id)
  );
CREATE POLICY "own rows: delete" ON public.canvas_messages FOR DELETE TO authenticated
  USING (user_id = (SELECT auth.uid()));
