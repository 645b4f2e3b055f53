//! TLS for every connection dbguard opens, with libpq's `sslmode` semantics.
//!
//! Built on rustls with the `ring` provider rather than OpenSSL: no C
//! library to find or build on any platform, and a verifier API that lets
//! `verify-ca` check the chain without the host name (see [`verifier`]).
//! `tokio-postgres-rustls` plugs it into the `postgres` driver (the
//! blocking driver accepts any `MakeTlsConnect`); `rustls-native-certs`
//! reads the system's roots for `sslrootcert=system`; certificate and key
//! files are read with rustls-pki-types' own PEM parser, the one rustls
//! itself is tested with.

mod explain;
mod files;
pub mod settings;
pub mod verifier;

use std::sync::Arc;

use rustls::ClientConfig;
use tokio_postgres_rustls::MakeRustlsConnect;

pub use explain::{explain, is_handshake_failure};
pub use settings::{RootCert, SslMode, TlsParams, TlsSettings, Verification, TLS_KEYS};

use crate::error::Result;

/// The rustls configuration for `tls`: its roots, the check its mode asks
/// for, and the client certificate when one is given. Unreadable or invalid
/// files are errors naming the file.
pub fn client_config(tls: &TlsSettings) -> Result<ClientConfig> {
    let verification = tls.verification();
    let roots = match (&tls.root_cert, verification) {
        (Some(root), Verification::Chain | Verification::Full) => Some(Arc::new(files::roots(root)?)),
        _ => None,
    };
    let verifier = verifier::ModeVerifier::new(verification, roots);
    let builder = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    match (&tls.client_cert, &tls.client_key) {
        (Some(cert), Some(key)) => {
            let (chain, private_key) = files::identity(cert, key)?;
            builder
                .with_client_auth_cert(chain, private_key)
                .map_err(|e| crate::error::Error::Config {
                    origin: format!("sslcert {} and sslkey {}", cert.display(), key.display()),
                    reason: format!("they cannot be used together: {e}"),
                })
        }
        _ => Ok(builder.with_no_client_auth()),
    }
}

/// The driver's TLS connector for `tls`.
pub fn connector(tls: &TlsSettings) -> Result<MakeRustlsConnect> {
    Ok(MakeRustlsConnect::new(client_config(tls)?))
}
