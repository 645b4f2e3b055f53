//! Looking inside `DO` blocks: the PL/pgSQL parser finds every SQL statement
//! the block runs. `EXECUTE` of a string literal (or literals joined with
//! `||`) is read and classified; any other `EXECUTE` is SQL built at run time
//! and high risk.

use pg_query::protobuf::DoStmt;
use pg_query::NodeEnum;
use serde_json::Value;

use super::{analyse, SqlOptions};
use crate::rules::Rule;
use crate::verdict::{Collector, Finding};

/// The dollar-quote tag used to wrap a block for the PL/pgSQL parser.
const TAG: &str = "$dbguard_do_body$";

/// The findings of the statements a `DO` block runs.
pub(super) fn do_block(s: &DoStmt, options: &SqlOptions, depth: usize) -> Collector {
    let mut out = Collector::default();
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
    let Some(body) = body else { return out };
    if language != "plpgsql" {
        let message = format!("a DO block in language {language} cannot be read");
        out.push(Finding::new(Rule::DynamicSql, message, &body));
        return out;
    }
    if body.contains(TAG) {
        out.push(Finding::new(
            Rule::SqlUnparseable,
            "the DO block could not be analysed",
            &body,
        ));
        return out;
    }
    let wrapped = format!("CREATE FUNCTION dbguard_do() RETURNS void LANGUAGE plpgsql AS {TAG}{body}{TAG}");
    match pg_query::parse_plpgsql(&wrapped) {
        Ok(tree) => walk(&tree, options, depth, &mut out),
        Err(e) => out.push(Finding::new(
            Rule::SqlUnparseable,
            format!("the DO block could not be analysed: {e}"),
            &body,
        )),
    }
    out
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
