//! dbguard as its users get it. From npm: the launcher and the linux-x64
//! package, packed by npm from the folders `cargo xtask dist` writes (here
//! around the test build of the binary), installed offline from their
//! tarballs into a Next.js project and run through `npx`; the agent hook
//! installed through the launcher runs the native binary, not Node. In CI:
//! the GitHub Action's steps, read from `action.yml` and run as GitHub's
//! runner runs a composite action's bash steps.

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use xtask::npm::{self, Platform};
use yaml_rust2::YamlLoader;

/// A Next.js project's `package.json`, less the dependencies an offline
/// install cannot fetch.
const PACKAGE_JSON: &str = r#"{
  "name": "my-app",
  "version": "0.1.0",
  "private": true,
  "scripts": {
    "dev": "next dev --turbopack",
    "build": "prisma generate && next build",
    "start": "next start",
    "lint": "next lint"
  },
  "prisma": { "schema": "prisma/schema.prisma" }
}
"#;

/// npm's home and cache for the tests under `root`.
fn home(root: &Path) -> PathBuf {
    let home = root.join("home");
    std::fs::create_dir_all(&home).unwrap();
    home
}

/// `program ARGS` (npm or npx) in `dir`, offline, with its home and cache
/// under `root`.
fn npm(program: &str, dir: &Path, root: &Path, args: &[&str]) -> Output {
    let home = home(root);
    support::without_agents(Command::new(program).args(args))
        .current_dir(dir)
        .env("HOME", &home)
        .env("npm_config_cache", home.join(".npm"))
        .env("npm_config_offline", "true")
        .env("npm_config_update_notifier", "false")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!("these tests need npm and npx (Node.js 20; on Debian: apt-get install nodejs npm): cannot run {program}: {e}")
        })
}

fn success(what: &str, out: Output) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The tarball `npm pack` makes of the package in `dir`, in `root`.
fn pack(dir: &Path, root: &Path) -> PathBuf {
    let into = root.to_string_lossy();
    let out = success(
        "npm pack",
        npm("npm", dir, root, &["pack", "--pack-destination", &into]),
    );
    root.join(out.lines().last().expect("npm pack names the tarball").trim())
}

/// A Next.js project in `root/app`, with `tarballs` installed offline.
fn project_with(root: &Path, tarballs: &[PathBuf]) -> PathBuf {
    let app = root.join("app");
    std::fs::create_dir_all(app.join("prisma/migrations")).unwrap();
    std::fs::write(app.join("package.json"), PACKAGE_JSON).unwrap();
    let mut install = vec!["install", "--offline", "--no-audit", "--no-fund", "--save-dev"];
    install.extend(tarballs.iter().map(|t| t.to_str().unwrap()));
    success("npm install of the tarballs", npm("npm", &app, root, &install));
    app
}

/// A Next.js project in `root/app` with dbguard installed from the tarballs
/// of the launcher and of the linux-x64 package holding the test build.
fn project_with_dbguard(root: &Path) -> PathBuf {
    let packages = root.join("packages");
    let platform = Platform::for_target("x86_64-unknown-linux-gnu").unwrap();
    let native = npm::write_platform(&packages, platform, Path::new(env!("CARGO_BIN_EXE_dbguard"))).unwrap();
    let launcher = npm::write_launcher(&packages).unwrap();
    project_with(root, &[pack(&native, root), pack(&launcher, root)])
}

#[test]
fn npx_runs_the_native_binary_and_the_hook_skips_node() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let app = project_with_dbguard(root);

    let version = success(
        "npx dbguard --version",
        npm("npx", &app, root, &["dbguard", "--version"]),
    );
    assert_eq!(version, format!("dbguard {}\n", npm::VERSION));

    let check = npm(
        "npx",
        &app,
        root,
        &[
            "dbguard", "check", "--", "npx", "prisma", "migrate", "reset", "--force",
        ],
    );
    assert_eq!(check.status.code(), Some(4), "{check:?}");
    assert!(String::from_utf8_lossy(&check.stdout).contains("prisma-migrate-reset"));

    success(
        "npx dbguard hook install claude-code",
        npm("npx", &app, root, &["dbguard", "hook", "install", "claude-code"]),
    );
    let settings: serde_json::Value =
        serde_json::from_slice(&std::fs::read(app.join(".claude/settings.local.json")).unwrap()).unwrap();
    let command = settings["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap();
    let native = std::fs::canonicalize(app.join("node_modules/@dbguard/cli-linux-x64/bin/dbguard")).unwrap();
    assert_eq!(command, format!("{} hook claude-code", native.display()));
    assert!(
        std::fs::read(&native).unwrap().starts_with(b"\x7fELF"),
        "the hook's program is the native binary, not a script"
    );

    // The hook's program answers by itself, with no Node on PATH.
    let mut hook = Command::new(&native)
        .args(["hook", "claude-code"])
        .current_dir(&app)
        .env("PATH", "/nonexistent")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let call = serde_json::json!({"tool_name": "Bash", "tool_input": {"command": "npx prisma migrate reset --force"},
                                  "cwd": app, "permission_mode": "default"});
    use std::io::Write;
    hook.stdin
        .take()
        .unwrap()
        .write_all(call.to_string().as_bytes())
        .unwrap();
    let reply = hook.wait_with_output().unwrap();
    assert!(
        String::from_utf8_lossy(&reply.stdout).contains("\"deny\""),
        "{reply:?}"
    );
}

#[test]
fn the_launcher_says_what_is_missing_without_the_platform_package() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let launcher = pack(&npm::write_launcher(&root.join("packages")).unwrap(), root);
    // Offline, npm cannot fetch the platform package and leaves it out.
    let app = project_with(root, &[launcher]);
    assert!(!app.join("node_modules/@dbguard/cli-linux-x64").exists());
    let out = npm("npx", &app, root, &["dbguard", "--version"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "@dbguard/cli-linux-x64, which holds dbguard's binary for this platform, is not installed"
        ),
        "{stderr}"
    );
}

/// What a run of the action left: the exit code of its last step, what the
/// steps printed, their outputs by step id, and the job summary.
struct ActionRun {
    code: i32,
    stdout: String,
    outputs: HashMap<String, HashMap<String, String>>,
    summary: String,
}

/// Runs `action.yml`'s steps as GitHub's runner does for a composite
/// action: each `bash` step's script with `bash --noprofile --norc -eo
/// pipefail`, in the workspace, its `env` with `${{ … }}` filled from
/// `inputs` (or the inputs' defaults), `github` (the `github` context) and
/// earlier steps' outputs, a fresh `GITHUB_OUTPUT` and
/// `GITHUB_STEP_SUMMARY` file each; it stops at the first failing step.
fn run_action(
    workspace: &Path,
    inputs: &[(&str, &str)],
    github: &[(&str, &str)],
    env: &[(&str, &str)],
) -> ActionRun {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../action.yml")).unwrap();
    let action = &YamlLoader::load_from_str(&text).expect("action.yml is YAML")[0];
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let mut values: HashMap<String, String> = HashMap::new();
    for (name, input) in action["inputs"].as_hash().expect("inputs") {
        let default = input["default"].as_str().unwrap_or("");
        values.insert(format!("inputs.{}", name.as_str().unwrap()), default.to_string());
    }
    for (name, value) in inputs {
        assert!(
            values.contains_key(&format!("inputs.{name}")),
            "action.yml has no input {name}"
        );
        values.insert(format!("inputs.{name}"), value.to_string());
    }
    for (name, value) in github {
        values.insert(format!("github.{name}"), value.to_string());
    }
    let temp = tempfile::tempdir().unwrap();
    let mut run = ActionRun {
        code: 0,
        stdout: String::new(),
        outputs: HashMap::new(),
        summary: String::new(),
    };
    for (index, step) in action["runs"]["steps"]
        .as_vec()
        .expect("steps")
        .iter()
        .enumerate()
    {
        assert_eq!(
            step["shell"].as_str(),
            Some("bash"),
            "step {index} is not a bash step"
        );
        let script = temp.path().join(format!("step{index}.sh"));
        std::fs::write(&script, step["run"].as_str().expect("a run step")).unwrap();
        let output_file = temp.path().join(format!("output{index}"));
        let summary_file = temp.path().join(format!("summary{index}"));
        std::fs::write(&output_file, "").unwrap();
        std::fs::write(&summary_file, "").unwrap();
        let mut cmd = Command::new("bash");
        support::without_agents(
            cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
                .arg(&script),
        )
        .current_dir(workspace)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", workspace)
        .env("GITHUB_OUTPUT", &output_file)
        .env("GITHUB_STEP_SUMMARY", &summary_file)
        .env("RUNNER_TEMP", temp.path())
        .env_remove("GITHUB_BASE_REF")
        .env_remove("GITHUB_EVENT_NAME")
        .envs(env.iter().copied())
        .stdin(Stdio::null());
        for (name, value) in step["env"].as_hash().into_iter().flatten() {
            cmd.env(name.as_str().unwrap(), evaluate(value.as_str().unwrap(), &values));
        }
        let out = cmd.output().unwrap();
        run.stdout.push_str(&String::from_utf8_lossy(&out.stdout));
        run.summary
            .push_str(&std::fs::read_to_string(&summary_file).unwrap());
        let outputs = parse_outputs(&std::fs::read_to_string(&output_file).unwrap());
        if let Some(id) = step["id"].as_str() {
            for (name, value) in &outputs {
                values.insert(format!("steps.{id}.outputs.{name}"), value.clone());
            }
            run.outputs.insert(id.to_string(), outputs);
        }
        run.code = out.status.code().expect("the step exited");
        if run.code != 0 {
            eprintln!("step {index} failed: {}", String::from_utf8_lossy(&out.stderr));
            break;
        }
    }
    run
}

/// `text` with every `${{ name }}` replaced by its value; a name the test
/// does not know fails the test (an empty string, as GitHub gives for an
/// unknown `github.event` field or step output, only for those).
fn evaluate(text: &str, values: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("a closed expression") + start;
        let name = rest[start + 3..end].trim();
        let value = values.get(name).cloned().unwrap_or_else(|| {
            assert!(
                name.starts_with("github.event.") || name.starts_with("steps."),
                "the test cannot evaluate `{name}`"
            );
            String::new()
        });
        out.push_str(&value);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The `name=value` and `name<<DELIMITER` … `DELIMITER` lines of a
/// `GITHUB_OUTPUT` file.
fn parse_outputs(text: &str) -> HashMap<String, String> {
    let mut outputs = HashMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
            outputs.insert(name.to_string(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            outputs.insert(name.to_string(), value.to_string());
        }
    }
    outputs
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.invalid")
        .env("GIT_COMMITTER_NAME", "dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.invalid")
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn migration(app: &Path, name: &str, sql: &str) {
    let dir = app.join("prisma/migrations").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("migration.sql"), sql).unwrap();
}

const OLD: &str = "prisma/migrations/20240101000000_init/migration.sql";
const NEW: &str = "prisma/migrations/20240102000000_drop_email/migration.sql";

#[test]
fn the_action_annotates_the_changed_migrations_and_fails_on_a_high_finding() {
    let root = tempfile::tempdir().unwrap();
    let app = project_with_dbguard(root.path());
    std::fs::write(app.join(".gitignore"), "node_modules/\n").unwrap();
    // On main: a migration with a high finding, already reviewed.
    migration(&app, "20240101000000_init", "DROP TABLE legacy;\n");
    git(&app, &["init", "-q", "-b", "main"]);
    git(&app, &["add", "."]);
    git(&app, &["commit", "-q", "-m", "init"]);
    git(&app, &["update-ref", "refs/remotes/origin/main", "main"]);
    // The pull request adds one that drops a column.
    git(&app, &["checkout", "-q", "-b", "drop-email"]);
    migration(
        &app,
        "20240102000000_drop_email",
        "SET lock_timeout = '5s';\nALTER TABLE users DROP COLUMN email;\n",
    );
    git(&app, &["add", "."]);
    git(&app, &["commit", "-q", "-m", "drop email"]);
    let pull_request = [("GITHUB_EVENT_NAME", "pull_request"), ("GITHUB_BASE_REF", "main")];

    let run = run_action(&app, &[("version", "project")], &[], &pull_request);
    assert_eq!(
        run.code, 4,
        "a high finding fails the job as documented: {}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("::error file={NEW},line=2,col=1,title=drop-column::")),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains(OLD),
        "only the changed migration is linted: {}",
        run.stdout
    );
    assert_eq!(run.outputs["changed"]["files"], NEW);
    assert_eq!(run.outputs["lint"]["high"], "1");
    assert!(
        run.summary
            .contains("1 migration file(s): 1 high, 0 medium, 0 low finding(s); fail level: high."),
        "{}",
        run.summary
    );

    // With fail-level never the same annotations pass.
    let run = run_action(
        &app,
        &[("version", "project"), ("fail-level", "never")],
        &[],
        &pull_request,
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("title=drop-column::"), "{}", run.stdout);

    // A push with no previous commit to compare with lints every migration.
    let run = run_action(
        &app,
        &[("version", "project")],
        &[("event.before", "0000000000000000000000000000000000000000")],
        &[("GITHUB_EVENT_NAME", "push")],
    );
    assert_eq!(run.code, 4, "{}", run.stdout);
    assert!(run
        .stdout
        .contains("::notice title=dbguard::linting every migration under prisma/migrations"));
    assert!(
        run.stdout.contains(&format!("::error file={OLD},")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!("::error file={NEW},")),
        "{}",
        run.stdout
    );

    // Empty paths would mean the whole repository: an error instead.
    let run = run_action(
        &app,
        &[("version", "project"), ("paths", " \n")],
        &[],
        &pull_request,
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run
        .stdout
        .contains("::error title=dbguard::the paths input names no migration folder or file"));

    // No migration changed: nothing to lint, the job passes.
    git(&app, &["checkout", "-q", "main"]);
    let run = run_action(&app, &[("version", "project")], &[], &pull_request);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.summary.contains("No migration to lint."), "{}", run.summary);
}
