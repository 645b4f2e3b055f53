//! Migrations: the Prisma layout and history (`_prisma_migrations`), a
//! runner (status, deploy, resolve), the built-in schema beside the
//! project's own (`sources`), and the lint that catches dangerous
//! patterns before they run.

pub mod deploy_plan;
pub mod error;
pub mod history;
pub mod layout;
pub mod lint;
pub mod resolve_plan;
pub mod runner;
pub mod sources;

pub use error::{Error, Result};
pub use layout::{Migration, Source};
