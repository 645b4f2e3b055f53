//! The operating-system user the local server runs as. PostgreSQL refuses to
//! run as root, so when dbguard runs as root the server runs as the
//! unprivileged `postgres` user; otherwise it runs as the invoking user.

use std::ffi::{CStr, CString};

use crate::error::{Error, Result};

/// The account the server runs as when dbguard runs as root.
pub const SERVER_ACCOUNT: &str = "postgres";

/// An operating-system account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsUser {
    /// Its name.
    pub name: String,
    /// Its user id.
    pub uid: u32,
    /// Its primary group id.
    pub gid: u32,
}

/// The account to switch to for running the server: `None` when dbguard is
/// not root and runs the server as itself.
pub fn server_user() -> Result<Option<OsUser>> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    match lookup(SERVER_ACCOUNT)? {
        Some(user) if user.uid != 0 => Ok(Some(user)),
        _ => Err(Error::LocalServer(format!(
            "dbguard runs as root and PostgreSQL refuses to run as root, but there is no unprivileged \
             `{SERVER_ACCOUNT}` OS user to run it as; create one (`useradd --system {SERVER_ACCOUNT}`) \
             or run dbguard as an ordinary user"
        ))),
    }
}

/// The name of the user running dbguard, for messages and the audit trail.
pub fn current_user_name() -> String {
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    lookup_uid(uid).unwrap_or_else(|| uid.to_string())
}

/// Looks an account up by name.
pub fn lookup(name: &str) -> Result<Option<OsUser>> {
    let c_name = CString::new(name).map_err(|_| Error::LocalServer(format!("bad user name `{name}`")))?;
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: passwd is plain data; zeroed is a valid starting value.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the duration of the call and buf's
    // length is passed; getpwnam_r writes only within them.
    let rc = unsafe {
        libc::getpwnam_r(
            c_name.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    if rc != 0 || result.is_null() {
        return Ok(None);
    }
    Ok(Some(OsUser {
        name: name.to_string(),
        uid: pwd.pw_uid,
        gid: pwd.pw_gid,
    }))
}

fn lookup_uid(uid: u32) -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: as in `lookup`.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: as in `lookup`.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result) };
    if rc != 0 || result.is_null() {
        return None;
    }
    // SAFETY: on success pw_name points to a NUL-terminated string inside buf.
    let name = unsafe { CStr::from_ptr(pwd.pw_name) };
    Some(name.to_string_lossy().into_owned())
}
