//! The approver: the one secret that stands for a person.
//!
//! A person sets it up once, at their own terminal, with a passphrase. The
//! passphrase is stretched with Argon2id (the `argon2` crate of RustCrypto:
//! memory-hard, the winner of the Password Hashing Competition and RFC 9106's
//! recommendation) into the key that seals an Ed25519 signing key with
//! ChaCha20-Poly1305 (`chacha20poly1305`, also RustCrypto; authenticated, so
//! a wrong passphrase or an edited file is detected rather than yielding a
//! wrong key). Signatures are `ed25519-dalek`'s: small, fast and
//! deterministic. Only the sealed key and the public key are stored, in the
//! approver's folder outside any project (`$XDG_CONFIG_HOME/dbguard`, or
//! `~/.config/dbguard`), 0600 in a 0700 folder.
//!
//! Everything an approval needs from a person is a signature made with this
//! key: a program that can write files, or play the person at a
//! pseudo-terminal, cannot make one without the passphrase. No variable, flag
//! or file supplies the passphrase.
//!
//! A project pins the fingerprint of the approver who approved there
//! (`.dbguard/approver.pin`), so pointing `HOME` or `XDG_CONFIG_HOME` at a
//! folder with another approver is a changed approver, refused, never a new
//! one. Rotation (a new key and passphrase) needs the old passphrase: the old
//! key endorses the new one, and pins follow the endorsement.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The approver's file in its folder.
const KEY_FILE: &str = "approver.json";

/// The project's pin, in its state folder.
const PIN_FILE: &str = "approver.pin";

/// The shortest passphrase accepted.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// Argon2id cost of new keys: 64 MiB, 3 passes (RFC 9106's second
/// recommended option, for machines without 2 GiB to spare).
const MEMORY_KIB: u32 = 64 * 1024;
const ITERATIONS: u32 = 3;
const PARALLELISM: u32 = 1;

/// A key file asking for less than this is refused as weakened
/// (OWASP's minimum for Argon2id: 19 MiB, 2 passes).
const MIN_MEMORY_KIB: u32 = 19 * 1024;
const MIN_ITERATIONS: u32 = 2;

/// The approver's folder: outside every project, private to its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApproverDir(PathBuf);

impl ApproverDir {
    /// `$XDG_CONFIG_HOME/dbguard`, else `$HOME/.config/dbguard`.
    pub fn from_env() -> Result<ApproverDir> {
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|h| PathBuf::from(h).join(".config"))
            })
            .ok_or_else(|| {
                Error::Approval(
                    "neither XDG_CONFIG_HOME nor HOME is set, so the approver's folder cannot be found"
                        .to_string(),
                )
            })?;
        Ok(ApproverDir(base.join("dbguard")))
    }

    /// The folder `path` (tests, and people who keep it elsewhere on purpose).
    pub fn at(path: impl Into<PathBuf>) -> ApproverDir {
        ApproverDir(path.into())
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// This folder's private sub-folder for the project whose state lives in
    /// `state_dir` (copies of the audit log's head, spent approvals).
    pub fn project(&self, state_dir: &Path) -> PathBuf {
        let canonical = fs::canonicalize(state_dir).unwrap_or_else(|_| state_dir.to_path_buf());
        let digest = Sha256::digest(canonical.as_os_str().as_encoded_bytes());
        self.0.join("projects").join(hex::encode(&digest[..12]))
    }
}

/// How the passphrase is stretched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Kdf {
    algorithm: String,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    salt: String,
}

/// An older key's signature over the key that replaced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Endorsement {
    public_key: String,
    endorses: String,
    signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct KeyFile {
    version: u32,
    public_key: String,
    created_at: DateTime<Utc>,
    kdf: Kdf,
    cipher: String,
    nonce: String,
    sealed_key: String,
    #[serde(default)]
    previous: Vec<Endorsement>,
}

/// A configured approver (its public half; [`Approver::unlock`] needs the passphrase).
#[derive(Debug, Clone)]
pub struct Approver {
    dir: ApproverDir,
    file: KeyFile,
    public: VerifyingKey,
}

/// The signing key, unlocked by the passphrase for as long as this lives.
pub struct Unlocked {
    key: SigningKey,
}

/// The fingerprint of a public key: SHA-256 of its 32 bytes, the first 16 in hex.
pub fn fingerprint(key: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..16])
}

fn parse_key(text: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = hex::decode(text).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

fn parse_signature(text: &str) -> Option<Signature> {
    let bytes: [u8; 64] = hex::decode(text).ok()?.try_into().ok()?;
    Some(Signature::from_bytes(&bytes))
}

fn stretch(passphrase: &str, kdf: &Kdf) -> Result<Zeroizing<[u8; 32]>> {
    let salt = hex::decode(&kdf.salt).map_err(|_| damaged("its salt is not hex"))?;
    let params = argon2::Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32))
        .map_err(|e| damaged(&format!("its key-stretching settings are invalid ({e})")))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase.as_bytes(), &salt, out.as_mut())
        .map_err(|e| damaged(&format!("its key cannot be derived ({e})")))?;
    Ok(out)
}

fn damaged(why: &str) -> Error {
    Error::Approval(format!("the approver's key file is damaged: {why}"))
}

fn seal(passphrase: &str, key: &SigningKey) -> Result<(Kdf, String, String)> {
    let kdf = Kdf {
        algorithm: "argon2id".to_string(),
        memory_kib: MEMORY_KIB,
        iterations: ITERATIONS,
        parallelism: PARALLELISM,
        salt: hex::encode(dbguard_pg::random::random_bytes::<16>()?),
    };
    let wrapping = stretch(passphrase, &kdf)?;
    let nonce = dbguard_pg::random::random_bytes::<12>()?;
    let cipher = ChaCha20Poly1305::new(wrapping.as_ref().into());
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), key.to_bytes().as_slice())
        .map_err(|_| Error::Approval("the signing key could not be sealed".to_string()))?;
    Ok((kdf, hex::encode(nonce), hex::encode(sealed)))
}

/// Refuses passphrases a person would not want standing for them.
pub fn check_passphrase(passphrase: &str) -> Result<()> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(Error::Approval(format!(
            "the passphrase must be at least {MIN_PASSPHRASE_CHARS} characters long"
        )));
    }
    Ok(())
}

impl Approver {
    /// The approver configured in `dir`, if any.
    pub fn load(dir: &ApproverDir) -> Result<Option<Approver>> {
        let path = dir.path().join(KEY_FILE);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let file: KeyFile = serde_json::from_slice(&bytes)
            .map_err(|e| damaged(&format!("{} is not valid ({e})", path.display())))?;
        if file.kdf.algorithm != "argon2id" || file.cipher != "chacha20poly1305" {
            return Err(damaged("it names an algorithm dbguard does not use"));
        }
        if file.kdf.memory_kib < MIN_MEMORY_KIB || file.kdf.iterations < MIN_ITERATIONS {
            return Err(damaged("its key stretching is weaker than dbguard ever writes"));
        }
        let public = parse_key(&file.public_key).ok_or_else(|| damaged("its public key is not valid"))?;
        if let Ok(meta) = fs::metadata(&path) {
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(Error::Approval(format!(
                    "{} can be read by other users (mode {:o}); it must be private (0600)",
                    path.display(),
                    meta.permissions().mode() & 0o777
                )));
            }
        }
        Ok(Some(Approver {
            dir: dir.clone(),
            file,
            public,
        }))
    }

    /// Sets up a new approver in `dir` with `passphrase`; refused when one exists.
    pub fn init(dir: &ApproverDir, passphrase: &str) -> Result<Approver> {
        if let Some(existing) = Approver::load(dir)? {
            return Err(Error::Approval(format!(
                "an approver is already set up in {} (fingerprint {}); `dbguard approver rotate` replaces it \
                 with the old passphrase",
                dir.path().display(),
                existing.fingerprint()
            )));
        }
        check_passphrase(passphrase)?;
        let key = SigningKey::from_bytes(&dbguard_pg::random::random_bytes::<32>()?);
        Approver::write(dir, &key, passphrase, Vec::new())
    }

    fn write(
        dir: &ApproverDir,
        key: &SigningKey,
        passphrase: &str,
        previous: Vec<Endorsement>,
    ) -> Result<Approver> {
        let (kdf, nonce, sealed_key) = seal(passphrase, key)?;
        let file = KeyFile {
            version: 1,
            public_key: hex::encode(key.verifying_key().as_bytes()),
            created_at: Utc::now(),
            kdf,
            cipher: "chacha20poly1305".to_string(),
            nonce,
            sealed_key,
            previous,
        };
        let path = dir.path().join(KEY_FILE);
        crate::private_file::write(
            &path,
            &serde_json::to_vec_pretty(&file).expect("key files serialise"),
        )?;
        Ok(Approver {
            dir: dir.clone(),
            public: key.verifying_key(),
            file,
        })
    }

    /// Replaces the key and passphrase; the old passphrase unlocks the old
    /// key, which endorses the new one.
    pub fn rotate(&self, old_passphrase: &str, new_passphrase: &str) -> Result<Approver> {
        let old = self.unlock(old_passphrase)?;
        check_passphrase(new_passphrase)?;
        let key = SigningKey::from_bytes(&dbguard_pg::random::random_bytes::<32>()?);
        let new_public = hex::encode(key.verifying_key().as_bytes());
        let mut previous = self.file.previous.clone();
        previous.push(Endorsement {
            public_key: self.file.public_key.clone(),
            signature: old.sign(new_public.as_bytes()),
            endorses: new_public,
        });
        Approver::write(&self.dir, &key, new_passphrase, previous)
    }

    /// Unlocks the signing key; a wrong passphrase is an error.
    pub fn unlock(&self, passphrase: &str) -> Result<Unlocked> {
        let wrapping = stretch(passphrase, &self.file.kdf)?;
        let nonce = hex::decode(&self.file.nonce).map_err(|_| damaged("its nonce is not hex"))?;
        let sealed = hex::decode(&self.file.sealed_key).map_err(|_| damaged("its sealed key is not hex"))?;
        if nonce.len() != 12 {
            return Err(damaged("its nonce has the wrong length"));
        }
        let cipher = ChaCha20Poly1305::new(wrapping.as_ref().into());
        let plain = Zeroizing::new(
            cipher
                .decrypt(Nonce::from_slice(&nonce), sealed.as_slice())
                .map_err(|_| Error::Approval("wrong passphrase; nothing was approved".to_string()))?,
        );
        let bytes: [u8; 32] = plain
            .as_slice()
            .try_into()
            .map_err(|_| damaged("its sealed key has the wrong length"))?;
        let key = SigningKey::from_bytes(&bytes);
        if key.verifying_key() != self.public {
            return Err(damaged("its sealed key does not match its public key"));
        }
        Ok(Unlocked { key })
    }

    /// The public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.public
    }

    /// The current key's fingerprint.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.public)
    }

    /// Where the approver lives.
    pub fn dir(&self) -> &ApproverDir {
        &self.dir
    }

    /// The public key with `fingerprint`: the current one, or an older one
    /// whose endorsement chain leads to the current one.
    pub fn key_for(&self, fingerprint_wanted: &str) -> Option<VerifyingKey> {
        if self.fingerprint() == fingerprint_wanted {
            return Some(self.public);
        }
        self.endorsed_keys()
            .into_iter()
            .find(|key| fingerprint(key) == fingerprint_wanted)
    }

    /// The fingerprints of every key [`Approver::key_for`] finds: the
    /// current one and the endorsed older ones.
    pub fn trusted_fingerprints(&self) -> Vec<String> {
        std::iter::once(self.public)
            .chain(self.endorsed_keys())
            .map(|key| fingerprint(&key))
            .collect()
    }

    /// Older keys, each verified to endorse its successor up to the current key.
    fn endorsed_keys(&self) -> Vec<VerifyingKey> {
        let mut keys = Vec::new();
        let mut successor = self.file.public_key.clone();
        for endorsement in self.file.previous.iter().rev() {
            let (Some(key), Some(signature)) = (
                parse_key(&endorsement.public_key),
                parse_signature(&endorsement.signature),
            ) else {
                break;
            };
            if endorsement.endorses != successor || key.verify(successor.as_bytes(), &signature).is_err() {
                break;
            }
            keys.push(key);
            successor = endorsement.public_key.clone();
        }
        keys
    }

    /// Whether `signature` (hex) over `message` was made by the key with `fingerprint`.
    pub fn verifies(&self, fingerprint_of_signer: &str, message: &[u8], signature: &str) -> bool {
        match (self.key_for(fingerprint_of_signer), parse_signature(signature)) {
            (Some(key), Some(signature)) => key.verify_strict(message, &signature).is_ok(),
            _ => false,
        }
    }
}

impl Unlocked {
    /// The hex signature of `message`.
    pub fn sign(&self, message: &[u8]) -> String {
        hex::encode(self.key.sign(message).to_bytes())
    }

    /// The signing key (for sealing and unsealing secrets held for the approver).
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The fingerprint of the key.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.key.verifying_key())
    }
}

/// The fingerprint pinned by the project whose state lives in `state_dir`.
pub fn pinned(state_dir: &Path) -> Result<Option<String>> {
    let path = state_dir.join(PIN_FILE);
    match fs::read_to_string(&path) {
        Ok(text) => {
            let pin = text.trim().to_string();
            if pin.len() != 32 || !pin.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(Error::Approval(format!(
                    "{} does not hold an approver fingerprint; approvals are refused until a person \
                     repairs it",
                    path.display()
                )));
            }
            Ok(Some(pin))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(&path, e)),
    }
}

/// Whether a first approver may be set up for the project of `state_dir`
/// with the approver folder `dir`. Not when the project already pins one,
/// nor when an approver folder (this one, or the user's usual one under
/// `HOME`) keeps the head of this project's audit log: then the project
/// had an approver, and its pin and log were moved or deleted. A new
/// approver set up over that would let whoever moved them approve their own
/// operations; only `approver rotate`, with the old passphrase, replaces one.
pub fn may_set_up(dir: &ApproverDir, state_dir: &Path) -> Result<()> {
    if let Some(pin) = pinned(state_dir)? {
        return Err(Error::Approval(format!(
            "this project already pins the approver {pin}; `dbguard approver rotate` replaces it with the old \
             passphrase"
        )));
    }
    let usual = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| ApproverDir::at(PathBuf::from(h).join(".config/dbguard")));
    for folder in std::iter::once(dir.clone()).chain(usual) {
        let head = folder.project(state_dir).join("audit.head");
        if head.exists() {
            return Err(Error::Approval(format!(
                "this project had an approver: the head of its audit log is kept in {}, but its pin or log is \
                 gone; nothing was set up (`dbguard audit verify` shows what is missing)",
                head.display()
            )));
        }
    }
    Ok(())
}

/// Pins `fingerprint` for the project whose state lives in `state_dir`.
pub fn pin(state_dir: &Path, fingerprint: &str) -> Result<()> {
    crate::private_file::write(&state_dir.join(PIN_FILE), format!("{fingerprint}\n").as_bytes())
}

/// The approver whose signatures count in the project of `state_dir`:
/// configured, and the one the project pinned (or endorsed by it). Missing
/// or changed after one was pinned is an error, never a fall-back.
pub fn trusted(dir: &ApproverDir, state_dir: &Path) -> Result<Approver> {
    let approver = Approver::load(dir)?;
    let pin = pinned(state_dir)?;
    match (approver, pin) {
        (None, None) => Err(Error::NoApprover(dir.path().to_path_buf())),
        (None, Some(pin)) => Err(Error::Approval(format!(
            "this project's approver (fingerprint {pin}) is not set up in {}: the approver is missing or \
             was moved, so nothing can be approved",
            dir.path().display()
        ))),
        (Some(approver), Some(pin)) if approver.key_for(&pin).is_none() => Err(Error::Approval(format!(
            "the approver in {} (fingerprint {}) is not the one this project pinned ({pin}): a changed \
             approver approves nothing",
            dir.path().display(),
            approver.fingerprint()
        ))),
        (Some(approver), _) => Ok(approver),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASS: &str = "correct horse battery staple";

    #[test]
    fn a_key_is_sealed_by_its_passphrase_and_signs() {
        let dir = tempfile::tempdir().unwrap();
        let at = ApproverDir::at(dir.path().join("dbguard"));
        assert!(Approver::load(&at).unwrap().is_none());
        assert!(Approver::init(&at, "short").is_err());
        let approver = Approver::init(&at, PASS).unwrap();
        let file = at.path().join(KEY_FILE);
        assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(
            fs::metadata(at.path()).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let text = fs::read_to_string(&file).unwrap();
        assert!(!text.contains(PASS));

        assert!(approver.unlock("wrong horse battery staple").is_err());
        let unlocked = approver.unlock(PASS).unwrap();
        let signature = unlocked.sign(b"message");
        let loaded = Approver::load(&at).unwrap().unwrap();
        assert!(loaded.verifies(&loaded.fingerprint(), b"message", &signature));
        assert!(!loaded.verifies(&loaded.fingerprint(), b"massage", &signature));
        assert!(Approver::init(&at, PASS).is_err(), "one approver per folder");
    }

    #[test]
    fn a_weakened_or_swapped_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let at = ApproverDir::at(dir.path());
        Approver::init(&at, PASS).unwrap();
        let path = at.path().join(KEY_FILE);
        let mut file: KeyFile = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        let original = file.clone();
        file.kdf.memory_kib = 8;
        fs::write(&path, serde_json::to_vec(&file).unwrap()).unwrap();
        assert!(Approver::load(&at).is_err());

        // Another key's public half beside this sealed key.
        let other = SigningKey::from_bytes(&[7; 32]);
        let mut swapped = original;
        swapped.public_key = hex::encode(other.verifying_key().as_bytes());
        fs::write(&path, serde_json::to_vec(&swapped).unwrap()).unwrap();
        assert!(Approver::load(&at).unwrap().unwrap().unlock(PASS).is_err());
    }

    #[test]
    fn pins_hold_across_rotation_and_refuse_another_approver() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("project/.dbguard");
        let mine = ApproverDir::at(dir.path().join("mine"));
        assert!(matches!(trusted(&mine, &state), Err(Error::NoApprover(_))));
        let approver = Approver::init(&mine, PASS).unwrap();
        pin(&state, &approver.fingerprint()).unwrap();
        assert!(trusted(&mine, &state).is_ok());

        let theirs = ApproverDir::at(dir.path().join("theirs"));
        Approver::init(&theirs, "another long passphrase").unwrap();
        assert!(trusted(&theirs, &state).is_err(), "a changed approver");
        let empty = ApproverDir::at(dir.path().join("empty"));
        assert!(trusted(&empty, &state).is_err(), "a missing approver");

        assert!(approver
            .rotate("not the passphrase!", "new long passphrase")
            .is_err());
        let rotated = approver.rotate(PASS, "new long passphrase").unwrap();
        assert_ne!(rotated.fingerprint(), approver.fingerprint());
        let trusted_now = trusted(&mine, &state).unwrap();
        assert!(trusted_now.key_for(&approver.fingerprint()).is_some());
        assert!(rotated.unlock(PASS).is_err());
        assert!(rotated.unlock("new long passphrase").is_ok());

        fs::write(state.join(PIN_FILE), "not a pin").unwrap();
        assert!(trusted(&mine, &state).is_err(), "a damaged pin fails closed");
    }
}
