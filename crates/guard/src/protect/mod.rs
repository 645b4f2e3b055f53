//! `dbguard protect`: the guide's rules inside PostgreSQL itself, so they
//! hold for every client (app code, scripts, MCP servers, GUI clients), not
//! only for what an agent sends to its shell.
//!
//! In a `dbguard` schema owned by the NOLOGIN role `dbguard_owner`:
//! - table triggers on every table of the covered schemas: `BEFORE
//!   TRUNCATE`, and `dbguard_delete` / `dbguard_update` statement triggers
//!   that refuse a command touching more rows than the policy allows
//!   (cascades included), all `ENABLE ALWAYS`: on dbguard's own server
//!   `BEFORE` triggers of the C row guard, whose executor hooks count the
//!   rows (`dbguard-native`), elsewhere `AFTER` triggers with transition
//!   tables, counted in PL/pgSQL;
//! - event triggers refusing drops of tables, schemas, views, functions,
//!   types, policies, columns and constraints, column type changes, turning
//!   row-level security off, and changes to dbguard's own objects; and
//!   adding the table triggers to tables created later;
//! - `dbguard.refusals`, where every refusal is recorded;
//! - `dbguard.windows`: an approved operation's permission, written only by
//!   the guard role, whose password is kept sealed to the approver's key
//!   (see [`credential`] and [`windows`]).
//!
//! What this cannot stop: `DROP DATABASE` (no trigger sees it) and
//! superusers (they can drop event triggers); [`status`] names the roles
//! that can do either.

mod app_role;
pub mod credential;
mod error;
mod install;
mod status;
pub mod windows;

pub use app_role::{ensure_app_role, grant_rows, AppRole};
pub use error::{Error, Result};
pub use install::{install, unprotect, Installed, Options, RowGuard, DEFAULT_MAX_ROWS, OWNER_ROLE};
pub use status::{drop_rights, refusals, status, DropRights, Refusal, Status};
pub use windows::{
    close_window, connect_with_window, open_window, window_options, Kind, WindowSpec, WindowToken,
};

/// The message `protect` gives when no approver is configured.
pub const NO_APPROVER: &str =
    "no approver: destructive operations on this database cannot be approved until \
     `dbguard approver init`; then run protect again";
