//! Which statements wait for a lock on something that already exists (the
//! timeouts rules care about them), and which of those can run long while
//! holding a lock that blocks other sessions.

use pg_query::protobuf::{AlterTableType, ConstrType, ObjectType};
use pg_query::NodeEnum;

use super::context::{added_constraint, column_def, display_name, has_option, string, Context};
use super::rules::{column_type_rewrite, reindex_not_concurrent, volatile_default};

/// What statement `at` locks, when it waits for a lock on an object that
/// existed before the migration.
pub(crate) fn locks_existing(cx: &Context, at: usize) -> Option<String> {
    let old = |r: Option<&pg_query::protobuf::RangeVar>| !cx.is_new_relation(r, at);
    match cx.statements[at].node {
        NodeEnum::AlterTableStmt(a) if old(a.relation.as_ref()) => Some(display_name(a.relation.as_ref())),
        NodeEnum::IndexStmt(i) if !i.concurrent && old(i.relation.as_ref()) => {
            Some(display_name(i.relation.as_ref()))
        }
        NodeEnum::CreateTrigStmt(t) if old(t.relation.as_ref()) => Some(display_name(t.relation.as_ref())),
        NodeEnum::CreatePolicyStmt(p) if old(p.table.as_ref()) => Some(display_name(p.table.as_ref())),
        NodeEnum::AlterPolicyStmt(p) => Some(display_name(p.table.as_ref())),
        NodeEnum::RuleStmt(r) if old(r.relation.as_ref()) => Some(display_name(r.relation.as_ref())),
        NodeEnum::RenameStmt(r) if r.relation.is_none() || old(r.relation.as_ref()) => Some(
            r.relation
                .as_ref()
                .map_or_else(|| "an object".into(), |r| display_name(Some(r))),
        ),
        NodeEnum::DropStmt(d) => {
            let locking = matches!(
                d.remove_type(),
                ObjectType::ObjectTable
                    | ObjectType::ObjectView
                    | ObjectType::ObjectMatview
                    | ObjectType::ObjectTrigger
                    | ObjectType::ObjectRule
                    | ObjectType::ObjectPolicy
                    | ObjectType::ObjectForeignTable
            ) || (d.remove_type() == ObjectType::ObjectIndex && !d.concurrent);
            let names: Vec<String> = d
                .objects
                .iter()
                .filter_map(|o| match &o.node {
                    Some(NodeEnum::List(l)) => l.items.last().and_then(string).map(str::to_string),
                    _ => None,
                })
                .collect();
            let all_new = d.remove_type() == ObjectType::ObjectTable
                && !names.is_empty()
                && names.iter().all(|n| cx.is_new(&n.to_lowercase(), at));
            (locking && !all_new).then(|| names.join(", "))
        }
        NodeEnum::LockStmt(_) => Some("the tables it names (LOCK)".into()),
        NodeEnum::CommentStmt(_) => Some("the object it comments (COMMENT)".into()),
        NodeEnum::ReindexStmt(_) => Some("the index's table (REINDEX)".into()),
        NodeEnum::TruncateStmt(_) => Some("the tables it truncates".into()),
        NodeEnum::ClusterStmt(c) => Some(display_name(c.relation.as_ref())),
        NodeEnum::VacuumStmt(v) if has_option(&v.options, "full") => {
            Some("the tables it vacuums (FULL)".into())
        }
        _ => None,
    }
}

/// What makes statement `at` long while it holds a lock that blocks other
/// sessions: a scan or rewrite of a table that existed before.
pub(crate) fn long_under_lock(cx: &Context, at: usize) -> Option<String> {
    let node = cx.statements[at].node;
    match node {
        NodeEnum::IndexStmt(i) if !i.concurrent && !cx.is_new_relation(i.relation.as_ref(), at) => {
            Some(format!("CREATE INDEX on {}", display_name(i.relation.as_ref())))
        }
        NodeEnum::ReindexStmt(_) if !reindex_not_concurrent::is_concurrent(node) => Some("REINDEX".into()),
        NodeEnum::ClusterStmt(_) => Some("CLUSTER".into()),
        NodeEnum::VacuumStmt(v) if has_option(&v.options, "full") => Some("VACUUM FULL".into()),
        NodeEnum::UpdateStmt(u) if !cx.is_new_relation(u.relation.as_ref(), at) => {
            Some(format!("UPDATE of {}", display_name(u.relation.as_ref())))
        }
        NodeEnum::DeleteStmt(d) if !cx.is_new_relation(d.relation.as_ref(), at) => {
            Some(format!("DELETE from {}", display_name(d.relation.as_ref())))
        }
        NodeEnum::AlterTableStmt(_) => {
            cx.alterations()
                .filter(|(i, _, _)| *i == at)
                .find_map(|(_, a, cmd)| {
                    let table = display_name(a.relation.as_ref());
                    let scans = match cmd.subtype() {
                        AlterTableType::AtSetNotNull => true,
                        AlterTableType::AtAlterColumnType => !column_type_rewrite::keeps_values(cx, at),
                        AlterTableType::AtAddColumn => {
                            column_def(cmd).is_some_and(|c| volatile_default::per_row(c).is_some())
                        }
                        AlterTableType::AtAddConstraint => {
                            added_constraint(cmd).is_some_and(|c| match c.contype() {
                                ConstrType::ConstrForeign | ConstrType::ConstrCheck => !c.skip_validation,
                                ConstrType::ConstrUnique | ConstrType::ConstrPrimary => {
                                    c.indexname.is_empty()
                                }
                                _ => false,
                            })
                        }
                        _ => false,
                    };
                    scans.then(|| format!("ALTER TABLE {table} (a scan or rewrite of the table)"))
                })
        }
        _ => None,
    }
}

/// The first statement `what` describes that runs before any
/// `SET [LOCAL] setting = …`, with its description.
pub(crate) fn first_without(
    cx: &Context,
    setting: &str,
    what: fn(&Context, usize) -> Option<String>,
) -> Option<(usize, String)> {
    for i in 0..cx.statements.len() {
        if matches!(cx.statements[i].node, NodeEnum::VariableSetStmt(v) if v.name == setting) {
            return None;
        }
        if let Some(found) = what(cx, i) {
            return Some((i, found));
        }
    }
    None
}
