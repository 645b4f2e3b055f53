//! Each host's words for allow, ask and deny.

use serde_json::json;

use crate::{Decision, Reply};

/// The agents dbguard speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// Claude Code (PreToolUse).
    ClaudeCode,
    /// Cursor (beforeShellExecution).
    Cursor,
    /// Gemini CLI (BeforeTool).
    Gemini,
    /// OpenAI Codex (PreToolUse; only deny is honoured).
    Codex,
}

impl Host {
    /// Every host.
    pub const ALL: [Host; 4] = [Host::ClaudeCode, Host::Cursor, Host::Gemini, Host::Codex];

    /// The name used on the command line (`dbguard hook claude-code`).
    pub fn name(self) -> &'static str {
        match self {
            Host::ClaudeCode => "claude-code",
            Host::Cursor => "cursor",
            Host::Gemini => "gemini",
            Host::Codex => "codex",
        }
    }

    /// The host named `name`.
    pub fn from_name(name: &str) -> Option<Host> {
        Host::ALL.into_iter().find(|h| h.name() == name)
    }

    /// Whether the host can turn a hook's answer into a prompt for the user.
    pub fn can_ask(self) -> bool {
        matches!(self, Host::ClaudeCode | Host::Cursor)
    }

    /// The reply carrying `decision` with `reason`.
    pub fn reply(self, decision: Decision, reason: &str) -> Reply {
        let word = match decision {
            Decision::Allow => "allow",
            Decision::Ask => "ask",
            Decision::Deny => "deny",
        };
        let stdout = match (self, decision) {
            (Host::ClaudeCode | Host::Codex, Decision::Allow) => String::new(),
            (Host::ClaudeCode | Host::Codex, _) => json!({
                "hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": word,
                    "permissionDecisionReason": reason,
                }
            })
            .to_string(),
            (Host::Cursor, Decision::Allow) => json!({ "permission": "allow" }).to_string(),
            (Host::Cursor, _) => json!({
                "permission": word,
                "userMessage": reason,
                "agentMessage": reason,
            })
            .to_string(),
            (Host::Gemini, Decision::Allow) => "{}".to_string(),
            (Host::Gemini, _) => json!({ "decision": "deny", "reason": reason }).to_string(),
        };
        Reply {
            stdout,
            stderr: String::new(),
            exit_code: 0,
        }
    }

    /// The reply when dbguard itself failed: deny, with exit code 2 (which
    /// every host reads as "blocked", with standard error as the reason).
    pub fn failure(self, why: &str) -> Reply {
        let reason = format!(
            "dbguard blocked this tool call because it could not check it: {why}. Stop and ask the user."
        );
        let mut reply = self.reply(Decision::Deny, &reason);
        reply.stderr = format!("{reason}\n");
        reply.exit_code = 2;
        reply
    }
}
