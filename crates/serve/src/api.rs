//! The JSON API: what the cli's `--format json` prints, under `/api/`, read
//! only (approving is a person's, in the page's form); long lists by page.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, MethodRouter};
use axum::Router;
use serde::Serialize;

use crate::pages::{approvals, audit, backups, health, incidents, integrity};
use crate::paging::Paging;
use crate::{blocking, AppState};

/// Every endpoint of the API; the OpenAPI document describes exactly these.
pub fn endpoints() -> Vec<(&'static str, MethodRouter<Arc<AppState>>)> {
    vec![
        ("/api/approvals", get(list_approvals)),
        ("/api/backups", get(list_backups)),
        ("/api/health", get(show_health)),
        ("/api/validate", get(validate)),
        ("/api/audit", get(list_audit)),
        ("/api/audit/verify", get(verify_audit)),
        ("/api/incidents", get(list_incidents)),
        ("/api/incidents/{id}", get(show_incident)),
        (
            "/api/openapi.json",
            get(|| async { Json(crate::openapi::document()) }),
        ),
    ]
}

/// The API's routes.
pub fn routes() -> Router<Arc<AppState>> {
    endpoints()
        .into_iter()
        .fold(Router::new(), |router, (path, handler)| {
            router.route(path, handler)
        })
}

/// The cli's `{"error": {"message": …}}` with `status`.
fn error(status: StatusCode, message: String) -> Response {
    (
        status,
        Json(serde_json::json!({ "error": { "message": message } })),
    )
        .into_response()
}

/// A 400 for paging the API refuses.
fn bad_paging(paging: &Paging) -> Option<Response> {
    paging.invalid().map(|why| error(StatusCode::BAD_REQUEST, why))
}

/// `report` as JSON, or the cli's `{"error": {"message": …}}` with 500.
fn json(report: anyhow::Result<impl Serialize>) -> Response {
    match report {
        Ok(report) => Json(report).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
    }
}

async fn list_approvals(State(state): State<Arc<AppState>>, Query(paging): Query<Paging>) -> Response {
    if let Some(refused) = bad_paging(&paging) {
        return refused;
    }
    let mut listing = blocking(&state, approvals::listing).await;
    listing.approvals = paging.slice(&listing.approvals).to_vec();
    json(Ok(listing))
}

async fn list_backups(State(state): State<Arc<AppState>>, Query(paging): Query<Paging>) -> Response {
    if let Some(refused) = bad_paging(&paging) {
        return refused;
    }
    let listing = blocking(&state, backups::listing).await.map(|mut listing| {
        listing.backups = paging.slice(&listing.backups).to_vec();
        listing
    });
    json(listing)
}

async fn show_health(State(state): State<Arc<AppState>>) -> Response {
    json(Ok(blocking(&state, health::report).await))
}

async fn validate(State(state): State<Arc<AppState>>) -> Response {
    json(blocking(&state, integrity::validated).await)
}

async fn list_audit(State(state): State<Arc<AppState>>, Query(filter): Query<audit::Filter>) -> Response {
    if let Some(refused) = bad_paging(&filter.paging()) {
        return refused;
    }
    json(blocking(&state, move |state| audit::listing(state, &filter)).await)
}

async fn verify_audit(State(state): State<Arc<AppState>>) -> Response {
    json(blocking(&state, audit::verification).await)
}

async fn list_incidents(State(state): State<Arc<AppState>>, Query(paging): Query<Paging>) -> Response {
    if let Some(refused) = bad_paging(&paging) {
        return refused;
    }
    let listing = blocking(&state, incidents::listing).await.map(|mut listing| {
        listing.incidents = paging.slice(&listing.incidents).to_vec();
        listing
    });
    json(listing)
}

async fn show_incident(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    let shown = blocking(&state, move |state| incidents::one(state, &id)).await;
    match shown.transpose() {
        None => error(StatusCode::NOT_FOUND, "no such incident".to_string()),
        Some(incident) => json(incident),
    }
}
