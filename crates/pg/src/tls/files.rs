//! Reading root CAs, client certificates and keys, with errors that name the
//! file and say what is wrong with it.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::RootCertStore;

use super::settings::RootCert;
use crate::error::{Error, Result};

fn bad(what: &str, path: &Path, reason: impl Into<String>) -> Error {
    Error::Config {
        origin: format!("{what} {}", path.display()),
        reason: reason.into(),
    }
}

/// The trusted roots `root` names.
pub fn roots(root: &RootCert) -> Result<RootCertStore> {
    let mut store = RootCertStore::empty();
    match root {
        RootCert::File(path) => {
            for (n, cert) in certificates("sslrootcert", path)?.into_iter().enumerate() {
                store.add(cert).map_err(|e| {
                    bad(
                        "sslrootcert",
                        path,
                        format!("certificate {} is not a usable CA: {e}", n + 1),
                    )
                })?;
            }
        }
        RootCert::System => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _ignored) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                let errors: Vec<String> = found.errors.iter().map(ToString::to_string).collect();
                return Err(Error::Config {
                    origin: "sslrootcert=system".into(),
                    reason: format!(
                        "no trusted root certificates found on this system{}",
                        if errors.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", errors.join("; "))
                        }
                    ),
                });
            }
        }
    }
    Ok(store)
}

/// The certificate chain in `cert` and the private key in `key`.
pub fn identity(cert: &Path, key: &Path) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let chain = certificates("sslcert", cert)?;
    let bytes = read("sslkey", key)?;
    check_key_permissions(key)?;
    let private_key = PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| {
        bad(
            "sslkey",
            key,
            format!("holds no unencrypted private key (PKCS#8, PKCS#1 or SEC1 PEM): {e}"),
        )
    })?;
    Ok((chain, private_key))
}

fn read(what: &str, path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| bad(what, path, format!("cannot read it: {e}")))
}

fn certificates(what: &str, path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let bytes = read(what, path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| bad(what, path, format!("is not a valid PEM file: {e}")))?;
    if certs.is_empty() {
        return Err(bad(
            what,
            path,
            "holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
        ));
    }
    Ok(certs)
}

/// libpq refuses a key others can read (0600 at most when the user owns it,
/// 0640 when root does); so does dbguard, so that both accept the same files.
fn check_key_permissions(path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| bad("sslkey", path, format!("cannot read it: {e}")))?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    let allowed = match meta.uid() {
        uid if uid == euid => 0o600,
        0 => 0o640,
        _ => return Ok(()),
    };
    let mode = meta.mode() & 0o777;
    if mode & !allowed != 0 {
        return Err(bad(
            "sslkey",
            path,
            format!("the private key file has group or world access (mode {mode:o}); it must be {allowed:o} or less"),
        ));
    }
    Ok(())
}
