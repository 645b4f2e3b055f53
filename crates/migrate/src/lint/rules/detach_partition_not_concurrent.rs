//! `DETACH PARTITION` without `CONCURRENTLY` takes an `ACCESS EXCLUSIVE`
//! lock on the partitioned table.

use pg_query::protobuf::{AlterTableCmd, AlterTableType};
use pg_query::NodeEnum;

use super::LintRule;
use crate::lint::context::{display_name, Context};
use crate::lint::Diagnostic;

/// The rule.
pub const RULE: LintRule = LintRule {
    id: "detach-partition-not-concurrent",
    risk: dbguard_risk::Risk::Medium,
    summary: "DETACH PARTITION without CONCURRENTLY blocks reads and writes to the partitioned table",
    help: "ALTER TABLE … DETACH PARTITION … CONCURRENTLY, in a migration of its own (it cannot run inside a transaction)",
};

/// Whether `cmd` is a `DETACH PARTITION`, and whether it is concurrent.
pub(crate) fn detach(cmd: &AlterTableCmd) -> Option<bool> {
    if cmd.subtype() != AlterTableType::AtDetachPartition {
        return None;
    }
    match cmd.def.as_deref().and_then(|d| d.node.as_ref()) {
        Some(NodeEnum::PartitionCmd(p)) => Some(p.concurrent),
        _ => Some(false),
    }
}

pub(crate) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for (i, alter, cmd) in cx.alterations() {
        if detach(cmd) == Some(false) {
            out.push(cx.diagnostic(
                RULE,
                i,
                format!(
                    "DETACH PARTITION from {} without CONCURRENTLY",
                    display_name(alter.relation.as_ref())
                ),
            ));
        }
    }
}
