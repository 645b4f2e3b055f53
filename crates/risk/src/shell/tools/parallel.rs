//! GNU parallel: the command template is filled with each argument after
//! `:::` (in place of `{}`, or appended) and each filled command is
//! classified; a template given as one quoted word is a shell line. With
//! `-S`/`--sshlogin` the jobs run on other machines, whose files cannot be
//! read here.

use super::super::ast::Word;
use super::super::opts::{read, Items, Spec};
use super::super::walk::{Invocation, Scope, Walker};
use super::wrappers::shell_text;

const SPEC: Spec = Spec {
    short_values: "jSIaEdXnNlLmsP",
    long_values: &[
        "jobs",
        "sshlogin",
        "sshloginfile",
        "arg-file",
        "delimiter",
        "max-args",
        "max-procs",
        "joblog",
        "results",
        "timeout",
        "retries",
        "tag-string",
        "colsep",
        "workdir",
        "basefile",
        "transferfile",
        "return",
        "env",
        "halt",
        "memfree",
        "load",
        "delay",
    ],
};

/// Classifies the jobs `parallel` runs.
pub fn classify(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let args = inv.args();
    let separator = args
        .iter()
        .position(|a| matches!(a.text.as_str(), ":::" | "::::" | ":::+"));
    let before = &args[..separator.unwrap_or(args.len())];
    let (items, rest) = read(before, &SPEC, true);
    let inner_scope = match items.values(&["-S", "--sshlogin", "--sshloginfile"]).first() {
        Some(host) => scope.on(host.text.clone()),
        None => scope.clone(),
    };
    let template: Vec<Word> = rest.map(|start| before[start..].to_vec()).unwrap_or_default();
    let values: Vec<Word> = match separator {
        Some(i) if args[i].text == "::::" => vec![Word {
            text: "…(lines of a file)".to_string(),
            dynamic: true,
            ..Word::default()
        }],
        Some(i) => args[i + 1..]
            .iter()
            .filter(|a| !a.text.starts_with(":::"))
            .cloned()
            .collect(),
        None => vec![Word {
            text: "…(lines of standard input)".to_string(),
            dynamic: true,
            ..Word::default()
        }],
    };
    if template.is_empty() {
        // The arguments themselves are the commands.
        for value in &values {
            shell_text(w, value, "parallel", &inner_scope);
        }
        return;
    }
    for value in &values {
        if let [line] = template.as_slice() {
            if line.text.contains(char::is_whitespace) {
                // One quoted word: a shell line, with the value quoted into it.
                let quoted = format!("'{}'", value.text.replace('\'', "'\\''"));
                let text = match line.text.contains("{}") {
                    true => line.text.replace("{}", &quoted),
                    false => format!("{} {quoted}", line.text),
                };
                let word = Word {
                    text,
                    dynamic: line.dynamic || value.dynamic,
                    ..Word::default()
                };
                shell_text(w, &word, "parallel", &inner_scope);
                continue;
            }
        }
        let mut words: Vec<Word> = template
            .iter()
            .map(|t| match t.text.contains("{}") {
                true => Word {
                    text: t.text.replace("{}", &value.text),
                    dynamic: t.dynamic || value.dynamic,
                    ..t.clone()
                },
                false => t.clone(),
            })
            .collect();
        if !template.iter().any(|t| t.text.contains("{}")) {
            words.push(value.clone());
        }
        w.invocation(&inv.with_words(words), &inner_scope);
    }
}
