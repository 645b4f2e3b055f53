//! Errors that name their cause: a full disk, an unreadable archive, a
//! backups folder of another user or one its owner cannot write.
//!
//! File modes do not stop root, and tests usually run as root: the checks
//! on permissions run dbguard as the unprivileged user `nobody` (setpriv)
//! when the test runs as root, and as the test's own user otherwise. The
//! full disk is a real one: a 512 KiB tmpfs mounted over the backups folder
//! in a private mount namespace (`unshare`), so nothing outside changes.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

const NOBODY: u32 = 65534;

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// dbguard with `args` in `dir`, as an unprivileged user.
fn unprivileged(dir: &Path, url: &str, args: &[&str]) -> (i32, String) {
    let exe = assert_cmd::cargo::cargo_bin("dbguard");
    let mut cmd = if is_root() {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(exe);
        cmd
    } else {
        Command::new(exe)
    };
    let out = cmd
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .env("DATABASE_URL", url)
        .output()
        .expect("setpriv (util-linux) runs dbguard as nobody");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn chown_all(path: &Path, uid: u32) {
    if !is_root() {
        return;
    }
    let status = Command::new("chown")
        .args(["-R", &format!("{uid}:{uid}")])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// A URL with the password inline: the unprivileged user cannot read the
/// test server's password file.
fn inline_url(db: &dbguard_testkit::TestDb) -> String {
    db.inline_url()
}

fn seeded(rows: i32) -> dbguard_testkit::TestDb {
    let db = dbguard_testkit::server().fresh_db();
    db.client()
        .batch_execute(&format!(
            "CREATE TABLE t AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS body FROM generate_series(1, {rows}) g"
        ))
        .unwrap();
    db
}

#[test]
fn an_unreadable_archive_says_permission_denied() {
    let db = seeded(1000);
    let dir = dbguard_testkit::project_dir("dbguard-causes-");
    let url = inline_url(&db);
    let made = Command::new(assert_cmd::cargo::cargo_bin("dbguard"))
        .args(["backup", "create"])
        .current_dir(dir.path())
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    chown_all(dir.path(), NOBODY);
    let backup = std::fs::read_dir(dir.path().join("backups"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::set_permissions(backup.join("dump.zst"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let (code, out) = unprivileged(dir.path(), &url, &["backup", "verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("dump.zst") && out.contains("EACCES: permission denied"),
        "{out}"
    );
    assert!(!out.contains("too short"), "{out}");
}

#[test]
fn a_backups_folder_of_another_user_or_not_writable_is_refused_and_never_chmodded() {
    let db = seeded(10);
    let url = inline_url(&db);
    // Someone else's folder (root's, seen by nobody; or a folder the test user cannot write).
    let dir = dbguard_testkit::project_dir("dbguard-causes-");
    chown_all(dir.path(), NOBODY);
    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    if is_root() {
        std::fs::set_permissions(&backups, std::fs::Permissions::from_mode(0o700)).unwrap();
        let (code, out) = unprivileged(dir.path(), &url, &["backup", "create"]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("belongs to another user (uid 0"), "{out}");
        assert!(out.contains(&backups.display().to_string()), "{out}");
        assert!(out.matches("Operation not permitted").count() <= 1, "{out}");
        chown_all(&backups, NOBODY);
    }
    // The owner's own 0500 folder: refused, and left as it is.
    std::fs::set_permissions(&backups, std::fs::Permissions::from_mode(0o500)).unwrap();
    let (code, out) = unprivileged(dir.path(), &url, &["backup", "create"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("has mode 0500") && out.contains("does not change a folder's mode"),
        "{out}"
    );
    let mode = std::fs::metadata(&backups).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o500, "dbguard changed the folder's mode");
}

#[test]
fn a_full_disk_names_enospc_and_the_folder_not_a_broken_pipe() {
    // About 6 MB of dump that compresses to well over 512 KiB.
    let db = seeded(100_000);
    let dir = dbguard_testkit::project_dir("dbguard-causes-");
    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    std::fs::set_permissions(&backups, std::fs::Permissions::from_mode(0o700)).unwrap();
    let exe = assert_cmd::cargo::cargo_bin("dbguard");
    let script = r#"mount -t tmpfs -o size=512k,mode=0700 dbguard-test "$1" && exec "$2" backup create"#;
    let mut cmd = Command::new("unshare");
    if !is_root() {
        cmd.arg("--map-root-user");
    }
    let out = cmd
        .args(["--mount", "sh", "-c", script, "sh"])
        .arg(&backups)
        .arg(&exe)
        .current_dir(dir.path())
        .env("DATABASE_URL", db.url.expose())
        .output()
        .expect("unshare (util-linux) makes a private mount namespace");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("ENOSPC: the disk is full"), "{text}");
    assert!(
        text.contains(&format!("cannot write the backup in {}", backups.display())),
        "{text}"
    );
    assert!(!text.contains("SIGPIPE"), "{text}");
}
