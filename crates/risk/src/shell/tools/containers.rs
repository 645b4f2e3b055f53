//! Docker, Podman, nerdctl and Kubernetes: volume removal, removing every
//! container (`docker rm -f $(docker ps -aq)`), and the commands run inside
//! containers (`docker exec`, `docker run IMAGE CMD`, `docker compose
//! exec|run`, `kubectl exec|run … -- CMD`), which are classified as
//! running elsewhere: the container's files are not read from this machine.

use super::super::ast::Word;
use super::super::opts::{read, Items, Spec};
use super::super::walk::{Invocation, Scope, Walker};
use super::remote::run_elsewhere;
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

/// `docker run` / `compose run` options that take a value.
const RUN: Spec = Spec {
    short_values: "evpwuhlmac",
    long_values: &[
        "env",
        "env-file",
        "volume",
        "publish",
        "name",
        "workdir",
        "network",
        "net",
        "user",
        "entrypoint",
        "mount",
        "label",
        "hostname",
        "add-host",
        "cpus",
        "memory",
        "restart",
        "platform",
        "pull",
        "log-driver",
        "log-opt",
        "device",
        "cap-add",
        "cap-drop",
        "security-opt",
        "tmpfs",
        "ulimit",
        "dns",
        "link",
        "ipc",
        "pid",
        "shm-size",
        "stop-signal",
        "health-cmd",
        "attach",
        "cpu-shares",
        "gpus",
        "runtime",
        "volumes-from",
        "label-file",
        "cidfile",
        "expose",
        "group-add",
        "network-alias",
        "stop-timeout",
        "memory-swap",
    ],
};

/// Global options of docker, podman and nerdctl, before the subcommand.
const DOCKER_GLOBAL: Spec = Spec {
    short_values: "cHl",
    long_values: &[
        "context",
        "host",
        "config",
        "log-level",
        "tlscacert",
        "tlscert",
        "tlskey",
        "url",
        "connection",
        "identity",
        "root",
        "runroot",
        "namespace",
        "address",
    ],
};

/// Global options of kubectl, before the subcommand.
const KUBECTL_GLOBAL: Spec = Spec {
    short_values: "nsv",
    long_values: &[
        "context",
        "cluster",
        "user",
        "namespace",
        "kubeconfig",
        "server",
        "token",
        "as",
        "as-group",
        "as-uid",
        "certificate-authority",
        "client-certificate",
        "client-key",
        "request-timeout",
        "tls-server-name",
        "v",
        "cache-dir",
        "profile",
    ],
};

/// The same command without the global options before its subcommand
/// (`docker --context prod exec …` is `docker exec …` somewhere else).
fn without_globals(inv: &Invocation, spec: &Spec) -> Option<Invocation> {
    let args = inv.args();
    if !args.first()?.text.starts_with('-') {
        return None;
    }
    let (_, sub) = read(args, spec, true);
    let mut words = vec![inv.words[0].clone()];
    words.extend(args[sub?..].iter().cloned());
    Some(inv.with_words(words))
}

/// Database-looking container or service names.
fn is_database_container(name: &str) -> bool {
    let lower = name.to_lowercase();
    ["postgres", "pg", "db", "database", "supabase"].iter().any(|n| {
        lower
            .split(['-', '_', '.', '/', ':'])
            .any(|part| part == *n || part.starts_with("postgres"))
    })
}

/// Classifies container tools.
pub fn classify(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    // OpenShift's `oc` is kubectl with more commands.
    let name = if name == "oc" { "kubectl" } else { name };
    let globals = if name == "kubectl" {
        &KUBECTL_GLOBAL
    } else {
        &DOCKER_GLOBAL
    };
    if let Some(inner) = without_globals(inv, globals).filter(|_| !name.ends_with("compose")) {
        return classify(w, name, &inner, scope);
    }
    let words: Vec<&str> = inv.args().iter().map(|a| a.text.as_str()).collect();
    let text = &inv.text;
    if name == "kubectl" {
        return kubectl(w, inv, scope);
    }
    if name.ends_with("compose") {
        return compose(w, inv, 0, scope);
    }
    if words.first() == Some(&"compose") {
        return compose(w, inv, 1, scope);
    }
    match words.as_slice() {
        ["volume", "rm" | "remove" | "prune", ..] => w.add(
            Rule::DockerVolumeRemoval,
            "removes Docker volumes, where database files live",
            text,
        ),
        ["system", "reset", ..] => w.add(
            Rule::DockerVolumeRemoval,
            "podman system reset deletes every container, image and volume",
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
        ["rm", ..] | ["container", "rm", ..] => remove_containers(w, inv),
        ["exec", ..] | ["container", "exec", ..] => {
            in_container(w, inv, if words[0] == "exec" { 1 } else { 2 }, scope)
        }
        ["run", ..] | ["container", "run", ..] => {
            run_image(w, inv, if words[0] == "run" { 1 } else { 2 }, scope)
        }
        _ => {}
    }
}

/// `docker rm -f …` of a database container, or of a list only known at run
/// time (`$(docker ps -aq)`), which includes the database's.
fn remove_containers(w: &mut Walker, inv: &Invocation) {
    let targets: Vec<&Word> = inv
        .args()
        .iter()
        .skip(1)
        .filter(|a| !a.text.starts_with('-') && a.text != "rm")
        .collect();
    if let Some(target) = targets
        .iter()
        .find(|t| t.dynamic || is_database_container(&t.text))
    {
        w.add(
            Rule::DockerVolumeRemoval,
            format!(
                "removes containers ({}), the database's among them, with the data not kept in a named volume",
                target.text
            ),
            &inv.text,
        );
    }
}

/// `docker compose …` whose subcommand is at or after argument `start`.
fn compose(w: &mut Walker, inv: &Invocation, start: usize, scope: &Scope) {
    let words: Vec<&str> = inv.args().iter().map(|a| a.text.as_str()).collect();
    let compose_values = [
        "-f",
        "--file",
        "-p",
        "--project-name",
        "--env-file",
        "--profile",
        "--project-directory",
    ];
    let mut sub = None;
    let mut i = start;
    while i < words.len() {
        if compose_values.contains(&words[i]) {
            i += 2;
            continue;
        }
        if !words[i].starts_with('-') {
            sub = Some(i);
            break;
        }
        i += 1;
    }
    let Some(sub) = sub else { return };
    match words[sub] {
        "down" | "rm" if removes_volumes(&words[sub + 1..]) => w.add(
            Rule::DockerVolumeRemoval,
            "removes the services' volumes, and the database files in them",
            &inv.text,
        ),
        "exec" => in_container(w, inv, sub + 1, scope),
        "run" => run_image(w, inv, sub + 1, scope),
        _ => {}
    }
}

fn removes_volumes(args: &[&str]) -> bool {
    args.iter()
        .any(|a| *a == "--volumes" || (a.starts_with('-') && !a.starts_with("--") && a.contains('v')))
}

/// `… exec [OPTIONS] CONTAINER COMMAND…` with options starting at argument
/// `offset`: classifies COMMAND, in the container.
fn in_container(w: &mut Walker, inv: &Invocation, offset: usize, scope: &Scope) {
    let Some(after) = inv.args().get(offset..) else {
        return;
    };
    if let (_, Some(container)) = read(after, &EXEC, true) {
        let place = format!("container {}", after[container].text);
        run_elsewhere(w, inv, after[container + 1..].to_vec(), &place, scope);
    }
}

/// `… run [OPTIONS] IMAGE [COMMAND…]`, `--entrypoint` included.
fn run_image(w: &mut Walker, inv: &Invocation, offset: usize, scope: &Scope) {
    let Some(after) = inv.args().get(offset..) else {
        return;
    };
    let (items, rest) = read(after, &RUN, true);
    let Some(image) = rest else { return };
    let mut words: Vec<Word> = items.values(&["--entrypoint"]).into_iter().cloned().collect();
    if words.is_empty() {
        words.extend(entrypoint(&after[image].text, &after[image + 1..]));
    }
    words.extend(after[image + 1..].iter().cloned());
    let place = format!("a container of {}", after[image].text);
    run_elsewhere(w, inv, words, &place, scope);
}

/// Images whose entrypoint is a tool, so that their arguments are its
/// arguments (`docker run flyway/flyway clean` is `flyway clean`): the
/// image's name without registry, owner and tag, and the tool.
const ENTRYPOINTS: &[(&str, &str)] = &[
    ("flyway", "flyway"),
    ("liquibase", "liquibase"),
    ("migrate", "migrate"),
    ("dbmate", "dbmate"),
    ("sqitch", "sqitch"),
    ("atlas", "atlas"),
    ("goose", "goose"),
    ("aws-cli", "aws"),
    ("terraform", "terraform"),
    ("opentofu", "tofu"),
    ("pulumi", "pulumi"),
    ("psql", "psql"),
    ("postgresql-client", "psql"),
    ("pgcli", "pgcli"),
    ("rclone", "rclone"),
];

/// The tool an image's entrypoint runs: its arguments are the tool's
/// (`docker run flyway/flyway migrate` is `flyway migrate`, not the
/// program `migrate`), unless they name the tool again.
fn entrypoint(image: &str, args: &[Word]) -> Option<Word> {
    let name = image.rsplit('/').next().unwrap_or(image);
    let name = name.split(['@', ':']).next().unwrap_or(name);
    ENTRYPOINTS
        .iter()
        .find(|(image, tool)| *image == name && args.first().is_none_or(|a| a.text != *tool))
        .map(|(_, tool)| Word::literal(*tool))
}

/// `kubectl exec|run … -- COMMAND`, and deletions ([`super::kubernetes`]).
fn kubectl(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    if super::kubernetes::kubectl(w, inv, scope) {
        return;
    }
    let args = inv.args();
    let sub = args
        .iter()
        .find(|a| !a.text.starts_with('-'))
        .map(|a| a.text.as_str());
    if !matches!(sub, Some("exec" | "run" | "debug" | "attach")) {
        return;
    }
    if let Some(dash) = args.iter().position(|a| a.text == "--") {
        let pod = args[..dash]
            .iter()
            .skip(1)
            .find(|a| !a.text.starts_with('-'))
            .map_or("a pod".to_string(), |p| format!("pod {}", p.text));
        // `kubectl run x --image=flyway/flyway -- clean`: arguments of the
        // image's entrypoint, unless `--command` makes them the command.
        let image = args[..dash].iter().find_map(|a| a.text.strip_prefix("--image="));
        let command = args[..dash].iter().any(|a| a.text == "--command");
        let mut words: Vec<Word> = match (sub, image) {
            (Some("run"), Some(image)) if !command => {
                entrypoint(image, &args[dash + 1..]).into_iter().collect()
            }
            _ => Vec::new(),
        };
        words.extend(args[dash + 1..].iter().cloned());
        run_elsewhere(w, inv, words, &pod, scope);
    }
}
