//! Commands that run on another machine or in a container: `ssh host …`
//! (the command, or the script fed on standard input), and the shared path
//! for `docker exec`, `kubectl exec`, `heroku run` and `fly ssh console`.
//! The remote command is classified, but its files are not this machine's:
//! a remote `psql -f x.sql` is judged by what is known and fails closed,
//! never by reading a local file of the same name. What is fed on standard
//! input is read here, where it comes from.

use super::super::ast::Word;
use super::super::opts::{read, Spec};
use super::super::walk::{Input, InputText, Invocation, Scope, Walker};
use super::wrappers::joined;
use crate::rules::Rule;

const SSH: Spec = Spec {
    short_values: "BbcDEeFIiJLlmOopQRSWw",
    long_values: &[],
};

/// Classifies a remote shell: `ssh`, or Fly's `fly ssh console -C CMD`.
pub fn classify(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    match name {
        "ssh" => ssh(w, inv, scope),
        _ => super::hosting::fly(w, inv, scope),
    }
}

/// `ssh [options] host [command…]`.
fn ssh(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let args = inv.args();
    let (_, rest) = read(args, &SSH, true);
    let Some(host) = rest else { return };
    let place = format!("host {}", args[host].text);
    let command = &args[host + 1..];
    let remote = scope.on(place.clone());
    if !command.is_empty() {
        let line = joined(command);
        if line.dynamic {
            w.add(
                Rule::DynamicCommand,
                format!("ssh runs a command line only known at run time on {place}"),
                &inv.text,
            );
            return;
        }
        let stdin = local_stdin(w, inv, scope);
        return w.nested_shell_with_input(&line.text, format!("ssh {}", args[host].text), &remote, stdin);
    }
    match w.read_input(&inv.stdin, scope) {
        InputText::Interactive => {}
        InputText::Text(text, origin) => w.nested_shell(
            &text,
            format!("ssh {} reading {origin}", args[host].text),
            &remote,
        ),
        InputText::Unreadable(why) => w.add(
            Rule::DynamicCommand,
            format!("ssh runs a script on {place} that cannot be read: {why}"),
            &inv.text,
        ),
    }
}

/// `gcloud compute ssh VM --command CMD`, `fly ssh console -C CMD`: the
/// command line given to a remote shell by option `names`.
pub fn command_option(w: &mut Walker, inv: &Invocation, names: &[&str], place: &str, scope: &Scope) {
    let args = inv.args();
    let value = args.iter().enumerate().find_map(|(i, a)| {
        if names.contains(&a.text.as_str()) {
            return args.get(i + 1);
        }
        None
    });
    let attached = args.iter().find_map(|a| {
        names
            .iter()
            .find_map(|n| a.text.strip_prefix(&format!("{n}=")))
            .map(|v| Word {
                text: v.to_string(),
                ..a.clone()
            })
    });
    if let Some(line) = value.cloned().or(attached) {
        return run_elsewhere(w, inv, vec![line], place, scope);
    }
    // `gcloud compute ssh vm -- dropdb farm`: the words after `--`.
    if let Some(dash) = args.iter().position(|a| a.text == "--") {
        return run_elsewhere(w, inv, args[dash + 1..].to_vec(), place, scope);
    }
    // `gcloud compute ssh vm < reset.sh`: the remote shell reads the script.
    match w.read_input(&inv.stdin, scope) {
        InputText::Interactive => {}
        InputText::Text(text, origin) => {
            w.nested_shell(&text, format!("{place} reading {origin}"), &scope.on(place))
        }
        InputText::Unreadable(why) => w.add(
            Rule::DynamicCommand,
            format!("runs a script on {place} that cannot be read: {why}"),
            &inv.text,
        ),
    }
}

/// Runs `words` in `place` (a container, a dyno), with standard input read
/// here first.
pub fn run_elsewhere(w: &mut Walker, inv: &Invocation, words: Vec<Word>, place: &str, scope: &Scope) {
    if words.is_empty() {
        return;
    }
    let stdin = local_stdin(w, inv, scope);
    // One word holding a command line (`heroku run 'rake db:drop'`) is run by a shell there.
    if let [line] = words.as_slice() {
        if line.dynamic {
            return w.add(
                Rule::DynamicCommand,
                format!("runs a command line only known at run time on {place}"),
                &inv.text,
            );
        }
        if line.text.contains(char::is_whitespace) {
            let via = format!("{place} runs");
            return w.nested_shell_with_input(&line.text, via, &scope.on(place), stdin);
        }
    }
    let mut inner = inv.with_words(words);
    inner.stdin = stdin;
    w.invocation(&inner, &scope.on(place));
}

/// The invocation's standard input, read with this machine's files.
fn local_stdin(w: &Walker, inv: &Invocation, scope: &Scope) -> Input {
    match w.read_input(&inv.stdin, scope) {
        InputText::Interactive => Input::Terminal,
        InputText::Text(text, origin) => Input::Text {
            text,
            dynamic: false,
            origin,
        },
        InputText::Unreadable(why) => Input::Unknown(why),
    }
}
