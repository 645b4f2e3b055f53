//! `ALTER COLUMN … TYPE` to a type whose values are stored differently
//! rewrites the table and rebuilds its indexes under an `ACCESS EXCLUSIVE`
//! lock. The binary-coercible changes PostgreSQL makes without a rewrite
//! (a longer or unlimited `varchar`, `varchar` to `text`, more `numeric`
//! precision at the same scale, more fractional-second precision, `cidr` to
//! `inet`) are known when the column's current type is declared earlier in
//! the same migration; anything else, or an unknown current type, is judged
//! a rewrite (fail closed).

use pg_query::protobuf::{a_const, AlterTableType, TypeName};
use pg_query::NodeEnum;

use super::LintRule;
use crate::lint::context::{column_def, display_name, string, table_name, Context};
use crate::lint::Diagnostic;

/// The rule.
pub const RULE: LintRule = LintRule {
    id: "column-type-rewrite",
    risk: dbguard_risk::Risk::Medium,
    summary: "ALTER COLUMN … TYPE to a type stored differently rewrites the table and its indexes while reads and writes wait",
    help: "add a column of the new type, backfill it in batches, switch the application, then drop the old one",
};

/// A column type: its name (`varchar`, `int4`), modifiers and array-ness.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Type {
    name: String,
    mods: Vec<i64>,
    array: bool,
}

impl Type {
    fn of(t: &TypeName) -> Type {
        let name = t.names.last().and_then(string).unwrap_or_default().to_lowercase();
        let mods = t
            .typmods
            .iter()
            .map(|m| match &m.node {
                Some(NodeEnum::AConst(c)) => match &c.val {
                    Some(a_const::Val::Ival(i)) => i64::from(i.ival),
                    _ => -1,
                },
                _ => -1,
            })
            .collect();
        Type {
            name,
            mods,
            array: !t.array_bounds.is_empty(),
        }
    }

    fn show(&self) -> String {
        let mods: Vec<String> = self.mods.iter().map(i64::to_string).collect();
        let mods = if mods.is_empty() {
            String::new()
        } else {
            format!("({})", mods.join(","))
        };
        format!("{}{mods}{}", self.name, if self.array { "[]" } else { "" })
    }
}

/// Whether changing a column from `old` to `new` keeps every stored value as it is.
fn binary_coercible(old: &Type, new: &Type) -> bool {
    if old == new {
        return true;
    }
    if old.array != new.array {
        return false;
    }
    let wider = |a: &[i64], b: &[i64]| b.is_empty() || (a.len() == 1 && b.len() == 1 && b[0] >= a[0]);
    match (old.name.as_str(), new.name.as_str()) {
        ("varchar", "varchar") | ("varbit", "varbit") => wider(&old.mods, &new.mods),
        ("varchar", "text") | ("text", "text") => true,
        ("text", "varchar") => new.mods.is_empty(),
        ("numeric", "numeric") => match (old.mods.as_slice(), new.mods.as_slice()) {
            (_, []) => true,
            ([p], [q]) => q >= p,
            ([p, s], [q, t]) => q >= p && s == t,
            ([p], [q, 0]) => q >= p,
            _ => false,
        },
        (a, b) if a == b && ["timestamp", "timestamptz", "time", "timetz", "interval"].contains(&a) => {
            wider(&old.mods, &new.mods)
        }
        ("cidr", "inet") => true,
        _ => false,
    }
}

/// The type `column` of `table` has just before statement `at`, when this migration declares it.
fn declared_type(cx: &Context, table: &str, column: &str, at: usize) -> Option<Type> {
    let mut found = None;
    for s in cx.statements.iter().take(at) {
        match s.node {
            NodeEnum::CreateStmt(c) if c.relation.as_ref().is_some_and(|r| table_name(r) == table) => {
                for element in &c.table_elts {
                    if let Some(NodeEnum::ColumnDef(col)) = &element.node {
                        if col.colname.to_lowercase() == column {
                            found = col.type_name.as_ref().map(Type::of);
                        }
                    }
                }
            }
            NodeEnum::AlterTableStmt(a) if a.relation.as_ref().is_some_and(|r| table_name(r) == table) => {
                for cmd in &a.cmds {
                    let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node else {
                        continue;
                    };
                    let named = match cmd.subtype() {
                        AlterTableType::AtAddColumn => {
                            column_def(cmd).is_some_and(|c| c.colname.to_lowercase() == column)
                        }
                        AlterTableType::AtAlterColumnType => cmd.name.to_lowercase() == column,
                        _ => false,
                    };
                    if named {
                        found = column_def(cmd).and_then(|c| c.type_name.as_ref()).map(Type::of);
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// Why the type change `cmd` of statement `at` rewrites the table, or `None` when it does not.
fn rewrites(cx: &Context, table: &str, cmd: &pg_query::protobuf::AlterTableCmd, at: usize) -> Option<String> {
    let col = column_def(cmd)?;
    let new = Type::of(col.type_name.as_ref()?);
    if col.raw_default.is_some() {
        return Some(format!(
            "to {} USING an expression: the table is rewritten",
            new.show()
        ));
    }
    match declared_type(cx, table, &cmd.name.to_lowercase(), at) {
        Some(old) if binary_coercible(&old, &new) => None,
        Some(old) => Some(format!(
            "from {} to {}: the table is rewritten",
            old.show(),
            new.show()
        )),
        None => Some(format!(
            "to {}; its current type is not declared in this migration, so a table rewrite is assumed",
            new.show()
        )),
    }
}

/// Whether every type change of statement `at` is known to keep the stored values as they are.
pub(crate) fn keeps_values(cx: &Context, at: usize) -> bool {
    let mut any = false;
    for (i, alter, cmd) in cx.alterations() {
        if i != at || cmd.subtype() != AlterTableType::AtAlterColumnType {
            continue;
        }
        any = true;
        let table = alter.relation.as_ref().map(table_name).unwrap_or_default();
        if rewrites(cx, &table, cmd, i).is_some() {
            return false;
        }
    }
    any
}

pub(crate) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for (i, alter, cmd) in cx.alterations() {
        if cmd.subtype() != AlterTableType::AtAlterColumnType {
            continue;
        }
        let table = alter.relation.as_ref().map(table_name).unwrap_or_default();
        if let Some(why) = rewrites(cx, &table, cmd, i) {
            out.push(cx.diagnostic(
                RULE,
                i,
                format!(
                    "{}.{} changes type {why}",
                    display_name(alter.relation.as_ref()),
                    cmd.name
                ),
            ));
        }
    }
}
