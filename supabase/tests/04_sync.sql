-- pgTAP: the change log records every change with its owner, and only the owner reads it.
begin;
set local client_min_messages = warning;
create extension if not exists pgtap with schema extensions;

select plan(14);

insert into auth.users (id, aud, role, email) values
  ('11111111-1111-4111-8111-111111111111', 'authenticated', 'authenticated', 'a@example.test'),
  ('22222222-2222-4222-8222-222222222222', 'authenticated', 'authenticated', 'b@example.test');

select set_config('role', 'authenticated', true),
       set_config('request.jwt.claims',
                  '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}', true);
insert into public.jobs (id, user_id, type)
  values ('a0000000-0000-4000-8000-000000000001', auth.uid(), 'product_pack');
insert into public.job_outputs (id, job_id)
  values ('a0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001');
update public.jobs set status = 'succeeded' where id = 'a0000000-0000-4000-8000-000000000001';

select results_eq(
  $$ select table_name, op, row_id, owner from sync.changes order by xid, seq $$,
  $$ values ('jobs', 'INSERT', 'a0000000-0000-4000-8000-000000000001'::uuid, '11111111-1111-4111-8111-111111111111'::uuid),
            ('job_outputs', 'INSERT', 'a0000000-0000-4000-8000-000000000002'::uuid, '11111111-1111-4111-8111-111111111111'::uuid),
            ('jobs', 'UPDATE', 'a0000000-0000-4000-8000-000000000001'::uuid, '11111111-1111-4111-8111-111111111111'::uuid) $$,
  'inserts and updates are logged in order, outputs with their job''s owner');
select is((select "row" ->> 'status' from sync.changes where op = 'UPDATE'), 'succeeded',
  'the entry carries the new row');
select is((select count(distinct xid)::int from sync.changes), 1, 'one transaction, one xid');
select ok((select bool_and(xid = pg_current_xact_id()) from sync.changes),
  'entries carry the writing transaction''s id');

-- The pull only returns entries of finished transactions: this one is still running.
select is(public.sync_pull('v1.0.0', 100) -> 'changes', '[]'::jsonb,
  'a running transaction''s changes are not pulled yet');
select is((public.sync_pull(null, 100) ->> 'resync_required')::boolean, true,
  'no cursor means: start with a full resync');
select throws_ok($$ select public.sync_pull('garbage', 100) $$, '22023', null,
  'a malformed cursor is refused');
select throws_ok(
  $$ insert into sync.changes (table_name, op, row_id, owner, "row")
     values ('jobs', 'DELETE', gen_random_uuid(), auth.uid(), '{}') $$,
  '42501', null, 'users cannot write the log');

delete from public.jobs where id = 'a0000000-0000-4000-8000-000000000001';
select results_eq(
  $$ select table_name, op, owner from sync.changes where op = 'DELETE' order by seq $$,
  $$ values ('jobs', 'DELETE', '11111111-1111-4111-8111-111111111111'::uuid),
            ('job_outputs', 'DELETE', '11111111-1111-4111-8111-111111111111'::uuid) $$,
  'deleting a job logs the cascaded deletion of its output, with the owner');

-- ------------------------------------------------------------ B
select set_config('role', 'authenticated', true),
       set_config('request.jwt.claims',
                  '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}', true);
select is_empty($$ select seq from sync.changes $$, 'B reads none of A''s entries');
select is_empty($$ select owner from sync.prune_marks $$, 'B reads no mark of A');

-- ------------------------------------------------------------ anon and retention rights
select set_config('role', 'anon', true), set_config('request.jwt.claims', '{"role":"anon"}', true);
select throws_ok($$ select seq from sync.changes $$, '42501', null, 'anon cannot read the log');
select set_config('role', 'authenticated', true);
select throws_ok($$ select public.sync_prune('1 day') $$, '42501', null,
  'users cannot prune the log');

reset role;
select results_eq($$ select count(*)::int from sync.changes $$, array[5],
  'five entries in all');

select * from finish();
rollback;
