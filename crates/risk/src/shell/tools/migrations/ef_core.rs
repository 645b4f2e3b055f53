//! Entity Framework Core (`dotnet ef`): `database drop` deletes the
//! database and `database update 0` reverts every migration (high);
//! `database update` and `migrations remove` change the schema (medium).
//! `dotnet run` builds and runs a project ([`super::super::builds`]).

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args};

/// Program names.
pub const NAMES: &[&str] = &["dotnet", "dotnet-ef"];

const SPEC: Spec = Spec {
    short_values: "pc",
    long_values: &[
        "project",
        "startup-project",
        "context",
        "connection",
        "framework",
        "configuration",
        "runtime",
        "msbuildprojectextensionspath",
    ],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let ops = args.ops();
    let ops = match ops.as_slice() {
        ["ef", rest @ ..] => rest.to_vec(),
        rest if inv.words[0].text.ends_with("dotnet-ef") => rest.to_vec(),
        ["run", ..] => return super::super::builds::classify(w, "dotnet", inv, scope),
        _ => return,
    };
    let judged = match ops.as_slice() {
        ["database", "drop", ..] => reset("dotnet ef database drop deletes the database"),
        ["database", "update", "0", ..] => reset("dotnet ef database update 0 reverts every migration"),
        ["database", "update", ..] | ["migrations", "remove", ..] => change("dotnet ef changes the schema"),
        _ => None,
    };
    report(w, inv, &args, judged);
}
