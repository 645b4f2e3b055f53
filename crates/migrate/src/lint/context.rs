//! What every rule sees of one migration: its statements in order, with
//! their positions, the explicit transaction each one runs in, and the
//! tables the migration created before each statement.

use std::collections::HashMap;

use dbguard_risk::verdict::LineIndex;
use pg_query::protobuf::{
    AlterTableCmd, AlterTableStmt, AlterTableType, ColumnDef, Constraint, RangeVar, TransactionStmtKind,
};
use pg_query::{Node, NodeEnum};

use super::rules::LintRule;
use super::Diagnostic;

/// One statement of the migration.
pub(crate) struct Statement<'a> {
    /// Its parse tree.
    pub node: &'a NodeEnum,
    /// Byte offset of its first character.
    pub offset: usize,
    /// Byte length (to the end of the text when the parser says 0).
    pub len: usize,
    /// 1-based line and column of its first character.
    pub line: usize,
    pub column: usize,
    /// The explicit `BEGIN … COMMIT` block it runs in (numbered from 1), if any.
    pub block: Option<usize>,
}

/// The migration as the rules see it.
pub(crate) struct Context<'a> {
    /// The migration's text.
    pub sql: &'a str,
    /// Its statements, in order.
    pub statements: Vec<Statement<'a>>,
    /// Where positions are turned into lines and columns.
    pub lines: LineIndex,
    /// Each table the migration creates, with the index of the statement that first creates it.
    created: HashMap<String, usize>,
    /// Whether the file has `BEGIN`, `COMMIT` or the like.
    pub explicit_transactions: bool,
    /// The `BEGIN` of a transaction still open at the end of the file.
    pub unclosed: Option<usize>,
}

impl<'a> Context<'a> {
    /// The context of `sql`, parsed as `parsed`.
    pub fn new(sql: &'a str, parsed: &'a pg_query::ParseResult) -> Context<'a> {
        let lines = LineIndex::new(sql);
        let mut block = None;
        let mut blocks = 0;
        let mut explicit_transactions = false;
        let mut begun = 0;
        let mut statements = Vec::with_capacity(parsed.protobuf.stmts.len());
        for raw in &parsed.protobuf.stmts {
            let Some(node) = raw.stmt.as_deref().and_then(|n: &Node| n.node.as_ref()) else {
                continue;
            };
            let offset = usize::try_from(raw.stmt_location).unwrap_or(0).min(sql.len());
            let end = match usize::try_from(raw.stmt_len).unwrap_or(0) {
                0 => sql.len(),
                len => (offset + len).min(sql.len()),
            };
            let span = lines.span(sql, offset, 0);
            let len = end.saturating_sub(span.offset);
            let mut here = block;
            if let NodeEnum::TransactionStmt(t) = node {
                explicit_transactions = true;
                match t.kind() {
                    TransactionStmtKind::TransStmtBegin | TransactionStmtKind::TransStmtStart
                        if block.is_none() =>
                    {
                        blocks += 1;
                        block = Some(blocks);
                        begun = statements.len();
                        here = block;
                    }
                    TransactionStmtKind::TransStmtCommit
                    | TransactionStmtKind::TransStmtRollback
                    | TransactionStmtKind::TransStmtPrepare => block = None,
                    _ => {}
                }
            }
            statements.push(Statement {
                node,
                offset: span.offset,
                len,
                line: span.line,
                column: span.column,
                block: here,
            });
        }
        let mut created = HashMap::new();
        for (i, s) in statements.iter().enumerate() {
            let relation = match s.node {
                NodeEnum::CreateStmt(c) => c.relation.as_ref(),
                NodeEnum::CreateTableAsStmt(c) => c.into.as_ref().and_then(|i| i.rel.as_ref()),
                _ => None,
            };
            if let Some(r) = relation {
                created.entry(table_name(r)).or_insert(i);
            }
        }
        let unclosed = block.map(|_| begun);
        Context {
            unclosed,
            sql,
            statements,
            lines,
            created,
            explicit_transactions,
        }
    }

    /// Whether `table` was created by this migration before statement `at`
    /// (nobody else can be using it yet).
    pub fn is_new(&self, table: &str, at: usize) -> bool {
        self.created.get(table).is_some_and(|&i| i < at)
    }

    /// Whether the relation is a table created before statement `at`.
    pub fn is_new_relation(&self, relation: Option<&RangeVar>, at: usize) -> bool {
        relation.is_some_and(|r| self.is_new(&table_name(r), at))
    }

    /// Every table the migration creates.
    pub fn created_tables(&self) -> Vec<String> {
        self.created.keys().cloned().collect()
    }

    /// The text of statement `at`.
    pub fn text(&self, at: usize) -> &'a str {
        let s = &self.statements[at];
        self.sql[s.offset..s.offset + s.len].trim()
    }

    /// The statement at or just before byte `offset`.
    pub fn statement_at(&self, offset: usize) -> Option<usize> {
        self.statements
            .iter()
            .rposition(|s| s.offset <= offset)
            .or((!self.statements.is_empty()).then_some(0))
    }

    /// Whether statements `a` and `b` run in one transaction: the same
    /// explicit block, or, in a file with no explicit transaction, the one
    /// transaction the runner wraps a migration in (unless a statement in
    /// it cannot run in a transaction).
    pub fn same_transaction(&self, a: usize, b: usize) -> bool {
        match (self.statements[a].block, self.statements[b].block) {
            (Some(x), Some(y)) => x == y,
            (None, None) => !self.explicit_transactions && !crate::runner::needs_no_transaction(self.sql),
            _ => false,
        }
    }

    /// A finding of `rule` on statement `at`.
    pub fn diagnostic(&self, rule: LintRule, at: usize, message: String) -> Diagnostic {
        let s = &self.statements[at];
        Diagnostic {
            rule: rule.id.into(),
            risk: rule.risk,
            message,
            help: rule.help.into(),
            line: s.line,
            column: s.column,
            offset: s.offset,
            statement: self.text(at).to_string(),
        }
    }
}

/// The name rules compare tables by: the relation's name, lower-cased.
pub(crate) fn table_name(r: &RangeVar) -> String {
    r.relname.to_lowercase()
}

/// The name of the relation, for messages (`schema.table` when qualified).
pub(crate) fn display_name(r: Option<&RangeVar>) -> String {
    match r {
        Some(r) if !r.schemaname.is_empty() => format!("{}.{}", r.schemaname, r.relname),
        Some(r) => r.relname.clone(),
        None => "?".into(),
    }
}

/// The string value of a `String` node.
pub(crate) fn string(node: &Node) -> Option<&str> {
    match &node.node {
        Some(NodeEnum::String(s)) => Some(&s.sval),
        _ => None,
    }
}

/// Whether a list of `DefElem` options names `option` (`CONCURRENTLY`, `FULL`, …).
pub(crate) fn has_option(options: &[Node], option: &str) -> bool {
    options.iter().any(|o| match &o.node {
        Some(NodeEnum::DefElem(d)) => {
            d.defname == option
                && !matches!(
                    d.arg.as_deref().and_then(|a| a.node.as_ref()),
                    Some(NodeEnum::Boolean(b)) if !b.boolval
                )
        }
        _ => false,
    })
}

impl<'a> Context<'a> {
    /// Every `ALTER TABLE` subcommand on a table that existed before the
    /// migration, with the index of its statement.
    pub fn alterations(&self) -> impl Iterator<Item = (usize, &'a AlterTableStmt, &'a AlterTableCmd)> + '_ {
        self.statements.iter().enumerate().flat_map(move |(i, s)| {
            let alter = match s.node {
                NodeEnum::AlterTableStmt(a) if !self.is_new_relation(a.relation.as_ref(), i) => Some(a),
                _ => None,
            };
            alter.into_iter().flat_map(move |a| {
                a.cmds.iter().filter_map(move |c| match &c.node {
                    Some(NodeEnum::AlterTableCmd(cmd)) => Some((i, a, cmd.as_ref())),
                    _ => None,
                })
            })
        })
    }
}

/// The constraint an `ADD CONSTRAINT` adds.
pub(crate) fn added_constraint(cmd: &AlterTableCmd) -> Option<&Constraint> {
    match cmd.def.as_deref().and_then(|d| d.node.as_ref()) {
        Some(NodeEnum::Constraint(c)) if cmd.subtype() == AlterTableType::AtAddConstraint => Some(c),
        _ => None,
    }
}

/// The column an `ADD COLUMN` adds (or whose type `ALTER COLUMN … TYPE` gives).
pub(crate) fn column_def(cmd: &AlterTableCmd) -> Option<&ColumnDef> {
    match cmd.def.as_deref().and_then(|d| d.node.as_ref()) {
        Some(NodeEnum::ColumnDef(c)) => Some(c),
        _ => None,
    }
}

/// The constraints declared on a column.
pub(crate) fn column_constraints(col: &ColumnDef) -> impl Iterator<Item = &Constraint> {
    col.constraints.iter().filter_map(|c| match &c.node {
        Some(NodeEnum::Constraint(c)) => Some(c.as_ref()),
        _ => None,
    })
}
