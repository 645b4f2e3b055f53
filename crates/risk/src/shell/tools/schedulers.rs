//! Programs that run commands later: `at` and `batch` (the commands on
//! standard input or in `-f FILE`) and `crontab` (each line of the table it
//! installs, after its five time fields or `@daily`-style word). A table
//! that cannot be read fails closed: it is judged as the worst command it
//! could hold.

use super::super::opts::{read, Items, Spec};
use super::super::walk::{InputText, Invocation, Scope, Walker};
use crate::rules::Rule;

/// Classifies `at`, `batch` and `crontab`.
pub fn classify(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    let args = inv.args();
    if name == "crontab" {
        return crontab(w, inv, scope);
    }
    let (items, _) = read(
        args,
        &Spec {
            short_values: "fqt",
            long_values: &[],
        },
        false,
    );
    if items.has(&["-l", "-r", "-d", "-c"]) {
        return; // listing, removing or showing jobs
    }
    let text = match items.values(&["-f"]).first() {
        Some(file) => w.read_file(file, scope).map(|(text, _)| text),
        None => match w.read_input(&inv.stdin, scope) {
            InputText::Text(text, _) => Ok(text),
            InputText::Unreadable(why) => Err(why),
            InputText::Interactive => Err("the commands are typed at the terminal".to_string()),
        },
    };
    match text {
        Ok(text) => w.nested_shell(&text, format!("{name} job"), scope),
        Err(why) => w.add(
            Rule::DynamicCommand,
            format!("{name} schedules commands that cannot be read: {why}"),
            &inv.text,
        ),
    }
}

fn crontab(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let (items, _) = read(
        inv.args(),
        &Spec {
            short_values: "u",
            long_values: &[],
        },
        false,
    );
    if items.has(&["-l", "-r", "-e", "-i", "-T", "-V"]) {
        return; // listing, removing, editing at a terminal, testing
    }
    let table = match items.operands().first() {
        Some(file) if file.text != "-" => w.read_file(file, scope),
        _ => match w.read_input(&inv.stdin, scope) {
            InputText::Text(text, origin) => Ok((text, origin)),
            InputText::Unreadable(why) => Err(why),
            InputText::Interactive => Err("the table is typed at the terminal".to_string()),
        },
    };
    match table {
        Ok((text, origin)) => {
            for line in text.lines() {
                if let Some(command) = cron_command(line) {
                    w.nested_shell(command, format!("cron line from {origin}"), scope);
                }
            }
        }
        Err(why) => w.add(
            Rule::DynamicCommand,
            format!("crontab installs a table that cannot be read: {why}"),
            &inv.text,
        ),
    }
}

/// The command of a crontab line: after `@reboot`-style words or five time
/// fields; `None` for comments, blank lines and variable settings.
fn cron_command(line: &str) -> Option<&str> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let first = line.split_whitespace().next()?;
    if first.contains('=') && !first.starts_with('@') {
        return None;
    }
    let fields = if first.starts_with('@') { 1 } else { 5 };
    let mut rest = line;
    for _ in 0..fields {
        rest = rest.trim_start();
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = &rest[end..];
    }
    let command = rest.trim();
    (!command.is_empty()).then_some(command)
}

#[cfg(test)]
mod tests {
    use super::cron_command;

    #[test]
    fn cron_lines() {
        assert_eq!(cron_command("0 3 * * * dropdb farm"), Some("dropdb farm"));
        assert_eq!(cron_command("@daily  psql -c 'x'"), Some("psql -c 'x'"));
        assert_eq!(cron_command("# 0 3 * * * dropdb farm"), None);
        assert_eq!(cron_command("MAILTO=ops@example.invalid"), None);
    }
}
