//! Management APIs over HTTP: `curl`/`wget`/`http`/`xh` with method DELETE,
//! or a body naming a destructive GraphQL mutation (`projectDelete`,
//! `volumeDelete`, `serviceDestroy`, …), against a database provider's
//! management endpoint (Neon, Supabase, Heroku, Render, Railway,
//! DigitalOcean, Fly, Vercel, PlanetScale, AWS RDS, Cloud SQL, Azure) are
//! high; against another host, a destructive method on a database-like
//! path is medium. Other requests are data.

use super::super::walk::{Invocation, Walker};
use crate::rules::Rule;

const NAMES: &[&str] = &["curl", "wget", "http", "https", "xh", "xhs"];

/// Hosts of database providers' management APIs.
const PROVIDERS: &[&str] = &[
    "api.neon.tech",
    "console.neon.tech",
    "api.supabase.com",
    "api.supabase.io",
    "api.heroku.com",
    "api.render.com",
    "backboard.railway.app",
    "backboard.railway.com",
    "api.digitalocean.com",
    "api.machines.dev",
    "api.fly.io",
    "api.vercel.com",
    "api.planetscale.com",
    "rds.amazonaws.com",
    "sqladmin.googleapis.com",
    "management.azure.com",
    "api.aiven.io",
    "api.crunchybridge.com",
    "api.tembo.io",
    "api.xata.io",
    "api.timescale.com",
    "api.nhost.io",
];

/// Path words of database resources.
const DATABASE_PATHS: &[&str] = &[
    "database", "/db", "branch", "project", "cluster", "instance", "backup", "snapshot", "volume", "addon",
    "postgres",
];

/// Whether `name` is one of these clients.
pub fn handles(name: &str) -> bool {
    NAMES.contains(&name)
}

/// Classifies an HTTP request.
pub fn classify(w: &mut Walker, name: &str, inv: &Invocation) {
    let args = inv.args();
    let texts: Vec<&str> = args.iter().map(|a| a.text.as_str()).collect();
    let method = match name {
        "curl" => texts
            .windows(2)
            .find(|p| matches!(p[0], "-X" | "--request"))
            .map(|p| p[1].to_uppercase())
            .or_else(|| {
                texts.iter().find_map(|t| {
                    t.strip_prefix("-X")
                        .or_else(|| t.strip_prefix("--request="))
                        .filter(|m| !m.is_empty())
                        .map(str::to_uppercase)
                })
            }),
        "wget" => texts
            .iter()
            .find_map(|t| t.strip_prefix("--method=").map(str::to_uppercase))
            .or_else(|| {
                texts
                    .windows(2)
                    .find(|p| p[0] == "--method")
                    .map(|p| p[1].to_uppercase())
            }),
        _ => texts
            .iter()
            .find(|t| matches!(t.to_uppercase().as_str(), "DELETE" | "POST" | "PUT" | "PATCH"))
            .map(|t| t.to_uppercase()),
    };
    let urls: Vec<&str> = texts
        .iter()
        .copied()
        .filter(|t| t.contains("://") || t.contains(".com/") || t.contains(".tech/") || t.contains(".io/"))
        .collect();
    let provider = urls.iter().any(|u| PROVIDERS.iter().any(|p| u.contains(p)));
    let body = texts.join(" ").to_lowercase();
    let destructive_mutation = ["delete", "destroy", "drop", "purge", "wipe", "reset"]
        .iter()
        .any(|verb| {
            body.contains(&format!("{verb}("))
                || body.contains(&format!("{verb} ("))
                || body.contains(&format!("{verb}\\\""))
                || body.contains(&format!("{verb}\""))
        })
        && body.contains("mutation");
    let deletes = method.as_deref() == Some("DELETE") || destructive_mutation;
    if !deletes {
        return;
    }
    if provider {
        w.add(
            Rule::HostedDatabaseDelete,
            format!("{name} sends a destructive request to a database provider's management API"),
            &inv.text,
        );
    } else if urls
        .iter()
        .any(|u| DATABASE_PATHS.iter().any(|p| u.to_lowercase().contains(p)))
    {
        w.add(
            Rule::HttpDeleteUnknown,
            format!("{name} sends a destructive request to a database-like resource"),
            &inv.text,
        );
    }
}
