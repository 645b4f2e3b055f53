//! Flask-Migrate: `flask [--app APP] db COMMAND` is Alembic's COMMAND
//! (`flask db downgrade base` unapplies every migration).

use super::super::super::ast::Word;
use super::super::super::opts::{read, Spec};
use super::super::super::walk::{Invocation, Scope, Walker};

/// Program names.
pub const NAMES: &[&str] = &["flask"];

const SPEC: Spec = Spec {
    short_values: "Ae",
    long_values: &["app", "env-file"],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let args = inv.args();
    let (_, rest) = read(args, &SPEC, true);
    let Some(start) = rest.filter(|&i| args[i].text == "db") else {
        return;
    };
    let mut words = vec![Word::literal("alembic")];
    words.extend(args[start + 1..].iter().cloned());
    super::alembic::classify(w, &inv.with_words(words), scope);
}
