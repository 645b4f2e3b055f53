//! Migrations: the Prisma layout and history (`_prisma_migrations`), a
//! runner (status, deploy, resolve), and the lint that catches dangerous
//! patterns before they run.

pub mod deploy_plan;
pub mod error;
pub mod history;
pub mod layout;
pub mod lint;
pub mod runner;

pub use error::{Error, Result};
pub use layout::Migration;
