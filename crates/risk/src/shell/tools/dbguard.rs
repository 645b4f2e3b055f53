//! dbguard itself: its commands are low (those that change data run the
//! safety protocol themselves), but approvals never come from a command
//! line, and a restore over the live database is high. Setting up the
//! approver is judged in [`super::self_protection`].

use super::super::opts::{read, Items, Spec};
use super::super::walk::{Invocation, Walker};
use super::program_name;
use crate::rules::Rule;

/// Classifies a `dbguard …` command.
pub fn classify(w: &mut Walker, inv: &Invocation) {
    let spec = Spec {
        short_values: "",
        long_values: &["format", "database-url", "into"],
    };
    let (items, _) = read(inv.args(), &spec, false);
    let operands = items.operands();
    // `dbguard run -- dbguard approve …` is an approval on a command line too.
    let nested_approve = inv
        .words
        .windows(2)
        .skip(1)
        .any(|pair| program_name(&pair[0].text) == "dbguard" && pair[1].text == "approve");
    match operands.first().map(|w| w.text.as_str()) {
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
        Some("restore") if !items.has(&["--into"]) => w.add(
            Rule::RestoreOverLive,
            "dbguard restore without --into replaces the live database",
            &inv.text,
        ),
        _ => {}
    }
}
