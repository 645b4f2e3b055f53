//! Kubernetes and Helm: `kubectl delete` of a namespace, persistent volume
//! (claim), StatefulSet or a PostgreSQL operator's cluster resource
//! (CloudNativePG `clusters.postgresql.cnpg.io`, Zalando `postgresql`,
//! Crunchy `postgrescluster`), `kubectl delete all --all`, `kubectl cnpg
//! destroy`, `helm uninstall` of a PostgreSQL release. `kubectl cnpg psql
//! CLUSTER -- ARGS` runs psql in the cluster, and is classified so.
//! Deleting pods (which restart) and reading stays low.

use super::super::ast::Word;
use super::super::walk::{Invocation, Scope, Walker};
use super::remote::run_elsewhere;
use crate::rules::Rule;

/// Resource kinds whose deletion loses data.
const KINDS: &[&str] = &[
    "namespace",
    "namespaces",
    "ns",
    "project",
    "projects",
    "pvc",
    "pvcs",
    "persistentvolumeclaim",
    "persistentvolumeclaims",
    "pv",
    "pvs",
    "persistentvolume",
    "persistentvolumes",
    "statefulset",
    "statefulsets",
    "sts",
    "cluster",
    "clusters",
    "postgresql",
    "postgresqls",
    "postgrescluster",
    "postgresclusters",
    "pg",
    "backup",
    "backups",
    "scheduledbackup",
    "volumesnapshot",
    "volumesnapshots",
];

/// kubectl's options that take a value, which may stand before the kind.
const KUBECTL_VALUES: &[&str] = &[
    "-n",
    "--namespace",
    "-l",
    "--selector",
    "--context",
    "--cluster",
    "--kubeconfig",
    "--grace-period",
    "--timeout",
    "-o",
    "--output",
    "--field-selector",
    "--user",
    "-s",
    "--server",
    "--token",
    "--as",
];

fn loses_data(kind: &str) -> bool {
    let kind = kind.to_lowercase();
    let base = kind.split(['/', '.']).next().unwrap_or_default();
    KINDS.contains(&base) || kind.contains("postgres") || kind.contains("cnpg")
}

/// `kubectl delete …`, `kubectl cnpg …`.
pub fn kubectl(w: &mut Walker, inv: &Invocation, scope: &Scope) -> bool {
    let args = inv.args();
    let operands: Vec<&Word> = args.iter().filter(|a| !a.text.starts_with('-')).collect();
    // `kubectl delete -n db pvc x`, `kubectl -n db delete sts,pvc -l app=pg`.
    let readings = inv.subcommand_readings(KUBECTL_VALUES);
    let sub = readings
        .iter()
        .find_map(|r| r.first().filter(|s| matches!(**s, "delete" | "cnpg")).copied());
    match sub.or_else(|| operands.first().map(|o| o.text.as_str())) {
        Some("delete") => {
            let dry_run = args.iter().any(|a| {
                a.text == "--dry-run" || (a.text.starts_with("--dry-run=") && a.text != "--dry-run=none")
            });
            if dry_run {
                return true;
            }
            let all = args
                .iter()
                .any(|a| a.text == "--all" || a.text == "-A" || a.text == "--all-namespaces");
            let kind = readings
                .iter()
                .filter(|r| r.first() == Some(&"delete"))
                .filter_map(|r| r.get(1))
                .flat_map(|kinds| kinds.split(','))
                .find(|k| loses_data(k) || (*k == "all" && all));
            if let Some(kind) = kind {
                w.add(
                    Rule::KubernetesDelete,
                    format!("kubectl delete {kind} removes the data it holds"),
                    &inv.text,
                );
            } else if args
                .iter()
                .any(|a| a.text == "-f" || a.text.starts_with("--filename") || a.text == "-k")
            {
                let file = args
                    .iter()
                    .position(|a| a.text == "-f" || a.text == "-k")
                    .and_then(|i| args.get(i + 1));
                if file.is_none_or(|f| {
                    f.text.to_lowercase().contains("postgres")
                        || f.text.to_lowercase().contains("db")
                        || f.dynamic
                }) {
                    w.add(
                        Rule::KubernetesDelete,
                        "kubectl delete -f removes what the manifests define, a database among it",
                        &inv.text,
                    );
                }
            }
            true
        }
        Some("cnpg") => {
            match operands.get(1).map(|o| o.text.as_str()) {
                Some("destroy") => w.add(
                    Rule::KubernetesDelete,
                    "kubectl cnpg destroy deletes a PostgreSQL instance and its volume",
                    &inv.text,
                ),
                Some("psql") => {
                    let dash = args.iter().position(|a| a.text == "--");
                    let mut words = vec![Word::literal("psql")];
                    words.extend(dash.map(|d| args[d + 1..].to_vec()).unwrap_or_default());
                    let cluster = operands
                        .get(2)
                        .map_or("a cluster".to_string(), |c| format!("cluster {}", c.text));
                    run_elsewhere(w, inv, words, &cluster, scope);
                }
                _ => {}
            }
            true
        }
        _ => false,
    }
}

/// `helm uninstall|delete RELEASE…` of a PostgreSQL release.
pub fn helm(w: &mut Walker, inv: &Invocation) {
    // `helm -n db uninstall postgres`: global options before the command.
    const VALUES: &[&str] = &[
        "-n",
        "--namespace",
        "--kube-context",
        "--kubeconfig",
        "--timeout",
        "--description",
    ];
    let readings = inv.subcommand_readings(VALUES);
    let operands = readings
        .iter()
        .find(|r| matches!(r.first(), Some(&("uninstall" | "delete" | "del" | "un"))))
        .unwrap_or(&readings[0]);
    if let ["uninstall" | "delete" | "del" | "un", releases @ ..] = operands.as_slice() {
        if inv.args().iter().any(|a| a.text == "--dry-run") {
            return;
        }
        if let Some(release) = releases.iter().find(|r| {
            let lower = r.to_lowercase();
            [
                "postgres",
                "pg",
                "db",
                "database",
                "cnpg",
                "timescale",
                "supabase",
            ]
            .iter()
            .any(|n| lower.contains(n))
        }) {
            w.add(
                Rule::KubernetesDelete,
                format!("helm uninstall {release} removes a PostgreSQL release"),
                &inv.text,
            );
        }
    }
}
