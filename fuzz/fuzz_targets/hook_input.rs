//! Any bytes as a hook's standard input, for every host: always an answer,
//! and only exit code 0 (a decision) or 2 (denied, input unreadable).
#![no_main]

use dbguard_hooks::{respond, Host, Request, ToolCall};
use dbguard_risk::{classify_shell, classify_sql, NoFiles, ShellContext, SqlOptions, Verdict};
use libfuzzer_sys::fuzz_target;

fn classify(request: &Request) -> Verdict {
    match &request.call {
        ToolCall::Shell(line) => {
            let ctx = ShellContext {
                cwd: "/project".into(),
                files: &NoFiles,
                sql: SqlOptions::default(),
            };
            classify_shell(line, &ctx)
        }
        ToolCall::Sql(sql) => classify_sql(sql, &SqlOptions::default()),
        ToolCall::Other => Verdict::from_findings(Vec::new()),
    }
}

fuzz_target!(|data: &[u8]| {
    for host in Host::ALL {
        let reply = respond(host, data, &classify);
        assert!(reply.exit_code == 0 || reply.exit_code == 2);
    }
});
