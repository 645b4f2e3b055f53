//! Supabase, Docker, Podman and Kubernetes: volume removal and resets, and
//! commands run inside containers.

use super::super::opts::{read, Spec};
use super::super::walk::{Invocation, Scope, Walker};
use crate::rules::Rule;

const EXEC: Spec = Spec {
    short_values: "euwc",
    long_values: &[
        "env",
        "user",
        "workdir",
        "env-file",
        "detach-keys",
        "index",
        "container",
        "name",
    ],
};

/// Classifies container and platform tools.
pub fn classify(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    let words: Vec<&str> = inv.args().iter().map(|a| a.text.as_str()).collect();
    let text = &inv.text;
    match name {
        "supabase" => match words.as_slice() {
            ["db", "reset", ..] => w.add(
                Rule::SupabaseDbReset,
                "supabase db reset drops and re-creates the local database",
                text,
            ),
            ["db", "push", ..] => w.add(
                Rule::FrameworkSchemaChange,
                "supabase db push applies migrations to the linked database",
                text,
            ),
            ["stop", ..] if words.contains(&"--no-backup") => w.add(
                Rule::DockerVolumeRemoval,
                "supabase stop --no-backup deletes the local database's data",
                text,
            ),
            _ => {}
        },
        "kubectl" => {
            if let (Some(&"exec"), Some(dash)) = (words.first(), words.iter().position(|a| *a == "--")) {
                run_inner(w, inv, dash + 1, scope);
            }
        }
        _ if name.ends_with("compose") => compose(w, inv, 0, scope),
        _ if words.first() == Some(&"compose") => compose(w, inv, 1, scope),
        _ => match words.as_slice() {
            ["volume", "rm" | "remove" | "prune", ..] => w.add(
                Rule::DockerVolumeRemoval,
                "removes Docker volumes, where database files live",
                text,
            ),
            ["system", "prune", tail @ ..] if tail.contains(&"--volumes") => w.add(
                Rule::DockerVolumeRemoval,
                "prunes Docker volumes, where database files live",
                text,
            ),
            ["rm" | "container", tail @ ..] if removes_volumes(tail) => w.add(
                Rule::DockerVolumeRemoval,
                "removes containers with their volumes",
                text,
            ),
            ["exec", ..] => in_container(w, inv, 1, scope),
            _ => {}
        },
    }
}

/// `docker compose …` whose subcommand is at or after argument `start`.
fn compose(w: &mut Walker, inv: &Invocation, start: usize, scope: &Scope) {
    let words: Vec<&str> = inv.args().iter().map(|a| a.text.as_str()).collect();
    let Some(sub) = words
        .iter()
        .skip(start)
        .position(|a| !a.starts_with('-'))
        .map(|i| i + start)
    else {
        return;
    };
    match words[sub] {
        "down" | "rm" if removes_volumes(&words[sub + 1..]) => w.add(
            Rule::DockerVolumeRemoval,
            "removes the services' volumes, and the database files in them",
            &inv.text,
        ),
        "exec" | "run" => in_container(w, inv, sub + 1, scope),
        _ => {}
    }
}

fn removes_volumes(args: &[&str]) -> bool {
    args.iter()
        .any(|a| *a == "--volumes" || (a.starts_with('-') && !a.starts_with("--") && a.contains('v')))
}

/// `… exec [OPTIONS] CONTAINER COMMAND…` with options starting at argument
/// `offset`: classifies COMMAND.
fn in_container(w: &mut Walker, inv: &Invocation, offset: usize, scope: &Scope) {
    let Some(after) = inv.args().get(offset..) else {
        return;
    };
    if let (_, Some(container)) = read(after, &EXEC, true) {
        run_inner(w, inv, offset + container + 1, scope);
    }
}

/// Classifies the arguments from index `start` on as a command of their own.
fn run_inner(w: &mut Walker, inv: &Invocation, start: usize, scope: &Scope) {
    let inner = inv.args().get(start..).unwrap_or_default().to_vec();
    if !inner.is_empty() {
        w.invocation(&inv.with_words(inner), scope);
    }
}
