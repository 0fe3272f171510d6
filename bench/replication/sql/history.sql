-- A year of call history on the master, in the tables replication excludes:
-- `cel_rows` CEL events (eight per call: CHAN_START … LINKEDID_END), one
-- call_log row per call (cel.call_log_id refers to it), and one queue_log
-- event per five CEL rows. What an installation keeps for its statistics and
-- that the slave must neither receive nor lose.
--
-- Run after helpers.sql in the same psql session, with variables `seed` and
-- `cel_rows`. `users` names the users the calls come from (1001 …).

\set ON_ERROR_STOP 1

SELECT greatest(:cel_rows / 8, 1) AS calls, greatest(:cel_rows / 5, 1) AS queue_events,
       31536000 / greatest(:cel_rows / 8, 1) AS spacing
\gset

BEGIN;

INSERT INTO call_log (id, date, source_name, source_exten, source_line_identity, destination_name, destination_exten,
                      destination_line_identity, duration, user_field, answered)
SELECT 1000 + c, '2025-01-01'::timestamp + make_interval(secs => c * :spacing),
       pg_temp.first_name(c) || ' ' || pg_temp.last_name(c), (10001 + pg_temp.pick('from', c, :users))::text,
       'sip/' || pg_temp.hex('line', c, 6),
       pg_temp.first_name(c + 1) || ' ' || pg_temp.last_name(c + 1), (10001 + pg_temp.pick('to', c, :users))::text,
       'sip/' || pg_temp.hex('line', c + 1, 6),
       make_interval(secs => pg_temp.pick('duration', c, 900)), '', pg_temp.pick('answered', c, 5) <> 0
FROM generate_series(1, :calls) c;

-- A third of the load time would go to checking cel.call_log_id row by row:
-- checked once for all below instead, with the triggers off for this insert.
SET LOCAL session_replication_role = replica;
INSERT INTO cel (id, eventtype, eventtime, userdeftype, cid_name, cid_num, cid_ani, cid_rdnis, cid_dnid, exten, context,
                 channame, appname, appdata, amaflags, accountcode, peeraccount, uniqueid, linkedid, userfield, peer,
                 extra, call_log_id)
SELECT 1000 + g,
       (ARRAY['CHAN_START', 'APP_START', 'ANSWER', 'BRIDGE_ENTER', 'BRIDGE_EXIT', 'HANGUP', 'CHAN_END', 'LINKEDID_END'])[k + 1],
       '2025-01-01'::timestamp + make_interval(secs => c * :spacing + k * (1 + pg_temp.pick('step', g, 30))),
       '', pg_temp.first_name(c) || ' ' || pg_temp.last_name(c), (10001 + pg_temp.pick('from', c, :users))::text,
       CASE WHEN k > 0 THEN (10001 + pg_temp.pick('from', c, :users))::text ELSE '' END, '', '',
       (10001 + pg_temp.pick('to', c, :users))::text, 'default',
       'SIP/' || pg_temp.hex('line', c, 6) || '-' || lpad(to_hex(c), 8, '0'),
       CASE WHEN k IN (1, 2) THEN 'Dial' ELSE '' END,
       CASE WHEN k IN (1, 2) THEN 'SIP/' || pg_temp.hex('line', c + 1, 6) || ',30,tT' ELSE '' END,
       3, '', '', (1735689600 + c) || '.' || c, (1735689600 + c) || '.' || c, '', '',
       CASE WHEN k = 5 THEN '{"hangupcause":16,"hangupsource":"SIP/' || pg_temp.hex('line', c, 6) || '","dialstatus":"ANSWER"}' END,
       1000 + c
FROM generate_series(0, :cel_rows - 1) g,
     LATERAL (SELECT g / 8 + 1 AS c, (g % 8)::int AS k) call;
SET LOCAL session_replication_role = origin;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM cel WHERE call_log_id IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM call_log l WHERE l.id = cel.call_log_id)) THEN
    RAISE EXCEPTION 'generated cel rows refer to missing call_log rows (fk_call_log_id)';
  END IF;
END
$$;

INSERT INTO queue_log (id, "time", callid, queuename, agent, event, data1, data2, data3)
SELECT 1000 + e,
       to_char('2025-01-01'::timestamp + make_interval(secs => e * (:spacing::float8 * :calls / :queue_events)), 'YYYY-MM-DD HH24:MI:SS.US'),
       (1735689600 + e) || '.' || e, 'queue' || (1 + pg_temp.pick('queue', e, greatest(:users / 50, 3))),
       CASE WHEN e % 3 = 0 THEN 'NONE' ELSE 'Agent/' || (80001 + pg_temp.pick('agent', e, greatest(:users / 10, 1))) END,
       (ARRAY['ENTERQUEUE', 'CONNECT', 'COMPLETECALLER'])[1 + e % 3],
       (pg_temp.pick('d1', e, 60))::text, '06' || lpad(pg_temp.pick('d2', e, 100000000)::text, 8, '0'), '1'
FROM generate_series(1, :queue_events) e;

SELECT pg_temp.follow_sequences();

COMMIT;
