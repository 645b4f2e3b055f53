//! Random identifiers and secrets from the system's random source.

use std::io::Read;

use crate::error::{Error, Result};

/// `bytes` random bytes from `/dev/urandom`, as lower-case hex.
pub fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| Error::io("/dev/urandom", e))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// `N` random bytes from `/dev/urandom` (keys, salts, nonces).
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| Error::io("/dev/urandom", e))?;
    Ok(buf)
}
