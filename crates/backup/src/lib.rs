//! Backups that can be trusted: `pg_dump` in its own archive format,
//! compressed with zstd while it streams, checksummed, described by a
//! manifest, verified by reading or by restoring, pruned without ever losing
//! the newest verified backup, and restored into a new database or — after
//! a safety backup — over the live one in a single transaction.

pub mod create;
pub mod error;
pub mod layout;
pub mod leftovers;
pub mod listing;
pub mod locks;
pub mod manifest;
mod programs;
pub mod progress;
pub mod prune;
mod replay;
pub mod restore;
mod source;
pub mod stream;
pub mod verify;

pub use create::{create, CreateOptions};
pub use error::{Error, Result};
pub use layout::{Backup, Store};
pub use manifest::{Level, Manifest};
pub use prune::{plan_store, Retention};
pub use replay::post_data_sql;
pub use restore::{restore, RestoreOptions, Target};
pub use verify::{verify, VerifyOptions, VerifyReport};
