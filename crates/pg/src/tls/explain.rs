//! TLS failures in words that name the cause: the CA file that did not
//! sign the server's certificate, the host name it is not valid for, a
//! server that offers no TLS.

use std::error::Error as StdError;

use rustls::{AlertDescription, CertificateError};

use super::settings::{RootCert, TlsSettings};

/// The driver's message when the server answers "no" to TLS under `require`.
const NO_TLS: &str = "server does not support TLS";

/// The rustls error somewhere in `err`'s chain of causes.
fn rustls_error(err: &postgres::Error) -> Option<&rustls::Error> {
    let mut cause: Option<&(dyn StdError + 'static)> = err.source();
    while let Some(e) = cause {
        if let Some(found) = e.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        // rustls reports through `io::Error`, whose `source()` skips the error it wraps.
        let wrapped = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref());
        if let Some(found) = wrapped.and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
            return Some(found);
        }
        cause = e.source();
    }
    None
}

/// Whether `err` is the TLS handshake failing (as opposed to the server
/// refusing the login, or no server at all).
pub fn is_handshake_failure(err: &postgres::Error) -> bool {
    rustls_error(err).is_some()
}

/// A precise reason for a TLS failure, or `None` when `err` is not one.
pub fn explain(err: &postgres::Error, tls: &TlsSettings) -> Option<String> {
    let mode = tls.mode;
    if crate::connect::describe(err).contains(NO_TLS) {
        return Some(format!(
            "the server does not offer TLS, and sslmode={mode} requires it"
        ));
    }
    let reason = match rustls_error(err)? {
        rustls::Error::InvalidCertificate(cert) => certificate(cert, tls),
        rustls::Error::AlertReceived(AlertDescription::CertificateRequired) => {
            "the server requires a client certificate (sslcert and sslkey)".to_string()
        }
        rustls::Error::AlertReceived(
            alert @ (AlertDescription::BadCertificate
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateUnknown
            | AlertDescription::AccessDenied),
        ) if tls.client_cert.is_some() => format!(
            "the server did not accept the client certificate {} ({alert:?})",
            tls.client_cert
                .as_deref()
                .unwrap_or_else(|| std::path::Path::new(""))
                .display()
        ),
        other => format!("the TLS handshake failed: {other}"),
    };
    Some(format!("TLS (sslmode={mode}): {reason}"))
}

fn certificate(err: &CertificateError, tls: &TlsSettings) -> String {
    match err {
        CertificateError::UnknownIssuer
        | CertificateError::BadSignature
        | CertificateError::UnhandledCriticalExtension => match &tls.root_cert {
            Some(RootCert::File(path)) => format!(
                "the server's certificate is not signed by the CA in {}",
                path.display()
            ),
            _ => "the server's certificate is not signed by a CA this system trusts".to_string(),
        },
        CertificateError::NotValidForNameContext { expected, presented } => format!(
            "the server's certificate is not valid for the host name `{}` (it names {})",
            expected.to_str(),
            if presented.is_empty() {
                "no host".to_string()
            } else {
                presented
                    .iter()
                    .map(|n| unwrap_name(n))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ),
        CertificateError::NotValidForName => {
            "the server's certificate is not valid for the host name connected to".to_string()
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "the server's certificate has expired".to_string()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "the server's certificate is not valid yet".to_string()
        }
        CertificateError::Revoked => "the server's certificate is revoked".to_string(),
        other => format!("the server's certificate was rejected: {other:?}"),
    }
}

/// `localhost` from rustls' `DnsName("localhost")` (how it lists the names a
/// certificate presents); other forms as they are.
fn unwrap_name(name: &str) -> &str {
    match (name.find("(\""), name.rfind("\")")) {
        (Some(start), Some(end)) if start + 2 <= end => &name[start + 2..end],
        _ => name,
    }
}
