//! One statement at a time: which rules its parse tree triggers.

use std::collections::HashSet;

use pg_query::protobuf::{AlterTableType, DropBehavior, ObjectType, RangeVar, WithClause};
use pg_query::{Node, NodeEnum};

use super::where_clause::{pins_one_row, Written};
use super::{Loc, SqlOptions};
use crate::rules::Rule;
use crate::verdict::{Collector, Finding, LineIndex};

/// Functions that run SQL the classifier cannot see, or delete data outside tables.
const DANGEROUS_FUNCTIONS: &[&str] = &[
    "dblink_exec",
    "dblink",
    "lo_unlink",
    "pg_file_unlink",
    "pg_file_write",
    "pg_file_rename",
    "lo_export",
    "pg_drop_replication_slot",
    // They run the SQL string they are given.
    "query_to_xml",
    "query_to_xml_and_xmlschema",
    "query_to_xmlschema",
    "ts_stat",
    "dblink_send_query",
];

/// Functions that end other sessions.
const TERMINATING_FUNCTIONS: &[&str] = &["pg_terminate_backend", "pg_cancel_backend"];

/// Words in a function's name that say it deletes (`purge_farms()`): its
/// body is not known here, so calling it is as unknown as `CALL` (medium).
const DELETING_NAMES: &[&str] = &[
    "delete", "drop", "purge", "wipe", "truncate", "reset", "clean", "remove", "destroy", "erase", "nuke",
];

/// Prefixes of PostgreSQL's own functions whose names hold such a word
/// (`array_remove`, `ts_delete`, `pg_stat_reset`).
const BUILTIN_PREFIXES: &[&str] = &["array_", "ts_", "pg_", "json_", "jsonb_"];

/// Functions that move a sequence, as `ALTER SEQUENCE … RESTART` does.
const SEQUENCE_FUNCTIONS: &[&str] = &["setval"];

/// Walks the statements of one SQL text.
pub(super) struct Walker<'a> {
    pub options: &'a SqlOptions,
    pub depth: usize,
    pub sql: &'a str,
    pub lines: LineIndex,
    pub prepared: HashSet<String>,
    /// Temporary tables this text created (and has not dropped since).
    pub temp_tables: HashSet<String>,
    pub findings: Collector,
}

impl Walker<'_> {
    fn add(&mut self, rule: Rule, message: String, text: &str, loc: Loc) {
        let (sql, lines) = (self.sql, &self.lines);
        self.findings.push_with(rule.risk(), || {
            Finding::new(rule, message, text).at(lines.span(sql, loc.start, loc.len))
        });
    }

    /// Classifies one statement whose source is `text` at `span`.
    pub fn statement(&mut self, node: &Node, text: &str, span: Loc) {
        self.function_calls(node, text, span);
        let Some(stmt) = &node.node else { return };
        self.nested_writes(stmt, text, span);
        if let Some(why) = tampers_with_guards(stmt, text) {
            self.add(Rule::GuardTamper, why, text, span);
        }
        match stmt {
            NodeEnum::SelectStmt(s) => {
                self.with_clause(s.with_clause.as_ref(), text, span);
                if s.into_clause.is_some() {
                    self.add(
                        Rule::SchemaChange,
                        "SELECT INTO creates a table".into(),
                        text,
                        span,
                    );
                }
            }
            NodeEnum::InsertStmt(s) => {
                self.with_clause(s.with_clause.as_ref(), text, span);
                if upserts_from_a_query(s) {
                    let table = s.relation.as_ref().map(table_name).unwrap_or_default();
                    self.add(
                        Rule::UpdateManyRows,
                        format!(
                            "INSERT INTO {table} … SELECT … ON CONFLICT DO UPDATE updates every existing row the query returns"
                        ),
                        text,
                        span,
                    );
                }
            }
            NodeEnum::DeleteStmt(s) => {
                self.with_clause(s.with_clause.as_ref(), text, span);
                self.row_write(
                    "DELETE FROM",
                    Rule::DeleteManyRows,
                    (
                        s.relation.as_ref(),
                        s.where_clause.as_deref(),
                        !s.using_clause.is_empty(),
                    ),
                    text,
                    span,
                );
            }
            NodeEnum::UpdateStmt(s) => {
                self.with_clause(s.with_clause.as_ref(), text, span);
                self.row_write(
                    "UPDATE",
                    Rule::UpdateManyRows,
                    (
                        s.relation.as_ref(),
                        s.where_clause.as_deref(),
                        !s.from_clause.is_empty(),
                    ),
                    text,
                    span,
                );
            }
            NodeEnum::MergeStmt(s) => {
                self.with_clause(s.with_clause.as_ref(), text, span);
                let table = s.relation.as_ref().map(table_name).unwrap_or_default();
                let deletes = text
                    .to_lowercase()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .windows(2)
                    .any(|w| w == ["then", "delete"]);
                let what = if deletes {
                    "deletes every matched row (THEN DELETE)"
                } else {
                    "can update or delete many rows"
                };
                self.add(Rule::Merge, format!("MERGE INTO {table} {what}"), text, span);
            }
            NodeEnum::TruncateStmt(s) => {
                let tables = names(s.relations.iter().filter_map(|n| match &n.node {
                    Some(NodeEnum::RangeVar(r)) => Some(table_name(r)),
                    _ => None,
                }));
                self.add(
                    Rule::Truncate,
                    format!("TRUNCATE deletes every row of {tables}"),
                    text,
                    span,
                );
            }
            NodeEnum::DropStmt(s) => self.drop(s, text, span),
            NodeEnum::DropdbStmt(s) => self.add(
                Rule::DropDatabase,
                format!("DROP DATABASE deletes database {}", s.dbname),
                text,
                span,
            ),
            NodeEnum::DropOwnedStmt(_) => self.add(
                Rule::DropOwned,
                "DROP OWNED deletes every object the roles own".into(),
                text,
                span,
            ),
            NodeEnum::AlterTableStmt(s) => self.alter_table(s, text, span),
            NodeEnum::RenameStmt(s) => {
                let target = s.relation.as_ref().map(table_name).unwrap_or_default();
                let what = if s.subname.is_empty() {
                    target
                } else {
                    format!("{target}.{}", s.subname)
                };
                self.add(
                    Rule::Rename,
                    format!("renames {what} to {}", s.newname),
                    text,
                    span,
                );
            }
            NodeEnum::ExplainStmt(s) => {
                if explain_analyze(&s.options) {
                    if let Some(query) = s.query.as_deref() {
                        self.statement(query, text, span);
                    }
                }
            }
            NodeEnum::PrepareStmt(s) => {
                self.prepared.insert(s.name.to_lowercase());
                if let Some(query) = s.query.as_deref() {
                    self.statement(query, text, span);
                }
            }
            NodeEnum::ExecuteStmt(s) => {
                if !self.prepared.contains(&s.name.to_lowercase()) {
                    let message = format!(
                        "EXECUTE runs prepared statement {} whose SQL is not in this text",
                        s.name
                    );
                    self.add(Rule::DynamicSql, message, text, span);
                }
            }
            NodeEnum::DeclareCursorStmt(s) => {
                if let Some(query) = s.query.as_deref() {
                    self.statement(query, text, span);
                }
            }
            NodeEnum::CopyStmt(s) => {
                if s.is_program {
                    let message = format!("COPY … PROGRAM runs `{}` on the database server", s.filename);
                    self.add(Rule::CopyProgram, message, text, span);
                }
                if let Some(query) = s.query.as_deref() {
                    self.statement(query, text, span);
                }
            }
            // A temporary table lives as long as the session: making one
            // changes nothing that stays.
            NodeEnum::CreateStmt(s) if s.relation.as_ref().is_some_and(is_temporary) => {
                let name = s.relation.as_ref().map(table_name).unwrap_or_default();
                self.temp_tables.insert(name.to_lowercase());
            }
            NodeEnum::CreateTableAsStmt(s)
                if s.into.as_ref().and_then(|i| i.rel.as_ref()).is_some_and(is_temporary) =>
            {
                let name = s.into.as_ref().and_then(|i| i.rel.as_ref()).map(table_name).unwrap_or_default();
                self.temp_tables.insert(name.to_lowercase());
                if let Some(query) = s.query.as_deref() {
                    self.statement(query, text, span);
                }
            }
            NodeEnum::CreateTableAsStmt(s) => {
                self.add(
                    Rule::SchemaChange,
                    "CREATE TABLE AS creates a table".into(),
                    text,
                    span,
                );
                if let Some(query) = s.query.as_deref() {
                    self.statement(query, text, span);
                }
            }
            NodeEnum::DoStmt(s) => {
                let inner = super::plpgsql::do_block(s, self.options, self.depth);
                self.nested(inner, "DO block".to_string(), span);
            }
            // What the function will do when called is judged now: creating
            // it and calling it may come in one text, or one after the other.
            NodeEnum::CreateFunctionStmt(f) => {
                self.add(
                    Rule::SchemaChange,
                    format!("{} changes the schema", leading_keywords(text)),
                    text,
                    span,
                );
                let name = f.funcname.iter().filter_map(|n| match &n.node {
                    Some(NodeEnum::String(s)) => Some(s.sval.as_str()),
                    _ => None,
                });
                let via = format!(
                    "{} {}",
                    if f.is_procedure { "procedure" } else { "function" },
                    name.collect::<Vec<_>>().join(".")
                );
                let inner = super::plpgsql::function_body(f, text, self.options, self.depth);
                self.nested(inner, via, span);
            }
            NodeEnum::CallStmt(_) => self.add(
                Rule::CallProcedure,
                "CALL runs a procedure whose effects dbguard cannot see".into(),
                text,
                span,
            ),
            NodeEnum::CreateRoleStmt(r) if bypass(&r.options).is_some() => self.add(
                Rule::BypassRowSecurity,
                format!(
                    "creates role {} with {}, which ignores every row-level security policy",
                    r.role,
                    bypass(&r.options).unwrap_or_default()
                ),
                text,
                span,
            ),
            NodeEnum::AlterRoleStmt(r) if bypass(&r.options).is_some() => self.add(
                Rule::BypassRowSecurity,
                format!(
                    "gives a role {}, which ignores every row-level security policy",
                    bypass(&r.options).unwrap_or_default()
                ),
                text,
                span,
            ),
            NodeEnum::CreatePolicyStmt(p) if p.permissive => self.add(
                Rule::LoosenPolicy,
                format!(
                    "adds permissive policy {} on {}: PostgreSQL lets a row through when any permissive policy does",
                    p.policy_name,
                    p.table.as_ref().map(table_name).unwrap_or_default()
                ),
                text,
                span,
            ),
            NodeEnum::AlterPolicyStmt(p) => self.add(
                Rule::LoosenPolicy,
                format!(
                    "changes policy {} on {}, which decides the rows each role sees",
                    p.policy_name,
                    p.table.as_ref().map(table_name).unwrap_or_default()
                ),
                text,
                span,
            ),
            NodeEnum::ReassignOwnedStmt(_) => self.add(
                Rule::ReassignOwned,
                "REASSIGN OWNED gives every object of the roles to another role".into(),
                text,
                span,
            ),
            NodeEnum::VariableSetStmt(v)
                if (v.name.eq_ignore_ascii_case("role") || v.name.eq_ignore_ascii_case("session_authorization"))
                    && !v.args.is_empty()
                    && !is_string(&v.args, "none") =>
            {
                self.add(
                    Rule::PermissionChange,
                    "SET ROLE acts as another role, with its privileges (every tenant's rows, if it bypasses row-level security)"
                        .into(),
                    text,
                    span,
                )
            }
            NodeEnum::VariableSetStmt(v)
                if v.name.eq_ignore_ascii_case("session_replication_role") && !restores_origin(&v.args) =>
            {
                self.add(
                    Rule::DisableTriggers,
                    "SET session_replication_role switches off triggers and foreign-key checks".into(),
                    text,
                    span,
                )
            }
            // `ALTER ROLE|DATABASE … SET session_replication_role = replica`:
            // every later session of the role or database starts with the guards off.
            NodeEnum::AlterRoleSetStmt(a)
                if a.setstmt.as_ref().is_some_and(sets_replica) =>
            {
                self.add(
                    Rule::DisableTriggers,
                    "ALTER ROLE … SET session_replication_role = replica switches off triggers, foreign-key checks \
                     and dbguard's guards in every session of the role"
                        .into(),
                    text,
                    span,
                )
            }
            NodeEnum::AlterDatabaseSetStmt(a)
                if a.setstmt.as_ref().is_some_and(sets_replica) =>
            {
                self.add(
                    Rule::DisableTriggers,
                    "ALTER DATABASE … SET session_replication_role = replica switches off triggers, foreign-key \
                     checks and dbguard's guards in every session of the database"
                        .into(),
                    text,
                    span,
                )
            }
            // A rule's actions run whenever it fires: judged now.
            NodeEnum::RuleStmt(r) => {
                self.add(
                    Rule::SchemaChange,
                    format!("CREATE RULE {} rewrites what statements on the table do", r.rulename),
                    text,
                    span,
                );
                for action in &r.actions {
                    self.statement(action, text, span);
                }
            }
            NodeEnum::AlterSystemStmt(a) if disables_durability(a) => self.add(
                Rule::DisableDurability,
                "ALTER SYSTEM turns fsync or full_page_writes off".into(),
                text,
                span,
            ),
            NodeEnum::GrantStmt(_)
            | NodeEnum::GrantRoleStmt(_)
            | NodeEnum::CreateRoleStmt(_)
            | NodeEnum::AlterRoleStmt(_)
            | NodeEnum::AlterRoleSetStmt(_)
            | NodeEnum::DropRoleStmt(_)
            | NodeEnum::AlterDefaultPrivilegesStmt(_) => self.add(
                Rule::PermissionChange,
                "changes roles or privileges".into(),
                text,
                span,
            ),
            NodeEnum::VariableSetStmt(_)
            | NodeEnum::VariableShowStmt(_)
            | NodeEnum::TransactionStmt(_)
            | NodeEnum::CheckPointStmt(_)
            | NodeEnum::ListenStmt(_)
            | NodeEnum::NotifyStmt(_)
            | NodeEnum::UnlistenStmt(_)
            | NodeEnum::DiscardStmt(_)
            | NodeEnum::LockStmt(_)
            | NodeEnum::FetchStmt(_)
            | NodeEnum::ClosePortalStmt(_)
            | NodeEnum::DeallocateStmt(_)
            | NodeEnum::VacuumStmt(_)
            | NodeEnum::ReindexStmt(_)
            | NodeEnum::ClusterStmt(_)
            | NodeEnum::RefreshMatViewStmt(_)
            | NodeEnum::ConstraintsSetStmt(_)
            | NodeEnum::CreatedbStmt(_) => {}
            _ => self.add(
                Rule::SchemaChange,
                format!("{} changes the schema", leading_keywords(text)),
                text,
                span,
            ),
        }
    }

    /// The findings of SQL run inside this statement (a `DO` block, a
    /// function's body), shown at the statement and `via` it.
    fn nested(&mut self, inner: Collector, via: String, span: Loc) {
        if inner.is_empty() {
            return;
        }
        let outer = Some(self.lines.span(self.sql, span.start, span.len));
        self.findings.absorb(inner, |f| {
            f.span = outer;
            f.via.insert(0, via.clone());
        });
    }

    fn with_clause(&mut self, with: Option<&WithClause>, text: &str, span: Loc) {
        let Some(with) = with else { return };
        for cte in &with.ctes {
            if let Some(NodeEnum::CommonTableExpr(c)) = &cte.node {
                if let Some(query) = c.ctequery.as_deref() {
                    self.statement(query, text, span);
                }
            }
        }
    }

    fn row_write(
        &mut self,
        verb: &str,
        many: Rule,
        (relation, where_clause, joined): (Option<&RangeVar>, Option<&Node>, bool),
        text: &str,
        span: Loc,
    ) {
        let Some(relation) = relation else { return };
        let table = table_name(relation);
        let written = Written {
            names: match &relation.alias {
                Some(alias) => vec![alias.aliasname.to_lowercase()],
                None => vec![relation.relname.to_lowercase(), table.to_lowercase()],
            },
            joined,
            variables: self.options.variables.clone(),
        };
        let keys = self.options.keys_of(&relation.schemaname, &relation.relname);
        let key_text = keys.iter().map(|k| k.join(", ")).collect::<Vec<_>>().join(" or ");
        match where_clause {
            None => self.add(many, format!("{verb} {table} has no WHERE: every row is affected"), text, span),
            Some(w) if pins_one_row(w, &keys, &written) => {
                self.add(Rule::WriteOneRow, format!("{verb} {table} touches at most one row (equality on {key_text})"), text, span)
            }
            Some(_) if joined => self.add(
                many,
                format!("{verb} {table} joins other tables and can affect more than one row: its WHERE does not pin the key ({key_text}) of {table} itself"),
                text,
                span,
            ),
            Some(_) => self.add(
                many,
                format!("{verb} {table} can affect more than one row: its WHERE is not equality on a key ({key_text})"),
                text,
                span,
            ),
        }
    }

    fn drop(&mut self, s: &pg_query::protobuf::DropStmt, text: &str, span: Loc) {
        // Temporary tables: in `pg_temp`, or made by this text (the session's
        // own table shadows a permanent one of the same name; once dropped,
        // the name is the permanent table's again).
        let temporary = |name: &String| {
            let lower = name.to_lowercase();
            lower.starts_with("pg_temp.")
                || lower.starts_with("pg_temp_")
                || self.temp_tables.contains(&lower)
        };
        let listed: Vec<String> = s.objects.iter().map(object_name).collect();
        if s.remove_type() == ObjectType::ObjectTable && !listed.is_empty() && listed.iter().all(temporary) {
            for name in &listed {
                self.temp_tables.remove(&name.to_lowercase());
            }
            return;
        }
        let objects = names(s.objects.iter().map(object_name));
        let cascade = s.behavior() == DropBehavior::DropCascade;
        let kind = s.remove_type();
        let rule = match kind {
            ObjectType::ObjectTable => Rule::DropTable,
            ObjectType::ObjectSchema => Rule::DropSchema,
            ObjectType::ObjectPolicy => Rule::DropPolicy,
            ObjectType::ObjectIndex if !cascade => Rule::DropIndex,
            _ if cascade => Rule::DropCascade,
            _ => Rule::DropObject,
        };
        let what = object_kind(kind);
        let tail = if cascade {
            ", and everything that depends on it (CASCADE)"
        } else {
            ""
        };
        self.add(rule, format!("DROP deletes {what} {objects}{tail}"), text, span);
    }

    fn alter_table(&mut self, s: &pg_query::protobuf::AlterTableStmt, text: &str, span: Loc) {
        let table = s.relation.as_ref().map(table_name).unwrap_or_default();
        let mut other = false;
        for cmd in &s.cmds {
            let Some(NodeEnum::AlterTableCmd(c)) = &cmd.node else {
                continue;
            };
            match c.subtype() {
                AlterTableType::AtDropColumn => self.add(
                    Rule::DropColumn,
                    format!("drops column {table}.{} and its data", c.name),
                    text,
                    span,
                ),
                AlterTableType::AtAlterColumnType => self.add(
                    Rule::AlterColumnType,
                    format!("changes the type of {table}.{}, rewriting the table", c.name),
                    text,
                    span,
                ),
                AlterTableType::AtDropConstraint => self.add(
                    Rule::DropConstraint,
                    format!("drops constraint {} of {table}", c.name),
                    text,
                    span,
                ),
                AlterTableType::AtDisableTrig
                | AlterTableType::AtDisableTrigAll
                | AlterTableType::AtDisableTrigUser => self.add(
                    Rule::DisableTriggers,
                    format!("switches off triggers of {table}"),
                    text,
                    span,
                ),
                // `ENABLE REPLICA TRIGGER t` fires it only in replica mode: off otherwise.
                AlterTableType::AtEnableReplicaTrig => self.add(
                    Rule::DisableTriggers,
                    format!("makes trigger {} of {table} fire only in replica mode, so off in every ordinary session", c.name),
                    text,
                    span,
                ),
                AlterTableType::AtSetUnLogged => self.add(
                    Rule::SetUnlogged,
                    format!("makes {table} unlogged: emptied after a crash, missing from standbys and base backups"),
                    text,
                    span,
                ),
                AlterTableType::AtDisableRowSecurity | AlterTableType::AtNoForceRowSecurity => self.add(
                    Rule::DisableRowSecurity,
                    format!("turns row-level security off on {table}"),
                    text,
                    span,
                ),
                _ => other = true,
            }
        }
        if other {
            self.add(Rule::SchemaChange, format!("alters table {table}"), text, span);
        }
    }

    /// Data-modifying statements nested below the top (`INSERT INTO log
    /// WITH d AS (DELETE …) SELECT …`, a CTE in an `EXISTS` subquery), which
    /// the statement's own rules do not reach; the top-level `WITH` is judged
    /// by [`Self::with_clause`].
    fn nested_writes(&mut self, stmt: &NodeEnum, text: &str, span: Loc) {
        let lower = text.to_lowercase();
        if !lower.contains("with")
            || !["delete", "update", "merge", "insert"]
                .iter()
                .any(|v| lower.contains(v))
        {
            return;
        }
        let top_with = match stmt {
            NodeEnum::SelectStmt(s) => s.with_clause.as_ref(),
            NodeEnum::InsertStmt(s) => s.with_clause.as_ref(),
            NodeEnum::UpdateStmt(s) => s.with_clause.as_ref(),
            NodeEnum::DeleteStmt(s) => s.with_clause.as_ref(),
            NodeEnum::MergeStmt(s) => s.with_clause.as_ref(),
            _ => None,
        };
        let judged_at_top: Vec<&NodeEnum> = top_with
            .map(|w| {
                w.ctes
                    .iter()
                    .filter_map(|cte| match &cte.node {
                        Some(NodeEnum::CommonTableExpr(c)) => {
                            c.ctequery.as_ref().and_then(|q| q.node.as_ref())
                        }
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let nested: Vec<Node> = stmt
            .nodes()
            .into_iter()
            .filter(|(_, depth, _, _)| *depth > 1)
            .filter_map(|(found, _, _, _)| match found {
                pg_query::NodeRef::DeleteStmt(_)
                | pg_query::NodeRef::UpdateStmt(_)
                | pg_query::NodeRef::MergeStmt(_) => Some(found.to_enum()),
                _ => None,
            })
            .filter(|found| !judged_at_top.contains(&found))
            .map(|found| Node { node: Some(found) })
            .collect();
        for found in nested {
            self.statement(&found, text, span);
        }
    }

    /// Dangerous function calls anywhere in the statement. The tree is only
    /// searched when the text names one of the functions.
    fn function_calls(&mut self, node: &Node, text: &str, span: Loc) {
        let lower = text.to_lowercase();
        let watched = |list: &[&str]| list.iter().any(|f| lower.contains(f));
        // `SELECT set_config('session_replication_role', 'replica', …)` is `SET`.
        if lower.contains("set_config")
            && lower.contains("session_replication_role")
            && !lower.contains("'origin'")
        {
            self.add(
                Rule::DisableTriggers,
                "set_config('session_replication_role', …) switches off triggers and foreign-key checks"
                    .into(),
                text,
                span,
            );
        }
        if ![
            DANGEROUS_FUNCTIONS,
            TERMINATING_FUNCTIONS,
            SEQUENCE_FUNCTIONS,
            DELETING_NAMES,
        ]
        .iter()
        .any(|list| watched(list))
        {
            return;
        }
        let Ok(tree) = serde_json::to_value(node) else {
            return;
        };
        let mut called = Vec::new();
        collect_function_names(&tree, &mut called);
        for name in called {
            if DANGEROUS_FUNCTIONS.contains(&name.as_str()) {
                self.add(Rule::DangerousFunction, format!("calls {name}()"), text, span);
            } else if TERMINATING_FUNCTIONS.contains(&name.as_str()) {
                self.add(Rule::TerminateSession, format!("calls {name}()"), text, span);
            } else if SEQUENCE_FUNCTIONS.contains(&name.as_str()) {
                let message = format!("{name}() moves a sequence: new rows can collide with existing keys");
                self.add(Rule::SchemaChange, message, text, span);
            } else if DELETING_NAMES.iter().any(|w| name.contains(w))
                && !BUILTIN_PREFIXES.iter().any(|p| name.starts_with(p))
            {
                let message = format!(
                    "calls {name}(), whose name says it deletes and whose effects dbguard cannot see"
                );
                self.add(Rule::CallProcedure, message, text, span);
            }
        }
    }
}

/// An `INSERT … ON CONFLICT DO UPDATE` whose rows come from a query over
/// tables (not a `VALUES` list): an UPDATE of as many rows as the query
/// returns, spelled as an insert.
fn upserts_from_a_query(s: &pg_query::protobuf::InsertStmt) -> bool {
    let updates = s
        .on_conflict_clause
        .as_ref()
        .is_some_and(|c| c.action() == pg_query::protobuf::OnConflictAction::OnconflictUpdate);
    let from_tables = match s.select_stmt.as_deref().and_then(|n| n.node.as_ref()) {
        Some(NodeEnum::SelectStmt(select)) => {
            !select.from_clause.is_empty() || select.larg.is_some() || select.with_clause.is_some()
        }
        _ => false,
    };
    updates && from_tables
}

fn collect_function_names(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(call) = map.get("FuncCall") {
                if let Some(name) = call["funcname"].as_array().and_then(|parts| parts.last()) {
                    if let Some(s) = name["node"]["String"]["sval"].as_str() {
                        out.push(s.to_lowercase());
                    }
                }
            }
            map.values().for_each(|v| collect_function_names(v, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_function_names(v, out)),
        _ => {}
    }
}

/// The role option among `options` that lets a role past row-level
/// security: `BYPASSRLS`, or `SUPERUSER` (which also lets it switch off
/// every guard of `dbguard protect`); not their `NO…` forms.
fn bypass(options: &[Node]) -> Option<&'static str> {
    options.iter().find_map(|o| match &o.node {
        Some(NodeEnum::DefElem(d)) if matches!(d.defname.as_str(), "bypassrls" | "superuser") => {
            let on = match d.arg.as_deref().and_then(|a| a.node.as_ref()) {
                Some(NodeEnum::Boolean(b)) => b.boolval,
                Some(NodeEnum::Integer(i)) => i.ival != 0,
                _ => true,
            };
            on.then_some(if d.defname == "superuser" {
                "SUPERUSER"
            } else {
                "BYPASSRLS"
            })
        }
        _ => None,
    })
}

/// `ALTER SYSTEM SET fsync | full_page_writes = off`.
fn disables_durability(a: &pg_query::protobuf::AlterSystemStmt) -> bool {
    let Some(set) = &a.setstmt else { return false };
    if !matches!(set.name.to_lowercase().as_str(), "fsync" | "full_page_writes") {
        return false;
    }
    set.args.iter().any(|arg| match &arg.node {
        Some(NodeEnum::AConst(c)) => match &c.val {
            Some(pg_query::protobuf::a_const::Val::Sval(s)) => {
                matches!(s.sval.to_lowercase().as_str(), "off" | "false" | "no" | "0")
            }
            Some(pg_query::protobuf::a_const::Val::Ival(i)) => i.ival == 0,
            Some(pg_query::protobuf::a_const::Val::Boolval(b)) => !b.boolval,
            _ => false,
        },
        _ => false,
    })
}

/// `SET session_replication_role = replica` (or `local`), as a nested `SET`.
fn sets_replica(v: &pg_query::protobuf::VariableSetStmt) -> bool {
    v.name.eq_ignore_ascii_case("session_replication_role") && !restores_origin(&v.args)
}

/// `SET session_replication_role = origin | DEFAULT`: back to normal.
fn restores_origin(args: &[Node]) -> bool {
    args.is_empty() || is_string(args, "origin")
}

/// Whether `args` are the one string `value` (any case).
fn is_string(args: &[Node], value: &str) -> bool {
    match args {
        [arg] => match &arg.node {
            Some(NodeEnum::AConst(c)) => {
                matches!(&c.val, Some(pg_query::protobuf::a_const::Val::Sval(s)) if s.sval.eq_ignore_ascii_case(value))
            }
            _ => false,
        },
        _ => false,
    }
}

fn explain_analyze(options: &[Node]) -> bool {
    options.iter().any(|o| match &o.node {
        Some(NodeEnum::DefElem(d)) if d.defname == "analyze" => {
            match d.arg.as_deref().and_then(|a| a.node.as_ref()) {
                None => true,
                Some(NodeEnum::String(s)) => !matches!(s.sval.to_lowercase().as_str(), "false" | "off" | "0"),
                Some(NodeEnum::Boolean(b)) => b.boolval,
                Some(NodeEnum::Integer(i)) => i.ival != 0,
                Some(_) => true,
            }
        }
        _ => false,
    })
}

/// The word for an object kind in messages.
fn object_kind(kind: ObjectType) -> &'static str {
    match kind {
        ObjectType::ObjectTable => "table",
        ObjectType::ObjectSchema => "schema",
        ObjectType::ObjectIndex => "index",
        ObjectType::ObjectView => "view",
        ObjectType::ObjectMatview => "materialized view",
        ObjectType::ObjectSequence => "sequence",
        ObjectType::ObjectFunction | ObjectType::ObjectProcedure | ObjectType::ObjectRoutine => "function",
        ObjectType::ObjectType | ObjectType::ObjectDomain => "type",
        ObjectType::ObjectExtension => "extension",
        ObjectType::ObjectTrigger => "trigger",
        ObjectType::ObjectPolicy => "policy",
        ObjectType::ObjectForeignTable => "foreign table",
        _ => "object",
    }
}

/// The statement's first keywords, e.g. `CREATE INDEX`.
fn leading_keywords(text: &str) -> String {
    text.split_whitespace()
        .take_while(|w| w.chars().all(|c| c.is_ascii_alphabetic()))
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

fn table_name(r: &RangeVar) -> String {
    if r.schemaname.is_empty() {
        r.relname.clone()
    } else {
        format!("{}.{}", r.schemaname, r.relname)
    }
}

/// Whether `CREATE TEMP TABLE` (or `TEMPORARY`, `pg_temp.name`) makes it.
fn is_temporary(relation: &RangeVar) -> bool {
    relation.relpersistence == "t" || relation.schemaname.eq_ignore_ascii_case("pg_temp")
}

fn object_name(node: &Node) -> String {
    match &node.node {
        Some(NodeEnum::List(l)) => object_name_list(&l.items),
        Some(NodeEnum::String(s)) => s.sval.clone(),
        Some(NodeEnum::TypeName(t)) => object_name_list(&t.names),
        Some(NodeEnum::ObjectWithArgs(o)) => object_name_list(&o.objname),
        _ => "?".to_string(),
    }
}

fn object_name_list(parts: &[Node]) -> String {
    parts
        .iter()
        .filter_map(|i| match &i.node {
            Some(NodeEnum::String(s)) => Some(s.sval.clone()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// `a`, `a and b`, `a, b and c`.
fn names(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    match items.as_slice() {
        [] => "?".to_string(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Whether a `set_config(…)` in `lower` names its setting with anything but
/// one plain string literal (`'dbguard' || '.rows'`, `concat(…)`, `$1`).
fn set_config_name_built(lower: &str) -> bool {
    lower.match_indices("set_config").any(|(i, _)| {
        let rest = lower[i + "set_config".len()..].trim_start();
        let Some(args) = rest.strip_prefix('(') else {
            return false;
        };
        let args = args.trim_start();
        let Some(literal) = args.strip_prefix('\'') else {
            return true;
        };
        match literal.find('\'') {
            Some(end) => !literal[end + 1..].trim_start().starts_with(','),
            None => true,
        }
    })
}

/// Why `stmt` (whose text is `text`) would switch off or forge dbguard's
/// guards inside PostgreSQL, if it would: event triggers altered or dropped,
/// dbguard's table triggers dropped, or anything but a read of the
/// `dbguard` schema (its windows, refusals, configuration and functions).
fn tampers_with_guards(stmt: &NodeEnum, text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    match stmt {
        NodeEnum::AlterEventTrigStmt(_) => {
            return Some("ALTER EVENT TRIGGER can switch off the guards inside the database".into())
        }
        NodeEnum::DropStmt(d) if d.remove_type() == pg_query::protobuf::ObjectType::ObjectEventTrigger => {
            return Some("DROP EVENT TRIGGER removes guards inside the database".into())
        }
        NodeEnum::DropStmt(d)
            if d.remove_type() == pg_query::protobuf::ObjectType::ObjectTrigger
                && lower.contains("dbguard") =>
        {
            return Some("dropping a dbguard trigger removes a table's guard".into())
        }
        NodeEnum::SelectStmt(_) if lower.contains("set_config") && lower.contains("dbguard.") => {
            return Some(
                "set_config on a dbguard.* setting forges the guards' own state (their row count or window)"
                    .into(),
            )
        }
        NodeEnum::SelectStmt(_) if set_config_name_built(&lower) => {
            return Some(
                "set_config with a setting name built at run time may set one of dbguard's (a window, a row count)"
                    .into(),
            )
        }
        NodeEnum::SelectStmt(_) | NodeEnum::ExplainStmt(_) | NodeEnum::VariableShowStmt(_) => return None,
        _ => {}
    }
    let names_guard_schema =
        lower.contains("dbguard.") || lower.contains("\"dbguard\".") || lower.contains("schema dbguard");
    names_guard_schema.then(|| {
        "it writes or changes dbguard's own schema inside the database (its windows, refusals or functions)".into()
    })
}
