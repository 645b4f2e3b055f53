//! dbguard itself: its commands are low (those that change data run the
//! safety protocol themselves), but approvals never come from a command
//! line, a restore over the live database is high, and freezing the
//! database or recovering rows in an incident needs a person's approval. Setting up the
//! approver is judged in [`super::self_protection`].

use super::super::opts::{read, Items, Spec};
use super::super::walk::{Invocation, Walker};
use super::program_name;
use crate::rules::Rule;

/// Classifies a `dbguard …` command.
pub fn classify(w: &mut Walker, inv: &Invocation) {
    let spec = Spec {
        short_values: "",
        long_values: &[
            "format",
            "database-url",
            "into",
            "max-rows",
            "app-role",
            "title",
            "backup",
            "table",
            "farm",
            "id",
            "done",
            "na",
        ],
    };
    let (items, _) = read(inv.args(), &spec, false);
    let operands = items.operands();
    // `dbguard run -- dbguard approve …` is an approval on a command line too.
    let nested_approve = inv
        .words
        .windows(2)
        .skip(1)
        .any(|pair| program_name(&pair[0].text) == "dbguard" && pair[1].text == "approve");
    // `x=approve; dbguard $x …`, `f() { dbguard "$@"; }`: a command only
    // known at run time may be `approve`.
    let unknown_command = operands.first().is_some_and(|w| w.dynamic);
    match operands.first().map(|w| w.text.as_str()) {
        _ if unknown_command => w.add(
            Rule::ApprovalFromCommand,
            "dbguard's command is only known at run time, and `dbguard approve` must be run by a person in their \
             own terminal",
            &inv.text,
        ),
        _ if nested_approve => w.add(
            Rule::ApprovalFromCommand,
            "`dbguard approve` must be run by a person in their own terminal",
            &inv.text,
        ),
        Some("approve") => w.add(
            Rule::ApprovalFromCommand,
            "`dbguard approve` must be run by a person in their own terminal",
            &inv.text,
        ),
        // A higher row limit loosens the guards for every client, and a
        // role "fixed" for the application changes who may do what: a
        // person's policy decisions, not an agent's.
        Some("protect") if loosens_protect(&items) => w.add(
            Rule::EditDbguardState,
            "dbguard protect with --max-rows or --app-role changes the guards' policy for every client; a person \
             decides it in their own terminal",
            &inv.text,
        ),
        // The superuser's URL names the password file only dbguard uses.
        Some("db") if operands.get(1).is_some_and(|w| w.text == "url") && items.has(&["--admin"]) => w.add(
            Rule::ReadDbguardSecret,
            "dbguard db url --admin is the local server's superuser, which can switch the guards inside the \
             database off; a person uses it in their own terminal",
            &inv.text,
        ),
        Some("restore") if !items.has(&["--into"]) => w.add(
            Rule::RestoreOverLive,
            "dbguard restore without --into replaces the live database",
            &inv.text,
        ),
        Some("incident") => match operands.get(1).map(|w| w.text.as_str()) {
            Some("start") if !items.has(&["--no-freeze"]) => w.add(
                Rule::IncidentFreeze,
                "dbguard incident start freezes the database: the application's writes stop and its sessions end",
                &inv.text,
            ),
            Some("recover") => w.add(
                Rule::IncidentRecover,
                "dbguard incident recover writes the rows lost since a backup into the live database",
                &inv.text,
            ),
            _ => {}
        },
        _ => {}
    }
}

/// `protect` options that may loosen the guards: a row limit above the
/// default of one, or a role to create or change.
fn loosens_protect(items: &[super::super::opts::Item]) -> bool {
    items.has(&["--app-role"])
        || items
            .values(&["--max-rows"])
            .iter()
            .any(|value| value.text.parse::<u64>().map_or(true, |rows| rows > 1))
}
