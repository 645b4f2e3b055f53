//! Infrastructure as code: `terraform|tofu|terragrunt destroy`, `apply
//! -destroy`, `apply -replace=…`, `state rm`, `pulumi destroy|down`, `pulumi
//! state delete`, `cdk destroy`, `sst remove`, `serverless|sls remove`.
//! High when the target, the stack name, or the configuration in the folder
//! (the `.tf` files it can read) holds a database, volume or bucket of
//! backups; medium when the configuration shows none; high when it cannot be
//! read (fail closed). `plan` and `plan -destroy` only show.

use super::super::walk::{Invocation, Scope, Walker};
use crate::rules::Rule;
use crate::ReadError;

const NAMES: &[&str] = &[
    "terraform",
    "tofu",
    "terragrunt",
    "pulumi",
    "cdk",
    "cdktf",
    "sst",
    "serverless",
    "sls",
];

/// Resource types and names that hold data.
const DATA_WORDS: &[&str] = &[
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_rds",
    "aws_db_",
    "aws_ebs_volume",
    "aws_efs",
    "aws_backup",
    "aws_dynamodb",
    "google_sql",
    "google_alloydb",
    "google_compute_disk",
    "azurerm_postgresql",
    "azurerm_cosmosdb",
    "digitalocean_database",
    "digitalocean_volume",
    "kubernetes_persistent_volume",
    "neon_",
    "supabase_",
    "heroku_addon",
    "postgres",
    "database",
    "db_instance",
    "rds",
    "backup",
    "snapshot",
    "volume",
    "bucket",
    "s3",
    "pgdata",
    "cloudsql",
    "aurora",
];

/// Whether `name` is one of these tools.
pub fn handles(name: &str) -> bool {
    NAMES.contains(&name)
}

fn holds_data(text: &str) -> bool {
    let lower = text.to_lowercase();
    DATA_WORDS.iter().any(|w| lower.contains(w))
}

/// Whether the subcommand words `sub` of `name` destroy resources.
fn destroys(name: &str, sub: &[&str], flag: &dyn Fn(&str) -> bool, words: &[&str]) -> bool {
    match (name, sub) {
        ("terraform" | "tofu" | "terragrunt", ["destroy", ..]) => true,
        ("terraform" | "tofu" | "terragrunt", ["apply", ..]) => {
            flag("-destroy") || words.iter().any(|a| a.starts_with("-replace="))
        }
        ("terraform" | "tofu" | "terragrunt", ["state", "rm", ..]) => true,
        ("pulumi", ["destroy" | "down", ..])
        | ("pulumi", ["state", "delete", ..])
        | ("pulumi", ["stack", "rm", ..]) => true,
        ("cdk" | "cdktf", ["destroy", ..]) => true,
        ("sst", ["remove", ..]) | ("serverless" | "sls", ["remove", ..]) => true,
        _ => false,
    }
}

/// Classifies an IaC command.
pub fn classify(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    let args = inv.args();
    let words: Vec<&str> = args.iter().map(|a| a.text.as_str()).collect();
    // `pulumi -C infra destroy`, `pulumi --stack prod destroy`, `cdk --app x destroy`.
    const VALUES: &[&str] = &[
        "-C",
        "--cwd",
        "-s",
        "--stack",
        "--config-file",
        "--color",
        "--app",
        "-a",
        "--profile",
        "-c",
        "--context",
        "--stage",
    ];
    let readings = inv.subcommand_readings(VALUES);
    let flag = |f: &str| words.iter().any(|a| *a == f || a.starts_with(&format!("{f}=")));
    let targets: Vec<&str> = words
        .iter()
        .filter_map(|a| {
            a.strip_prefix("-target=")
                .or_else(|| a.strip_prefix("--target="))
                .or_else(|| a.strip_prefix("-replace="))
        })
        .collect();
    let subcommands = readings.iter().map(|operands| -> Vec<&str> {
        operands
            .iter()
            .copied()
            .filter(|o| *o != "run-all" && *o != "run")
            .collect()
    });
    let Some(sub) = subcommands
        .into_iter()
        .find(|sub| destroys(name, sub, &flag, &words))
    else {
        return;
    };
    if flag("-dry-run") || flag("--preview-only") {
        return;
    }
    // The resources or stacks named on the line.
    // Terraform's targets and state addresses, CDK's stack names (other tools name stages, not resources).
    let addresses = match (name, sub.first()) {
        ("terraform" | "tofu" | "terragrunt", Some(&"state")) => sub.iter().skip(2).copied().collect(),
        ("cdk" | "cdktf", _) => sub.iter().skip(1).copied().collect(),
        _ => Vec::new(),
    };
    let named: Vec<&str> = targets.iter().copied().chain(addresses).collect();
    if let Some(resource) = named.iter().find(|n| holds_data(n)) {
        return w.add(
            Rule::IacDestroy,
            format!("{name} destroys {resource}, which holds data"),
            &inv.text,
        );
    }
    if !named.is_empty() {
        return w.add(
            Rule::IacDestroyOther,
            format!("{name} destroys {}", named.join(", ")),
            &inv.text,
        );
    }
    match configuration(w, scope) {
        Ok(text) if holds_data(&text) => w.add(
            Rule::IacDestroy,
            format!("{name} destroys what the configuration here defines, a database, volume or backups among it"),
            &inv.text,
        ),
        Ok(_) => w.add(Rule::IacDestroyOther, format!("{name} destroys the infrastructure defined here"), &inv.text),
        Err(why) => w.add(
            Rule::IacDestroy,
            format!("{name} destroys infrastructure whose configuration cannot be read ({why}), so it may hold a database"),
            &inv.text,
        ),
    }
}

/// The text of the folder's configuration: `*.tf`, `*.tf.json`, Pulumi, CDK, SST and Serverless files.
fn configuration(w: &Walker, scope: &Scope) -> Result<String, String> {
    let dir = scope.cwd.as_ref().ok_or("the folder is only known at run time")?;
    let names = match w.ctx.files.list(dir) {
        Ok(names) => names,
        Err(ReadError::NotFound) => return Err("the folder is empty or missing".to_string()),
        Err(ReadError::Unreadable(why)) => return Err(why),
    };
    let wanted = |n: &str| {
        n.ends_with(".tf")
            || n.ends_with(".tf.json")
            || n.ends_with(".tfstate")
            || n.starts_with("Pulumi.")
            || n == "cdk.json"
            || n.starts_with("sst.config")
            || n.starts_with("serverless.")
            || n == "terragrunt.hcl"
            || n == "index.ts"
            || n == "main.ts"
    };
    let mut text = String::new();
    let mut found = false;
    for name in names.iter().filter(|n| wanted(n)) {
        found = true;
        match w.ctx.files.read(&dir.join(name)) {
            Ok(content) => text.push_str(&content),
            Err(ReadError::NotFound) => {}
            Err(ReadError::Unreadable(why)) => return Err(format!("{name}: {why}")),
        }
    }
    if !found {
        return Err("no configuration file was found".to_string());
    }
    Ok(text)
}
