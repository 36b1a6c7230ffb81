-- pgTAP: the five private buckets and storage.objects confined to '<user id>/'.
begin;
set local client_min_messages = warning;
create extension if not exists pgtap with schema extensions;

select plan(34);

select results_eq(
  $$ select id, public from storage.buckets
     where id in ('outputs', 'profiles', 'extractions', 'videos', 'zips') order by id $$,
  $$ values ('extractions', false), ('outputs', false), ('profiles', false),
            ('videos', false), ('zips', false) $$,
  'the five buckets exist and are private');
select ok((select relrowsecurity from pg_class where oid = 'storage.objects'::regclass),
  'RLS on storage.objects');

insert into auth.users (id, aud, role, email) values
  ('11111111-1111-4111-8111-111111111111', 'authenticated', 'authenticated', 'a@example.test'),
  ('22222222-2222-4222-8222-222222222222', 'authenticated', 'authenticated', 'b@example.test');

-- ------------------------------------------------------------ A writes under its own folder
select set_config('role', 'authenticated', true),
       set_config('request.jwt.claims',
                  '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}', true);
select lives_ok(format($$ insert into storage.objects (bucket_id, name, owner_id)
  values (%L, '11111111-1111-4111-8111-111111111111/a/file.bin', auth.uid()::text) $$, b),
  format('A uploads into %s/<A>/', b))
from unnest(array['outputs', 'profiles', 'extractions', 'videos', 'zips']) as b;
select throws_ok(
  $$ insert into storage.objects (bucket_id, name) values ('outputs', 'loose.png') $$,
  '42501', null, 'A cannot upload outside any folder');
select throws_ok(
  $$ insert into storage.objects (bucket_id, name)
     values ('outputs', '22222222-2222-4222-8222-222222222222/planted.png') $$,
  '42501', null, 'A cannot upload into B''s folder');
select results_eq($$ select count(*)::int from storage.objects $$, array[5], 'A sees its 5 objects');

-- ------------------------------------------------------------ B tries A's objects
select set_config('role', 'authenticated', true),
       set_config('request.jwt.claims',
                  '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}', true);
select is_empty(format($$ select id from storage.objects where bucket_id = %L $$, b),
  format('B lists nothing in %s', b))
from unnest(array['outputs', 'profiles', 'extractions', 'videos', 'zips']) as b;
select is_empty(format($$ update storage.objects set metadata = '{}' where bucket_id = %L returning id $$, b),
  format('B updates nothing in %s', b))
from unnest(array['outputs', 'profiles', 'extractions', 'videos', 'zips']) as b;
select is_empty(format($$ delete from storage.objects where bucket_id = %L returning id $$, b),
  format('B deletes nothing in %s', b))
from unnest(array['outputs', 'profiles', 'extractions', 'videos', 'zips']) as b;
select throws_ok(format($$ insert into storage.objects (bucket_id, name)
  values (%L, '11111111-1111-4111-8111-111111111111/b.bin') $$, b),
  '42501', null, format('B cannot upload into A''s folder in %s', b))
from unnest(array['outputs', 'profiles', 'extractions', 'videos', 'zips']) as b;

-- ------------------------------------------------------------ anon
select set_config('role', 'anon', true), set_config('request.jwt.claims', '{"role":"anon"}', true);
select is_empty($$ select id from storage.objects $$, 'anon lists nothing');
select is_empty($$ delete from storage.objects returning id $$, 'anon deletes nothing');
select throws_ok(
  $$ insert into storage.objects (bucket_id, name) values ('outputs', 'x/y.png') $$,
  '42501', null, 'anon cannot upload');

reset role;
select results_eq($$ select count(*)::int from storage.objects $$, array[5],
  'all of A''s objects are still there');

select * from finish();
rollback;
