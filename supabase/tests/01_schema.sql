-- pgTAP: the schema is the seed's ERD, RLS is on everywhere, keys and indexes exist.
-- Run: supabase test db (or pg_prove --ext .sql -r supabase/tests); everything is rolled back.
begin;
set local client_min_messages = warning;
create extension if not exists pgtap with schema extensions;

select plan(53);

-- The eight tables and their columns, in the ERD's order.
select has_table('public', 'profiles', 'profiles exists');
select has_table('public', 'jobs', 'jobs exists');
select has_table('public', 'job_outputs', 'job_outputs exists');
select has_table('public', 'canvas_threads', 'canvas_threads exists');
select has_table('public', 'canvas_assets', 'canvas_assets exists');
select has_table('public', 'canvas_conversations', 'canvas_conversations exists');
select has_table('public', 'canvas_messages', 'canvas_messages exists');
select has_table('public', 'garment_cutouts', 'garment_cutouts exists');

select columns_are('public', 'profiles', array['id', 'user_id', 'name', 'gender', 'skin_tone',
  'region', 'background', 'reference_image_path', 'created_at', 'updated_at']);
select columns_are('public', 'jobs', array['id', 'user_id', 'type', 'status', 'input_json',
  'provider_operation_id', 'error', 'created_at', 'updated_at']);
select columns_are('public', 'job_outputs', array['id', 'job_id', 'kind', 'angle', 'mime_type',
  'storage_path', 'width', 'height', 'created_at']);
select columns_are('public', 'canvas_threads', array['id', 'user_id', 'title',
  'base_storage_bucket', 'base_storage_path', 'source_job_id', 'created_at', 'updated_at']);
select columns_are('public', 'canvas_assets', array['id', 'thread_id', 'user_id', 'label',
  'source_job_id', 'source_output_id', 'base_storage_bucket', 'base_storage_path',
  'current_storage_bucket', 'current_storage_path', 'created_at', 'updated_at']);
select columns_are('public', 'canvas_conversations', array['id', 'thread_id', 'user_id', 'title',
  'created_at', 'updated_at']);
select columns_are('public', 'canvas_messages', array['id', 'thread_id', 'user_id',
  'conversation_id', 'asset_id', 'role', 'text', 'mask_storage_bucket', 'mask_storage_path',
  'output_job_id', 'output_storage_bucket', 'output_storage_path', 'created_at']);
select columns_are('public', 'garment_cutouts', array['id', 'user_id', 'source_hash',
  'source_kind', 'storage_bucket', 'storage_path', 'mime_type', 'created_at']);

-- Types the ERD names.
select col_type_is('public', 'jobs', 'input_json', 'jsonb', 'jobs.input_json is jsonb');
select col_type_is('public', 'job_outputs', 'width', 'integer', 'job_outputs.width is int');
select col_type_is('public', 'job_outputs', 'height', 'integer', 'job_outputs.height is int');
select col_type_is('public', 'canvas_messages', 'created_at', 'timestamp with time zone',
  'timestamps are timestamptz');
select col_type_is('public', 'canvas_assets', 'source_output_id', 'uuid', 'ids are uuid');

-- Primary keys with defaults, owners and the foreign keys the ERD draws.
select col_is_pk('public', 'jobs', 'id', 'jobs.id is the primary key');
select col_default_is('public', 'jobs', 'id', 'gen_random_uuid()', 'ids default to a random uuid');
select col_default_is('public', 'jobs', 'created_at', 'now()', 'created_at defaults to now()');
select fk_ok('public', 'job_outputs', 'job_id', 'public', 'jobs', 'id');
select fk_ok('public', 'canvas_threads', 'source_job_id', 'public', 'jobs', 'id');
select fk_ok('public', 'canvas_assets', 'thread_id', 'public', 'canvas_threads', 'id');
select fk_ok('public', 'canvas_assets', 'source_output_id', 'public', 'job_outputs', 'id');
select fk_ok('public', 'canvas_conversations', 'thread_id', 'public', 'canvas_threads', 'id');
select fk_ok('public', 'canvas_messages', 'conversation_id', 'public', 'canvas_conversations', 'id');
select fk_ok('public', 'canvas_messages', 'asset_id', 'public', 'canvas_assets', 'id');
select fk_ok('public', 'canvas_messages', 'output_job_id', 'public', 'jobs', 'id');
select fk_ok('public', 'jobs', 'user_id', 'auth', 'users', 'id');

-- RLS is enabled on every table (and on the change log).
select ok((select relrowsecurity from pg_class where oid = 'public.profiles'::regclass), 'RLS on profiles');
select ok((select relrowsecurity from pg_class where oid = 'public.jobs'::regclass), 'RLS on jobs');
select ok((select relrowsecurity from pg_class where oid = 'public.job_outputs'::regclass), 'RLS on job_outputs');
select ok((select relrowsecurity from pg_class where oid = 'public.canvas_threads'::regclass), 'RLS on canvas_threads');
select ok((select relrowsecurity from pg_class where oid = 'public.canvas_assets'::regclass), 'RLS on canvas_assets');
select ok((select relrowsecurity from pg_class where oid = 'public.canvas_conversations'::regclass), 'RLS on canvas_conversations');
select ok((select relrowsecurity from pg_class where oid = 'public.canvas_messages'::regclass), 'RLS on canvas_messages');
select ok((select relrowsecurity from pg_class where oid = 'public.garment_cutouts'::regclass), 'RLS on garment_cutouts');
select ok((select relrowsecurity from pg_class where oid = 'sync.changes'::regclass), 'RLS on sync.changes');

select policies_are('public', 'jobs',
  array['own rows: select', 'own rows: insert', 'own rows: update', 'own rows: delete'],
  'jobs has exactly the four ownership policies');
select policy_roles_are('public', 'jobs', 'own rows: select', array['authenticated'],
  'policies apply to authenticated only');
select policies_are('public', 'job_outputs',
  array['outputs of own jobs: select', 'outputs of own jobs: insert',
        'outputs of own jobs: update', 'outputs of own jobs: delete']);

-- anon holds no privilege on the app tables; authenticated has plain CRUD.
select table_privs_are('public', 'jobs', 'anon', array[]::text[], 'anon has no privilege on jobs');
select table_privs_are('public', 'canvas_messages', 'anon', array[]::text[],
  'anon has no privilege on canvas_messages');
select table_privs_are('public', 'jobs', 'authenticated',
  array['SELECT', 'INSERT', 'UPDATE', 'DELETE'], 'authenticated has CRUD on jobs');

-- The cutout cache key, and the feed index.
select index_is_unique('public', 'garment_cutouts', 'garment_cutouts_cache_key',
  'one cutout per user, source hash and kind');
select has_index('public', 'jobs', 'jobs_user_feed_idx', array['user_id', 'created_at', 'id'],
  'the history feed is index-backed');

-- The sync RPCs.
select has_function('public', 'sync_pull', array['text', 'integer'], 'sync_pull(text, int) exists');
select has_function('public', 'sync_prune', array['interval'], 'sync_prune(interval) exists');
select trigger_is('public', 'jobs', 'sync_log_delete', 'sync', 'log_change',
  'job deletions are logged by a BEFORE DELETE trigger');

select * from finish();
rollback;
