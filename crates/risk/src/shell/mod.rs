//! Shell command lines.

pub mod ast;
pub mod parse;
