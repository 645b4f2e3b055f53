//! The pages, one module each.

pub mod approvals;
pub mod audit;
pub mod backups;
pub mod health;
pub mod integrity;

use std::sync::Arc;

use axum::response::Redirect;
use axum::routing::get;
use axum::Router;

use crate::AppState;

/// Every page's routes; `/` opens the approvals.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/approvals") }))
        .merge(approvals::routes())
        .merge(backups::routes())
        .merge(health::routes())
        .merge(integrity::routes())
        .merge(audit::routes())
}
