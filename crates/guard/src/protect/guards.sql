-- dbguard's guards inside PostgreSQL, installed by `dbguard protect` as
-- dbguard_owner (NOLOGIN). Placeholders, filled in by install.rs with quoted
-- values: __SCHEMAS__ (text[] of covered schemas), __MAX_ROWS__ (rows one
-- statement may delete or update), __DBLINK__ (schema of the dblink
-- extension, or empty when refusals cannot be recorded).

CREATE TABLE IF NOT EXISTS dbguard.config (
  singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  identity      text NOT NULL,
  max_rows      integer NOT NULL CHECK (max_rows >= 1),
  schemas       text[] NOT NULL,
  guard_role    name NOT NULL,
  approver      text,
  recording     boolean NOT NULL,
  installed_at  timestamptz NOT NULL DEFAULT now()
);

-- Windows: written only by the guard role, whose password is sealed to the
-- approver. The token itself is never stored, only its SHA-256.
CREATE TABLE IF NOT EXISTS dbguard.windows (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  approval_id         text NOT NULL,
  kinds               text[] NOT NULL CHECK (cardinality(kinds) > 0
                        AND kinds <@ ARRAY['truncate', 'delete', 'update', 'drop', 'alter', 'unprotect']),
  tables              text[],
  token_sha256        text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
  opened_at           timestamptz NOT NULL DEFAULT now(),
  expires_at          timestamptz NOT NULL,
  bound_pid           integer,
  bound_backend_start timestamptz,
  closed_at           timestamptz,
  CHECK (expires_at > opened_at AND expires_at <= opened_at + interval '1 day')
);

CREATE TABLE IF NOT EXISTS dbguard.refusals (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at               timestamptz NOT NULL DEFAULT now(),
  session_role     name,
  acting_role      name,
  application_name text,
  client_addr      inet,
  backend_pid      integer,
  statement        text,
  rule             text NOT NULL,
  detail           text NOT NULL
);

-- The covered tables' state at the start of each ALTER TABLE, for the
-- checks at its table rewrite and its end. Only the event-trigger
-- functions (SECURITY DEFINER, as dbguard_owner) read and write it, and no
-- other role has any right on it: nothing the command itself runs (a USING
-- expression, a default, a CHECK constraint calling a function) can change
-- or remove it, as it could a setting. A row lives only inside its
-- command's transaction: removed at ddl_command_end, or rolled back with a
-- command that fails. An ALTER TABLE run by a function the outer one calls
-- stacks its own row; each end takes the newest. pg_current_xact_id() (64
-- bits, never reused) names the transaction.
CREATE TABLE IF NOT EXISTS dbguard.ddl_snapshots (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  backend_pid integer NOT NULL,
  xact        xid8 NOT NULL,
  state       jsonb NOT NULL
);

REVOKE ALL ON ALL TABLES IN SCHEMA dbguard FROM PUBLIC;
GRANT SELECT ON dbguard.config TO PUBLIC;
GRANT SELECT ON dbguard.windows, dbguard.refusals TO pg_database_owner;

-- Records a refusal in its own transaction (through dblink, as the
-- recorder role), so it survives the rollback of the refused statement.
-- When it cannot, the refusal still happens and a warning says why.
CREATE OR REPLACE FUNCTION dbguard.record(p_rule text, p_detail text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  a record;
  dblink_schema text := __DBLINK__;
BEGIN
  IF dblink_schema = '' THEN
    RAISE WARNING 'dbguard: refusal not recorded (the dblink extension is not available)';
    RETURN;
  END IF;
  SELECT s.application_name, inet_client_addr() AS client_addr INTO a FROM pg_stat_activity s WHERE s.pid = pg_backend_pid();
  EXECUTE format('SELECT %I.dblink_exec(%L, %L)', dblink_schema, 'dbguard_loopback', format(
    'INSERT INTO dbguard.refusals (session_role, acting_role, application_name, client_addr, backend_pid, statement, rule, detail) VALUES (%L, %L, %L, %L, %s, %L, %L, %L)',
    session_user, nullif(current_setting('role'), 'none'), a.application_name, a.client_addr, pg_backend_pid(),
    left(current_query(), 4000), p_rule, p_detail));
EXCEPTION WHEN others THEN
  RAISE WARNING 'dbguard: refusal not recorded (%)', SQLERRM;
END
$fn$;

-- Refuses with SQLSTATE 42501, after recording the refusal.
CREATE OR REPLACE FUNCTION dbguard.refuse(p_rule text, p_detail text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  PERFORM dbguard.record(p_rule, p_detail);
  RAISE EXCEPTION 'dbguard refused: % [%]', p_detail, p_rule
    USING ERRCODE = '42501',
          DETAIL = 'This database is protected by dbguard: destructive operations run only with a person''s approval.',
          HINT = 'A person must approve this operation through dbguard (dbguard run, sql, migrate deploy or reset ask for it); the approval opens a window for that operation alone.';
END
$fn$;

-- Whether this session holds an open window that covers `p_kind` on
-- `p_table` (NULL: any table). The first session that uses a window binds
-- it; every other session is refused while it is open.
CREATE OR REPLACE FUNCTION dbguard.window_allows(p_kind text, p_table text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  token text := current_setting('dbguard.window', true);
  w dbguard.windows;
  started timestamptz;
BEGIN
  IF token IS NULL OR token = '' THEN
    RETURN false;
  END IF;
  SELECT * INTO w FROM dbguard.windows
   WHERE token_sha256 = encode(sha256(convert_to(token, 'UTF8')), 'hex')
     AND closed_at IS NULL AND expires_at > clock_timestamp()
   FOR UPDATE;
  IF NOT FOUND OR NOT (p_kind = ANY (w.kinds))
     OR (w.tables IS NOT NULL AND p_table IS NOT NULL AND NOT (p_table = ANY (w.tables))) THEN
    RETURN false;
  END IF;
  SELECT s.backend_start INTO started FROM pg_stat_activity s WHERE s.pid = pg_backend_pid();
  IF w.bound_pid IS NULL THEN
    UPDATE dbguard.windows SET bound_pid = pg_backend_pid(), bound_backend_start = started WHERE id = w.id;
    RETURN true;
  END IF;
  RETURN w.bound_pid = pg_backend_pid() AND w.bound_backend_start IS NOT DISTINCT FROM started;
END
$fn$;

-- Closes the window whose token is `p_token`; closing only takes a right
-- away, so anyone holding the token may do it.
CREATE OR REPLACE FUNCTION dbguard.close_window(p_token text) RETURNS boolean
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
  WITH closed AS (
    UPDATE dbguard.windows SET closed_at = clock_timestamp()
     WHERE token_sha256 = encode(sha256(convert_to(p_token, 'UTF8')), 'hex') AND closed_at IS NULL
    RETURNING 1)
  SELECT count(*) > 0 FROM closed
$fn$;

CREATE OR REPLACE FUNCTION dbguard.guard_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  tbl text := format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME);
BEGIN
  IF NOT dbguard.window_allows('truncate', tbl) THEN
    PERFORM dbguard.refuse('protect/truncate', format('TRUNCATE %s removes every row of the table', tbl));
  END IF;
  RETURN NULL;
END
$fn$;

-- AFTER DELETE and AFTER UPDATE, once per statement, with the statement's
-- old rows. On dbguard's own server, install.rs replaces this function
-- with its C form (crates/native/src/guard_rows.c: the same rule, counted
-- by executor hooks from the rows the executor itself counts, with the
-- running count in the backend's memory), whose triggers are BEFORE
-- statement triggers without transition tables (protect_table); it reads
-- the limit from the trigger's argument; this one has the limit written
-- in and ignores it.
-- Rows are counted per client command: the statements that ON
-- DELETE CASCADE runs for a deleted farm, the statements of a DO block and
-- those of one multi-statement string are part of the same command, so
-- their rows add up. The command is named by EXTRACT(epoch FROM
-- statement_timestamp()), which changes with every message from the client
-- and, unlike the timestamp's text, with no setting (TimeZone, DateStyle).
-- The running count lives in a session setting, so that a procedure
-- committing between its statements (CALL or DO with COMMIT inside) is
-- still one command whose rows add up; a count of an earlier command is
-- never read, its timestamp being another. A value a session
-- writes there is never read below zero, and each statement's own rows,
-- from the transition table, are always counted, so no single statement
-- passes the limit; but SQL that empties the setting between statements of
-- one command starts the command's count again (dbguard's hook denies SQL
-- that names it; see the README's threat model).
--
-- Why this function is not SECURITY DEFINER and has no SET clause: it runs
-- for every UPDATE and DELETE, and both (a change of user and of
-- search_path on every call) cost more than the count itself. It runs as
-- the caller instead and names every function, operator and type with its
-- schema, so the caller's search_path cannot change what it computes (the
-- transition table's name is resolved before any table). Only when the
-- policy's limit is passed does it call the SECURITY DEFINER check below.
CREATE OR REPLACE FUNCTION dbguard.guard_rows() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  n pg_catalog.int8;
  total pg_catalog.int8;
BEGIN
  SELECT pg_catalog.count(*) INTO n FROM dbguard_old;
  total := pg_catalog.split_part(pg_catalog.set_config('dbguard.rows', pg_catalog.concat(
             EXTRACT(epoch FROM pg_catalog.statement_timestamp()), '|',
             n OPERATOR(pg_catalog.+) CASE
               WHEN pg_catalog.split_part(pg_catalog.current_setting('dbguard.rows', true), '|', 1)
                      OPERATOR(pg_catalog.=) EXTRACT(epoch FROM pg_catalog.statement_timestamp())::pg_catalog.text
                AND pg_catalog.split_part(pg_catalog.current_setting('dbguard.rows', true), '|', 2)
                      OPERATOR(pg_catalog.~) '^[0-9]{1,18}$'
               THEN pg_catalog.split_part(pg_catalog.current_setting('dbguard.rows', true), '|', 2)::pg_catalog.int8
               ELSE 0 END), false), '|', 2)::pg_catalog.int8;
  IF total OPERATOR(pg_catalog.<=) __MAX_ROWS__ THEN
    RETURN NULL;
  END IF;
  PERFORM dbguard.rows_over_limit(TG_OP, TG_RELID, n, total);
  RETURN NULL;
END
$fn$;

-- A statement that passed the policy's limit: let it through when this
-- session holds a window for it, refuse it otherwise.
CREATE OR REPLACE FUNCTION dbguard.rows_over_limit(p_op text, p_rel oid, p_rows bigint, p_total bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  kind text := lower(p_op);
  tbl text;
BEGIN
  IF p_total <= __MAX_ROWS__ OR kind NOT IN ('delete', 'update') THEN
    RETURN;
  END IF;
  SELECT format('%I.%I', n.nspname, c.relname) INTO tbl
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = p_rel;
  IF dbguard.window_allows(kind, tbl) THEN
    RETURN;
  END IF;
  PERFORM dbguard.refuse('protect/' || kind || '-many', format(
    '%s on %s touches %s row(s)%s; the policy allows %s per command',
    upper(kind), tbl, p_rows,
    CASE WHEN p_total > p_rows THEN format(' (%s with the rows of the same command: cascades and other statements)', p_total) ELSE '' END,
    __MAX_ROWS__));
END
$fn$;
GRANT EXECUTE ON FUNCTION dbguard.guard_truncate(), dbguard.guard_rows(),
  dbguard.rows_over_limit(text, oid, bigint, bigint) TO PUBLIC;
REVOKE EXECUTE ON FUNCTION dbguard.record(text, text), dbguard.refuse(text, text),
  dbguard.window_allows(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dbguard.close_window(text) TO PUBLIC;

-- Whether dbguard.guard_rows() is the C row guard, whose triggers are
-- BEFORE statement triggers without a transition table.
CREATE OR REPLACE FUNCTION dbguard.rows_in_c() RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT l.lanname = 'c' FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
   WHERE p.oid = 'dbguard.guard_rows()'::regprocedure
$fn$;
GRANT EXECUTE ON FUNCTION dbguard.rows_in_c() TO PUBLIC;

-- Puts the three table guards on `rel`, ENABLE ALWAYS so that
-- session_replication_role = replica does not switch them off. Runs as
-- the caller (the table's owner when a table is created).
CREATE OR REPLACE FUNCTION dbguard.protect_table(rel regclass) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  in_c boolean := dbguard.rows_in_c();
  timing text := CASE WHEN in_c THEN 'BEFORE' ELSE 'AFTER' END;
  transition text := CASE WHEN in_c THEN '' ELSE 'REFERENCING OLD TABLE AS dbguard_old' END;
BEGIN
  EXECUTE format('CREATE OR REPLACE TRIGGER dbguard_truncate BEFORE TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION dbguard.guard_truncate()', rel);
  EXECUTE format('CREATE OR REPLACE TRIGGER dbguard_delete %s DELETE ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION dbguard.guard_rows(%L)', timing, rel, transition, '__MAX_ROWS__');
  EXECUTE format('CREATE OR REPLACE TRIGGER dbguard_update %s UPDATE ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION dbguard.guard_rows(%L)', timing, rel, transition, '__MAX_ROWS__');
  EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER dbguard_truncate, ENABLE ALWAYS TRIGGER dbguard_delete, ENABLE ALWAYS TRIGGER dbguard_update', rel);
END
$fn$;
GRANT EXECUTE ON FUNCTION dbguard.protect_table(regclass) TO PUBLIC;

-- Whether trigger `trg` is what its name says. A trigger named dbguard_*
-- is one of the three table guards exactly as protect_table makes it: its
-- event and timing (tgtype bits: 2 BEFORE, 8 DELETE, 16 UPDATE, 32
-- TRUNCATE; 0 for AFTER and FOR EACH STATEMENT), its function, its row
-- limit, its transition table (none for the C row guard, which is BEFORE
-- the statement), and no WHEN condition or column list (with
-- either, it would fire for some statements only). No other trigger calls
-- dbguard's functions. Checked at every CREATE TRIGGER and ALTER TRIGGER
-- (on_ddl_end) and by protect status.
CREATE OR REPLACE FUNCTION dbguard.trigger_intact(trg oid) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT CASE
    WHEN t.tgname = 'dbguard_truncate' THEN
      t.tgtype = 34 AND t.tgfoid = 'dbguard.guard_truncate()'::regprocedure AND t.tgnargs = 0
      AND t.tgqual IS NULL AND cardinality(t.tgattr::int2[]) = 0
    WHEN t.tgname IN ('dbguard_delete', 'dbguard_update') THEN
      t.tgtype = CASE t.tgname WHEN 'dbguard_delete' THEN 8 ELSE 16 END + CASE WHEN g.in_c THEN 2 ELSE 0 END
      AND t.tgfoid = 'dbguard.guard_rows()'::regprocedure
      AND t.tgnargs = 1 AND t.tgargs = convert_to('__MAX_ROWS__', 'UTF8') || '\x00'::bytea
      AND t.tgoldtable IS NOT DISTINCT FROM CASE WHEN g.in_c THEN NULL ELSE 'dbguard_old' END
      AND t.tgnewtable IS NULL
      AND t.tgqual IS NULL AND cardinality(t.tgattr::int2[]) = 0
    ELSE NOT (t.tgname LIKE 'dbguard\_%' OR p.pronamespace = 'dbguard'::regnamespace)
  END
  FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid CROSS JOIN (SELECT dbguard.rows_in_c() AS in_c) g
  WHERE t.oid = trg
$fn$;
GRANT EXECUTE ON FUNCTION dbguard.trigger_intact(oid) TO PUBLIC;

-- The tables the guards cover: ordinary and partitioned tables of the
-- covered schemas, and every partition of a covered table wherever it
-- lives. A partition carries the guards itself: a statement that names a
-- partition fires that partition's statement triggers, not its parent's.
CREATE OR REPLACE FUNCTION dbguard.covered_tables() RETURNS SETOF oid
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p')
     AND (n.nspname = ANY (__SCHEMAS__)
          OR (c.relispartition AND (SELECT rn.nspname FROM pg_class r JOIN pg_namespace rn ON rn.oid = r.relnamespace
                                     WHERE r.oid = pg_partition_root(c.oid)) = ANY (__SCHEMAS__)))
$fn$;

-- What ALTER TABLE may not take away: row-level security, forced
-- row-level security, and each column's type.
CREATE OR REPLACE FUNCTION dbguard.table_state(rel oid) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT jsonb_build_object('rls', c.relrowsecurity, 'force', c.relforcerowsecurity,
           'cols', coalesce((SELECT jsonb_object_agg(a.attnum::text, a.atttypid::text || ':' || a.atttypmod)
                               FROM pg_attribute a
                              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '{}'::jsonb))
    FROM pg_class c WHERE c.oid = rel
$fn$;

-- Event triggers. Why catalogs and not the query text: ddl_command_start
-- only knows the command tag, and current_query() may hold several
-- statements, comments and quoted names, so reading it would guess. The
-- catalogs say exactly what changed: sql_drop lists every dropped object
-- (tables, columns, constraints, policies, schemas, what CASCADE and DROP
-- OWNED take along), and for ALTER TABLE the state of the covered tables
-- is taken at ddl_command_start (into dbguard.ddl_snapshots) and compared
-- at table_rewrite and ddl_command_end; an ALTER TABLE whose snapshot is
-- missing is refused. Raising there rolls the whole command back.

CREATE OR REPLACE FUNCTION dbguard.on_ddl_start() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  DELETE FROM dbguard.ddl_snapshots WHERE backend_pid = pg_backend_pid() AND xact <> pg_current_xact_id();
  INSERT INTO dbguard.ddl_snapshots (backend_pid, xact, state)
  VALUES (pg_backend_pid(), pg_current_xact_id(),
          coalesce((SELECT jsonb_object_agg(t::text, dbguard.table_state(t)) FROM dbguard.covered_tables() t), '{}'::jsonb));
END
$fn$;

-- This transaction's newest ALTER TABLE snapshot (NULL: there is none);
-- with p_take, removed as it is read.
CREATE OR REPLACE FUNCTION dbguard.ddl_snapshot(p_take boolean) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  newest bigint;
  snapshot jsonb;
BEGIN
  SELECT s.id, s.state INTO newest, snapshot FROM dbguard.ddl_snapshots s
   WHERE s.backend_pid = pg_backend_pid() AND s.xact = pg_current_xact_id()
   ORDER BY s.id DESC LIMIT 1;
  IF p_take AND newest IS NOT NULL THEN
    DELETE FROM dbguard.ddl_snapshots WHERE id = newest;
  END IF;
  RETURN snapshot;
END
$fn$;

-- Whether `rel` is a covered table or a partition of one.
CREATE OR REPLACE FUNCTION dbguard.is_covered(rel oid) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT coalesce(pg_partition_root(rel), rel) IN (SELECT dbguard.covered_tables())
$fn$;

-- Covered tables under a parent that is not covered (INHERIT, ATTACH
-- PARTITION, CREATE TABLE ... INHERITS), each with its nearest such
-- ancestor. A statement fires only the statement triggers of the table it
-- names, and reaches every descendant's rows: a DELETE of such a parent
-- would empty the child past its guards (and past its row-level security).
CREATE OR REPLACE FUNCTION dbguard.exposed_tables(OUT child oid, OUT parent oid) RETURNS SETOF record
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
  WITH RECURSIVE covered AS MATERIALIZED (SELECT t AS rel FROM dbguard.covered_tables() t),
  up(child, parent) AS (
    SELECT i.inhrelid, i.inhparent FROM pg_inherits i WHERE i.inhrelid IN (SELECT rel FROM covered)
    UNION
    SELECT up.child, i.inhparent FROM pg_inherits i JOIN up ON i.inhrelid = up.parent)
  SELECT DISTINCT ON (up.child) up.child, up.parent FROM up
   WHERE up.parent NOT IN (SELECT rel FROM covered)
$fn$;

-- What ALTER TABLE took away from the covered table `rel` (named `tbl`),
-- from its state `before` the command to now: the rule and what it says,
-- or NULLs.
CREATE OR REPLACE FUNCTION dbguard.lost_by_alter(rel oid, tbl text, before jsonb, OUT rule text, OUT what text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  after jsonb := dbguard.table_state(rel);
  col text;
BEGIN
  IF (before ->> 'rls')::boolean AND NOT (after ->> 'rls')::boolean THEN
    rule := 'protect/disable-rls';
    what := format('ALTER TABLE %s disables row-level security', tbl);
  ELSIF (before ->> 'force')::boolean AND NOT (after ->> 'force')::boolean THEN
    rule := 'protect/no-force-rls';
    what := format('ALTER TABLE %s stops forcing row-level security on its owner', tbl);
  ELSE
    FOR col IN SELECT key FROM jsonb_each_text(before -> 'cols') LOOP
      IF (after -> 'cols') ? col AND (after -> 'cols' ->> col) <> (before -> 'cols' ->> col) THEN
        rule := 'protect/alter-column-type';
        what := format('ALTER TABLE %s changes the type of column %I', tbl,
                       (SELECT attname FROM pg_attribute WHERE attrelid = rel AND attnum = col::int));
        EXIT;
      END IF;
    END LOOP;
  END IF;
END
$fn$;

-- table_rewrite: a command is about to rewrite every row of a table.
-- Reasons (pg_event_trigger_table_rewrite_reason, bits): 1 persistence,
-- 2 a new column's default, 4 a column's values, 8 the access method.
-- On a covered table, SET UNLOGGED (a crash then empties the table) and a
-- column rewrite (ALTER COLUMN ... TYPE ... USING, the same type or not:
-- an UPDATE of every row in disguise) are refused; a new column with a
-- volatile default and a new access method keep every value and pass.
-- What ddl_command_end would refuse is checked here too, before any USING
-- expression or default runs.
CREATE OR REPLACE FUNCTION dbguard.on_table_rewrite() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  rel oid := pg_event_trigger_table_rewrite_oid();
  reason integer := pg_event_trigger_table_rewrite_reason();
  root oid := coalesce(pg_partition_root(rel), rel);
  tbl text;
  lost record;
  rule text;
  what text;
BEGIN
  IF NOT dbguard.is_covered(rel) THEN
    RETURN;
  END IF;
  tbl := root::regclass::text;
  lost := dbguard.lost_by_alter(root, tbl, dbguard.ddl_snapshot(false) -> root::text);
  rule := lost.rule;
  what := lost.what;
  IF rule IS NULL AND (reason & 1) <> 0 AND (SELECT relpersistence FROM pg_class WHERE oid = rel) = 'p' THEN
    rule := 'protect/set-unlogged';
    what := format('%s makes %s unlogged: a crash would then empty it', tg_tag, rel::regclass::text);
  ELSIF rule IS NULL AND (reason & 4) <> 0 THEN
    rule := 'protect/rewrite-column';
    what := format('%s rewrites the values of a column of %s in every row', tg_tag, rel::regclass::text);
  END IF;
  IF rule IS NOT NULL AND NOT dbguard.window_allows('alter', NULL) THEN
    PERFORM dbguard.refuse(rule, what);
  END IF;
END
$fn$;

CREATE OR REPLACE FUNCTION dbguard.on_sql_drop() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  o record;
  rule text;
  kind text;
BEGIN
  FOR o IN SELECT * FROM pg_event_trigger_dropped_objects() ORDER BY original DESC LOOP
    CONTINUE WHEN o.is_temporary;
    rule := NULL;
    IF o.schema_name = 'dbguard' OR (o.object_type = 'schema' AND o.object_name = 'dbguard')
       OR (o.object_type = 'trigger' AND o.original AND o.object_identity LIKE 'dbguard\_%') THEN
      rule := 'protect/guard-objects';
      kind := 'unprotect';
    ELSIF o.schema_name = ANY (__SCHEMAS__) OR (o.object_type = 'schema' AND o.object_name = ANY (__SCHEMAS__)) THEN
      kind := 'drop';
      rule := CASE
        WHEN o.object_type = 'table column' THEN 'protect/drop-column'
        WHEN o.object_type IN ('table constraint', 'domain constraint') THEN 'protect/drop-constraint'
        WHEN o.object_type IN ('table', 'view', 'materialized view', 'foreign table', 'schema', 'function',
                               'procedure', 'aggregate', 'type', 'composite type', 'domain', 'policy') THEN 'protect/drop-object'
      END;
    END IF;
    IF rule IS NOT NULL AND NOT dbguard.window_allows(kind, NULL) THEN
      PERFORM dbguard.refuse(rule, format('%s drops %s %s', tg_tag, o.object_type, o.object_identity));
    END IF;
  END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION dbguard.on_ddl_end() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  c record;
  -- An ALTER TABLE's own snapshot is taken (removed); any other command
  -- (one an ALTER TABLE runs) reads the newest.
  snapshot jsonb := dbguard.ddl_snapshot(tg_tag = 'ALTER TABLE');
  lost record;
  pol record;
  rule text;
  what text;
BEGIN
  IF tg_tag IN ('ALTER TABLE', 'CREATE TABLE') THEN
    SELECT format('%s puts the guarded table %s under %s, which dbguard does not guard: a DELETE or UPDATE of %s would reach its rows past the guards',
                  tg_tag, e.child::regclass, e.parent::regclass, e.parent::regclass)
      INTO what FROM dbguard.exposed_tables() e LIMIT 1;
    IF what IS NOT NULL AND NOT dbguard.window_allows('alter', NULL) THEN
      PERFORM dbguard.refuse('protect/leave-coverage', what);
    END IF;
  END IF;
  FOR c IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
    rule := NULL;
    IF c.schema_name = 'dbguard' THEN
      rule := 'protect/guard-objects';
      what := format('%s changes %s %s, part of dbguard''s protection', c.command_tag, c.object_type, c.object_identity);
    ELSIF c.object_type = 'trigger' AND NOT coalesce(dbguard.trigger_intact(c.objid), true) THEN
      rule := 'protect/guard-objects';
      what := format('%s changes %s, one of dbguard''s guards', c.command_tag, c.object_identity);
    ELSIF c.command_tag = 'ALTER TABLE' AND c.classid = 'pg_class'::regclass AND c.objsubid = 0
          AND snapshot ? c.objid::text AND NOT dbguard.is_covered(c.objid) THEN
      rule := 'protect/leave-coverage';
      what := format('ALTER TABLE moves %s out of the schemas dbguard guards', c.object_identity);
    ELSIF c.command_tag = 'ALTER SCHEMA' AND c.classid = 'pg_namespace'::regclass
          AND NOT (c.object_identity = ANY (__SCHEMAS__))
          AND EXISTS (SELECT FROM pg_class t JOIN pg_trigger g ON g.tgrelid = t.oid
                       WHERE t.relnamespace = c.objid AND g.tgname = 'dbguard_delete') THEN
      rule := 'protect/leave-coverage';
      what := format('ALTER SCHEMA renames a guarded schema to %s, out of the schemas dbguard guards', c.object_identity);
    ELSIF c.command_tag = 'ALTER TABLE' AND c.classid = 'pg_class'::regclass AND c.objsubid = 0
          AND c.objid IN (SELECT dbguard.covered_tables()) THEN
      IF EXISTS (SELECT FROM pg_trigger t WHERE t.tgrelid = c.objid AND t.tgname LIKE 'dbguard\_%' AND t.tgenabled <> 'A') THEN
        rule := 'protect/guard-objects';
        what := format('ALTER TABLE %s switches off one of dbguard''s guards', c.object_identity);
      ELSIF snapshot IS NULL AND tg_tag = 'ALTER TABLE' THEN
        rule := 'protect/alter-unchecked';
        what := format('ALTER TABLE %s cannot be checked: the state of the tables before it was not recorded', c.object_identity);
      ELSIF snapshot ? c.objid::text THEN
        lost := dbguard.lost_by_alter(c.objid, c.object_identity, snapshot -> c.objid::text);
        rule := lost.rule;
        what := lost.what;
      END IF;
    ELSIF c.command_tag IN ('ALTER POLICY', 'CREATE POLICY') AND c.classid = 'pg_policy'::regclass THEN
      SELECT p.polrelid, p.polpermissive INTO pol FROM pg_policy p WHERE p.oid = c.objid;
      IF dbguard.is_covered(pol.polrelid)
         AND (c.command_tag = 'ALTER POLICY'
              OR (pol.polpermissive AND EXISTS (SELECT FROM pg_policy o WHERE o.polrelid = pol.polrelid AND o.oid <> c.objid))) THEN
        rule := 'protect/loosen-policy';
        what := CASE c.command_tag
          WHEN 'ALTER POLICY' THEN format('ALTER POLICY changes policy %s, which decides the rows each role sees', c.object_identity)
          ELSE format('CREATE POLICY adds permissive policy %s beside the table''s other policies, widening the rows they let through', c.object_identity)
        END;
      END IF;
    END IF;
    IF rule IS NOT NULL
       AND NOT dbguard.window_allows(CASE WHEN rule = 'protect/guard-objects' THEN 'unprotect' ELSE 'alter' END, NULL) THEN
      PERFORM dbguard.refuse(rule, what);
    END IF;
  END LOOP;
END
$fn$;

-- Tables created later in a covered schema get the guards, as their owner.
-- A guard re-created under its own name, as it was (CREATE OR REPLACE
-- TRIGGER; on_ddl_end refuses any other definition), comes back ENABLE
-- ORIGIN, which session_replication_role = replica switches off: it is
-- switched back to ENABLE ALWAYS, as its owner.
CREATE OR REPLACE FUNCTION dbguard.on_create_table() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  c record;
  trg record;
BEGIN
  FOR c IN SELECT * FROM pg_event_trigger_ddl_commands()
            WHERE command_tag IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO')
              AND classid = 'pg_class'::regclass AND objsubid = 0 AND NOT in_extension LOOP
    IF c.objid IN (SELECT dbguard.covered_tables()) THEN
      PERFORM dbguard.protect_table(c.objid);
    END IF;
  END LOOP;
  FOR trg IN SELECT t.tgrelid::regclass AS rel, t.tgname
               FROM pg_event_trigger_ddl_commands() d JOIN pg_trigger t ON t.oid = d.objid
              WHERE d.command_tag = 'CREATE TRIGGER' AND d.classid = 'pg_trigger'::regclass
                AND t.tgname IN ('dbguard_truncate', 'dbguard_delete', 'dbguard_update')
                AND t.tgenabled <> 'A' AND dbguard.trigger_intact(t.oid) LOOP
    EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', trg.rel, trg.tgname);
  END LOOP;
END
$fn$;
GRANT EXECUTE ON FUNCTION dbguard.covered_tables(), dbguard.table_state(oid), dbguard.exposed_tables() TO PUBLIC;
REVOKE EXECUTE ON FUNCTION dbguard.ddl_snapshot(boolean), dbguard.is_covered(oid),
  dbguard.lost_by_alter(oid, text, jsonb) FROM PUBLIC;
