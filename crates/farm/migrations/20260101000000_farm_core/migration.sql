-- dbguard's farm schema: users, farms, memberships and the business tables
-- of a microgreens farm. Every business table belongs to one farm: farm_id
-- leads its primary key, unique constraints and indexes, references between
-- business tables are composite (farm_id, x_id) so a row can never point into
-- another farm, and forced row-level security shows the application role
-- only the rows of the farm set for the current transaction.

-- Roles: farm_owner owns the tables (no login); farm_app is the application
-- (login, not owner, not a member of the owner, no superuser, no BYPASSRLS).
DO $$
BEGIN
  BEGIN
    CREATE ROLE farm_owner NOLOGIN;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END;
  BEGIN
    CREATE ROLE farm_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END;
END $$;
GRANT USAGE, CREATE ON SCHEMA public TO farm_owner;
GRANT USAGE ON SCHEMA public TO farm_app;
SET LOCAL ROLE farm_owner;

CREATE TYPE "Role" AS ENUM ('ADMIN', 'MANAGER', 'TEAM_LEAD', 'SPECIALIST_LEAD', 'TEAM_MEMBER', 'SPECIALIST');
CREATE TYPE farm_role AS ENUM ('OWNER', 'FARM_MANAGER', 'TEAM_LEAD', 'SPECIALIST_LEAD', 'TEAM_MEMBER', 'SPECIALIST');

-- A cuid-style id: 'c' and 24 characters of base 36.
CREATE FUNCTION cuid() RETURNS text LANGUAGE sql VOLATILE AS $$
  SELECT 'c' || string_agg(substr('0123456789abcdefghijklmnopqrstuvwxyz', 1 + floor(random() * 36)::int, 1), '')
    FROM generate_series(1, 24)
$$;

CREATE TABLE users (
  id            text PRIMARY KEY DEFAULT cuid(),
  email         text NOT NULL CHECK (email <> ''),
  name          text NOT NULL,
  role          "Role" NOT NULL DEFAULT 'TEAM_MEMBER',
  roles         "Role"[] NOT NULL DEFAULT '{}',
  password_hash text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE farms (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  farm_name           text NOT NULL,
  business_name       text,
  subdomain           text UNIQUE,
  owner_id            text NOT NULL REFERENCES users (id),
  subscription_plan   text,
  subscription_status text,
  trial_ends_at       timestamptz,
  settings            jsonb NOT NULL DEFAULT '{}',
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX farms_owner_id_idx ON farms (owner_id);

CREATE TABLE farm_users (
  farm_id     uuid NOT NULL REFERENCES farms (id) ON DELETE CASCADE,
  user_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role        farm_role NOT NULL,
  permissions jsonb NOT NULL DEFAULT '{}',
  is_active   boolean NOT NULL DEFAULT true,
  joined_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (farm_id, user_id)
);
CREATE INDEX farm_users_user_id_idx ON farm_users (farm_id, user_id, is_active);

CREATE TABLE seed_varieties (
  farm_id            uuid NOT NULL REFERENCES farms (id) ON DELETE CASCADE,
  id                 uuid NOT NULL DEFAULT gen_random_uuid(),
  name               text NOT NULL,
  days_to_harvest    integer NOT NULL CHECK (days_to_harvest > 0),
  seed_grams_per_tray integer NOT NULL DEFAULT 0 CHECK (seed_grams_per_tray >= 0),
  price_cents_per_tray integer NOT NULL DEFAULT 0 CHECK (price_cents_per_tray >= 0),
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (farm_id, id),
  UNIQUE (farm_id, name)
);

CREATE TABLE growing_environments (
  farm_id        uuid NOT NULL REFERENCES farms (id) ON DELETE CASCADE,
  id             uuid NOT NULL DEFAULT gen_random_uuid(),
  name           text NOT NULL,
  kind           text NOT NULL DEFAULT 'RACK',
  capacity_trays integer NOT NULL DEFAULT 0 CHECK (capacity_trays >= 0),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (farm_id, id),
  UNIQUE (farm_id, name)
);

CREATE TABLE batches (
  farm_id        uuid NOT NULL REFERENCES farms (id) ON DELETE CASCADE,
  id             uuid NOT NULL DEFAULT gen_random_uuid(),
  variety_id     uuid NOT NULL,
  environment_id uuid,
  status         text NOT NULL DEFAULT 'GROWING' CHECK (status IN ('PLANNED', 'GROWING', 'HARVESTED', 'DISCARDED')),
  trays          integer NOT NULL CHECK (trays > 0),
  sown_at        timestamptz NOT NULL,
  harvested_at   timestamptz,
  yield_grams    integer CHECK (yield_grams >= 0),
  notes          text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (farm_id, id),
  FOREIGN KEY (farm_id, variety_id) REFERENCES seed_varieties (farm_id, id),
  FOREIGN KEY (farm_id, environment_id) REFERENCES growing_environments (farm_id, id)
);
CREATE INDEX batches_variety_idx ON batches (farm_id, variety_id);
CREATE INDEX batches_environment_idx ON batches (farm_id, environment_id);
CREATE INDEX batches_sown_idx ON batches (farm_id, sown_at);

CREATE TABLE customers (
  farm_id    uuid NOT NULL REFERENCES farms (id) ON DELETE CASCADE,
  id         uuid NOT NULL DEFAULT gen_random_uuid(),
  name       text NOT NULL,
  email      text,
  phone      text,
  address    text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (farm_id, id)
);
CREATE UNIQUE INDEX customers_email_key ON customers (farm_id, lower(email));

CREATE TABLE orders (
  farm_id       uuid NOT NULL REFERENCES farms (id) ON DELETE CASCADE,
  id            uuid NOT NULL DEFAULT gen_random_uuid(),
  customer_id   uuid NOT NULL,
  status        text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'CONFIRMED', 'DELIVERED', 'CANCELLED')),
  delivery_date date,
  total_cents   bigint NOT NULL DEFAULT 0 CHECK (total_cents >= 0),
  placed_at     timestamptz NOT NULL DEFAULT now(),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (farm_id, id),
  FOREIGN KEY (farm_id, customer_id) REFERENCES customers (farm_id, id)
);
CREATE INDEX orders_customer_idx ON orders (farm_id, customer_id);
CREATE INDEX orders_delivery_idx ON orders (farm_id, delivery_date);

CREATE TABLE order_items (
  farm_id          uuid NOT NULL REFERENCES farms (id) ON DELETE CASCADE,
  id               uuid NOT NULL DEFAULT gen_random_uuid(),
  order_id         uuid NOT NULL,
  variety_id       uuid NOT NULL,
  quantity         integer NOT NULL CHECK (quantity > 0),
  unit_price_cents integer NOT NULL CHECK (unit_price_cents >= 0),
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (farm_id, id),
  FOREIGN KEY (farm_id, order_id) REFERENCES orders (farm_id, id) ON DELETE CASCADE,
  FOREIGN KEY (farm_id, variety_id) REFERENCES seed_varieties (farm_id, id)
);
CREATE INDEX order_items_order_idx ON order_items (farm_id, order_id);
CREATE INDEX order_items_variety_idx ON order_items (farm_id, variety_id);

CREATE TABLE equipment (
  farm_id      uuid NOT NULL REFERENCES farms (id) ON DELETE CASCADE,
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  name         text NOT NULL,
  kind         text NOT NULL,
  status       text NOT NULL DEFAULT 'IN_SERVICE',
  purchased_on date,
  cost_cents   integer NOT NULL DEFAULT 0 CHECK (cost_cents >= 0),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (farm_id, id),
  UNIQUE (farm_id, name)
);

CREATE TABLE inventory_items (
  farm_id       uuid NOT NULL REFERENCES farms (id) ON DELETE CASCADE,
  id            uuid NOT NULL DEFAULT gen_random_uuid(),
  name          text NOT NULL,
  unit          text NOT NULL,
  quantity      integer NOT NULL DEFAULT 0 CHECK (quantity >= 0),
  reorder_level integer NOT NULL DEFAULT 0 CHECK (reorder_level >= 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (farm_id, id),
  UNIQUE (farm_id, name)
);

CREATE TABLE financial_records (
  farm_id      uuid NOT NULL REFERENCES farms (id) ON DELETE CASCADE,
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  kind         text NOT NULL CHECK (kind IN ('INCOME', 'EXPENSE')),
  amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
  occurred_on  date NOT NULL,
  description  text,
  order_id     uuid,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (farm_id, id),
  FOREIGN KEY (farm_id, order_id) REFERENCES orders (farm_id, id)
);
CREATE INDEX financial_records_occurred_idx ON financial_records (farm_id, occurred_on);
CREATE INDEX financial_records_order_idx ON financial_records (farm_id, order_id);

CREATE TABLE quality_checks (
  farm_id    uuid NOT NULL REFERENCES farms (id) ON DELETE CASCADE,
  id         uuid NOT NULL DEFAULT gen_random_uuid(),
  batch_id   uuid NOT NULL,
  score      integer NOT NULL CHECK (score BETWEEN 1 AND 5),
  checked_by text REFERENCES users (id),
  checked_at timestamptz NOT NULL DEFAULT now(),
  notes      text,
  PRIMARY KEY (farm_id, id),
  FOREIGN KEY (farm_id, batch_id) REFERENCES batches (farm_id, id) ON DELETE CASCADE
);
CREATE INDEX quality_checks_batch_idx ON quality_checks (farm_id, batch_id);

CREATE TABLE tasks (
  farm_id      uuid NOT NULL REFERENCES farms (id) ON DELETE CASCADE,
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  title        text NOT NULL,
  assignee_id  text REFERENCES users (id),
  batch_id     uuid,
  status       text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'IN_PROGRESS', 'DONE')),
  due_at       timestamptz,
  completed_at timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (farm_id, id),
  FOREIGN KEY (farm_id, batch_id) REFERENCES batches (farm_id, id) ON DELETE CASCADE
);
CREATE INDEX tasks_due_idx ON tasks (farm_id, due_at);
CREATE INDEX tasks_assignee_idx ON tasks (farm_id, assignee_id);
CREATE INDEX tasks_batch_idx ON tasks (farm_id, batch_id);

-- Row-level security, enabled and forced, on every tenant table: one
-- permissive policy for the application role; no farm set means no rows.
ALTER TABLE farm_users ENABLE ROW LEVEL SECURITY;
ALTER TABLE farm_users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON farm_users AS PERMISSIVE FOR ALL TO farm_app
  USING (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid)
  WITH CHECK (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON farm_users TO farm_app;

ALTER TABLE seed_varieties ENABLE ROW LEVEL SECURITY;
ALTER TABLE seed_varieties FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON seed_varieties AS PERMISSIVE FOR ALL TO farm_app
  USING (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid)
  WITH CHECK (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON seed_varieties TO farm_app;

ALTER TABLE growing_environments ENABLE ROW LEVEL SECURITY;
ALTER TABLE growing_environments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON growing_environments AS PERMISSIVE FOR ALL TO farm_app
  USING (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid)
  WITH CHECK (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON growing_environments TO farm_app;

ALTER TABLE batches ENABLE ROW LEVEL SECURITY;
ALTER TABLE batches FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON batches AS PERMISSIVE FOR ALL TO farm_app
  USING (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid)
  WITH CHECK (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON batches TO farm_app;

ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE customers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON customers AS PERMISSIVE FOR ALL TO farm_app
  USING (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid)
  WITH CHECK (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON customers TO farm_app;

ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE orders FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON orders AS PERMISSIVE FOR ALL TO farm_app
  USING (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid)
  WITH CHECK (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON orders TO farm_app;

ALTER TABLE order_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE order_items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON order_items AS PERMISSIVE FOR ALL TO farm_app
  USING (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid)
  WITH CHECK (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON order_items TO farm_app;

ALTER TABLE equipment ENABLE ROW LEVEL SECURITY;
ALTER TABLE equipment FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON equipment AS PERMISSIVE FOR ALL TO farm_app
  USING (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid)
  WITH CHECK (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON equipment TO farm_app;

ALTER TABLE inventory_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE inventory_items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON inventory_items AS PERMISSIVE FOR ALL TO farm_app
  USING (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid)
  WITH CHECK (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON inventory_items TO farm_app;

ALTER TABLE financial_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE financial_records FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON financial_records AS PERMISSIVE FOR ALL TO farm_app
  USING (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid)
  WITH CHECK (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON financial_records TO farm_app;

ALTER TABLE quality_checks ENABLE ROW LEVEL SECURITY;
ALTER TABLE quality_checks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON quality_checks AS PERMISSIVE FOR ALL TO farm_app
  USING (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid)
  WITH CHECK (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON quality_checks TO farm_app;

ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE tasks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tasks AS PERMISSIVE FOR ALL TO farm_app
  USING (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid)
  WITH CHECK (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON tasks TO farm_app;

GRANT SELECT, INSERT, UPDATE ON users, farms TO farm_app;
GRANT EXECUTE ON FUNCTION cuid() TO farm_app;
