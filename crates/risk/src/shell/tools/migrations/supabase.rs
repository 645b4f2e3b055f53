//! The Supabase CLI: `db reset` drops and re-creates the database (high);
//! `stop --no-backup` deletes the local data; `projects delete` and
//! `branches delete` delete hosted databases (high); `db push` and
//! `migration repair` change the linked database's schema or history
//! (medium); `db dump`, `status` and listings stay low.

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, hosted, report, Args};
use crate::rules::Rule;

/// Program names.
pub const NAMES: &[&str] = &["supabase"];

const SPEC: Spec = Spec {
    short_values: "pfs",
    long_values: &[
        "project-ref",
        "workdir",
        "db-url",
        "password",
        "file",
        "schema",
        "profile",
        "version",
    ],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let judged = match args.ops().as_slice() {
        ["db", "reset", ..] => Some((
            Rule::SupabaseDbReset,
            "supabase db reset drops and re-creates the database".to_string(),
        )),
        ["stop", ..] if args.has(&["--no-backup"]) => Some((
            Rule::DockerVolumeRemoval,
            "supabase stop --no-backup deletes the local database's data".to_string(),
        )),
        ["projects", "delete", ..] | ["branches", "delete", ..] => {
            hosted("supabase deletes a hosted project or branch and its database")
        }
        ["db", "push", ..] | ["migration", "repair" | "up" | "down", ..] => {
            change("supabase changes the linked database's schema or migration history")
        }
        _ => None,
    };
    report(w, inv, &args, judged);
}
