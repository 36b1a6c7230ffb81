-- The eight tables of the studio (seed document's ERD), their keys, indexes and updated_at.
--
-- Column names, order and types follow the ERD exactly. Ids are uuid primary keys with a
-- server default, but the desktop creates rows with its own client-generated ids (replays of an
-- offline outbox must be idempotent), so every default can be overridden.
--
-- Enumerated columns (jobs.type, jobs.status, job_outputs.kind/angle, canvas_messages.role,
-- garment_cutouts.source_kind) stay plain text WITHOUT check constraints: the web app and newer
-- desktops may add values (a new job type, a new output kind), and an old server schema must not
-- reject them. Only facts that can never change are checked (an image size is positive).
--
-- ON DELETE rules, in one place:
--   * every user_id -> auth.users: CASCADE. Deleting an account deletes all of its data.
--   * job_outputs.job_id -> jobs: CASCADE. Outputs are the job's results; without the job
--     they mean nothing (the history feed groups them under it).
--   * canvas_threads.source_job_id -> jobs: SET NULL. A creation is the user's own work; it
--     outlives the history entry it started from.
--   * canvas_assets.thread_id, canvas_conversations.thread_id, canvas_messages.thread_id ->
--     canvas_threads: CASCADE. They are parts of the creation.
--   * canvas_messages.conversation_id -> canvas_conversations: CASCADE. A message belongs to
--     its chat; deleting the chat deletes its messages.
--   * canvas_assets.source_job_id -> jobs, canvas_assets.source_output_id -> job_outputs:
--     SET NULL. The asset keeps its own base/current image paths, so it stays usable.
--   * canvas_messages.asset_id -> canvas_assets, canvas_messages.output_job_id -> jobs:
--     SET NULL. The conversation stays readable; only the link is cleared.

-- ---------------------------------------------------------------- updated_at
CREATE OR REPLACE FUNCTION public.set_updated_at() RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION public.set_updated_at() IS
  'BEFORE UPDATE trigger: updated_at is the time of the transaction that last changed the row.';
REVOKE ALL ON FUNCTION public.set_updated_at() FROM PUBLIC, anon, authenticated;

-- ---------------------------------------------------------------- profiles
CREATE TABLE public.profiles (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  name text NOT NULL,
  gender text,
  skin_tone text,
  region text,
  background text,
  -- Path in the Storage bucket "profiles": '<user id>/...'.
  reference_image_path text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.profiles IS 'Model profiles: identity/style settings and a reference image.';

-- ---------------------------------------------------------------- jobs
CREATE TABLE public.jobs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  type text NOT NULL,
  status text NOT NULL DEFAULT 'queued',
  input_json jsonb NOT NULL DEFAULT '{}'::jsonb,
  provider_operation_id text,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.jobs IS 'Generation/edit jobs: the unified history feed.';

-- ---------------------------------------------------------------- job_outputs
CREATE TABLE public.job_outputs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  job_id uuid NOT NULL REFERENCES public.jobs (id) ON DELETE CASCADE,
  kind text NOT NULL DEFAULT 'image',
  angle text,
  mime_type text,
  storage_path text,
  width int CHECK (width IS NULL OR width > 0),
  height int CHECK (height IS NULL OR height > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.job_outputs IS
  'Outputs of a job. No user_id: owned through jobs.user_id (RLS joins).';

-- ---------------------------------------------------------------- canvas_threads
CREATE TABLE public.canvas_threads (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  title text,
  base_storage_bucket text,
  base_storage_path text,
  source_job_id uuid REFERENCES public.jobs (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.canvas_threads IS 'Magic Canvas creations (usually one per source job).';

-- ---------------------------------------------------------------- canvas_assets
CREATE TABLE public.canvas_assets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  thread_id uuid NOT NULL REFERENCES public.canvas_threads (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  label text,
  source_job_id uuid REFERENCES public.jobs (id) ON DELETE SET NULL,
  source_output_id uuid REFERENCES public.job_outputs (id) ON DELETE SET NULL,
  base_storage_bucket text,
  base_storage_path text,
  current_storage_bucket text,
  current_storage_path text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.canvas_assets IS
  'Images inside a creation; current_storage_* is the latest version, base_storage_* the original.';

-- ---------------------------------------------------------------- canvas_conversations
CREATE TABLE public.canvas_conversations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  thread_id uuid NOT NULL REFERENCES public.canvas_threads (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  title text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.canvas_conversations IS 'Chats inside a creation.';

-- ---------------------------------------------------------------- canvas_messages
CREATE TABLE public.canvas_messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  thread_id uuid NOT NULL REFERENCES public.canvas_threads (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  conversation_id uuid REFERENCES public.canvas_conversations (id) ON DELETE CASCADE,
  asset_id uuid REFERENCES public.canvas_assets (id) ON DELETE SET NULL,
  role text NOT NULL DEFAULT 'user',
  text text,
  mask_storage_bucket text,
  mask_storage_path text,
  output_job_id uuid REFERENCES public.jobs (id) ON DELETE SET NULL,
  output_storage_bucket text,
  output_storage_path text,
  created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.canvas_messages IS
  'Chat messages: user edit instructions (optional mask) and assistant results (output image).';

-- ---------------------------------------------------------------- garment_cutouts
CREATE TABLE public.garment_cutouts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  source_hash text NOT NULL CHECK (source_hash <> ''),
  source_kind text NOT NULL,
  storage_bucket text NOT NULL DEFAULT 'extractions',
  storage_path text NOT NULL,
  mime_type text NOT NULL DEFAULT 'image/png',
  created_at timestamptz NOT NULL DEFAULT now(),
  -- The cache key of the seed document: one cutout per user, source image and side.
  CONSTRAINT garment_cutouts_cache_key UNIQUE (user_id, source_hash, source_kind)
);
COMMENT ON TABLE public.garment_cutouts IS
  'Cache of transparent garment cutouts, keyed by user + source hash + kind (front/back).';

-- ---------------------------------------------------------------- indexes
-- Per-user feeds, newest first with the id as tie-breaker: ORDER BY created_at DESC, id.
CREATE INDEX profiles_user_feed_idx ON public.profiles (user_id, created_at DESC, id);
CREATE INDEX jobs_user_feed_idx ON public.jobs (user_id, created_at DESC, id);
CREATE INDEX canvas_threads_user_feed_idx ON public.canvas_threads (user_id, created_at DESC, id);
CREATE INDEX garment_cutouts_user_feed_idx ON public.garment_cutouts (user_id, created_at DESC, id);
CREATE INDEX canvas_assets_user_feed_idx ON public.canvas_assets (user_id, created_at DESC, id);
CREATE INDEX canvas_conversations_user_feed_idx
  ON public.canvas_conversations (user_id, created_at DESC, id);
CREATE INDEX canvas_messages_user_feed_idx ON public.canvas_messages (user_id, created_at DESC, id);

-- Full resync: keyset paging per user by (updated_at, id) on the tables that have updated_at
-- (the others page by the created_at feed indexes above, scanned in either direction).
CREATE INDEX profiles_user_updated_idx ON public.profiles (user_id, updated_at, id);
CREATE INDEX jobs_user_updated_idx ON public.jobs (user_id, updated_at, id);
CREATE INDEX canvas_threads_user_updated_idx ON public.canvas_threads (user_id, updated_at, id);
CREATE INDEX canvas_assets_user_updated_idx ON public.canvas_assets (user_id, updated_at, id);
CREATE INDEX canvas_conversations_user_updated_idx
  ON public.canvas_conversations (user_id, updated_at, id);

-- Foreign-key lookups (and the cascades / SET NULLs, which would otherwise scan).
CREATE INDEX job_outputs_job_idx ON public.job_outputs (job_id, created_at, id);
CREATE INDEX canvas_threads_source_job_idx ON public.canvas_threads (source_job_id);
CREATE INDEX canvas_assets_thread_idx ON public.canvas_assets (thread_id, created_at, id);
CREATE INDEX canvas_assets_source_job_idx ON public.canvas_assets (source_job_id);
CREATE INDEX canvas_assets_source_output_idx ON public.canvas_assets (source_output_id);
CREATE INDEX canvas_conversations_thread_idx
  ON public.canvas_conversations (thread_id, created_at, id);
-- A chat is read in order: messages of a thread / conversation by (created_at, id).
CREATE INDEX canvas_messages_thread_idx ON public.canvas_messages (thread_id, created_at, id);
CREATE INDEX canvas_messages_conversation_idx
  ON public.canvas_messages (conversation_id, created_at, id);
CREATE INDEX canvas_messages_asset_idx ON public.canvas_messages (asset_id);
CREATE INDEX canvas_messages_output_job_idx ON public.canvas_messages (output_job_id);

-- ---------------------------------------------------------------- updated_at triggers
CREATE TRIGGER set_updated_at BEFORE UPDATE ON public.profiles
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER set_updated_at BEFORE UPDATE ON public.jobs
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER set_updated_at BEFORE UPDATE ON public.canvas_threads
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER set_updated_at BEFORE UPDATE ON public.canvas_assets
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER set_updated_at BEFORE UPDATE ON public.canvas_conversations
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
