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

/// `ssh [options] host [command…]`.
pub fn ssh(w: &mut Walker, inv: &Invocation, scope: &Scope) {
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

/// Runs `words` in `place` (a container, a dyno), with standard input read
/// here first.
pub fn run_elsewhere(w: &mut Walker, inv: &Invocation, words: Vec<Word>, place: &str, scope: &Scope) {
    if words.is_empty() {
        return;
    }
    let stdin = local_stdin(w, inv, scope);
    // One word holding a command line (`heroku run 'rake db:drop'`) is run by a shell there.
    if let [line] = words.as_slice() {
        if line.text.contains(char::is_whitespace) && !line.dynamic {
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
