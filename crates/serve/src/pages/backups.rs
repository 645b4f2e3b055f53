//! Backups: every backup with its age, size, verification level and
//! measured restore speed, the newest verified one's age against the limits
//! `dbguard health` uses; verify, verify fully, restore into a new database.

use std::sync::Arc;

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use dbguard_backup::leftovers::Found;
use dbguard_backup::listing::{Listed, Listing, AGE_LIMIT_HOURS};
use dbguard_backup::{restore, verify, Backup, Level, RestoreOptions, Target, VerifyOptions};
use dbguard_pg::summary::human_size;
use maud::{html, Markup};
use serde::Deserialize;

use super::{action, Outcome};
use crate::layout::{notice, page, trouble};
use crate::paging::Paging;
use crate::{blocking, AppState};

const PATH: &str = "/backups";

/// The routes of this page.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(PATH, get(show))
        .route("/backups/{id}/verify", post(verify_backup))
        .route("/backups/{id}/restore", post(restore_backup))
}

/// The store's backups, newest first.
fn backups(state: &AppState) -> anyhow::Result<Vec<Backup>> {
    Ok(dbguard_guard::protocol::store(&state.dashboard.settings).list()?)
}

/// `dbguard backup list`'s listing, newest first (without connecting: the
/// temporary databases are not looked for).
pub fn listing(state: &AppState) -> anyhow::Result<Listing> {
    let store = dbguard_guard::protocol::store(&state.dashboard.settings);
    let now = Utc::now();
    Ok(Listing {
        dir: store.dir().to_path_buf(),
        backups: backups(state)?.iter().map(|b| Listed::of(b, now)).collect(),
        leftovers: Found::gather(&store, None),
    })
}

async fn show(State(state): State<Arc<AppState>>, Query(paging): Query<Paging>) -> Markup {
    blocking(&state, move |state| render(state, paging, None)).await
}

/// The newest verified backup's age, as a notice.
fn newest_verified(all: &[Backup]) -> Markup {
    let newest = all
        .iter()
        .filter(|b| b.manifest.verification.level > Level::None)
        .max_by_key(|b| b.manifest.finished_at);
    let Some(b) = newest else {
        return notice(false, "No verified backup: `dbguard backup create` takes one.");
    };
    let hours = (Utc::now() - b.manifest.finished_at).num_seconds() as f64 / 3600.0;
    let (class, verdict) = match hours {
        h if h < AGE_LIMIT_HOURS.0 => ("OK", "within"),
        h if h < AGE_LIMIT_HOURS.1 => ("WARNING", "older than the warning limit of"),
        _ => ("CRITICAL", "older than the critical limit of"),
    };
    html! {
        p id="newest-verified" {
            span class={ "level " (class) } { (class) }
            " newest verified backup " code { (b.id()) } " is " strong { (format!("{hours:.1} h")) } " old, "
            (verdict) " " (AGE_LIMIT_HOURS.0) " h (critical after " (AGE_LIMIT_HOURS.1) " h)"
        }
    }
}

fn speed(b: &Backup) -> String {
    match b.manifest.verification.restore_bytes_per_second {
        Some(rate) => format!("{}/s", human_size(rate as i64)),
        None => "not measured (verify fully)".to_string(),
    }
}

fn render(state: &AppState, paging: Paging, message: Option<(bool, String)>) -> Markup {
    let all = match backups(state) {
        Ok(all) => all,
        Err(e) => return page(PATH, "Backups", None, trouble("Cannot read the backups", &e)),
    };
    let now = Utc::now();
    let csrf = state.secrets.csrf();
    page(
        PATH,
        "Backups",
        None,
        html! {
            @if let Some((ok, text)) = &message { (notice(*ok, text)) }
            (newest_verified(&all))
            (paging.links(PATH, "", all.len()))
            table {
                thead { tr { th { "id" } th { "created (UTC)" } th { "age" } th { "size" } th { "verified" } th { "restore speed" } th { "label" } th { "actions" } } }
                tbody {
                    @for b in paging.slice(&all) {
                        @let listed = Listed::of(b, now);
                        tr {
                            td { code { (listed.id) } }
                            td { (listed.started_at.format("%Y-%m-%d %H:%M:%S")) }
                            td { (format!("{:.1} h", listed.age_seconds as f64 / 3600.0)) }
                            td { (human_size(listed.bytes as i64)) }
                            td { (listed.verified.to_string()) }
                            td { (speed(b)) }
                            td { (listed.label.as_deref().unwrap_or("")) }
                            td {
                                form method="post" action={ "/backups/" (listed.id) "/verify" } class="inline" {
                                    input type="hidden" name="csrf" value=(csrf);
                                    button type="submit" { "verify" }
                                }
                                form method="post" action={ "/backups/" (listed.id) "/verify" } class="inline" {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="full" value="1";
                                    button type="submit" { "verify --full" }
                                }
                                form method="post" action={ "/backups/" (listed.id) "/restore" } class="inline" {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="text" name="into" placeholder="new database" required size="14";
                                    button type="submit" { "restore --into" }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// The verify form.
#[derive(Deserialize)]
struct VerifyForm {
    csrf: String,
    full: Option<String>,
}

/// The restore form.
#[derive(Deserialize)]
struct RestoreForm {
    csrf: String,
    into: String,
}

/// The page after an action, with its outcome.
fn after(state: &AppState, message: (bool, String)) -> Markup {
    render(state, Paging::default(), Some(message))
}

/// `Ok(done)`, or `failed` refused as unprocessable.
fn checked(passed: bool, done: String, failed: String) -> Result<String, (StatusCode, String)> {
    match passed {
        true => Ok(done),
        false => Err((StatusCode::UNPROCESSABLE_ENTITY, failed)),
    }
}

async fn verify_backup(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Form(form): Form<VerifyForm>,
) -> Response {
    let full = form.full.is_some();
    let work = move |state: &AppState| -> Outcome {
        let settings = &state.dashboard.settings;
        let mut backup = dbguard_guard::protocol::store(settings).find(&id)?;
        let full = match full {
            true => Some(state.dashboard.sources.target()?),
            false => None,
        };
        let options = VerifyOptions {
            full,
            progress: false,
            connect_timeout: Some(settings.pool.timeout()),
        };
        let report = verify(&mut backup, &options)?;
        let failed: Vec<String> = report
            .checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| format!("{}: {}", c.check, c.detail))
            .collect();
        Ok(checked(
            report.passed,
            format!("Backup {id} verified ({}).", report.level),
            format!("Backup {id} failed verification: {}", failed.join("; ")),
        ))
    };
    action(&state, &form.csrf, work, after).await
}

async fn restore_backup(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Form(form): Form<RestoreForm>,
) -> Response {
    let into = form.into;
    let work = move |state: &AppState| -> Outcome {
        let settings = &state.dashboard.settings;
        let store = dbguard_guard::protocol::store(settings);
        let backup = store.find(&id)?;
        let url = state.dashboard.sources.target()?;
        let options = RestoreOptions {
            progress: false,
            connect_timeout: Some(settings.pool.timeout()),
            lock_timeout: None,
            reading_copy: false,
        };
        let report = restore(&store, &backup, &url, &Target::NewDatabase(into), &options)?;
        let done = format!(
            "Restored backup {id} into the new database {} in {:.1} s ({}: {}).",
            report.database, report.seconds, report.counts.check, report.counts.detail
        );
        Ok(checked(report.counts.passed, done.clone(), done))
    };
    action(&state, &form.csrf, work, after).await
}
