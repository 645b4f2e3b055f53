//! `ADD COLUMN` whose default differs per row (a volatile function,
//! `serial`, an identity or a stored generated column) rewrites the whole
//! table under an `ACCESS EXCLUSIVE` lock. A function dbguard does not know
//! (a user's own, an extension's) is judged volatile: fail closed.

use pg_query::protobuf::{AlterTableType, ColumnDef, ConstrType};
use pg_query::Node;

use super::LintRule;
use crate::lint::context::{column_constraints, column_def, display_name, string, Context};
use crate::lint::Diagnostic;

/// The rule.
pub const RULE: LintRule = LintRule {
    id: "volatile-default",
    risk: dbguard_risk::Risk::Medium,
    summary: "ADD COLUMN with a volatile default (random(), gen_random_uuid(), serial, a function not known to be stable, …) rewrites the whole table",
    help: "add the column without a default, set the default, and backfill in batches",
};

/// Functions whose value differs per row.
const VOLATILE: &[&str] = &[
    "random",
    "random_normal",
    "gen_random_uuid",
    "uuidv4",
    "uuidv7",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "txid_current",
];

/// Built-in functions that are stable or immutable: a default calling
/// only these is computed once, and PostgreSQL 11+ adds the column without
/// a rewrite.
const NOT_VOLATILE: &[&str] = &[
    "now",
    "transaction_timestamp",
    "statement_timestamp",
    "current_setting",
    "timezone",
    "date_trunc",
    "date_part",
    "make_date",
    "make_time",
    "make_timestamp",
    "make_timestamptz",
    "make_interval",
    "to_char",
    "to_date",
    "to_timestamp",
    "to_number",
    "lower",
    "upper",
    "btrim",
    "ltrim",
    "rtrim",
    "concat",
    "concat_ws",
    "length",
    "substr",
    "replace",
    "lpad",
    "rpad",
    "md5",
    "abs",
    "round",
    "floor",
    "ceil",
    "trunc",
    "json_build_object",
    "jsonb_build_object",
    "json_build_array",
    "jsonb_build_array",
    "to_json",
    "to_jsonb",
    "array_to_json",
    "uuid_nil",
];

/// The last part of the column's type name, lower-cased (`int4`, `serial`, `varchar`).
pub(crate) fn type_name(col: &ColumnDef) -> String {
    col.type_name
        .as_ref()
        .and_then(|t| t.names.last())
        .and_then(string)
        .map(str::to_lowercase)
        .unwrap_or_default()
}

/// The functions an expression calls, lower-cased.
fn function_names(node: &Node) -> Vec<String> {
    let Ok(tree) = serde_json::to_value(node) else {
        return vec!["(an expression that cannot be read)".into()];
    };
    let mut names = Vec::new();
    collect(&tree, &mut names);
    names
}

fn collect(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(name) = map
                .get("FuncCall")
                .and_then(|c| c["funcname"].as_array())
                .and_then(|parts| parts.last())
                .and_then(|n| n["node"]["String"]["sval"].as_str())
            {
                out.push(name.to_lowercase());
            }
            map.values().for_each(|v| collect(v, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        _ => {}
    }
}

/// Why the default of `col` differs per row, if it does (or may).
pub(crate) fn per_row(col: &ColumnDef) -> Option<String> {
    if type_name(col).ends_with("serial") {
        return Some("is serial (a sequence value per row)".into());
    }
    for c in column_constraints(col) {
        match c.contype() {
            ConstrType::ConstrIdentity => return Some("is an identity column (a value per row)".into()),
            ConstrType::ConstrGenerated => {
                return Some("is a stored generated column (computed per row)".into())
            }
            ConstrType::ConstrDefault => {
                let names = c.raw_expr.as_deref().map(function_names).unwrap_or_default();
                if let Some(f) = names.iter().find(|n| VOLATILE.contains(&n.as_str())) {
                    return Some(format!("defaults to {f}(), a value per row"));
                }
                if let Some(f) = names.iter().find(|n| !NOT_VOLATILE.contains(&n.as_str())) {
                    return Some(format!(
                        "defaults to {f}(), which dbguard does not know to be stable: judged volatile (fail closed)"
                    ));
                }
            }
            _ => {}
        }
    }
    None
}

pub(crate) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for (i, alter, cmd) in cx.alterations() {
        if cmd.subtype() != AlterTableType::AtAddColumn {
            continue;
        }
        let Some(col) = column_def(cmd) else { continue };
        if let Some(why) = per_row(col) {
            out.push(cx.diagnostic(
                RULE,
                i,
                format!(
                    "{}.{} {why}, so adding it rewrites the table",
                    display_name(alter.relation.as_ref()),
                    col.colname
                ),
            ));
        }
    }
}
