//! Who may use the dashboard, checked on every request before any route:
//!
//! - It listens on 127.0.0.1 only, and answers only requests whose `Host`
//!   is that address or `localhost` with its port (a page elsewhere cannot
//!   reach it through DNS rebinding).
//! - At start it makes a random access token, shown once in the URL it
//!   prints (as Jupyter does). Opening that URL trades the token for a
//!   session cookie (`HttpOnly`, `SameSite=Strict`) and redirects to the
//!   same page without the token, so it does not stay in the address bar.
//!   Programs (Prometheus, API clients) send `Authorization: Bearer TOKEN`.
//!   Every other request is refused with 401.
//! - A request that changes anything (any method but GET and HEAD) must
//!   come from the dashboard's own origin (`Origin` header; a request
//!   without one is refused) and carry the CSRF token of its form.
//! - Every response forbids inline script, framing, other origins and
//!   caching, and sends no referrer to another site.
//!
//! The secrets are compared in constant time (`subtle`, well kept and
//! already used by the cryptography dbguard depends on). Nothing here logs.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_SECURITY_POLICY, COOKIE, HOST, LOCATION, ORIGIN, REFERRER_POLICY,
    SET_COOKIE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::AppState;

/// The policy of every response: this origin's style sheet and script, nothing inline.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                       connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The random values of one running dashboard.
pub struct Secrets {
    token: String,
    session: String,
    csrf: String,
}

impl Secrets {
    /// New random secrets (32 bytes each, from the system's generator).
    pub fn new() -> anyhow::Result<Secrets> {
        Ok(Secrets {
            token: dbguard_pg::random::random_hex(32)?,
            session: dbguard_pg::random::random_hex(32)?,
            csrf: dbguard_pg::random::random_hex(32)?,
        })
    }

    /// The access token of the printed URL.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The CSRF token every form carries.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// Whether `given` is the CSRF token.
    pub fn csrf_matches(&self, given: &str) -> bool {
        equal(given, &self.csrf)
    }
}

fn equal(given: &str, secret: &str) -> bool {
    given.as_bytes().ct_eq(secret.as_bytes()).into()
}

impl AppState {
    fn cookie_name(&self) -> String {
        // Cookies are not kept apart by port: one name per dashboard.
        format!("dbguard_session_{}", self.port)
    }

    fn host_allowed(&self, host: &str) -> bool {
        [
            format!("127.0.0.1:{}", self.port),
            format!("localhost:{}", self.port),
        ]
        .iter()
        .any(|allowed| allowed == host)
    }

    fn signed_in(&self, headers: &HeaderMap) -> bool {
        let bearer = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|token| equal(token, &self.secrets.token));
        let name = self.cookie_name();
        let cookie = headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(key, value)| key == name && equal(value, &self.secrets.session));
        bearer || cookie
    }
}

/// A refusal, as plain text.
fn refuse(status: StatusCode, why: &str) -> Response {
    (status, format!("{why}\n")).into_response()
}

/// The value of `name` in the query `query`.
fn query_value<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The access checks, then the route, then the security headers.
pub async fn guard(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let mut response = check(&state, request, next).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (CONTENT_SECURITY_POLICY, CSP),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (X_FRAME_OPTIONS, "DENY"),
        // Not no-referrer: with it, browsers send `Origin: null` on the own forms.
        (REFERRER_POLICY, "same-origin"),
        (CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

async fn check(state: &AppState, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !state.host_allowed(host) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "Refused: the dashboard answers only at the address it printed.",
        );
    }
    let host = host.to_string();
    if let Some(token) = request.uri().query().and_then(|q| query_value(q, "token")) {
        if request.method() != Method::GET || !equal(token, &state.secrets.token) {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "Refused: that is not this dashboard's token.",
            );
        }
        let cookie = format!(
            "{}={}; HttpOnly; SameSite=Strict; Path=/",
            state.cookie_name(),
            state.secrets.session
        );
        let mut response = StatusCode::SEE_OTHER.into_response();
        let location = HeaderValue::from_str(request.uri().path()).unwrap_or(HeaderValue::from_static("/"));
        response.headers_mut().insert(LOCATION, location);
        response.headers_mut().insert(
            SET_COOKIE,
            HeaderValue::from_str(&cookie).expect("a cookie of hex digits"),
        );
        return response;
    }
    if !state.signed_in(request.headers()) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "Refused: open the URL with the token that `dbguard serve` printed.",
        );
    }
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        let origin = request.headers().get(ORIGIN).and_then(|v| v.to_str().ok());
        if origin != Some(format!("http://{host}").as_str()) {
            return refuse(
                StatusCode::FORBIDDEN,
                "Refused: a change must come from the dashboard's own page (Origin).",
            );
        }
    }
    next.run(request).await
}

/// The refusal of a form whose CSRF token is not the dashboard's.
pub fn csrf(state: &AppState, given: &str) -> Option<Response> {
    (!state.secrets.csrf_matches(given)).then(|| {
        refuse(
            StatusCode::FORBIDDEN,
            "Refused: the form's CSRF token is wrong; reload the page.",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_and_constant_time_equality() {
        assert_eq!(query_value("a=1&token=abc", "token"), Some("abc"));
        assert_eq!(query_value("tokens=abc", "token"), None);
        assert!(equal("abc", "abc"));
        assert!(!equal("abd", "abc"));
        assert!(!equal("", "abc"));
    }
}
