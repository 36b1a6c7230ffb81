-- Live sync: tell a signed-in user's devices "your rows changed" within a second, leaking nothing.
--
-- WHAT IS SENT. Realtime is only a hint to pull, never the data: when a transaction writes
-- entries to sync.changes, ONE Broadcast message per owner per transaction goes to that owner's
-- private topic 'sync:<user id>' (event 'changes', payload {"xid": "<the writer's xid>"}). The
-- client then pulls the change log through sync_pull() as usual (RLS, cursor, nothing else new);
-- the xid lets it tell whether its cursor has passed that transaction yet (a pull only returns
-- entries below its snapshot's xmin, so right after a commit a still-running older transaction
-- can hold the entry back; the client pulls again shortly). No row, no table name, no id travels.
--
-- WHY BROADCAST FROM THE DATABASE, NOT POSTGRES CHANGES. Both were possible:
--   a) Postgres Changes: add sync.changes to the supabase_realtime publication, clients
--      subscribe to INSERTs on it and RLS ("own entries") filters what each one gets.
--   b) Broadcast from the database: a trigger calls realtime.send() to a private per-user topic,
--      and a realtime.messages policy lets a user join only their own topic.
-- Supabase's guidance ("Subscribing to Database Changes", "Postgres Changes" limitations,
-- "Migrate to Broadcast Changes") is that Broadcast is the recommended method for scalability
-- and security. Postgres Changes processes every change on a single thread to keep order, and
-- with RLS it checks every change against every subscriber: one insert seen by N subscribers
-- costs N authorization reads in the database. A studio with hundreds of designers, each with
-- two or three devices and a browser open, writes thousands of log entries in a busy minute
-- (a product pack is dozens of rows; a batch push up to 5,000): under (a) that is entries x
-- subscribers RLS checks, serialized, and a 1,000-row transaction is 1,000 events on the wire to
-- each of that user's sockets. Under (b) the authorization runs ONCE per join (and per token
-- refresh) as the joining user, messages fan out without touching the database again, and this
-- trigger collapses a transaction's entries into one message per owner, so a 1,000-change
-- transaction is one message. Private channels also mean anon and other users cannot join the
-- topic at all (the join is refused), instead of joining and being filtered per message.
--
-- HOW. sync.hint_owner() runs after each insert into sync.changes. A transaction-local setting
-- (sync.hinted_owners) remembers which owners this transaction already hinted, so only the
-- first entry per owner sends. realtime.send() never raises (it turns errors into a warning),
-- so Realtime being disabled or misbehaving can never fail a user's write; the client's safety
-- poll covers a lost hint. The function is SECURITY DEFINER, owned by the migrating role
-- (postgres on Supabase, which has BYPASSRLS), so the insert into realtime.messages does not
-- need an insert policy that users could also use to post on the topic.
--
-- AUTHORIZATION. Realtime checks a private join by inserting probe rows into realtime.messages
-- with the topic, setting realtime.topic and the caller's JWT claims, switching to the caller's
-- role and selecting the probes back (then rolling back). The policy below lets an
-- authenticated user read exactly the broadcast probes of the topic 'sync:<their own id>';
-- there is no insert policy, so nobody can send on these topics from a client.
-- Clients must join with config.private = true (Realtime sends public-channel joins elsewhere).

CREATE OR REPLACE FUNCTION sync.hint_owner() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
  v_seen text;
BEGIN
  IF NEW.owner IS NULL THEN
    RETURN NULL;
  END IF;
  v_seen := coalesce(current_setting('sync.hinted_owners', true), '');
  IF position(NEW.owner::text IN v_seen) > 0 THEN
    RETURN NULL;
  END IF;
  PERFORM set_config('sync.hinted_owners', v_seen || NEW.owner::text || ',', true);
  PERFORM realtime.send(jsonb_build_object('xid', NEW.xid::text), 'changes',
                        'sync:' || NEW.owner::text, true);
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION sync.hint_owner() IS
  'One Realtime Broadcast per owner per transaction to the private topic sync:<owner>.';
REVOKE ALL ON FUNCTION sync.hint_owner() FROM PUBLIC;

CREATE TRIGGER sync_hint AFTER INSERT ON sync.changes
  FOR EACH ROW EXECUTE FUNCTION sync.hint_owner();

CREATE POLICY "sync hints: a user reads their own topic" ON realtime.messages
  FOR SELECT TO authenticated
  USING (
    realtime.messages.extension = 'broadcast'
    AND (SELECT realtime.topic()) = 'sync:' || (SELECT auth.uid())::text
  );
