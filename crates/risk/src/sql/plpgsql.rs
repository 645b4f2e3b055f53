//! Looking inside `DO` blocks and the bodies of functions and procedures
//! created: the PL/pgSQL parser finds every SQL statement the block runs. `EXECUTE` of a string literal (or literals joined with
//! `||`) is read and classified; any other `EXECUTE` is SQL built at run time
//! and high risk.

use pg_query::protobuf::{CreateFunctionStmt, DoStmt};
use pg_query::NodeEnum;
use serde_json::Value;

use super::{analyse, SqlOptions};
use crate::rules::Rule;
use crate::verdict::{Collector, Finding};

/// The dollar-quote tag used to wrap a block for the PL/pgSQL parser.
const TAG: &str = "$dbguard_do_body$";

/// The findings of the statements a `DO` block runs.
pub(super) fn do_block(s: &DoStmt, options: &SqlOptions, depth: usize) -> Collector {
    let mut body = None;
    let mut language = "plpgsql".to_string();
    for arg in &s.args {
        let Some(NodeEnum::DefElem(d)) = &arg.node else {
            continue;
        };
        let value = match d.arg.as_deref().and_then(|a| a.node.as_ref()) {
            Some(NodeEnum::String(v)) => v.sval.clone(),
            _ => continue,
        };
        match d.defname.as_str() {
            "as" => body = Some(value),
            "language" => language = value.to_lowercase(),
            _ => {}
        }
    }
    let Some(body) = body else {
        return Collector::default();
    };
    if language != "plpgsql" {
        let mut out = Collector::default();
        let message = format!("a DO block in language {language} cannot be read");
        out.push(Finding::new(Rule::DynamicSql, message, &body));
        return out;
    }
    plpgsql_body(
        &body,
        |body| format!("CREATE FUNCTION dbguard_do() RETURNS void LANGUAGE plpgsql AS {TAG}{body}{TAG}"),
        "the DO block",
        options,
        depth,
    )
}

/// The findings of the statements a function or procedure runs when it is
/// called, from its body as `CREATE FUNCTION` gives it: SQL (`LANGUAGE
/// sql`, each statement classified) or PL/pgSQL (as a `DO` block). A body in
/// another language is not read: creating one needs the rights of the
/// language's owner, and what it does is not SQL text.
pub(super) fn function_body(
    f: &CreateFunctionStmt,
    text: &str,
    options: &SqlOptions,
    depth: usize,
) -> Collector {
    let mut body = None;
    let mut language = "sql".to_string();
    for option in &f.options {
        let Some(NodeEnum::DefElem(d)) = &option.node else {
            continue;
        };
        match (d.defname.as_str(), d.arg.as_deref().and_then(|a| a.node.as_ref())) {
            ("as", Some(NodeEnum::List(l))) => {
                if let [only] = l.items.as_slice() {
                    if let Some(NodeEnum::String(v)) = &only.node {
                        body = Some(v.sval.clone());
                    }
                }
            }
            ("language", Some(NodeEnum::String(v))) => language = v.sval.to_lowercase(),
            _ => {}
        }
    }
    match (body, language.as_str()) {
        // A SQL function's parameters may be named in its body.
        (Some(body), "sql") => {
            let names = f.parameters.iter().filter_map(|p| match &p.node {
                Some(NodeEnum::FunctionParameter(p)) if !p.name.is_empty() => Some(p.name.clone()),
                _ => None,
            });
            analyse(&body, &options.with_variables(names), depth + 1)
        }
        // A trigger function's body, inside a block that declares what
        // PostgreSQL gives a trigger (pg_query writes the parse of a
        // `RETURNS trigger` function as malformed JSON); any other function
        // is parsed as the statement itself, so that its parameters and
        // return type are known.
        (Some(body), "plpgsql") if returns_trigger(f) => plpgsql_body(
            &body,
            |body| {
                let inner = body.trim_end().trim_end_matches(';');
                format!(
                    "CREATE FUNCTION dbguard_trigger() RETURNS record LANGUAGE plpgsql AS {TAG}DECLARE {TRIGGER_VARIABLES} BEGIN {inner}\n; END{TAG}"
                )
            },
            "the function's body",
            options,
            depth,
        ),
        (Some(body), "plpgsql") => parsed(text, &body, "the function's body", options, depth),
        _ => Collector::default(),
    }
}

/// What PostgreSQL declares in a trigger function.
const TRIGGER_VARIABLES: &str = "new record; old record; tg_name name; tg_when text; tg_level text; tg_op text; \
     tg_relid oid; tg_relname name; tg_table_name name; tg_table_schema name; tg_nargs integer; tg_argv text[]; \
     tg_event text; tg_tag text;";

/// Whether `f` returns `trigger` or `event_trigger`.
fn returns_trigger(f: &CreateFunctionStmt) -> bool {
    f.return_type.as_ref().is_some_and(|t| {
        t.names.last().is_some_and(|n| {
            matches!(&n.node, Some(NodeEnum::String(s)) if s.sval == "trigger" || s.sval == "event_trigger")
        })
    })
}

/// The findings of the statements a PL/pgSQL body (`what`, for messages)
/// runs, parsed as the function `wrap` makes of it.
fn plpgsql_body(
    body: &str,
    wrap: impl Fn(&str) -> String,
    what: &str,
    options: &SqlOptions,
    depth: usize,
) -> Collector {
    let mut out = Collector::default();
    if body.contains(TAG) {
        out.push(Finding::new(
            Rule::SqlUnparseable,
            format!("{what} could not be analysed"),
            body,
        ));
        return out;
    }
    parsed(&wrap(body), body, what, options, depth)
}

/// The findings of the PL/pgSQL function `statement` (whose body is `body`) runs.
fn parsed(statement: &str, body: &str, what: &str, options: &SqlOptions, depth: usize) -> Collector {
    let mut out = Collector::default();
    match pg_query::parse_plpgsql(statement) {
        Ok(tree) => {
            let mut names = Vec::new();
            variables(&tree, &mut names);
            walk(&tree, &options.with_variables(names), depth, &mut out)
        }
        Err(e) => out.push(Finding::new(
            Rule::SqlUnparseable,
            format!("{what} could not be analysed: {e}"),
            body,
        )),
    }
    out
}

/// The names of every variable, parameter and record the parsed function
/// declares (its `datums`).
fn variables(value: &Value, names: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key == "datums" {
                    for datum in inner.as_array().into_iter().flatten() {
                        let refname = datum
                            .as_object()
                            .and_then(|d| d.values().next())
                            .and_then(|d| d["refname"].as_str());
                        names.extend(refname.map(str::to_string));
                    }
                } else {
                    variables(inner, names);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| variables(v, names)),
        _ => {}
    }
}

fn walk(value: &Value, options: &SqlOptions, depth: usize, out: &mut Collector) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match key.as_str() {
                    "PLpgSQL_stmt_execsql" => static_sql(&inner["sqlstmt"], options, depth, out),
                    "PLpgSQL_stmt_perform" | "PLpgSQL_stmt_call" => {
                        static_sql(&inner["expr"], options, depth, out)
                    }
                    "PLpgSQL_stmt_dynexecute" | "PLpgSQL_stmt_dynfors" => {
                        dynamic_sql(&inner["query"], options, depth, out)
                    }
                    "PLpgSQL_stmt_return_query" | "PLpgSQL_stmt_open" => {
                        if inner.get("dynquery").is_some() {
                            dynamic_sql(&inner["dynquery"], options, depth, out);
                        }
                        static_sql(&inner["query"], options, depth, out);
                    }
                    _ => {}
                }
                walk(inner, options, depth, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, options, depth, out)),
        _ => {}
    }
}

fn expr_text(expr: &Value) -> Option<&str> {
    expr["PLpgSQL_expr"]["query"].as_str()
}

fn static_sql(expr: &Value, options: &SqlOptions, depth: usize, out: &mut Collector) {
    if let Some(sql) = expr_text(expr) {
        out.absorb(analyse(sql, options, depth + 1), |_| {});
    }
}

fn dynamic_sql(expr: &Value, options: &SqlOptions, depth: usize, out: &mut Collector) {
    let Some(text) = expr_text(expr) else { return };
    match literal(text) {
        Some(sql) => out.absorb(analyse(&sql, options, depth + 1), |f| {
            f.via.insert(0, "EXECUTE".to_string())
        }),
        None => out.push(Finding::new(
            Rule::DynamicSql,
            format!("EXECUTE runs SQL built at run time ({text}), which cannot be read"),
            text,
        )),
    }
}

/// The value of an expression made only of string literals joined by `||`.
fn literal(expr: &str) -> Option<String> {
    let parsed = pg_query::parse(&format!("SELECT {expr}"), 0).ok()?;
    let stmt = parsed.protobuf.stmts.first()?.stmt.as_deref()?;
    let Some(NodeEnum::SelectStmt(select)) = &stmt.node else {
        return None;
    };
    let [target] = select.target_list.as_slice() else {
        return None;
    };
    let Some(NodeEnum::ResTarget(target)) = &target.node else {
        return None;
    };
    constant_text(target.val.as_deref()?)
}

fn constant_text(node: &pg_query::Node) -> Option<String> {
    match node.node.as_ref()? {
        NodeEnum::AConst(c) => match c.val.as_ref()? {
            pg_query::protobuf::a_const::Val::Sval(s) => Some(s.sval.clone()),
            _ => None,
        },
        NodeEnum::AExpr(e) => {
            let is_concat = matches!(e.name.as_slice(), [n] if matches!(&n.node, Some(NodeEnum::String(s)) if s.sval == "||"));
            if !is_concat {
                return None;
            }
            Some(constant_text(e.lexpr.as_deref()?)? + &constant_text(e.rexpr.as_deref()?)?)
        }
        NodeEnum::TypeCast(t) => constant_text(t.arg.as_deref()?),
        _ => None,
    }
}
