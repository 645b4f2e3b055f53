//! Liquibase: `dropAll` (`drop-all`) drops every object (high); `update`,
//! `rollback…`, `changelogSync` and `clearCheckSums` change the schema or
//! its history (medium); `…-sql` forms, `status` and `history` only show.

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args};

/// Program names.
pub const NAMES: &[&str] = &["liquibase"];

/// Liquibase's global and command options that take a value (as
/// `--opt VALUE`; both spellings of each, kebab and camel case).
const SPEC: Spec = Spec {
    short_values: "",
    long_values: &[
        "url",
        "username",
        "password",
        "changelog-file",
        "changeLogFile",
        "defaults-file",
        "defaultsFile",
        "classpath",
        "driver",
        "log-level",
        "logLevel",
        "log-file",
        "logFile",
        "search-path",
        "searchPath",
        "contexts",
        "context-filter",
        "labels",
        "label-filter",
        "reference-url",
        "referenceUrl",
        "output-file",
        "outputFile",
        "count",
        "tag",
        "date",
    ],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let judged = match args.ops().first().map(|c| c.to_lowercase().replace('-', "")) {
        Some(c) if c.ends_with("sql") => None,
        Some(c) if c == "dropall" => reset("liquibase dropAll drops every object in the schema"),
        Some(c)
            if c.starts_with("update")
                || c.starts_with("rollback")
                || c.starts_with("changelogsync")
                || c == "clearchecksums" =>
        {
            change("liquibase changes the schema or its history")
        }
        _ => None,
    };
    report(w, inv, &args, judged);
}
