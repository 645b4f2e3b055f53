//! `dbguard hook <host>`: answer an agent's pre-tool hook. Every failure —
//! unreadable input, a bug, a classification that takes too long — denies.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use dbguard_hooks::{respond, Host, Reply, Request};
use dbguard_risk::Verdict;

/// How long a hook may take before it denies.
const DEADLINE: Duration = Duration::from_secs(5);

/// Answers one hook call on standard input.
pub fn run(host: Host) -> ExitCode {
    let reply = redacted(answer(host));
    let _ = std::io::stdout().write_all(reply.stdout.as_bytes());
    let _ = std::io::stderr().write_all(reply.stderr.as_bytes());
    ExitCode::from(reply.exit_code as u8)
}

/// The reply with every password hidden: the reason quotes the command
/// line, which may carry one. JSON replies are redacted string by string so
/// the JSON stays valid.
fn redacted(mut reply: Reply) -> Reply {
    reply.stdout = match serde_json::from_str::<serde_json::Value>(&reply.stdout) {
        Ok(value) => {
            let mut masked = value.clone();
            dbguard_pg::redact::redact_json(&mut masked);
            if masked == value {
                reply.stdout
            } else {
                let newline = if reply.stdout.ends_with('\n') { "\n" } else { "" };
                format!(
                    "{}{newline}",
                    serde_json::to_string(&masked).expect("JSON serialises")
                )
            }
        }
        Err(_) => dbguard_pg::redact::redact(&reply.stdout),
    };
    reply.stderr = dbguard_pg::redact::redact(&reply.stderr);
    reply
}

fn answer(host: Host) -> Reply {
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin()
        .take(dbguard_hooks::MAX_INPUT_BYTES as u64 + 1)
        .read_to_end(&mut input)
    {
        return host.failure(&format!("cannot read standard input: {e}"));
    }
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(respond(host, &input, &classify));
    });
    receiver
        .recv_timeout(DEADLINE)
        .unwrap_or_else(|_| host.failure("the check did not finish in time"))
}

fn classify(request: &Request) -> Verdict {
    let approver_dir = dbguard_guard::approver::ApproverDir::from_env().ok();
    dbguard_guard::tool_call::classify(request, approver_dir.as_ref().map(|d| d.path()))
}
