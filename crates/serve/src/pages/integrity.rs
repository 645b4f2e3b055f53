//! Integrity: `dbguard validate`'s checks, with the ids of the offending
//! rows (the guide's validation hook, on the real database).

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use dbguard_farm::validate::Validated;
use maud::{html, Markup};

use crate::layout::{page, trouble};
use crate::{blocking, AppState};

const PATH: &str = "/integrity";

/// The routes of this page.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route(PATH, get(show))
}

/// `dbguard validate`'s report on the target database.
pub fn validated(state: &AppState) -> anyhow::Result<Validated> {
    let url = state.dashboard.sources.target()?;
    let mut client = dbguard_pg::connect(&url, state.dashboard.settings.pool.timeout())?;
    dbguard_farm::validate::run(&mut client, &mut |_, _| {})
        .map_err(|e| anyhow::anyhow!("{}", dbguard_pg::connect::describe(&e)))
}

async fn show(State(state): State<Arc<AppState>>) -> Markup {
    let validated = match blocking(&state, validated).await {
        Ok(v) => v,
        Err(e) => return page(PATH, "Integrity", None, trouble("Cannot validate", &e)),
    };
    let v = &validated.validation;
    page(
        PATH,
        "Integrity",
        None,
        html! {
            p id="verdict" {
                @if validated.valid {
                    span class="level OK" { "VALID" } " " (v.checks) " checks passed"
                } @else {
                    span class="level CRITICAL" { "INVALID" } " "
                    (v.findings.len()) " of " (v.checks) " checks found problems, " (v.failures.len()) " could not run"
                }
                span class="muted" { (format!(" ({:.2} s)", validated.seconds)) }
            }
            @if !v.findings.is_empty() {
                table {
                    thead { tr { th { "check" } th { "rows" } th { "problem" } th { "offending ids" } } }
                    tbody {
                        @for f in &v.findings {
                            tr {
                                td { code { (f.check) } }
                                td { (f.total) }
                                td { (f.message) }
                                td { (f.ids.join(", ")) @if f.total > f.ids.len() as i64 { " …" } }
                            }
                        }
                    }
                }
            }
            @for f in &v.failures {
                p class="level CRITICAL" { (f.check) ": could not check: " (f.reason) }
            }
        },
    )
}
