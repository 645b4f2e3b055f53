//! Object storage and remote-file CLIs that delete: `aws s3 rm|rb|sync
//! --delete`, `gsutil rm|rb|rsync -d`, `gcloud storage rm|rsync
//! --delete-unmatched-destination-objects`, `rclone delete|purge|deletefile|
//! rmdir|rmdirs|sync`, `s3cmd del|rb|sync --delete-removed`, `az storage blob
//! delete|delete-batch`, `azcopy remove|sync --delete-destination`, `mc
//! rm|rb`. High when the location is a backup one (by name), medium when it
//! is only known at run time; copies and listings stay low.

use super::super::ast::Word;
use super::super::walk::{Invocation, Scope, Walker};
use super::paths::{target, Target};
use crate::rules::Rule;

const NAMES: &[&str] = &[
    "aws", "gsutil", "gcloud", "rclone", "s3cmd", "az", "azcopy", "mc", "b2",
];

/// Whether `name` is one of these tools.
pub fn handles(name: &str) -> bool {
    NAMES.contains(&name)
}

/// Whether the subcommand words (options left out) delete remote objects.
fn deletes(name: &str, words: &[&str], flags: &[&str]) -> bool {
    let flag = |prefix: &str| flags.iter().any(|f| f.starts_with(prefix));
    match (name, words) {
        ("aws", ["s3", "rm" | "rb", ..])
        | ("aws", ["s3api", "delete-object" | "delete-objects" | "delete-bucket", ..]) => true,
        ("aws", ["s3", "sync" | "mv", ..]) => flag("--delete") || words.get(1) == Some(&"mv"),
        ("gsutil", ["rm" | "rb", ..]) => true,
        ("gsutil", ["rsync", ..]) => {
            flag("-d")
                || flags
                    .iter()
                    .any(|f| f.starts_with('-') && !f.starts_with("--") && f.contains('d'))
        }
        ("gcloud", ["storage", "rm", ..]) | ("gcloud", ["storage", "buckets", "delete", ..]) => true,
        ("gcloud", ["storage", "rsync", ..]) => flag("--delete-unmatched-destination-objects"),
        (
            "rclone",
            ["delete" | "purge" | "deletefile" | "rmdir" | "rmdirs" | "sync" | "move" | "cleanup", ..],
        ) => true,
        ("s3cmd", ["del" | "rm" | "rb", ..]) => true,
        ("s3cmd", ["sync", ..]) => flag("--delete-removed"),
        ("az", ["storage", "blob" | "container" | "fs" | "file", "delete" | "delete-batch", ..]) => true,
        ("azcopy", ["remove" | "rm", ..]) => true,
        ("azcopy", ["sync", ..]) => flags
            .iter()
            .any(|f| f.starts_with("--delete-destination") && !f.ends_with("false")),
        ("mc", ["rm" | "rb", ..]) => true,
        ("mc", ["mirror", ..]) => flag("--remove"),
        ("b2", ["rm" | "delete-file-version" | "delete-bucket", ..]) => true,
        _ => false,
    }
}

/// Whether `flag` is a cluster of short options holding `c` (`-rn`).
fn is_short(flag: &str, c: char) -> bool {
    flag.starts_with('-') && !flag.starts_with("--") && flag.contains(c)
}

/// Classifies an object-storage command.
pub fn classify(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    let args = inv.args();
    let subcommand: Vec<&str> = args.iter().take(2).map(|a| a.text.as_str()).collect();
    if name == "gcloud" && subcommand == ["compute", "ssh"] {
        return super::remote::command_option(w, inv, &["--command"], "a Compute Engine VM", scope);
    }
    let flags: Vec<&str> = args
        .iter()
        .filter(|a| a.text.starts_with('-'))
        .map(|a| a.text.as_str())
        .collect();
    let readings = inv.subcommand_readings(super::hosting::value_options(name));
    let Some(words) = readings.iter().find(|words| deletes(name, words, &flags)) else {
        return super::hosting::classify(w, name, inv, scope);
    };
    // `--dryrun` (aws), `--dry-run` (rclone, azcopy, mc), `-n` (gsutil rsync): nothing is deleted.
    if flags
        .iter()
        .any(|f| matches!(*f, "--dryrun" | "--dry-run" | "--dry-run=true"))
        || (name == "gsutil" && words.first() == Some(&"rsync") && flags.iter().any(|f| is_short(f, 'n')))
    {
        return;
    }
    // For sync and move, the destination loses files; for the rest, any operand.
    let operands: Vec<&Word> = args.iter().filter(|a| !a.text.starts_with('-')).collect();
    let syncs = words
        .iter()
        .take(2)
        .any(|w| matches!(*w, "sync" | "rsync" | "mirror"));
    let candidates: Vec<&Word> = match syncs {
        true => operands.last().copied().into_iter().collect(),
        false => operands,
    };
    if let Some(location) = candidates
        .iter()
        .find(|p| matches!(target(p), Target::Backup | Target::DatabaseFiles))
    {
        w.add(
            Rule::DeleteBackups,
            format!(
                "{name} deletes stored objects in a backup location ({})",
                location.text
            ),
            &inv.text,
        );
    } else if let Some(location) = candidates.iter().find(|p| p.dynamic) {
        w.add(
            Rule::DeleteUnseenFiles,
            format!(
                "{name} deletes stored objects at `{}`, which is only known at run time",
                location.text
            ),
            &inv.text,
        );
    }
}
