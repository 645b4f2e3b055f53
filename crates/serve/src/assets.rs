//! The style sheet and the one script, served from the binary (the
//! Content-Security-Policy allows nothing inline and nothing from elsewhere).

use std::sync::Arc;

use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;

use crate::AppState;

const CSS: &str = include_str!("../static/dashboard.css");
const REFRESH_JS: &str = include_str!("../static/refresh.js");

/// `/static/dashboard.css`, `/static/refresh.js`, and no icon.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route(
            "/static/dashboard.css",
            get(|| async { ([(CONTENT_TYPE, "text/css; charset=utf-8")], CSS) }),
        )
        .route(
            "/static/refresh.js",
            get(|| async { ([(CONTENT_TYPE, "text/javascript; charset=utf-8")], REFRESH_JS) }),
        )
}
