-- Deterministic "random" values for the generators: a value depends only on
-- the seed, a salt naming its use, and the row number, never on session state
-- or execution order, so the same seed gives the same database byte for byte.
-- Session-local (pg_temp): nothing of the generator stays in the schema, which
-- must stay identical to the slave's for replication to accept it.
--
-- Needs the psql variable `seed` (an integer).

SET bench.seed = :'seed';

-- The seed is written into the functions as a constant (they are created by
-- EXECUTE for that), so they are IMMUTABLE, get inlined, and the salt's hash is
-- folded at plan time: a million rows cost one hashint8extended() per value.
-- hashint8extended and hashtextextended are the portable hashes PostgreSQL uses
-- for hash partitioning: the same on every platform and version since 11.
DO $do$
DECLARE
  seed bigint := current_setting('bench.seed')::bigint;
BEGIN
  -- An integer in [0, n).
  EXECUTE format($f$
    CREATE FUNCTION pg_temp.pick(salt text, i bigint, n bigint) RETURNS bigint
    LANGUAGE sql IMMUTABLE AS $$
      SELECT (hashint8extended(i, hashtextextended(salt, %s)) & 9223372036854775807) %% n
    $$ $f$, seed);
  -- `len` hexadecimal characters (len <= 16).
  EXECUTE format($f$
    CREATE FUNCTION pg_temp.hex(salt text, i bigint, len int) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
      SELECT substr(lpad(to_hex(hashint8extended(i, hashtextextended(salt, %s))), 16, '0'), 1, len)
    $$ $f$, seed);
END
$do$;

-- A UUID-shaped text (userfeatures.uuid would otherwise default to gen_random_uuid()).
CREATE FUNCTION pg_temp.uuid(salt text, i bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT (pg_temp.hex(salt, i, 16) || pg_temp.hex(salt || '2', i, 16))::uuid::text
$$;

CREATE FUNCTION pg_temp.first_name(i bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT (ARRAY['Alice', 'Bruno', 'Chloé', 'David', 'Emma', 'Farid', 'Gaëlle', 'Hugo', 'Inès', 'Jules',
                'Karima', 'Louis', 'Manon', 'Nicolas', 'Océane', 'Paul', 'Quentin', 'Rose', 'Samir', 'Théo'])
         [1 + pg_temp.pick('first', i, 20)]
$$;

CREATE FUNCTION pg_temp.last_name(i bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT (ARRAY['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy',
                'Moreau', 'Simon', 'Laurent', 'Lefebvre', 'Michel', 'Garcia', 'David', 'Bertrand', 'Roux',
                'Vincent', 'Fournier', 'Morel', 'Girard', 'André', 'Mercier', 'Dupont'])
         [1 + pg_temp.pick('last', i, 25)]
$$;

-- After inserting explicit ids: every sequence owned by a public column
-- continues after the largest id, as if the rows had been created one by one.
CREATE FUNCTION pg_temp.follow_sequences() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  r record;
  m bigint;
BEGIN
  FOR r IN
    SELECT s.relname AS seq, t.relname AS tbl, a.attname AS col
    FROM pg_depend d
    JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
    JOIN pg_class t ON t.oid = d.refobjid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
    WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
      AND d.deptype IN ('a', 'i') AND n.nspname = 'public'
  LOOP
    EXECUTE format('SELECT max(%I) FROM public.%I', r.col, r.tbl) INTO m;
    IF m IS NOT NULL THEN
      PERFORM setval(format('public.%I', r.seq), m);
    END IF;
  END LOOP;
END
$$;
