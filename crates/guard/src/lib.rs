//! dbguard's safety protocol: classify -> assess -> plan -> approve ->
//! backup + verify -> execute -> record. This crate holds the parts with
//! state: approvals and the hash-chained audit log.

pub mod approver;
pub mod approvals;
pub mod assess;
pub mod audit;
pub mod error;
pub mod target;

pub use approvals::{Approval, Approvals, Binding};
pub use assess::{assess, Assessment};
pub use audit::{AuditLog, Entry};
pub use error::{Error, Result};
