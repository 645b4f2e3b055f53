//! What the cli tests share: the person with an approver, and a
//! pseudo-terminal to type at.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use dbguard_guard::approver::{Approver, ApproverDir};

/// The approver's passphrase in these tests.
pub const PASS: &str = "correct horse battery staple";

/// `XDG_CONFIG_HOME` of every dbguard a test runs in the project `dir`.
pub fn config_home(dir: &Path) -> PathBuf {
    dir.join(".home/config")
}

/// Sets up an approver with [`PASS`] under `config_home`.
pub fn set_up_approver(config_home: &Path) -> Approver {
    Approver::init(&ApproverDir::at(config_home.join("dbguard")), PASS).unwrap()
}

/// `cmd` without the agents' variables and the connection variables.
pub fn without_agents(cmd: &mut std::process::Command) -> &mut std::process::Command {
    for (key, _) in std::env::vars() {
        if ["CLAUDECODE", "CURSOR_AGENT", "GEMINI_CLI", "DATABASE_URL"].contains(&key.as_str())
            || key.starts_with("CODEX_")
            || key.starts_with("PG")
        {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// A person's environment for `cmd` in the project `dir`: the agents'
/// variables and the connection variables removed, the project's
/// `XDG_CONFIG_HOME` and `env` added.
pub fn person_env(cmd: &mut std::process::Command, dir: &Path, env: &[(&str, &str)]) {
    without_agents(cmd).env("XDG_CONFIG_HOME", config_home(dir));
    for (k, v) in env {
        cmd.env(k, v);
    }
}

/// A running `dbguard serve --port 0`, stopped when dropped.
pub struct Serving {
    child: std::process::Child,
    /// The URL it printed, with its token.
    pub url: String,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The access token.
    pub token: String,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a person's `dbguard serve` in the project `dir` (with `env`) and
/// reads the URL it prints.
pub fn serve(dir: &Path, env: &[(&str, &str)]) -> Serving {
    use std::io::BufRead;
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("dbguard"));
    cmd.args(["serve", "--port", "0"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    person_env(&mut cmd, dir, env);
    let mut child = cmd.spawn().expect("dbguard serve starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_string();
    let Some((base, token)) = url.split_once("/?token=") else {
        let _ = child.kill();
        panic!("dbguard serve printed no URL: {url:?} ({:?})", child.wait());
    };
    Serving {
        base: base.to_string(),
        token: token.to_string(),
        url: url.clone(),
        child,
    }
}

/// Runs `dbguard ARGS` (already quoted for a shell) in `dir` on a
/// pseudo-terminal (util-linux `script`), typing `input`; the agents'
/// variables and the connection variables removed, `env` added.
pub fn in_pty(dir: &Path, args: &str, input: &str, env: &[(&str, &str)]) -> Output {
    let exe = assert_cmd::cargo::cargo_bin("dbguard");
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qec", &format!("'{}' {args}", exe.display()), "/dev/null"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    without_agents(&mut cmd).env("XDG_CONFIG_HOME", config_home(dir));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .expect("`script` (util-linux) provides the pseudo-terminal");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// The id of the one pending approval of the project `dir` (`env` names its
/// database when the settings do not).
pub fn pending_id(dir: &Path, env: &[(&str, &str)]) -> String {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("dbguard"));
    cmd.current_dir(dir)
        .env("XDG_CONFIG_HOME", config_home(dir))
        .args(["--format", "json", "approvals"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    list["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["state"] == "pending")
        .unwrap_or_else(|| panic!("no pending approval: {list}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A person approves the pending approval of `dir` at a terminal, with `YES`
/// and [`PASS`]; what the terminal showed (the approval must succeed).
pub fn approve_pending(dir: &Path, env: &[(&str, &str)]) -> String {
    let id = pending_id(dir, env);
    let out = in_pty(dir, &format!("approve {id}"), &format!("YES\n{PASS}\n"), env);
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{shown}");
    shown
}
