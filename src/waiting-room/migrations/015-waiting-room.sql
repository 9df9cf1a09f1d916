-- The waiting room's shared state: what the storefront replicas must agree on so that together they admit
-- within the limits. One row holds the pass secret, the settings changed through the admin API (null: the
-- configured ones), the FIFO frontier and the room's state; sessions are the admitted shoppers (one row a
-- visitor, renewed in batches), the queue the tickets of shoppers waiting. Replicas decide an admitted
-- shopper's request from the signed cookie alone and bring their batches here in the background
-- (waiting_room_sync, about once a second); only a new shopper arriving while the room queues waits for the
-- database (waiting_room_arrive), so that two replicas never give away the same place.
CREATE TABLE waiting_room (
  id                   boolean PRIMARY KEY DEFAULT true CHECK (id),
  secret               text NOT NULL CHECK (length(secret) >= 32),
  settings             jsonb,
  settings_version     integer NOT NULL DEFAULT 0,
  next_ticket_to_admit bigint NOT NULL DEFAULT 1,
  state                text NOT NULL DEFAULT 'not_queueing',
  updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE waiting_room_tickets START 1;

CREATE TABLE waiting_room_sessions (
  visitor_id  text PRIMARY KEY,
  admitted_at timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL
);
CREATE INDEX waiting_room_sessions_expires_at ON waiting_room_sessions (expires_at);
CREATE INDEX waiting_room_sessions_admitted_at ON waiting_room_sessions (admitted_at);

CREATE TABLE waiting_room_queue (
  ticket       bigint PRIMARY KEY,
  visitor_id   text NOT NULL,
  arrived_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  -- set when the frontier passed the ticket: the shopper is let in on their next refresh
  let_in_at    timestamptz
);

-- the counts: shoppers waiting (seen lately), and shoppers let in who have not come back yet
CREATE INDEX waiting_room_queue_waiting ON waiting_room_queue (last_seen_at) WHERE let_in_at IS NULL;
CREATE INDEX waiting_room_queue_let_in ON waiting_room_queue (let_in_at) WHERE let_in_at IS NOT NULL;

CREATE TABLE waiting_room_replicas (
  replica_id text PRIMARY KEY,
  seen_at    timestamptz NOT NULL,
  -- what `mode: auto` steers by: the replica's shopper p99 over the last seconds (null: nothing served)
  -- and its event-loop utilisation since its last synchronisation
  p99_ms     double precision,
  elu        double precision
);

-- The shared counts at one moment. Shoppers let in by the frontier who have not come back yet count as
-- active (for p_pending_grace seconds), so the frontier does not run ahead of the places.
CREATE FUNCTION waiting_room_counts(p_pending_grace integer, p_queued_ttl integer,
  OUT frontier bigint, OUT active integer, OUT admitted_last_minute integer, OUT queued integer)
LANGUAGE plpgsql AS $$
BEGIN
  SELECT r.next_ticket_to_admit INTO frontier FROM waiting_room r WHERE r.id;
  SELECT count(*) INTO active FROM waiting_room_sessions s WHERE s.expires_at > now();
  active := active + (SELECT count(*) FROM waiting_room_queue q
    WHERE q.let_in_at IS NOT NULL AND q.let_in_at > now() - make_interval(secs => p_pending_grace));
  SELECT count(*) INTO admitted_last_minute FROM waiting_room_sessions s WHERE s.admitted_at > now() - interval '60 seconds';
  admitted_last_minute := admitted_last_minute + (SELECT count(*) FROM waiting_room_queue q
    WHERE q.let_in_at IS NOT NULL AND q.let_in_at > now() - interval '60 seconds');
  SELECT count(*) INTO queued FROM waiting_room_queue q
    WHERE q.let_in_at IS NULL AND q.last_seen_at > now() - make_interval(secs => p_queued_ttl);
END $$;

-- A new shopper while the room queues: straight in when nobody waits and a place is open under both
-- limits (p_straight_in false: the room is closed to new shoppers), else the next ticket. The room's row
-- is locked first, so replicas admitting at once see each other's admissions (each statement of the
-- function reads after the lock).
CREATE FUNCTION waiting_room_arrive(p_visitor text, p_session_seconds integer, p_total integer, p_rate integer,
  p_straight_in boolean, p_pending_grace integer, p_queued_ttl integer,
  OUT admitted boolean, OUT ticket bigint, OUT frontier bigint, OUT active integer, OUT admitted_last_minute integer, OUT queued integer)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM waiting_room r WHERE r.id FOR UPDATE;
  SELECT c.frontier, c.active, c.admitted_last_minute, c.queued INTO frontier, active, admitted_last_minute, queued
    FROM waiting_room_counts(p_pending_grace, p_queued_ttl) c;
  IF p_straight_in AND queued = 0 AND active < p_total AND admitted_last_minute < p_rate THEN
    INSERT INTO waiting_room_sessions (visitor_id, admitted_at, expires_at)
      VALUES (p_visitor, now(), now() + make_interval(secs => p_session_seconds))
      ON CONFLICT (visitor_id) DO UPDATE SET admitted_at = EXCLUDED.admitted_at, expires_at = EXCLUDED.expires_at;
    admitted := true; ticket := 0; active := active + 1; admitted_last_minute := admitted_last_minute + 1;
  ELSE
    INSERT INTO waiting_room_queue (ticket, visitor_id) VALUES (nextval('waiting_room_tickets'), p_visitor)
      RETURNING waiting_room_queue.ticket INTO ticket;
    admitted := false; queued := queued + 1;
  END IF;
END $$;

-- One replica's synchronisation: it says it is alive, moves the FIFO frontier past as many waiting tickets
-- as places are open (p_advance; skipping tickets whose shopper left), sets the room's state and purges
-- what no count needs any more. Returns the counts after the move, the settings and the state before.
CREATE FUNCTION waiting_room_sync(p_replica text, p_advance boolean, p_total integer, p_rate integer,
  p_state_floor text, p_pending_grace integer, p_queued_ttl integer, p_p99_ms double precision, p_elu double precision,
  OUT frontier bigint, OUT active integer, OUT admitted_last_minute integer, OUT queued integer,
  OUT replicas integer, OUT settings jsonb, OUT settings_version integer, OUT state text, OUT previous_state text,
  OUT max_p99_ms double precision, OUT max_elu double precision)
LANGUAGE plpgsql AS $$
DECLARE
  v_open integer;
  v_moved integer := 0;
  v_last bigint;
BEGIN
  SELECT r.state INTO previous_state FROM waiting_room r WHERE r.id FOR UPDATE;
  INSERT INTO waiting_room_replicas (replica_id, seen_at, p99_ms, elu) VALUES (p_replica, now(), p_p99_ms, p_elu)
    ON CONFLICT (replica_id) DO UPDATE SET seen_at = now(), p99_ms = EXCLUDED.p99_ms, elu = EXCLUDED.elu;
  SELECT c.frontier, c.active, c.admitted_last_minute, c.queued INTO frontier, active, admitted_last_minute, queued
    FROM waiting_room_counts(p_pending_grace, p_queued_ttl) c;
  v_open := greatest(0, least(p_total - active, p_rate - admitted_last_minute));
  IF p_advance AND v_open > 0 AND queued > 0 THEN
    WITH next AS (
      SELECT q.ticket FROM waiting_room_queue q
      WHERE q.let_in_at IS NULL AND q.ticket >= frontier AND q.last_seen_at > now() - make_interval(secs => p_queued_ttl)
      ORDER BY q.ticket LIMIT v_open
    ), moved AS (
      UPDATE waiting_room_queue q SET let_in_at = now() FROM next WHERE q.ticket = next.ticket RETURNING q.ticket
    )
    SELECT count(*), max(moved.ticket) INTO v_moved, v_last FROM moved;
    IF v_moved > 0 THEN
      frontier := v_last + 1;
      active := active + v_moved; admitted_last_minute := admitted_last_minute + v_moved; queued := queued - v_moved;
      v_open := v_open - v_moved;
    END IF;
  END IF;
  state := CASE WHEN p_state_floor <> 'auto' THEN p_state_floor
                WHEN queued > 0 OR v_open = 0 THEN 'queueing' ELSE 'not_queueing' END;
  UPDATE waiting_room r SET next_ticket_to_admit = frontier, state = waiting_room_sync.state,
    updated_at = CASE WHEN r.state = waiting_room_sync.state THEN r.updated_at ELSE now() END
    WHERE r.id RETURNING r.settings, r.settings_version INTO settings, settings_version;
  SELECT count(*) INTO replicas FROM waiting_room_replicas x WHERE x.seen_at > now() - interval '10 seconds';
  -- the busiest replica's measurements, from replicas that reported in the last 3 seconds
  SELECT max(x.p99_ms), coalesce(max(x.elu), 0) INTO max_p99_ms, max_elu
    FROM waiting_room_replicas x WHERE x.seen_at > now() - interval '3 seconds';
  DELETE FROM waiting_room_sessions s WHERE s.expires_at < now() - interval '2 minutes' AND s.admitted_at < now() - interval '2 minutes';
  DELETE FROM waiting_room_queue q WHERE q.last_seen_at < now() - make_interval(secs => p_queued_ttl) - interval '2 minutes'
    AND (q.let_in_at IS NULL OR q.let_in_at < now() - interval '2 minutes');
  DELETE FROM waiting_room_replicas x WHERE x.seen_at < now() - interval '10 minutes';
END $$;
