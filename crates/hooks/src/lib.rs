//! The pre-tool hook protocols of AI coding agents. Each host sends a JSON
//! description of the tool call it is about to make; dbguard answers in that
//! host's words: let it through, ask the user, or deny it with a reason.
//!
//! - high risk: deny, saying what was found and that a person must approve it;
//! - medium: ask where the host can show the user a prompt, deny where it cannot;
//! - low: let it through silently;
//! - anything that cannot be read or classified: deny (fail closed).
//!
//! This crate is pure: the caller reads standard input, classifies (through
//! a function it passes in) and writes the [`Reply`].

mod host;
mod request;

pub use host::Host;
pub use request::{join_words, Edit, FileChange, McpString, Request, ToolCall};

use dbguard_risk::{Risk, Verdict};

/// The largest hook input read; larger input is denied.
pub const MAX_INPUT_BYTES: usize = 4 * 1024 * 1024;

/// What the hook process prints and exits with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Standard output (JSON for the host, or nothing).
    pub stdout: String,
    /// Standard error (the reason, where the host reads it).
    pub stderr: String,
    /// The exit code.
    pub exit_code: i32,
}

/// What dbguard decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Let it through silently.
    Allow,
    /// Ask the user.
    Ask,
    /// Refuse.
    Deny,
}

/// Answers one hook call: parses `input` for `host`, classifies the tool
/// call with `classify`, and words the decision for the host.
pub fn respond(host: Host, input: &[u8], classify: &dyn Fn(&Request) -> Verdict) -> Reply {
    if input.len() > MAX_INPUT_BYTES {
        return host.failure(&format!("the hook input is larger than {MAX_INPUT_BYTES} bytes"));
    }
    let request = match Request::parse(host, input) {
        Ok(request) => request,
        Err(why) => return host.failure(&format!("dbguard could not read the hook input ({why})")),
    };
    if matches!(request.call, ToolCall::Other) {
        return host.reply(Decision::Allow, "");
    }
    let verdict = classify(&request);
    let (decision, reason) = decide(host, &request, &verdict);
    host.reply(decision, &reason)
}

/// The decision for a verdict and the reason shown to the agent and the user.
fn decide(host: Host, request: &Request, verdict: &Verdict) -> (Decision, String) {
    let found: Vec<String> = verdict
        .worst()
        .map(|f| format!("{} [{}]", f.message, f.rule.id()))
        .collect();
    let found = found.join("; ");
    let guarded = match &request.call {
        ToolCall::Shell(line) => Some(format!("dbguard run -- {line}")),
        ToolCall::Mcp(strings) => match strings.as_slice() {
            [one] => Some(format!("dbguard sql {}", join_words(&[&one.text]))),
            _ => None,
        },
        ToolCall::WriteFile { .. } | ToolCall::ReadFile { .. } | ToolCall::Other => None,
    };
    let how = match &guarded {
        Some(guarded) => format!(
            "If they want it done, run `{guarded}`: it stops until a person approves it in their own \
             terminal, then backs up, verifies and runs it."
        ),
        None => "If they want it done, a person does it in their own terminal.".to_string(),
    };
    match verdict.risk {
        Risk::Low => (Decision::Allow, String::new()),
        Risk::Medium if host.can_ask() && request.can_prompt => (
            Decision::Ask,
            format!("dbguard: MEDIUM risk: {found}. This needs the user's permission."),
        ),
        Risk::Medium => (
            Decision::Deny,
            format!(
                "dbguard blocked this (MEDIUM risk): {found}. It needs the user's permission, and no prompt \
                 can be shown here. Stop and ask the user. {how}"
            ),
        ),
        Risk::High => (
            Decision::Deny,
            format!(
                "dbguard blocked this (HIGH risk): {found}. It can destroy data or undo dbguard's \
                 protection, so a person must approve it and a verified backup must exist first. Stop and \
                 ask the user. {how} Do not try another way to do it."
            ),
        ),
    }
}

#[cfg(test)]
mod tests;
