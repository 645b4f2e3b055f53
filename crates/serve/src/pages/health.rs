//! Health: every check of `dbguard health` with its level, reloading
//! itself; the Prometheus exposition at `/metrics`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use dbguard_pg::health::HealthReport;
use maud::{html, Markup};

use crate::layout::page;
use crate::{blocking, AppState};

const PATH: &str = "/health";

/// How often the page reloads itself.
const REFRESH_SECONDS: u32 = 15;

/// The routes of this page, and `/metrics`.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(PATH, get(show))
        .route("/metrics", get(metrics))
}

/// `dbguard health`'s report.
pub fn report(state: &AppState) -> HealthReport {
    HealthReport::new(state.dashboard.sources.health())
}

async fn show(State(state): State<Arc<AppState>>) -> Markup {
    let report = blocking(&state, report).await;
    page(
        PATH,
        "Health",
        Some(REFRESH_SECONDS),
        html! {
            p { "Overall: " span class={ "level " (report.status.name()) } { (report.status.name()) }
                span class="muted" { " · reloads every " (REFRESH_SECONDS) " s · " a href="/metrics" { "Prometheus metrics" } } }
            table {
                thead { tr { th { "level" } th { "check" } th { "summary" } th { "value" } } }
                tbody {
                    @for c in &report.checks {
                        tr {
                            td { span class={ "level " (c.level.name()) } { (c.level.name()) } }
                            td { (c.name) }
                            td { (c.summary) }
                            td { (c.value.map(|v| v.to_string()).unwrap_or_default()) }
                        }
                    }
                }
            }
        },
    )
}

async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let report = blocking(&state, report).await;
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        report.prometheus(),
    )
}
