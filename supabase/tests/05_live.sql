-- pgTAP: live sync hints. One Realtime Broadcast per owner per transaction to the private topic
-- sync:<owner>, carrying only the writer's xid; a user passes Realtime's join check (probe rows
-- read back as the user) for their own topic only, and nobody may post on these topics.
begin;
set local client_min_messages = warning;
create extension if not exists pgtap with schema extensions;

select plan(9);

insert into auth.users (id, aud, role, email) values
  ('11111111-1111-4111-8111-111111111111', 'authenticated', 'authenticated', 'a@example.test'),
  ('22222222-2222-4222-8222-222222222222', 'authenticated', 'authenticated', 'b@example.test');

select set_config('role', 'authenticated', true),
       set_config('request.jwt.claims',
                  '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}', true);
insert into public.profiles (user_id, name)
  select auth.uid(), 'p' || g from generate_series(1, 50) g;
insert into public.jobs (user_id, type) values (auth.uid(), 'product_pack');
reset role;

select is((select count(*)::int from realtime.messages
            where topic = 'sync:11111111-1111-4111-8111-111111111111'), 1,
  '51 log entries in one transaction: one hint');
select is((select event from realtime.messages limit 1), 'changes', 'the event is "changes"');
select ok((select private from realtime.messages limit 1), 'the hint is private');
select is((select payload ->> 'xid' from realtime.messages limit 1),
          pg_current_xact_id()::text, 'the payload names the writing transaction');
select is((select array_agg(k order by k) from realtime.messages,
                  jsonb_object_keys(payload) k), array['id', 'xid'],
  'no row data travels');

-- Realtime's join check: probe rows, then read back as the user with realtime.topic set.
insert into realtime.messages (id, topic, extension) values
  ('c0000000-0000-4000-8000-000000000001', 'sync:11111111-1111-4111-8111-111111111111', 'broadcast'),
  ('c0000000-0000-4000-8000-000000000002', 'sync:11111111-1111-4111-8111-111111111111', 'presence');
select set_config('role', 'authenticated', true),
       set_config('realtime.topic', 'sync:11111111-1111-4111-8111-111111111111', true),
       set_config('request.jwt.claims',
                  '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}', true);
select results_eq(
  $$ select id from realtime.messages where id::text like 'c0000000%' $$,
  $$ values ('c0000000-0000-4000-8000-000000000001'::uuid) $$,
  'the owner reads the broadcast probe of their own topic (not presence)');
select set_config('request.jwt.claims',
                  '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}', true);
select is_empty($$ select id from realtime.messages $$,
  'another user reads nothing on that topic');
select throws_ok(
  $$ insert into realtime.messages (topic, extension, event, payload)
     values ('sync:22222222-2222-4222-8222-222222222222', 'broadcast', 'changes', '{}') $$,
  '42501', null, 'a user cannot post on a sync topic, even their own');
select set_config('role', 'anon', true), set_config('request.jwt.claims', '{"role":"anon"}', true);
select is_empty($$ select id from realtime.messages $$, 'anon reads nothing');

select * from finish();
rollback;
