//! Migrations: the lint that catches dangerous patterns before they run.

pub mod lint;
