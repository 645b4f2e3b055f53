//! The OpenAPI 3.0 document of [`crate::api`], written by hand (the API is
//! nine read-only endpoints; a generator would add a dependency and macros
//! on every report type across four crates). A test keeps its paths equal
//! to the routes, and schemathesis checks the live server against it.

use serde_json::{json, Value};

use crate::paging::{MAX_PAGE, PER_PAGE};

fn nullable(kind: &str) -> Value {
    json!({ "type": kind, "nullable": true })
}

fn time() -> Value {
    json!({ "type": "string", "format": "date-time" })
}

fn strings() -> Value {
    json!({ "type": "array", "items": { "type": "string" } })
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": properties })
}

/// An object that may be `null`.
fn nullable_object(required: &[&str], properties: Value) -> Value {
    let mut value = object(required, properties);
    value["nullable"] = json!(true);
    value
}

fn array(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

/// `[name, count]` pairs.
fn named_counts() -> Value {
    array(json!({ "type": "array", "minItems": 2, "maxItems": 2,
                  "items": { "oneOf": [ { "type": "string" }, { "type": "integer", "minimum": 0 } ] } }))
}

/// `dbguard incident status`'s shape.
fn incident() -> Value {
    let counts = || {
        object(
            &["lost", "changed", "added"],
            json!({
                "lost": { "type": "integer", "minimum": 0 },
                "changed": { "type": "integer", "minimum": 0 },
                "added": { "type": "integer", "minimum": 0 },
            }),
        )
    };
    let per_farm = || json!({ "type": "object", "additionalProperties": counts() });
    let session = object(
        &["pid", "user", "application", "client", "state", "since"],
        json!({
            "pid": { "type": "integer" }, "user": { "type": "string" }, "application": { "type": "string" },
            "client": { "type": "string" }, "state": { "type": "string" }, "since": time(),
        }),
    );
    let table = object(
        &[
            "table",
            "tenant",
            "backup_rows",
            "live_rows",
            "counts",
            "farms",
            "samples",
            "not_compared",
        ],
        json!({
            "table": { "type": "string" },
            "tenant": nullable("string"),
            "backup_rows": { "type": "integer", "minimum": 0 },
            "live_rows": { "type": "integer", "minimum": 0 },
            "counts": counts(),
            "farms": per_farm(),
            "samples": object(&["lost", "changed", "added"], json!({ "lost": strings(), "changed": strings(), "added": strings() })),
            "not_compared": nullable("string"),
        }),
    );
    let cause = nullable_object(
        &[
            "seq",
            "time",
            "kind",
            "operation",
            "risk",
            "rules",
            "approval",
            "backup",
            "os_user",
            "agent",
        ],
        json!({
            "seq": { "type": "integer", "minimum": 1 }, "time": time(), "kind": { "type": "string" },
            "operation": { "type": "string" }, "risk": { "type": "string" }, "rules": strings(),
            "approval": nullable("string"), "backup": nullable("string"), "os_user": { "type": "string" },
            "agent": nullable("string"),
        }),
    );
    let scope = nullable_object(
        &[
            "incident",
            "at",
            "backup",
            "side_database",
            "cause",
            "tables",
            "new_tables",
            "totals",
            "farms",
            "restore_seconds",
            "compare_seconds",
        ],
        json!({
            "incident": { "type": "string" },
            "at": time(),
            "backup": object(&["id", "taken_at", "verified", "why"], json!({
                "id": { "type": "string" }, "taken_at": time(),
                "verified": { "type": "string", "enum": ["none", "read", "full"] }, "why": { "type": "string" },
            })),
            "side_database": { "type": "string" },
            "cause": cause,
            "tables": array(table),
            "new_tables": named_counts(),
            "totals": counts(),
            "farms": per_farm(),
            "restore_seconds": { "type": "number", "minimum": 0 },
            "compare_seconds": { "type": "number", "minimum": 0 },
        }),
    );
    let recovery = object(
        &["at", "kind", "backup", "farm", "tables"],
        json!({
            "at": time(), "kind": { "type": "string" }, "backup": { "type": "string" }, "farm": nullable("string"),
            "tables": array(object(&["table", "missing", "inserted", "changed_left", "added_left", "left_samples"], json!({
                "table": { "type": "string" }, "missing": { "type": "integer", "minimum": 0 },
                "inserted": { "type": "integer", "minimum": 0 }, "changed_left": { "type": "integer", "minimum": 0 },
                "added_left": { "type": "integer", "minimum": 0 }, "left_samples": strings(),
            }))),
        }),
    );
    object(
        &[
            "id",
            "title",
            "opened_at",
            "opened_by",
            "target",
            "database",
            "side",
            "freeze",
            "scope",
            "recoveries",
            "verification",
            "checklist",
            "closed_at",
            "steps",
        ],
        json!({
            "id": { "type": "string" },
            "title": { "type": "string" },
            "opened_at": time(),
            "opened_by": { "type": "string" },
            "target": { "type": "string" },
            "database": { "type": "string" },
            "side": nullable_object(&["name", "backup", "restore_seconds"], json!({
                "name": { "type": "string" }, "backup": { "type": "string" },
                "restore_seconds": { "type": "number", "minimum": 0 },
            })),
            "freeze": nullable_object(&["at", "database", "previous", "ended", "lifted_at"], json!({
                "at": time(), "database": { "type": "string" }, "previous": nullable("string"),
                "ended": array(session), "lifted_at": { "type": "string", "format": "date-time", "nullable": true },
            })),
            "scope": scope,
            "recoveries": array(recovery),
            "verification": nullable_object(&["at", "clean", "checks", "still_lost"], json!({
                "at": time(), "clean": { "type": "boolean" },
                "checks": array(object(&["check", "passed", "detail"], json!({
                    "check": { "type": "string" }, "passed": { "type": "boolean" }, "detail": { "type": "string" },
                }))),
                "still_lost": named_counts(),
            })),
            "checklist": array(object(&["id", "item", "status", "note", "by", "at"], json!({
                "id": { "type": "string" }, "item": { "type": "string" },
                "status": { "type": "string", "enum": ["done", "not-applicable"] },
                "note": { "type": "string" }, "by": { "type": "string" }, "at": time(),
            }))),
            "closed_at": { "type": "string", "format": "date-time", "nullable": true },
            "steps": array(object(&["time", "step", "detail"], json!({
                "time": time(), "step": { "type": "string" }, "detail": { "type": "string" },
            }))),
        }),
    )
}

fn paging() -> Vec<Value> {
    vec![
        json!({ "name": "page", "in": "query", "description": "The page, from 1.",
                "schema": { "type": "integer", "minimum": 1, "maximum": MAX_PAGE } }),
        json!({ "name": "per_page", "in": "query", "description": "Rows on a page.",
                "schema": { "type": "integer", "minimum": 1, "maximum": PER_PAGE.1 } }),
    ]
}

fn text_filter(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "query", "description": description, "schema": { "type": "string" } })
}

fn operation(summary: &str, schema: &str, parameters: Vec<Value>) -> Value {
    json!({ "get": {
        "summary": summary,
        "parameters": parameters,
        "responses": {
            "200": { "description": "The report, as the cli's --format json prints it.",
                     "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } },
            "400": { "description": "A query parameter that does not parse or is out of range." },
            "401": { "description": "Without the token." },
            "500": { "description": "The report could not be made.",
                     "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
        }
    }})
}

fn schemas() -> Value {
    let approval = object(
        &[
            "id",
            "state",
            "risk",
            "operation",
            "target",
            "created_at",
            "expires_at",
            "approved_by",
        ],
        json!({
            "id": { "type": "string" },
            "state": { "type": "string", "enum": ["pending", "approved", "used", "expired", "denied", "unsigned"] },
            "risk": { "type": "string" },
            "operation": { "type": "string" },
            "target": { "type": "string" },
            "created_at": time(),
            "expires_at": time(),
            "approved_by": nullable("string"),
        }),
    );
    let backup = object(
        &["id", "started_at", "age_seconds", "bytes", "verified", "label"],
        json!({
            "id": { "type": "string" },
            "started_at": time(),
            "age_seconds": { "type": "integer" },
            "bytes": { "type": "integer", "minimum": 0 },
            "verified": { "type": "string", "enum": ["none", "read", "full"] },
            "label": nullable("string"),
        }),
    );
    let check = object(
        &["name", "level", "summary", "value"],
        json!({
            "name": { "type": "string" },
            "level": { "$ref": "#/components/schemas/Level" },
            "summary": { "type": "string" },
            "value": nullable("number"),
        }),
    );
    let entry = object(
        &[
            "seq",
            "time",
            "os_user",
            "agent",
            "kind",
            "operation",
            "cwd",
            "target",
            "risk",
            "rules",
            "approval",
            "backup",
            "outcome",
            "exit_code",
            "duration_ms",
            "prev",
        ],
        json!({
            "seq": { "type": "integer", "minimum": 1 },
            "time": time(),
            "os_user": { "type": "string" },
            "agent": nullable("string"),
            "kind": { "type": "string" },
            "operation": { "type": "string" },
            "cwd": { "type": "string" },
            "target": nullable("string"),
            "risk": { "type": "string" },
            "rules": strings(),
            "approval": nullable("string"),
            "backup": nullable("string"),
            "outcome": { "type": "string" },
            "exit_code": nullable("integer"),
            "duration_ms": { "type": "integer", "minimum": 0 },
            "nonce": { "type": "string" },
            "prev": { "type": "string" },
            "signature": { "type": "object" },
        }),
    );
    let refusal = object(
        &["at", "rule", "detail"],
        json!({
            "at": { "type": "string" },
            "session_role": nullable("string"),
            "acting_role": nullable("string"),
            "application_name": nullable("string"),
            "client_addr": nullable("string"),
            "statement": nullable("string"),
            "rule": { "type": "string" },
            "detail": { "type": "string" },
        }),
    );
    json!({
        "Level": { "type": "string", "enum": ["OK", "WARNING", "UNKNOWN", "CRITICAL"] },
        "Error": object(&["error"], json!({ "error": object(&["message"], json!({ "message": { "type": "string" } })) })),
        "Approvals": object(&["approvals"], json!({ "approvals": { "type": "array", "items": approval } })),
        "Backups": object(&["dir", "backups", "leftovers"], json!({
            "dir": { "type": "string" },
            "backups": { "type": "array", "items": backup },
            "leftovers": { "type": "object" },
        })),
        "Health": object(&["status", "checks"], json!({
            "status": { "$ref": "#/components/schemas/Level" },
            "checks": { "type": "array", "items": check },
        })),
        "Validation": object(&["valid", "seconds", "checks", "findings", "failures"], json!({
            "valid": { "type": "boolean" },
            "seconds": { "type": "number", "minimum": 0 },
            "checks": { "type": "integer", "minimum": 0 },
            "findings": { "type": "array", "items": object(&["check", "message", "total", "ids"], json!({
                "check": { "type": "string" }, "message": { "type": "string" },
                "total": { "type": "integer" }, "ids": strings(),
            })) },
            "failures": { "type": "array", "items": object(&["check", "reason"], json!({
                "check": { "type": "string" }, "reason": { "type": "string" },
            })) },
        })),
        "Audit": object(&["entries", "refusals"], json!({
            "entries": { "type": "array", "items": entry },
            "refusals": { "type": "array", "items": refusal },
        })),
        "Verification": object(&["lines", "intact", "problems"], json!({
            "lines": { "type": "integer", "minimum": 0 },
            "intact": { "type": "boolean" },
            "problems": strings(),
        })),
        "Incident": incident(),
        "Incidents": object(&["incidents"], json!({ "incidents": array(json!({ "$ref": "#/components/schemas/Incident" })) })),
        "OpenApi": { "type": "object", "required": ["openapi", "paths"] },
    })
}

/// `/api/incidents/{id}`: one incident, or 404.
fn incident_operation() -> Value {
    let mut op = operation(
        "dbguard incident status --id ID",
        "Incident",
        vec![
            json!({ "name": "id", "in": "path", "required": true, "description": "The incident's id.",
                     "schema": { "type": "string" } }),
        ],
    );
    op["get"]["responses"]["404"] = json!({ "description": "No incident of that id.",
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    op
}

/// The document.
pub fn document() -> Value {
    let mut audit = paging();
    audit.push(text_filter(
        "risk",
        "Only entries of this risk (low, medium, high).",
    ));
    audit.push(text_filter(
        "outcome",
        "Only entries with this outcome (executed, refused, …).",
    ));
    audit.push(text_filter(
        "agent",
        "Only entries of this agent's variable; none: no agent.",
    ));
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "dbguard dashboard API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "What the dbguard cli prints with --format json, read only. Lists come a page at a time."
        },
        "components": {
            "securitySchemes": { "token": { "type": "http", "scheme": "bearer",
                "description": "The token in the URL `dbguard serve` printed (or its session cookie)." } },
            "schemas": schemas(),
        },
        "security": [ { "token": [] } ],
        "paths": {
            "/api/approvals": operation("dbguard approvals, oldest first", "Approvals", paging()),
            "/api/backups": operation("dbguard backup list, newest first", "Backups", paging()),
            "/api/health": operation("dbguard health", "Health", vec![]),
            "/api/validate": operation("dbguard validate", "Validation", vec![]),
            "/api/audit": operation("dbguard audit, newest first, filtered", "Audit", audit),
            "/api/audit/verify": operation("dbguard audit verify", "Verification", vec![]),
            "/api/incidents": operation("The incidents, newest first, each as dbguard incident status prints it", "Incidents", paging()),
            "/api/incidents/{id}": incident_operation(),
            "/api/openapi.json": operation("This document", "OpenApi", vec![]),
        }
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    #[test]
    fn the_document_describes_exactly_the_routes() {
        let doc = super::document();
        let documented: BTreeSet<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
        let routed: BTreeSet<String> = crate::api::endpoints()
            .into_iter()
            .map(|(path, _)| path.to_string())
            .collect();
        assert_eq!(documented, routed);
        let text = doc.to_string();
        for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = reference.split('"').next().unwrap();
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "{name} is not defined"
            );
        }
    }
}
