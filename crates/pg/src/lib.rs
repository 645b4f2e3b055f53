//! PostgreSQL plumbing for dbguard: where the target database comes from
//! (flags, environment, `.env`, `dbguard.toml`), connections, the installed
//! PostgreSQL programs, and dbguard's own local server.
//!
//! Nothing in this crate prints or logs a password: [`DbUrl`] displays
//! redacted, and every error message is built from redacted text.

pub mod connect;
pub mod conninfo;
pub mod dburl;
pub mod env;
pub mod envfile;
pub mod error;
pub mod health;
pub mod local;
pub mod osuser;
pub mod pgpass;
pub mod policy;
pub mod pool;
pub mod prisma;
pub mod random;
pub mod redact;
pub mod settings;
pub mod summary;
pub mod tls;
pub mod tools;

pub use connect::connect;
pub use dburl::{DbUrl, Libpq};
pub use error::{Error, Result};
pub use local::{LocalServer, ServerOptions, ServerState, ServerStatus};
pub use policy::Policy;
pub use settings::{Settings, Target, TargetSource};
pub use summary::DatabaseSummary;
pub use tools::{Discovery, Installation};
