//! The migration lint: the guide's dangerous patterns (through the risk
//! classifier) plus the lock and rewrite rules that migration linters know.
//! Tables created in the same migration are exempt: nobody else can be
//! using them yet. `-- dbguard-ignore rule-id[, rule-id]: reason` on the line
//! of a statement, or the lines just before it, silences those rules for
//! that statement; an ignore comment that silences nothing is reported.

pub mod format;
pub mod rules;

use std::collections::HashSet;

use dbguard_risk::verdict::LineIndex;
use dbguard_risk::{classify_sql, Risk, SqlOptions};
use pg_query::protobuf::{AlterTableType, ConstrType};
use pg_query::{Node, NodeEnum};
use serde::Serialize;

use rules::LintRule;

/// Functions whose default values differ per row (adding such a column rewrites the table).
const VOLATILE: &[&str] = &[
    "random",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v4",
    "clock_timestamp",
    "timeofday",
    "nextval",
];

/// Risk rules that are normal in a migration.
const EXPECTED_IN_MIGRATIONS: &[&str] = &["schema-change", "permission-change", "write-one-row"];

/// One finding of the lint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The rule id.
    pub rule: String,
    /// Its risk.
    pub risk: Risk,
    /// What was found.
    pub message: String,
    /// What to do instead.
    pub help: String,
    /// 1-based line of the statement.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Byte offset of the statement.
    #[serde(skip)]
    pub offset: usize,
}

struct Statement<'a> {
    node: &'a Node,
    offset: usize,
    line: usize,
    column: usize,
}

/// Lints one migration's SQL.
pub fn lint(sql: &str) -> Vec<Diagnostic> {
    let lines = LineIndex::new(sql);
    let parsed = match pg_query::parse(sql, 0) {
        Ok(parsed) => parsed,
        Err(e) => {
            return vec![Diagnostic {
                rule: "sql-unparseable".into(),
                risk: Risk::High,
                message: format!("PostgreSQL cannot parse this migration: {e}"),
                help: rules::help_for("sql-unparseable").into(),
                line: 1,
                column: 1,
                offset: 0,
            }]
        }
    };
    let statements: Vec<Statement> = parsed
        .protobuf
        .stmts
        .iter()
        .filter_map(|raw| {
            let node = raw.stmt.as_deref()?;
            let offset = usize::try_from(raw.stmt_location).unwrap_or(0).min(sql.len());
            let span = lines.span(sql, offset, 0);
            Some(Statement {
                node,
                offset: span.offset,
                line: span.line,
                column: span.column,
            })
        })
        .collect();
    let created = created_tables(&statements);
    let mut found = Vec::new();
    let mut lock_timeout_set = false;
    let mut reported_lock_timeout = false;
    for statement in &statements {
        let add = |found: &mut Vec<Diagnostic>, rule: LintRule, message: String| {
            found.push(Diagnostic {
                rule: rule.id.into(),
                risk: rule.risk,
                message,
                help: rule.help.into(),
                line: statement.line,
                column: statement.column,
                offset: statement.offset,
            })
        };
        match &statement.node.node {
            Some(NodeEnum::VariableSetStmt(v)) if v.name == "lock_timeout" => lock_timeout_set = true,
            Some(NodeEnum::IndexStmt(index)) => {
                let table = index
                    .relation
                    .as_ref()
                    .map(|r| r.relname.to_lowercase())
                    .unwrap_or_default();
                if !created.contains(&table) {
                    if !index.concurrent {
                        add(
                            &mut found,
                            rules::INDEX_NOT_CONCURRENT,
                            format!("CREATE INDEX on {table} without CONCURRENTLY"),
                        );
                    }
                    if !lock_timeout_set && !index.concurrent && !reported_lock_timeout {
                        reported_lock_timeout = true;
                        add(
                            &mut found,
                            rules::MISSING_LOCK_TIMEOUT,
                            format!("locks {table} with no lock_timeout set before"),
                        );
                    }
                }
            }
            Some(NodeEnum::AlterTableStmt(alter)) => {
                let table = alter
                    .relation
                    .as_ref()
                    .map(|r| r.relname.to_lowercase())
                    .unwrap_or_default();
                if created.contains(&table) {
                    continue;
                }
                if !lock_timeout_set && !reported_lock_timeout {
                    reported_lock_timeout = true;
                    add(
                        &mut found,
                        rules::MISSING_LOCK_TIMEOUT,
                        format!("locks {table} with no lock_timeout set before"),
                    );
                }
                for cmd in &alter.cmds {
                    let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node else {
                        continue;
                    };
                    for (rule, message) in alter_command(cmd, &table) {
                        add(&mut found, rule, message);
                    }
                }
            }
            _ => {}
        }
    }
    found.extend(destructive(sql, &created));
    let mut diagnostics = apply_ignores(sql, &statements, found);
    diagnostics.sort_by_key(|d| (d.line, d.column, d.rule.clone()));
    diagnostics
}

/// Tables created by this migration (`CREATE TABLE`, `CREATE TABLE AS`).
fn created_tables(statements: &[Statement]) -> HashSet<String> {
    statements
        .iter()
        .filter_map(|s| match &s.node.node {
            Some(NodeEnum::CreateStmt(c)) => c.relation.as_ref().map(|r| r.relname.to_lowercase()),
            Some(NodeEnum::CreateTableAsStmt(c)) => c
                .into
                .as_ref()
                .and_then(|i| i.rel.as_ref())
                .map(|r| r.relname.to_lowercase()),
            _ => None,
        })
        .collect()
}

fn alter_command(cmd: &pg_query::protobuf::AlterTableCmd, table: &str) -> Vec<(LintRule, String)> {
    let mut out = Vec::new();
    match cmd.subtype() {
        AlterTableType::AtAddConstraint => {
            if let Some(NodeEnum::Constraint(c)) = cmd.def.as_deref().and_then(|d| d.node.as_ref()) {
                match c.contype() {
                    ConstrType::ConstrForeign if !c.skip_validation => out.push((
                        rules::FOREIGN_KEY_NOT_VALID,
                        format!(
                            "foreign key {} on {table} is validated while it is added",
                            c.conname
                        ),
                    )),
                    ConstrType::ConstrCheck if !c.skip_validation => out.push((
                        rules::CHECK_NOT_VALID,
                        format!("check {} on {table} is validated while it is added", c.conname),
                    )),
                    _ => {}
                }
            }
        }
        AlterTableType::AtSetNotNull => out.push((
            rules::SET_NOT_NULL,
            format!("SET NOT NULL on {table}.{}", cmd.name),
        )),
        AlterTableType::AtAddColumn => {
            if let Some(NodeEnum::ColumnDef(col)) = cmd.def.as_deref().and_then(|d| d.node.as_ref()) {
                let constraints: Vec<&pg_query::protobuf::Constraint> = col
                    .constraints
                    .iter()
                    .filter_map(|c| match &c.node {
                        Some(NodeEnum::Constraint(c)) => Some(c.as_ref()),
                        _ => None,
                    })
                    .collect();
                let default = constraints
                    .iter()
                    .find(|c| c.contype() == ConstrType::ConstrDefault);
                let generated = constraints.iter().any(|c| {
                    matches!(
                        c.contype(),
                        ConstrType::ConstrIdentity | ConstrType::ConstrGenerated
                    )
                });
                let not_null = constraints
                    .iter()
                    .any(|c| c.contype() == ConstrType::ConstrNotnull);
                if not_null && default.is_none() && !generated {
                    out.push((
                        rules::ADD_COLUMN_NOT_NULL_WITHOUT_DEFAULT,
                        format!("{table}.{} is NOT NULL with no default", col.colname),
                    ));
                }
                let type_name = col
                    .type_name
                    .as_ref()
                    .and_then(|t| t.names.last())
                    .and_then(|n| match &n.node {
                        Some(NodeEnum::String(s)) => Some(s.sval.to_lowercase()),
                        _ => None,
                    })
                    .unwrap_or_default();
                let serial = type_name.ends_with("serial");
                let volatile = default
                    .and_then(|d| d.raw_expr.as_deref())
                    .is_some_and(calls_volatile);
                if serial || volatile || generated {
                    out.push((
                        rules::VOLATILE_DEFAULT,
                        format!("{table}.{} gets a different value per row", col.colname),
                    ));
                }
            }
        }
        _ => {}
    }
    out
}

fn calls_volatile(node: &Node) -> bool {
    let Ok(tree) = serde_json::to_value(node) else {
        return true;
    };
    let mut names = Vec::new();
    function_names(&tree, &mut names);
    names.iter().any(|n| VOLATILE.contains(&n.as_str()))
}

fn function_names(value: &serde_json::Value, out: &mut Vec<String>) {
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
            map.values().for_each(|v| function_names(v, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| function_names(v, out)),
        _ => {}
    }
}

/// The risk classifier's findings that matter in a migration, except on
/// tables the migration creates itself.
fn destructive(sql: &str, created: &HashSet<String>) -> Vec<Diagnostic> {
    classify_sql(sql, &SqlOptions::default())
        .findings
        .into_iter()
        .filter(|f| f.risk > Risk::Low && !EXPECTED_IN_MIGRATIONS.contains(&f.rule.id()))
        .filter(|f| {
            let written = dbguard_risk::tables_written(&f.text);
            written.is_empty()
                || !written
                    .iter()
                    .all(|t| created.contains(&t.rsplit('.').next().unwrap_or(t).to_lowercase()))
        })
        .map(|f| {
            let span = f.span.unwrap_or(dbguard_risk::Span {
                offset: 0,
                len: 0,
                line: 1,
                column: 1,
            });
            Diagnostic {
                rule: f.rule.id().to_string(),
                risk: f.risk,
                message: f.message,
                help: rules::help_for(f.rule.id()).to_string(),
                line: span.line,
                column: span.column,
                offset: span.offset,
            }
        })
        .collect()
}

/// Drops the findings silenced by `-- dbguard-ignore` comments, and reports
/// the comments that silenced nothing.
fn apply_ignores(sql: &str, statements: &[Statement], found: Vec<Diagnostic>) -> Vec<Diagnostic> {
    const MARK: &str = "-- dbguard-ignore";
    let mut ignores: Vec<(usize, usize, Vec<String>, bool)> = Vec::new();
    for (i, text) in sql.lines().enumerate() {
        let Some(at) = text.find(MARK) else { continue };
        let rest = &text[at + MARK.len()..];
        let ids = rest.split(':').next().unwrap_or_default();
        let ids: Vec<String> = ids
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        let line = i + 1;
        let column = text[..at].chars().count() + 1;
        ignores.push((line, column, ids, false));
    }
    let statement_of = |line: usize| statements.iter().find(|s| s.line >= line).map(|s| s.offset);
    let mut kept = Vec::new();
    for diagnostic in found {
        let silenced = ignores.iter_mut().find(|(line, _, ids, _)| {
            statement_of(*line) == Some(diagnostic.offset) && ids.contains(&diagnostic.rule)
        });
        match silenced {
            Some(ignore) => ignore.3 = true,
            None => kept.push(diagnostic),
        }
    }
    for (line, column, ids, used) in ignores {
        if !used {
            kept.push(Diagnostic {
                rule: rules::UNUSED_IGNORE.id.into(),
                risk: rules::UNUSED_IGNORE.risk,
                message: format!("`dbguard-ignore {}` silences nothing here", ids.join(", ")),
                help: rules::UNUSED_IGNORE.help.into(),
                line,
                column,
                offset: usize::MAX,
            });
        }
    }
    kept
}
