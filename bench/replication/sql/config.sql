-- The configuration of a large XiVO, added to the fixture database: `users`
-- users, each with a voicemail box (4 in 5), a SIP line, an extension, no-answer
-- and busy actions, a private function-key template with three BLF keys to
-- colleagues, a group, a pickup group, call permissions and paging; plus agents
-- in queues, DIDs routed to users, schedules, boss-secretary filters, trunks and
-- outgoing routes. Only replicated tables are written; every foreign key holds.
--
-- Run after helpers.sql in the same psql session, with variables `seed` and
-- `users`. Ids start at 1001 so the fixture's own rows (ids below 10) stay.

\set ON_ERROR_STOP 1

SELECT greatest(:users / 10, 1)  AS agents,
       greatest(:users / 50, 3)  AS queues,
       greatest(:users / 40, 1)  AS groups,
       greatest(:users / 10, 1)  AS incalls,
       greatest(:users / 50, 1)  AS pickups,
       greatest(:users / 100, 1) AS filters,
       10 AS trunks, 5 AS outcalls, 10 AS pagings, 10 AS rightcalls, 20 AS schedules
\gset

BEGIN;

-- Users ---------------------------------------------------------------------------
INSERT INTO voicemail (uniqueid, context, mailbox, password, fullname, email, language, tz, attach, maxmsg)
SELECT 1000 + i, 'default', (10000 + i)::text, lpad(pg_temp.pick('vmpw', i, 10000)::text, 4, '0'),
       pg_temp.first_name(i) || ' ' || pg_temp.last_name(i),
       lower(pg_temp.first_name(i)) || '.' || lower(pg_temp.last_name(i)) || i || '@example.org',
       'fr_FR', 'eu-fr', 1, 100
FROM generate_series(1, :users) i
WHERE i % 5 <> 0;

INSERT INTO func_key_template (id, name, private)
SELECT 1000 + i, NULL, true FROM generate_series(1, :users) i;

INSERT INTO userfeatures (id, uuid, firstname, lastname, voicemailid, agentid, entityid, callerid, ringseconds,
                          loginclient, passwdclient, cti_profile_id, enablevoicemail, enablednd, enableunc, destunc,
                          mobilephonenumber, description, func_key_template_id, func_key_private_template_id,
                          language, timezone)
SELECT 1000 + i, pg_temp.uuid('user', i), pg_temp.first_name(i), pg_temp.last_name(i),
       CASE WHEN i % 5 <> 0 THEN 1000 + i END,
       CASE WHEN i <= :agents THEN 1000 + i END,
       1, '"' || pg_temp.first_name(i) || ' ' || pg_temp.last_name(i) || '"', 15 + 5 * pg_temp.pick('ring', i, 4)::int,
       lower(pg_temp.first_name(i)) || i, pg_temp.hex('cti', i, 10), 1 + pg_temp.pick('profile', i, 4)::int,
       CASE WHEN i % 5 <> 0 THEN 1 ELSE 0 END,
       CASE WHEN pg_temp.pick('dnd', i, 20) = 0 THEN 1 ELSE 0 END,
       CASE WHEN pg_temp.pick('unc', i, 25) = 0 THEN 1 ELSE 0 END,
       CASE WHEN pg_temp.pick('unc', i, 25) = 0 THEN '06' || lpad(pg_temp.pick('uncnum', i, 100000000)::text, 8, '0') ELSE '' END,
       '06' || lpad(pg_temp.pick('mobile', i, 100000000)::text, 8, '0'), '',
       CASE WHEN pg_temp.pick('tpl', i, 3) = 0 THEN 4 END, 1000 + i,
       (ARRAY['fr_FR', 'fr_FR', 'en_US', 'de_DE'])[1 + pg_temp.pick('lang', i, 4)], 'Europe/Paris'
FROM generate_series(1, :users) i;

-- Lines -------------------------------------------------------------------------------
INSERT INTO usersip (id, name, type, username, secret, context, language, callerid, dtmfmode, qualify, allow, host, category, protocol)
SELECT 1000 + i, pg_temp.hex('sip', i, 6) || i, 'friend', pg_temp.hex('sip', i, 6) || i, pg_temp.hex('secret', i, 8),
       'default', 'fr_FR', '"' || pg_temp.first_name(i) || ' ' || pg_temp.last_name(i) || '" <' || (10000 + i) || '>',
       'rfc2833', 'no', CASE WHEN pg_temp.pick('codec', i, 3) = 0 THEN 'alaw,ulaw,g722' END, 'dynamic', 'user', 'sip'
FROM generate_series(1, :users) i;

INSERT INTO linefeatures (id, protocol, protocolid, device, configregistrar, name, number, context, provisioningid, num)
SELECT 1000 + i, 'sip', 1000 + i, CASE WHEN i % 10 <> 0 THEN pg_temp.hex('device', i, 12) END, 'default',
       pg_temp.hex('sip', i, 6) || i, (10000 + i)::text, 'default', 100000 + pg_temp.pick('prov', i, 900000)::int, 1
FROM generate_series(1, :users) i;

INSERT INTO user_line (user_id, line_id, main_user, main_line)
SELECT 1000 + i, 1000 + i, true, true FROM generate_series(1, :users) i;

INSERT INTO extensions (id, context, exten, type, typeval)
SELECT 1000 + i, 'default', (10000 + i)::text, 'user', (1000 + i)::text FROM generate_series(1, :users) i;

INSERT INTO dialaction (event, category, categoryval, action, actionarg1, actionarg2, linked)
SELECT e.event::dialaction_event, 'user', (1000 + i)::text,
       CASE WHEN i % 5 <> 0 THEN 'voicemail' ELSE 'none' END::dialaction_action,
       CASE WHEN i % 5 <> 0 THEN (1000 + i)::text END, '', 1
FROM generate_series(1, :users) i, (VALUES ('noanswer'), ('busy')) e(event);

-- Function keys: three BLF keys per user, each to a colleague ---------------------------
INSERT INTO func_key (id, type_id, destination_type_id)
SELECT 1000 + k, 1, 1 FROM generate_series(1, 3 * :users) k;

INSERT INTO func_key_dest_user (func_key_id, user_id, destination_type_id)
SELECT 1000 + k, 1001 + pg_temp.pick('blf', k, :users), 1 FROM generate_series(1, 3 * :users) k;

INSERT INTO func_key_mapping (template_id, func_key_id, destination_type_id, label, "position", blf)
SELECT 1000 + (k - 1) / 3 + 1, 1000 + k, 1, 'BLF ' || ((k - 1) % 3 + 1), (k - 1) % 3 + 1, true
FROM generate_series(1, 3 * :users) k;

-- Groups, queues and agents -------------------------------------------------------------
INSERT INTO groupfeatures (id, name, number, context, timeout)
SELECT 1000 + g, 'group' || g, (20000 + g)::text, 'default', 20 FROM generate_series(1, :groups) g;

INSERT INTO queuefeatures (id, name, displayname, number, context, timeout)
SELECT 1000 + q, 'queue' || q, 'Queue ' || q, (30000 + q)::text, 'default', 60 FROM generate_series(1, :queues) q;

INSERT INTO queue (name, musicclass, context, timeout, retry, wrapuptime, maxlen, strategy, joinempty, leavewhenempty, category)
SELECT 'group' || g, 'default', 'default', 15, 5, 0, 0, 'ringall', '', '', 'group'::queue_category FROM generate_series(1, :groups) g
UNION ALL
SELECT 'queue' || q, 'default', 'default', 15, 5, 10, 0,
       (ARRAY['ringall', 'leastrecent', 'fewestcalls', 'rrmemory', 'linear'])[1 + pg_temp.pick('strategy', q, 5)],
       'unavailable,invalid', 'unavailable,invalid', 'queue'::queue_category
FROM generate_series(1, :queues) q;

INSERT INTO extensions (id, context, exten, type, typeval)
SELECT 100000 + g, 'default', (20000 + g)::text, 'group'::extenumbers_type, (1000 + g)::text FROM generate_series(1, :groups) g
UNION ALL
SELECT 200000 + q, 'default', (30000 + q)::text, 'queue'::extenumbers_type, (1000 + q)::text FROM generate_series(1, :queues) q;

INSERT INTO agentfeatures (id, numgroup, firstname, lastname, number, passwd, context, language, description)
SELECT 1000 + a, 1, pg_temp.first_name(a), pg_temp.last_name(a), (80000 + a)::text, '', 'default', 'fr_FR', ''
FROM generate_series(1, :agents) a;

INSERT INTO queuemember (queue_name, interface, penalty, usertype, userid, channel, category, "position")
SELECT 'group' || (1 + pg_temp.pick('group', i, :groups)), 'SIP/' || pg_temp.hex('sip', i, 6) || i, 0,
       'user'::queuemember_usertype, 1000 + i, 'SIP', 'group'::queue_category, i
FROM generate_series(1, :users) i
UNION ALL
SELECT 'queue' || (1 + ((a - 1) * 3 + k) % :queues), 'Agent/' || (80000 + a), pg_temp.pick('penalty', a * 3 + k, 3)::int,
       'agent'::queuemember_usertype, 1000 + a, 'Agent', 'queue'::queue_category, a
FROM generate_series(1, :agents) a, generate_series(0, 2) k;

INSERT INTO agentqueueskill (agentid, skillid, weight)
SELECT 1000 + a, s, 10 * (1 + pg_temp.pick('skill', a * 2 + s, 10)::int)
FROM generate_series(1, :agents) a, generate_series(1, 2) s;

-- A queue nobody answers hangs up (its no-answer action).
INSERT INTO dialaction (event, category, categoryval, action, actionarg1, actionarg2, linked)
SELECT 'noanswer', 'queue', (1000 + q)::text, 'endcall:hangup', NULL, NULL, 1 FROM generate_series(1, :queues) q;

-- Incoming calls, schedules ---------------------------------------------------------------
INSERT INTO incall (id, exten, context, description)
SELECT 1000 + n, '0145' || lpad(n::text, 6, '0'), 'from-extern', 'DID ' || n FROM generate_series(1, :incalls) n;

INSERT INTO extensions (id, context, exten, type, typeval)
SELECT 300000 + n, 'from-extern', '0145' || lpad(n::text, 6, '0'), 'incall', (1000 + n)::text
FROM generate_series(1, :incalls) n;

INSERT INTO dialaction (event, category, categoryval, action, actionarg1, actionarg2, linked)
SELECT 'answer', 'incall', (1000 + n)::text, 'user', (1001 + pg_temp.pick('did', n, :users))::text, '', 1
FROM generate_series(1, :incalls) n;

INSERT INTO schedule (id, name, timezone, fallback_action, fallback_actionid, description)
SELECT 1000 + s, 'schedule' || s, 'Europe/Paris', 'endcall:hangup', NULL, '' FROM generate_series(1, :schedules) s;

INSERT INTO schedule_time (id, schedule_id, mode, hours, weekdays, monthdays, months)
SELECT 1000 + 2 * s + m, 1000 + s, 'opened',
       (ARRAY['08:00-12:30', '13:30-18:00'])[m + 1], '1-5', '1-31', '1-12'
FROM generate_series(1, :schedules) s, generate_series(0, 1) m;

INSERT INTO schedule_path (schedule_id, path, pathid, "order")
SELECT 1001 + pg_temp.pick('sched', n, :schedules), 'incall', 1000 + n, 0
FROM generate_series(1, :incalls) n
WHERE n % 3 = 0;

-- Call permissions, call filters, pickups, paging -------------------------------------------
INSERT INTO rightcall (id, name, passwd, "authorization", description)
SELECT 1000 + r, 'rightcall' || r, '', r % 2, '' FROM generate_series(1, :rightcalls) r;

INSERT INTO rightcallexten (id, rightcallid, exten)
SELECT 1000 + 3 * r + e, 1000 + r, '_0' || (r % 9 + 1) || repeat('X', e + 6)
FROM generate_series(1, :rightcalls) r, generate_series(0, 2) e;

INSERT INTO rightcallmember (id, rightcallid, type, typeval)
SELECT 1000 + i, 1001 + pg_temp.pick('right', i, :rightcalls), 'user', (1000 + i)::text
FROM generate_series(1, :users) i
WHERE i % 2 = 0;

INSERT INTO callfilter (id, name, type, bosssecretary, callfrom, ringseconds, description)
SELECT 1000 + f, 'boss' || f, 'bosssecretary', 'secretary-serial', 'all', 20, '' FROM generate_series(1, :filters) f;

INSERT INTO callfiltermember (id, callfilterid, type, typeval, priority, bstype, active)
SELECT 1000 + 2 * f + m, 1000 + f, 'user', (1000 + 2 * f - 1 + m)::text, m,
       (ARRAY['boss', 'secretary'])[m + 1]::generic_bsfilter, pg_temp.pick('bsactive', f, 2)::int
FROM generate_series(1, :filters) f, generate_series(0, 1) m;

INSERT INTO pickup (id, name, description)
SELECT 1000 + p, 'pickup' || p, '' FROM generate_series(1, :pickups) p;

INSERT INTO pickupmember (pickupid, category, membertype, memberid)
SELECT 1001 + pg_temp.pick('pickup', i, :pickups), c.category::pickup_category, 'user', 1000 + i
FROM generate_series(1, :users) i, (VALUES ('member'), ('pickup')) c(category);

INSERT INTO paging (id, number, timeout, description)
SELECT 1000 + p, (100 + p)::text, 30, 'Paging ' || p FROM generate_series(1, :pagings) p;

INSERT INTO paginguser (pagingid, userfeaturesid, caller)
SELECT 1001 + pg_temp.pick('paging', i, :pagings), 1000 + i, (i % 40 = 0)::int
FROM generate_series(1, :users) i
WHERE i % 4 = 0;

-- Trunks and outgoing routes ------------------------------------------------------------------
INSERT INTO usersip (id, name, type, username, secret, context, dtmfmode, qualify, host, category, protocol)
SELECT 500000 + t, 'trunk' || t, 'peer', 'xivo' || t, pg_temp.hex('trunk', t, 12), 'from-extern', 'rfc2833', 'yes',
       'sip' || t || '.operator.example', 'trunk', 'sip'
FROM generate_series(1, :trunks) t;

INSERT INTO trunkfeatures (id, protocol, protocolid, description, context)
SELECT 1000 + t, 'sip', 500000 + t, 'Operator trunk ' || t, 'from-extern' FROM generate_series(1, :trunks) t;

INSERT INTO outcall (id, name, context, internal, description)
SELECT 1000 + o, 'route' || o, 'to-extern', 0, '' FROM generate_series(1, :outcalls) o;

INSERT INTO outcalltrunk (outcallid, trunkfeaturesid, priority)
SELECT 1000 + o, 1001 + (2 * o + p) % :trunks, p FROM generate_series(1, :outcalls) o, generate_series(0, 1) p;

INSERT INTO dialpattern (id, type, typeid, externprefix, prefix, exten, stripnum)
SELECT 1000 + 2 * o + p, 'outcall', 1000 + o, NULL, (ARRAY['0', '9'])[p + 1], '_0' || o || 'XXXXXXXX', p
FROM generate_series(1, :outcalls) o, generate_series(0, 1) p;

SELECT pg_temp.follow_sequences();

COMMIT;
