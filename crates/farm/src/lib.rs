//! The multi-tenant farm database of the guide, with isolation done right:
//! the schema (shipped as Prisma-layout migrations), the roles and forced
//! row-level security, a tenant context that lives exactly as long as one
//! transaction, and an audit that proves every tenant table is isolated.

pub mod accounts;
pub mod adopt;
pub mod audit;
pub mod context;
pub mod export;
pub mod reach;
pub mod records;
pub mod seed;
pub mod validate;

use dbguard_migrate::Migration;

/// The role that owns the tables (no login).
pub const OWNER_ROLE: &str = "farm_owner";
/// The application's role: not owner, not superuser, no BYPASSRLS.
pub const APP_ROLE: &str = "farm_app";
/// Tables without `farm_id` by design.
pub const ALLOW_LIST: &[&str] = &["farms", "users", "_prisma_migrations"];

/// Column names that hold secrets (case-insensitive regular expression):
/// exports leave them out unless asked, and the tenancy audit reports any
/// the application role can read.
pub const SECRET_COLUMN_PATTERN: &str = "(^|_)(password|passwd|secret|token|api_key)(_|$)";

/// The schema's migrations, in order.
pub fn migrations() -> Vec<Migration> {
    vec![
        Migration::from_text(
            "20260101000000_farm_core",
            include_str!("../migrations/20260101000000_farm_core/migration.sql"),
        ),
        Migration::from_text(
            "20260102000000_farm_accounts",
            include_str!("../migrations/20260102000000_farm_accounts/migration.sql"),
        ),
        Migration::from_text(
            "20260103000000_farm_member_references",
            include_str!("../migrations/20260103000000_farm_member_references/migration.sql"),
        ),
    ]
}
