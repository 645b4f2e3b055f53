//! The guide's npm scripts, pointed at dbguard. What a project had is kept
//! under `<name>:raw`, so nothing it wrote is lost (and `npm run
//! db:reset:raw` is still judged by the hook like any other command).

use std::path::Path;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::{read, Change, Error};

/// Each script the guide defines and the dbguard command that does its job.
pub const MAPPING: &[(&str, &str)] = &[
    ("db:backup", "dbguard backup create"),
    ("db:restore", "dbguard restore"),
    ("db:health", "dbguard health"),
    ("db:validate", "dbguard validate"),
    ("db:export", "dbguard export"),
    ("db:migrate:prod", "dbguard migrate deploy"),
    ("db:reset", "dbguard reset"),
    ("db:fresh", "dbguard reset --seed"),
];

/// The new `package.json`, when a script of [`MAPPING`] is not yet dbguard's.
/// Scripts the project does not have are not added; a script whose `:raw`
/// name already holds something else is left alone.
pub fn change(path: &Path) -> Result<Option<Change>, Error> {
    let invalid = |reason: String| Error::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    let Some(before) = read(path)? else {
        return Ok(None);
    };
    let mut doc: Value =
        serde_json::from_str(&before).map_err(|e| invalid(format!("it is not valid JSON ({e})")))?;
    let Some(root) = doc.as_object_mut() else {
        return Err(invalid("it is not a JSON object".into()));
    };
    let Some(scripts) = root.get_mut("scripts") else {
        return Ok(None);
    };
    let Some(scripts) = scripts.as_object_mut() else {
        return Err(invalid("`scripts` is not a JSON object".into()));
    };
    let (mapped, names) = map_scripts(scripts);
    if names.is_empty() {
        return Ok(None);
    }
    *scripts = mapped;
    let mut after = to_json(&doc, &indent_of(&before));
    if before.ends_with('\n') {
        after.push('\n');
    }
    Ok(Some(Change {
        path: path.to_path_buf(),
        before: Some(before),
        after,
        summary: format!(
            "the guide's scripts call dbguard: {} (what was there is kept as <name>:raw)",
            names.join(", ")
        ),
    }))
}

/// The scripts with the guide's pointed at dbguard, each old one right after
/// it as `:raw`; and the names that changed.
fn map_scripts(scripts: &Map<String, Value>) -> (Map<String, Value>, Vec<String>) {
    let mut out = Map::new();
    let mut changed = Vec::new();
    for (name, value) in scripts {
        let target = MAPPING.iter().find(|(n, _)| n == name).map(|(_, cmd)| *cmd);
        let raw = format!("{name}:raw");
        match target {
            Some(cmd) if value.as_str() != Some(cmd) && scripts.get(&raw).is_none_or(|r| r == value) => {
                out.insert(name.clone(), Value::from(cmd));
                out.insert(raw, value.clone());
                changed.push(name.clone());
            }
            _ if out.contains_key(name) => {}
            _ => {
                out.insert(name.clone(), value.clone());
            }
        }
    }
    (out, changed)
}

/// The indentation of the file's first indented line (two spaces if none).
fn indent_of(text: &str) -> String {
    text.lines()
        .skip(1)
        .map(|l| &l[..l.len() - l.trim_start().len()])
        .find(|w| !w.is_empty())
        .unwrap_or("  ")
        .to_string()
}

fn to_json(doc: &Value, indent: &str) -> String {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    doc.serialize(&mut ser).expect("JSON values serialise");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUIDE: &str = r#"{
    "name": "farm",
    "scripts": {
        "dev": "next dev",
        "db:reset": "npx prisma migrate reset",
        "db:backup": "./scripts/backup-database.sh",
        "db:health": "dbguard health"
    }
}
"#;

    #[test]
    fn guide_scripts_call_dbguard_and_the_old_ones_stay_as_raw() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("package.json");
        std::fs::write(&path, GUIDE).unwrap();
        let change = change(&path).unwrap().unwrap();
        assert_eq!(
            change.after,
            r#"{
    "name": "farm",
    "scripts": {
        "dev": "next dev",
        "db:reset": "dbguard reset",
        "db:reset:raw": "npx prisma migrate reset",
        "db:backup": "dbguard backup create",
        "db:backup:raw": "./scripts/backup-database.sh",
        "db:health": "dbguard health"
    }
}
"#
        );
        change.apply().unwrap();
        assert!(
            super::change(&path).unwrap().is_none(),
            "a second run changes nothing"
        );
    }

    #[test]
    fn a_raw_name_holding_something_else_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("package.json");
        std::fs::write(&path, r#"{"scripts": {"db:reset": "a", "db:reset:raw": "b"}}"#).unwrap();
        assert!(change(&path).unwrap().is_none());
    }

    #[test]
    fn invalid_json_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("package.json");
        std::fs::write(&path, "{\"scripts\": {").unwrap();
        let err = change(&path).unwrap_err().to_string();
        assert!(err.contains("is not valid JSON"), "{err}");
        assert!(err.contains("left untouched"), "{err}");
    }
}
