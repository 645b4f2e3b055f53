//! `DROP TABLE t; … CREATE TABLE t …` in one migration: every row of the
//! old table is gone, and on the empty database CI runs on it looks fine.

use pg_query::protobuf::ObjectType;
use pg_query::NodeEnum;

use super::LintRule;
use crate::lint::context::{string, table_name, Context};
use crate::lint::Diagnostic;

/// The rule.
pub const RULE: LintRule = LintRule {
    id: "drop-and-recreate",
    risk: dbguard_risk::Risk::High,
    summary: "a table dropped and created again in one migration loses every row it had (CI's empty database cannot show it)",
    help: "change the table in place (ALTER TABLE), or create the new table, copy the rows, and drop the old one in a later migration",
};

pub(crate) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for (i, s) in cx.statements.iter().enumerate() {
        let NodeEnum::DropStmt(d) = s.node else { continue };
        if d.remove_type() != ObjectType::ObjectTable {
            continue;
        }
        for object in &d.objects {
            let Some(NodeEnum::List(l)) = &object.node else {
                continue;
            };
            let Some(name) = l.items.last().and_then(string) else {
                continue;
            };
            let shown = name;
            let name = name.to_lowercase();
            if cx.is_new(&name, i) {
                continue;
            }
            let recreated = cx.statements.iter().skip(i + 1).any(|later| match later.node {
                NodeEnum::CreateStmt(c) => c.relation.as_ref().is_some_and(|r| table_name(r) == name),
                NodeEnum::CreateTableAsStmt(c) => c
                    .into
                    .as_ref()
                    .and_then(|i| i.rel.as_ref())
                    .is_some_and(|r| table_name(r) == name),
                _ => false,
            });
            if recreated {
                out.push(cx.diagnostic(
                    RULE,
                    i,
                    format!("drops {shown} and creates it again later in this migration: its rows are lost"),
                ));
            }
        }
    }
}
