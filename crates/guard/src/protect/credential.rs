//! The guard role's password, sealed to the approver.
//!
//! The approver holds an Ed25519 signing key (ed25519-dalek). Its public
//! half converts to an X25519 key (`VerifyingKey::to_montgomery`), to which
//! the password is sealed with `crypto_box`'s sealed box (X25519 +
//! XSalsa20-Poly1305, libsodium's `crypto_box_seal` format): a well-kept,
//! audited RustCrypto crate, rather than an encryption scheme of our own.
//! Anyone can seal with the public key; only the signing key's holder
//! (a person, after their passphrase) can unseal, so a window can be opened
//! only through a person's approval.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use super::error::{Error, Result};

/// `secret` sealed to `approver`'s key.
pub fn seal(approver: &VerifyingKey, secret: &str) -> Vec<u8> {
    let key = crypto_box::PublicKey::from(approver.to_montgomery());
    key.seal(&mut rand_core::OsRng, secret.as_bytes())
        .expect("sealing a short secret in memory does not fail")
}

/// The secret in `blob`, unsealed with the approver's signing key.
pub fn unseal(approver: &SigningKey, blob: &[u8]) -> Result<Zeroizing<String>> {
    let scalar = Zeroizing::new(approver.to_scalar_bytes());
    let key = crypto_box::SecretKey::from(*scalar);
    let plain = Zeroizing::new(key.unseal(blob).map_err(|_| {
        Error::Credential(
            "the guard credential was not sealed to this approver, or it was altered".to_string(),
        )
    })?);
    let text = std::str::from_utf8(&plain)
        .map_err(|_| Error::Credential("the guard credential is not text".to_string()))?;
    Ok(Zeroizing::new(text.to_string()))
}

/// Where the sealed credential of the database `identity` is kept:
/// `<state>/guard/<identity>.sealed`, with every character other than
/// letters, digits, `-` and `.` turned into `_`.
pub fn sealed_path(state_dir: &Path, identity: &str) -> PathBuf {
    let name: String = identity
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    state_dir.join("guard").join(format!("{name}.sealed"))
}

/// Writes `blob` to a temporary file (0600, in a 0700 folder) beside
/// `path`; [`Pending::commit`] renames it into place.
pub(crate) fn write_pending(path: &Path, blob: &[u8]) -> Result<Pending> {
    let dir = path.parent().expect("a sealed path has a folder");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| dbguard_pg::Error::io(dir, e))?;
    let temp = path.with_extension("sealed.tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temp)
        .map_err(|e| dbguard_pg::Error::io(&temp, e))?;
    file.write_all(blob)
        .and_then(|_| file.sync_all())
        .map_err(|e| dbguard_pg::Error::io(&temp, e))?;
    Ok(Pending {
        temp,
        path: path.to_path_buf(),
    })
}

/// A sealed credential written but not yet in place.
pub(crate) struct Pending {
    temp: PathBuf,
    path: PathBuf,
}

impl Pending {
    /// Moves the file into place.
    pub(crate) fn commit(self) -> Result<PathBuf> {
        std::fs::rename(&self.temp, &self.path).map_err(|e| dbguard_pg::Error::io(&self.path, e))?;
        Ok(self.path.clone())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        // After commit the temporary name no longer exists.
        let _ = std::fs::remove_file(&self.temp);
    }
}

/// Reads the sealed credential at `path`.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        Error::Credential(format!(
            "the guard credential {} cannot be read ({e}); a person must run `dbguard protect` with an approver",
            path.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_approver_unseals() {
        let approver = SigningKey::generate(&mut rand_core::OsRng);
        let other = SigningKey::generate(&mut rand_core::OsRng);
        let blob = seal(&approver.verifying_key(), "s3cret-password");
        assert!(!blob.windows(6).any(|w| w == b"s3cret"));
        assert_eq!(unseal(&approver, &blob).unwrap().as_str(), "s3cret-password");
        assert!(unseal(&other, &blob).is_err());
        let mut altered = blob.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert!(unseal(&approver, &altered).is_err());
    }

    #[test]
    fn sealed_paths_stay_in_the_guard_folder() {
        let path = sealed_path(Path::new("/p/.dbguard"), "7301/../farm db");
        assert_eq!(path, Path::new("/p/.dbguard/guard/7301_.._farm_db.sealed"));
    }
}
