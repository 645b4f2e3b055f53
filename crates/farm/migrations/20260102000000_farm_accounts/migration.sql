-- Farms and users behind a boundary too. The application role (farm_app)
-- sees only the farm of the current transaction and the users who are
-- members of it, never a password hash, and cannot create farms or change
-- credentials by writing rows: it calls the functions of schema `app`,
-- which check the caller's right. The caller is the user the application
-- names per transaction with set_config('app.current_user_id', $1, true),
-- exactly as it names the farm: the application role is trusted to say
-- which user it acts for; changing a credential also needs that user's
-- current password.
--
-- A second migration rather than an edit of farm_core: databases that
-- already applied farm_core get these changes too.

-- Functions live in `app`, owned by farm_owner; pgcrypto's crypt() checks
-- bcrypt hashes inside the database, so no hash ever leaves it. `app` is
-- outside `public`, which `dbguard reset` drops and re-creates: so that this
-- migration applies again after a reset, it creates or replaces.
-- pgcrypto has a schema of its own, not farm_owner's (an extension owned
-- by another role inside farm_owner's schema would block DROP OWNED BY
-- farm_owner), usable by farm_owner only.
CREATE SCHEMA IF NOT EXISTS app AUTHORIZATION farm_owner;
CREATE SCHEMA IF NOT EXISTS app_crypto;
REVOKE ALL ON SCHEMA app_crypto FROM PUBLIC;
GRANT USAGE ON SCHEMA app_crypto TO farm_owner;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA app_crypto;
DO $$
DECLARE
  home text := (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pgcrypto');
BEGIN
  IF home <> 'app_crypto' THEN
    RAISE EXCEPTION 'pgcrypto is installed in schema %, and the farm schema''s sign-in functions need it in schema app_crypto', home
      USING HINT = 'ALTER EXTENSION pgcrypto SET SCHEMA app_crypto';
  END IF;
END $$;
GRANT USAGE ON SCHEMA app TO farm_app;
SET LOCAL ROLE farm_owner;
SET LOCAL lock_timeout = '5s';
-- (Per schema, default privileges can only add: the revoke has to be global.)
ALTER DEFAULT PRIVILEGES FOR ROLE farm_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- Row-level security, forced, on the shared tables. farm_owner sees every
-- row: it owns the functions below, which are the only way its rights
-- reach the application.
ALTER TABLE farms ENABLE ROW LEVEL SECURITY;
ALTER TABLE farms FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON farms AS PERMISSIVE FOR ALL TO farm_app
  USING (id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid)
  WITH CHECK (id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid);
CREATE POLICY owner_functions ON farms AS PERMISSIVE FOR ALL TO farm_owner USING (true) WITH CHECK (true);

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
-- farm_users is itself filtered to the current farm for farm_app (and its
-- policy does not read users, so there is no recursion).
CREATE POLICY farm_members ON users AS PERMISSIVE FOR SELECT TO farm_app
  USING (id IN (SELECT m.user_id FROM farm_users m
                 WHERE m.farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid));
CREATE POLICY self_update ON users AS PERMISSIVE FOR UPDATE TO farm_app
  USING (id = NULLIF((SELECT current_setting('app.current_user_id', true)), '')
         AND id IN (SELECT m.user_id FROM farm_users m
                     WHERE m.farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid))
  WITH CHECK (id = NULLIF((SELECT current_setting('app.current_user_id', true)), '')
         AND id IN (SELECT m.user_id FROM farm_users m
                     WHERE m.farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid));
CREATE POLICY owner_functions ON users AS PERMISSIVE FOR ALL TO farm_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_functions ON farm_users AS PERMISSIVE FOR ALL TO farm_owner USING (true) WITH CHECK (true);

-- Column privileges: never password_hash; email, role and roles only
-- through the functions; no new farms or users by INSERT.
REVOKE ALL ON users, farms FROM farm_app;
GRANT SELECT (id, email, name, role, roles, created_at, updated_at) ON users TO farm_app;
GRANT UPDATE (name, updated_at) ON users TO farm_app;
GRANT SELECT ON farms TO farm_app;
GRANT UPDATE (farm_name, business_name, subdomain, settings, updated_at) ON farms TO farm_app;
-- A membership is added by email through app.add_member (a manager's
-- right), never by writing someone's id into farm_users.
REVOKE INSERT, UPDATE ON farm_users FROM farm_app;
GRANT UPDATE (role, permissions, is_active) ON farm_users TO farm_app;

-- Whether `password` matches the bcrypt `stored` hash. pgcrypto knows
-- bcrypt as $2a$ only; $2b$ and $2y$ (the Rust crate, bcryptjs) are the
-- same algorithm for passwords under 256 bytes. Without a usable hash it
-- still spends one bcrypt of cost 12 (the seed's), so an unknown account
-- answers like a wrong password. Not callable by the application.
CREATE OR REPLACE FUNCTION app.password_matches(password text, stored text) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, app, app_crypto, pg_temp AS $$
DECLARE
  usable boolean := stored ~ '^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$';
  setting text := CASE WHEN usable THEN '$2a$' || substr(stored, 5) ELSE '$2a$12$dbguardunknownaccountu' END;
  computed text := crypt(coalesce(password, ''), setting);
BEGIN
  RETURN coalesce(usable, false) AND password IS NOT NULL AND computed = setting;
END $$;

-- The signed-in user, or none: the same for an unknown email as for a
-- wrong password. Never returns the hash.
CREATE OR REPLACE FUNCTION app.sign_in(email text, password text)
RETURNS TABLE (id text, email text, name text, role "Role", roles "Role"[])
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public, app, app_crypto, pg_temp AS $$
  SELECT u.id, u.email, u.name, u.role, u.roles
    FROM (SELECT 1) one LEFT JOIN users u ON lower(u.email) = lower(sign_in.email)
   WHERE app.password_matches(sign_in.password, u.password_hash)
$$;

-- The user this transaction acts for, or an error.
CREATE OR REPLACE FUNCTION app.actor() RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, app, app_crypto, pg_temp AS $$
DECLARE
  who text := NULLIF(current_setting('app.current_user_id', true), '');
BEGIN
  IF who IS NULL OR NOT EXISTS (SELECT FROM users WHERE users.id = who) THEN
    RAISE EXCEPTION 'no signed-in user: set app.current_user_id for the transaction' USING ERRCODE = '42501';
  END IF;
  RETURN who;
END $$;

-- The farms the current user is an active member of, with their role.
CREATE OR REPLACE FUNCTION app.my_farms() RETURNS TABLE (farm_id uuid, farm_name text, role farm_role)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, app, app_crypto, pg_temp AS $$
  SELECT f.id, f.farm_name, m.role FROM farm_users m JOIN farms f ON f.id = m.farm_id
   WHERE m.user_id = app.actor() AND m.is_active ORDER BY f.farm_name, f.id
$$;

-- A new farm owned by the current user (never by anyone else), who becomes its OWNER member.
CREATE OR REPLACE FUNCTION app.create_farm(farm_name text, subdomain text DEFAULT NULL) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, app, app_crypto, pg_temp AS $$
DECLARE
  owner text := app.actor();
  farm uuid;
BEGIN
  INSERT INTO farms (farm_name, subdomain, owner_id) VALUES (create_farm.farm_name, create_farm.subdomain, owner)
    RETURNING id INTO farm;
  INSERT INTO farm_users (farm_id, user_id, role) VALUES (farm, owner, 'OWNER');
  RETURN farm;
END $$;

-- Adds the user with `email` to the current farm; the current user must be
-- an active OWNER or FARM_MANAGER of it. Ownership is not given this way.
CREATE OR REPLACE FUNCTION app.add_member(email text, role farm_role DEFAULT 'TEAM_MEMBER') RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, app, app_crypto, pg_temp AS $$
DECLARE
  farm uuid := NULLIF(current_setting('app.current_farm_id', true), '')::uuid;
  member text;
BEGIN
  IF NOT EXISTS (SELECT FROM farm_users m WHERE m.farm_id = farm AND m.user_id = app.actor()
                    AND m.is_active AND m.role IN ('OWNER', 'FARM_MANAGER')) THEN
    RAISE EXCEPTION 'only an owner or manager of the current farm adds members' USING ERRCODE = '42501';
  END IF;
  IF add_member.role = 'OWNER' THEN
    RAISE EXCEPTION 'a farm has one owner; add the member with another role' USING ERRCODE = '42501';
  END IF;
  SELECT u.id INTO member FROM users u WHERE lower(u.email) = lower(add_member.email);
  IF member IS NULL THEN
    RAISE EXCEPTION 'no user with that email' USING ERRCODE = 'P0002';
  END IF;
  INSERT INTO farm_users (farm_id, user_id, role) VALUES (farm, member, add_member.role)
    ON CONFLICT (farm_id, user_id) DO NOTHING;
  RETURN member;
END $$;

-- The current user, after checking their `password` (for a change of credentials).
CREATE OR REPLACE FUNCTION app.reauthenticate(password text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, app, app_crypto, pg_temp AS $$
DECLARE
  who text := app.actor();
BEGIN
  IF NOT app.password_matches(reauthenticate.password, (SELECT password_hash FROM users WHERE id = who)) THEN
    RAISE EXCEPTION 'the password is wrong' USING ERRCODE = '28P01';
  END IF;
  RETURN who;
END $$;

-- The current user's password, after checking the present one (12 to 72
-- bytes, hashed with bcrypt cost 12).
CREATE OR REPLACE FUNCTION app.change_password(current_password text, new_password text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, app, app_crypto, pg_temp AS $$
DECLARE
  who text := app.reauthenticate(current_password);
BEGIN
  IF char_length(new_password) < 12 OR octet_length(new_password) > 72 THEN
    RAISE EXCEPTION 'a password has 12 characters to 72 bytes' USING ERRCODE = '22023';
  END IF;
  UPDATE users SET password_hash = crypt(new_password, gen_salt('bf', 12)), updated_at = now() WHERE id = who;
END $$;

-- The current user's email, after checking their password (unique regardless of case).
CREATE OR REPLACE FUNCTION app.change_email(new_email text, password text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, app, app_crypto, pg_temp AS $$
DECLARE
  who text := app.reauthenticate(change_email.password);
BEGIN
  UPDATE users SET email = new_email, updated_at = now() WHERE id = who;
END $$;

REVOKE EXECUTE ON FUNCTION app.password_matches(text, text), app.actor(), app.reauthenticate(text), app.sign_in(text, text), app.my_farms(),
  app.create_farm(text, text), app.add_member(text, farm_role), app.change_password(text, text),
  app.change_email(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.sign_in(text, text), app.my_farms(), app.create_farm(text, text),
  app.add_member(text, farm_role), app.change_password(text, text), app.change_email(text, text) TO farm_app;
