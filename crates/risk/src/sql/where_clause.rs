//! Does a WHERE clause pin a single row? Only equality on every column of a
//! key, joined by AND at the top, to a constant or a parameter does. `WHERE
//! true`, `WHERE 1 = 1`, `WHERE farm_id = …`, OR, ranges and subqueries do not.

use std::collections::HashSet;

use pg_query::protobuf::{a_const, AExprKind, BoolExprType};
use pg_query::{Node, NodeEnum};

/// The unique keys of a table, each a list of column names.
pub type Keys = [Vec<String>];

/// The table a statement writes, as its columns may be qualified.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// The names a column of the written table may be qualified with (its
    /// alias, or its name and schema-qualified name).
    pub names: Vec<String>,
    /// Other tables are joined in (`UPDATE … FROM`, `DELETE … USING`), so an
    /// unqualified column may belong to them.
    pub joined: bool,
    /// Names that are values, not columns ([`super::SqlOptions::variables`]).
    pub variables: Vec<String>,
}

/// Whether `where_clause` can match at most one row of a table with `keys`.
/// Only columns of the written table count: equality on another table's key
/// (`UPDATE t … FROM o WHERE o.id = 1`) pins nothing in `t`.
pub fn pins_one_row(where_clause: &Node, keys: &Keys, written: &Written) -> bool {
    if matches!(where_clause.node, Some(NodeEnum::CurrentOfExpr(_))) {
        return true;
    }
    let mut pinned = HashSet::new();
    collect_equalities(where_clause, &mut pinned, written);
    keys.iter()
        .any(|key| !key.is_empty() && key.iter().all(|column| pinned.contains(&column.to_lowercase())))
}

/// Columns set equal to a constant or parameter in the top-level AND chain.
fn collect_equalities(node: &Node, pinned: &mut HashSet<String>, written: &Written) {
    match &node.node {
        Some(NodeEnum::BoolExpr(b)) if b.boolop() == BoolExprType::AndExpr => {
            for arg in &b.args {
                collect_equalities(arg, pinned, written);
            }
        }
        Some(NodeEnum::AExpr(e)) if e.kind() == AExprKind::AexprOp && is_equals(&e.name) => {
            let (Some(l), Some(r)) = (e.lexpr.as_deref(), e.rexpr.as_deref()) else {
                return;
            };
            let column = match (column_name(l, written), column_name(r, written)) {
                (Some(c), None) if is_value(r, written) => c,
                (None, Some(c)) if is_value(l, written) => c,
                _ => return,
            };
            pinned.insert(column);
        }
        _ => {}
    }
}

fn is_equals(name: &[Node]) -> bool {
    matches!(name, [n] if matches!(&n.node, Some(NodeEnum::String(s)) if s.sval == "="))
}

/// The column of the written table a reference names, lower-cased (`t.id`
/// -> `id`); `None` for another table's column, or an unqualified one when
/// other tables are joined in.
fn column_name(node: &Node, written: &Written) -> Option<String> {
    let Some(NodeEnum::ColumnRef(c)) = &node.node else {
        return None;
    };
    let parts: Vec<String> = c
        .fields
        .iter()
        .map(|f| match f.node.as_ref() {
            Some(NodeEnum::String(s)) => Some(s.sval.to_lowercase()),
            _ => None,
        })
        .collect::<Option<_>>()?;
    if parts
        .first()
        .is_some_and(|first| written.variables.contains(first))
    {
        return None;
    }
    let (column, qualifier) = parts.split_last()?;
    let ours = match qualifier {
        [] => !written.joined,
        _ => written.names.contains(&qualifier.join(".")),
    };
    ours.then(|| column.clone())
}

/// A non-NULL constant, a parameter, or a variable (or a field of one) of
/// the function the statement runs in, possibly cast.
fn is_value(node: &Node, written: &Written) -> bool {
    match &node.node {
        Some(NodeEnum::AConst(c)) => !c.isnull && !matches!(c.val, Some(a_const::Val::Boolval(_)) | None),
        Some(NodeEnum::ParamRef(_)) => true,
        Some(NodeEnum::ColumnRef(c)) => c.fields.first().is_some_and(|f| {
            matches!(&f.node, Some(NodeEnum::String(s)) if written.variables.contains(&s.sval.to_lowercase()))
        }),
        Some(NodeEnum::TypeCast(t)) => t.arg.as_deref().is_some_and(|a| is_value(a, written)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pins(sql: &str, keys: &[&[&str]]) -> bool {
        let parsed = pg_query::parse(sql, 0).unwrap();
        let stmt = parsed.protobuf.stmts[0].stmt.as_ref().unwrap();
        let Some(NodeEnum::DeleteStmt(d)) = &stmt.node else {
            panic!("not a DELETE")
        };
        let keys: Vec<Vec<String>> = keys
            .iter()
            .map(|k| k.iter().map(|c| c.to_string()).collect())
            .collect();
        let written = Written {
            names: vec!["t".to_string()],
            joined: !d.using_clause.is_empty(),
            variables: vec!["who".to_string(), "old".to_string()],
        };
        pins_one_row(d.where_clause.as_deref().unwrap(), &keys, &written)
    }

    #[test]
    fn equality_on_the_key_pins_one_row() {
        let id: &[&[&str]] = &[&["id"]];
        assert!(pins("DELETE FROM t WHERE id = 42", id));
        assert!(pins("DELETE FROM t WHERE 42 = t.id", id));
        assert!(pins("DELETE FROM t WHERE id = $1", id));
        assert!(pins("DELETE FROM t WHERE id = '7f1c'::uuid AND status = 'x'", id));
        assert!(pins("DELETE FROM t WHERE CURRENT OF c", id));
        assert!(pins("DELETE FROM t USING o WHERE t.id = 1 AND o.t_id = t.id", id));
    }

    #[test]
    fn a_functions_variables_are_values() {
        let id: &[&[&str]] = &[&["id"]];
        assert!(pins("DELETE FROM t WHERE id = who", id));
        assert!(pins("DELETE FROM t WHERE old.id = id", id));
        assert!(
            !pins("DELETE FROM t WHERE id = other", id),
            "a column, not a variable"
        );
        assert!(
            !pins("DELETE FROM t WHERE who = 1", id),
            "a variable is not a column"
        );
    }

    #[test]
    fn anything_else_can_touch_many_rows() {
        let id: &[&[&str]] = &[&["id"]];
        for sql in [
            "DELETE FROM t WHERE true",
            "DELETE FROM t WHERE 1 = 1",
            "DELETE FROM t WHERE farm_id = '5b0e'",
            "DELETE FROM t WHERE id = 1 OR true",
            "DELETE FROM t WHERE id > 1",
            "DELETE FROM t WHERE id = NULL",
            "DELETE FROM t WHERE id = other_id",
            "DELETE FROM t WHERE id = (SELECT max(id) FROM t)",
            "DELETE FROM t WHERE NOT (id = 1)",
            "DELETE FROM t WHERE id IN (1, 2)",
            "DELETE FROM t USING o WHERE o.id = 1",
            "DELETE FROM t USING o WHERE id = 1",
            "DELETE FROM t WHERE x.id = 1",
        ] {
            assert!(!pins(sql, id), "{sql}");
        }
    }

    #[test]
    fn composite_keys_need_every_column() {
        let key: &[&[&str]] = &[&["farm_id", "id"]];
        assert!(pins("DELETE FROM t WHERE farm_id = $1 AND id = $2", key));
        assert!(!pins("DELETE FROM t WHERE id = $2", key));
    }
}
