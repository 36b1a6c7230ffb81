-- pgTAP: row level security of the eight tables, as PostgREST runs a request
-- (SET ROLE + request.jwt.claims). User A owns one row in every table; B and anon try.
begin;
set local client_min_messages = warning;
create extension if not exists pgtap with schema extensions;

select plan(45);

insert into auth.users (id, aud, role, email) values
  ('11111111-1111-4111-8111-111111111111', 'authenticated', 'authenticated', 'a@example.test'),
  ('22222222-2222-4222-8222-222222222222', 'authenticated', 'authenticated', 'b@example.test');

-- A's world (as the superuser: fixture data).
insert into public.profiles (id, user_id, name)
  values ('a0000000-0000-4000-8000-000000000007', '11111111-1111-4111-8111-111111111111', 'Mia');
insert into public.jobs (id, user_id, type)
  values ('a0000000-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'product_pack');
insert into public.job_outputs (id, job_id)
  values ('a0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001');
insert into public.canvas_threads (id, user_id, source_job_id)
  values ('a0000000-0000-4000-8000-000000000003', '11111111-1111-4111-8111-111111111111',
          'a0000000-0000-4000-8000-000000000001');
insert into public.canvas_assets (id, thread_id, user_id, source_output_id)
  values ('a0000000-0000-4000-8000-000000000004', 'a0000000-0000-4000-8000-000000000003',
          '11111111-1111-4111-8111-111111111111', 'a0000000-0000-4000-8000-000000000002');
insert into public.canvas_conversations (id, thread_id, user_id)
  values ('a0000000-0000-4000-8000-000000000005', 'a0000000-0000-4000-8000-000000000003',
          '11111111-1111-4111-8111-111111111111');
insert into public.canvas_messages (id, thread_id, user_id, conversation_id, text)
  values ('a0000000-0000-4000-8000-000000000006', 'a0000000-0000-4000-8000-000000000003',
          '11111111-1111-4111-8111-111111111111', 'a0000000-0000-4000-8000-000000000005', 'hi');
insert into public.garment_cutouts (id, user_id, source_hash, source_kind, storage_path)
  values ('a0000000-0000-4000-8000-000000000008', '11111111-1111-4111-8111-111111111111',
          'abc', 'front', '11111111-1111-4111-8111-111111111111/cutouts/abc-front.png');
-- B's own thread, to attach things to.
insert into public.canvas_threads (id, user_id)
  values ('b0000000-0000-4000-8000-000000000003', '22222222-2222-4222-8222-222222222222');

-- ------------------------------------------------------------ as B
select set_config('role', 'authenticated', true),
       set_config('request.jwt.claims',
                  '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}', true);

select is(auth.uid(), '22222222-2222-4222-8222-222222222222'::uuid, 'acting as B');
select is_empty($$ select id from public.profiles $$, 'B reads no profile of A');
select is_empty($$ select id from public.jobs $$, 'B reads no job of A');
select is_empty($$ select id from public.job_outputs $$, 'B reads no output of A''s jobs');
select is_empty($$ select id from public.canvas_threads where user_id <> auth.uid() $$, 'B reads no thread of A');
select is_empty($$ select id from public.canvas_assets $$, 'B reads no asset of A');
select is_empty($$ select id from public.canvas_conversations $$, 'B reads no conversation of A');
select is_empty($$ select id from public.canvas_messages $$, 'B reads no message of A');
select is_empty($$ select id from public.garment_cutouts $$, 'B reads no cutout of A');

select is_empty($$ update public.jobs set status = 'x' returning id $$, 'B updates no job of A');
select is_empty($$ update public.job_outputs set kind = 'x' returning id $$, 'B updates no output of A');
select is_empty($$ update public.profiles set name = 'x' returning id $$, 'B updates no profile of A');
select is_empty($$ update public.canvas_messages set text = 'x' returning id $$, 'B updates no message of A');
select is_empty($$ delete from public.jobs returning id $$, 'B deletes no job of A');
select is_empty($$ delete from public.job_outputs returning id $$, 'B deletes no output of A');
select is_empty($$ delete from public.canvas_assets returning id $$, 'B deletes no asset of A');
select is_empty($$ delete from public.garment_cutouts returning id $$, 'B deletes no cutout of A');

select throws_ok(
  $$ insert into public.jobs (user_id, type) values ('11111111-1111-4111-8111-111111111111', 'x') $$,
  '42501', 'new row violates row-level security policy for table "jobs"',
  'B cannot create a job in A''s name');
select throws_ok(
  $$ insert into public.job_outputs (job_id) values ('a0000000-0000-4000-8000-000000000001') $$,
  '42501', 'new row violates row-level security policy for table "job_outputs"',
  'B cannot add an output to A''s job');
select throws_ok(
  $$ insert into public.canvas_messages (thread_id, user_id, text)
     values ('a0000000-0000-4000-8000-000000000003', auth.uid(), 'hi') $$,
  '42501', 'new row violates row-level security policy for table "canvas_messages"',
  'B cannot post a message into A''s thread');
select throws_ok(
  $$ insert into public.canvas_messages (thread_id, user_id, conversation_id)
     values ('b0000000-0000-4000-8000-000000000003', auth.uid(), 'a0000000-0000-4000-8000-000000000005') $$,
  '42501', null, 'B cannot post into A''s conversation');
select throws_ok(
  $$ insert into public.canvas_assets (thread_id, user_id, source_output_id)
     values ('b0000000-0000-4000-8000-000000000003', auth.uid(), 'a0000000-0000-4000-8000-000000000002') $$,
  '42501', null, 'B cannot make an asset from A''s output');
select throws_ok(
  $$ insert into public.canvas_threads (user_id, source_job_id)
     values (auth.uid(), 'a0000000-0000-4000-8000-000000000001') $$,
  '42501', null, 'B cannot start a creation from A''s job');
select throws_ok(
  $$ insert into public.canvas_conversations (thread_id, user_id)
     values ('a0000000-0000-4000-8000-000000000003', auth.uid()) $$,
  '42501', null, 'B cannot open a chat in A''s thread');
select throws_ok(
  $$ update public.canvas_threads set user_id = '11111111-1111-4111-8111-111111111111'
     where id = 'b0000000-0000-4000-8000-000000000003' $$,
  '42501', null, 'B cannot hand its thread to A');
select lives_ok(
  $$ insert into public.canvas_messages (thread_id, user_id, text)
     values ('b0000000-0000-4000-8000-000000000003', auth.uid(), 'mine') $$,
  'B can post into its own thread');
select lives_ok(
  $$ insert into public.jobs (user_id, type) values (auth.uid(), 'canvas_edit') $$,
  'B can create its own job');

-- ------------------------------------------------------------ as anon
select set_config('role', 'anon', true),
       set_config('request.jwt.claims', '{"role":"anon"}', true);
select is(auth.uid(), null, 'acting as anon');
select throws_ok($$ select id from public.profiles $$, '42501', 'permission denied for table profiles', 'anon cannot read profiles');
select throws_ok($$ select id from public.jobs $$, '42501', 'permission denied for table jobs', 'anon cannot read jobs');
select throws_ok($$ select id from public.job_outputs $$, '42501', 'permission denied for table job_outputs', 'anon cannot read job_outputs');
select throws_ok($$ select id from public.canvas_threads $$, '42501', 'permission denied for table canvas_threads', 'anon cannot read canvas_threads');
select throws_ok($$ select id from public.canvas_assets $$, '42501', 'permission denied for table canvas_assets', 'anon cannot read canvas_assets');
select throws_ok($$ select id from public.canvas_conversations $$, '42501', 'permission denied for table canvas_conversations', 'anon cannot read canvas_conversations');
select throws_ok($$ select id from public.canvas_messages $$, '42501', 'permission denied for table canvas_messages', 'anon cannot read canvas_messages');
select throws_ok($$ select id from public.garment_cutouts $$, '42501', 'permission denied for table garment_cutouts', 'anon cannot read garment_cutouts');
select throws_ok($$ insert into public.jobs (user_id, type) values ('11111111-1111-4111-8111-111111111111', 'x') $$,
  '42501', null, 'anon cannot insert');
select throws_ok($$ delete from public.jobs $$, '42501', null, 'anon cannot delete');
select throws_ok($$ select public.sync_pull('v1.0.0', 10) $$, '42501', null, 'anon cannot pull changes');

-- ------------------------------------------------------------ as A
select set_config('role', 'authenticated', true),
       set_config('request.jwt.claims',
                  '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}', true);
select results_eq($$ select count(*)::int from public.jobs $$, array[1], 'A sees its one job');
select results_eq($$ select id from public.job_outputs $$,
  array['a0000000-0000-4000-8000-000000000002'::uuid], 'A sees its job''s output');
select results_eq($$ update public.canvas_messages set text = 'edited' returning text $$,
  array['edited'], 'A edits its message');
select lives_ok($$ insert into public.job_outputs (job_id) values ('a0000000-0000-4000-8000-000000000001') $$,
  'A adds an output to its own job');
select results_eq($$ delete from public.jobs returning id $$,
  array['a0000000-0000-4000-8000-000000000001'::uuid], 'A deletes its job');

reset role;
select results_eq($$ select count(*)::int from public.jobs $$, array[1],
  'only B''s job is left: B''s attempts changed nothing of A''s, A''s own delete went through');

select * from finish();
rollback;
