//! Package scripts defined on the spot, remembered for the rest of the line
//! so that they are judged as they will be when they run, whatever their
//! name: `npm pkg set scripts.x=…`, `npm set-script x …`, `npx json -I -f
//! package.json -e 'this.scripts.x="…"'`, `jq '.scripts.x = "…"'
//! package.json`. A lifecycle script set this way (`postinstall`) runs on
//! the next `npm install`.

use super::super::ast::Word;
use super::super::walk::{Invocation, Walker};

/// The script `name` as defined earlier on the line.
pub fn defined(w: &Walker, name: &str) -> Option<String> {
    w.memory.scripts.get(name).cloned()
}

fn remember(w: &mut Walker, name: &str, text: &str) {
    w.memory.scripts.insert(name.to_string(), text.to_string());
}

/// `npm pkg set scripts.NAME=VALUE …`.
pub fn pkg_set(w: &mut Walker, pairs: &[Word]) {
    for pair in pairs {
        if let Some((key, value)) = pair.text.split_once('=') {
            if let Some(name) = key.strip_prefix("scripts.") {
                remember(w, name.trim_matches(['[', ']', '"', '\'']), value);
            }
        }
    }
}

/// `npm set-script NAME VALUE`.
pub fn set_script(w: &mut Walker, args: &[Word]) {
    if let [name, value, ..] = args {
        remember(w, &name.text, &value.text);
    }
}

/// `json -I -f package.json -e 'this.scripts.x="…"'` and `jq '.scripts.x = "…"' package.json`.
pub fn edit(w: &mut Walker, inv: &Invocation) {
    if !inv.args().iter().any(|a| a.text.ends_with("package.json")) {
        return;
    }
    for arg in inv.args() {
        for (name, value) in assignments(&arg.text) {
            remember(w, &name, &value);
        }
    }
}

/// `scripts.NAME = "VALUE"` / `scripts["NAME"] = 'VALUE'` in an expression.
fn assignments(expression: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = expression;
    while let Some(at) = rest.find("scripts") {
        rest = &rest[at + "scripts".len()..];
        let after = rest.trim_start_matches(['.', '[', '"', '\'']);
        let name_end = after
            .find(|c: char| !(c.is_alphanumeric() || matches!(c, ':' | '-' | '_')))
            .unwrap_or(after.len());
        let name = &after[..name_end];
        let tail = after[name_end..].trim_start_matches([']', '"', '\'', ' ']);
        let Some(value) = tail.strip_prefix('=').map(str::trim_start) else {
            continue;
        };
        let Some(quote) = value.chars().next().filter(|c| matches!(c, '"' | '\'' | '`')) else {
            continue;
        };
        if let Some(end) = value[1..].find(quote) {
            if !name.is_empty() {
                found.push((name.to_string(), value[1..1 + end].to_string()));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::assignments;

    #[test]
    fn script_assignments() {
        assert_eq!(
            assignments(r#"this.scripts.x="dropdb farm""#),
            vec![("x".to_string(), "dropdb farm".to_string())]
        );
        assert_eq!(
            assignments(r#".scripts["db:go"] = 'psql -c "TRUNCATE t"'"#),
            vec![("db:go".to_string(), r#"psql -c "TRUNCATE t""#.to_string())]
        );
    }
}
