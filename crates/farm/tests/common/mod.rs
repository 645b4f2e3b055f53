//! What the farm's isolation and account tests share: a database with the
//! farm schema, the fixture users' passwords, the application role.

use dbguard_testkit::TestDb;

/// A fresh database with every farm migration applied.
pub fn deployed() -> TestDb {
    let db = dbguard_testkit::server().fresh_db();
    dbguard_migrate::runner::deploy(&mut db.client(), &dbguard_farm::migrations(), &mut |_| Ok(())).unwrap();
    db
}

/// The fixture's password of `user`.
pub fn password(user: &str) -> String {
    format!("correct horse {user} battery")
}

/// A `$2b$` hash of `user`'s password, as the seed writes them, at bcrypt's
/// cheapest cost to keep the tests fast.
pub fn hash(user: &str) -> String {
    bcrypt::hash(password(user), 4).unwrap()
}

/// A connection acting as the application role.
pub fn as_app(db: &TestDb) -> postgres::Client {
    let mut client = db.client();
    client.batch_execute("SET ROLE farm_app").unwrap();
    client
}
