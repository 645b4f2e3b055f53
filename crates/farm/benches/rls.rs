//! Row-level security's cost: 1M batches across 100 farms (and 2,000 users,
//! 20 members per farm); the same queries as `farm_app` in a farm context
//! (RLS), and as a superuser with an explicit `farm_id` filter (no RLS), each
//! in the same kind of transaction, same run. Each farm's batches are
//! written together (as a farm's rows accumulate in practice), so the
//! layout does not depend on the join order the generating INSERT gets.
//!
//! Run: `cargo bench -p dbguard-farm --bench rls`.

use std::time::{Duration, Instant};

const FARMS: usize = 100;
const PER_FARM: usize = 10_000;
const ROUNDS: usize = 3;

const QUERIES: &[(&str, &str, &str)] = &[
    (
        "recent batches: count and trays (30 days)",
        "SELECT count(*), sum(trays) FROM batches WHERE sown_at > now() - interval '30 days'",
        "SELECT count(*), sum(trays) FROM batches WHERE farm_id = $1::text::uuid AND sown_at > now() - interval '30 days'",
    ),
    (
        "the 50 latest batches",
        "SELECT id, trays FROM batches ORDER BY sown_at DESC LIMIT 50",
        "SELECT id, trays FROM batches WHERE farm_id = $1::text::uuid ORDER BY sown_at DESC LIMIT 50",
    ),
    (
        "all batches of the farm",
        "SELECT count(*) FROM batches",
        "SELECT count(*) FROM batches WHERE farm_id = $1::text::uuid",
    ),
    (
        "the farm's members (users)",
        "SELECT id, email, name FROM users ORDER BY id",
        "SELECT u.id, u.email, u.name FROM users u WHERE u.id IN (SELECT user_id FROM farm_users WHERE farm_id = $1::text::uuid) ORDER BY id",
    ),
];

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let db = dbguard_testkit::server().fresh_db();
    let mut admin = db.client();
    dbguard_migrate::runner::deploy(&mut admin, &dbguard_farm::migrations(), &mut |_| Ok(())).unwrap();
    let start = Instant::now();
    admin
        .batch_execute(&format!(
            "INSERT INTO users (id, email, name) SELECT 'u' || g, 'u' || g || '@example.com', 'User ' || g FROM generate_series(1, {FARMS}) g;
             INSERT INTO farms (id, farm_name, owner_id) SELECT md5('farm' || g)::uuid, 'Farm ' || g, 'u' || g FROM generate_series(1, {FARMS}) g;
             INSERT INTO farm_users (farm_id, user_id, role) SELECT md5('farm' || g)::uuid, 'u' || g, 'OWNER' FROM generate_series(1, {FARMS}) g;
             INSERT INTO users (id, email, name) SELECT 'm' || g, 'm' || g || '@example.com', 'Member ' || g FROM generate_series(1, {FARMS} * 19) g;
             INSERT INTO farm_users (farm_id, user_id, role)
               SELECT md5('farm' || (1 + (g - 1) / 19))::uuid, 'm' || g, 'TEAM_MEMBER' FROM generate_series(1, {FARMS} * 19) g;
             INSERT INTO seed_varieties (farm_id, name, days_to_harvest) SELECT id, 'pea', 10 FROM farms;
             INSERT INTO batches (farm_id, variety_id, trays, sown_at)
               SELECT v.farm_id, v.id, 1 + g % 20, now() - (g % 365) * interval '1 day' FROM seed_varieties v, generate_series(1, {PER_FARM}) g
               ORDER BY v.farm_id, g;"
        ))
        .unwrap();
    admin.batch_execute("VACUUM ANALYZE").unwrap();
    let rows: i64 = admin
        .query_one("SELECT count(*) FROM batches", &[])
        .unwrap()
        .get(0);
    println!(
        "{rows} batches across {FARMS} farms (generated in {:.1} s); {ROUNDS} rounds over every farm\n",
        start.elapsed().as_secs_f64()
    );
    let farms: Vec<(String, String)> = admin
        .query(
            "SELECT farm_id::text, user_id FROM farm_users WHERE role = 'OWNER' ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let mut app = db.client();
    app.batch_execute("SET ROLE farm_app").unwrap();

    println!(
        "{:<44} {:>12} {:>14} {:>8}",
        "query (median per query)", "RLS", "explicit", "ratio"
    );
    for (name, rls_sql, explicit_sql) in QUERIES {
        let (mut rls, mut explicit) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            for (farm, user) in &farms {
                let t = Instant::now();
                let mut tx = dbguard_farm::context::FarmTx::begin(&mut app, farm, user).unwrap();
                std::hint::black_box(tx.client().query(*rls_sql, &[]).unwrap());
                tx.commit().unwrap();
                rls.push(t.elapsed());

                let t = Instant::now();
                let mut tx = admin.transaction().unwrap();
                tx.execute("SELECT set_config('app.current_farm_id', $1, true)", &[farm])
                    .unwrap();
                tx.query_opt(
                    "SELECT is_active FROM farm_users WHERE farm_id = $1::text::uuid AND user_id = $2",
                    &[farm, user],
                )
                .unwrap();
                std::hint::black_box(tx.query(*explicit_sql, &[farm]).unwrap());
                tx.commit().unwrap();
                explicit.push(t.elapsed());
            }
        }
        let (r, e) = (median(rls), median(explicit));
        println!(
            "{name:<44} {:>9.3} ms {:>11.3} ms {:>7.2}x",
            r.as_secs_f64() * 1e3,
            e.as_secs_f64() * 1e3,
            r.as_secs_f64() / e.as_secs_f64()
        );
    }
}
