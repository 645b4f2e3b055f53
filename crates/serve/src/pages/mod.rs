//! The pages, one module each.

pub mod approvals;
pub mod audit;
pub mod backups;
pub mod health;
pub mod incidents;
pub mod integrity;

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

use maud::Markup;

use crate::{auth, blocking, AppState};

/// Every page's routes; `/` opens the approvals.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/approvals") }))
        .merge(approvals::routes())
        .merge(backups::routes())
        .merge(health::routes())
        .merge(integrity::routes())
        .merge(audit::routes())
        .merge(incidents::routes())
}

/// What a form's action did: done (`Ok`), or refused with its status; the
/// message is shown on top of the page.
pub type Outcome = anyhow::Result<Result<String, (StatusCode, String)>>;

/// A form's action: refused without the form's CSRF token; otherwise
/// `work` runs off the async workers and the page `render` makes is shown
/// with its outcome (a failure as 500).
pub async fn action(
    state: &Arc<AppState>,
    csrf: &str,
    work: impl FnOnce(&AppState) -> Outcome + Send + 'static,
    render: fn(&AppState, (bool, String)) -> Markup,
) -> Response {
    if let Some(refused) = auth::csrf(state, csrf) {
        return refused;
    }
    blocking(state, move |state| {
        let (status, message) = match work(state) {
            Ok(Ok(message)) => (StatusCode::OK, message),
            Ok(Err(refused)) => refused,
            Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
        };
        (status, render(state, (status == StatusCode::OK, message))).into_response()
    })
    .await
}
