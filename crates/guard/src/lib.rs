//! dbguard's safety protocol: classify -> assess -> plan -> approve ->
//! backup + verify -> execute -> record ([`protocol`]), and the parts with
//! state: the approver's key, signed approvals and the audit log.

pub mod agent;
pub mod approvals;
pub mod approver;
pub mod assess;
pub mod audit;
pub mod consent;
pub mod error;
mod private_file;
pub mod protect;
pub mod protocol;
pub mod target;
pub mod tool_call;

pub use approvals::{Approval, Approvals, Binding};
pub use assess::{assess, Assessment};
pub use audit::{AuditLog, Entry};
pub use error::{Error, Result};
