//! Approvals: the pending ones with the block the agent was shown, to
//! approve (`YES` and the approver's passphrase, through
//! [`dbguard_guard::consent::approve`], exactly as `dbguard approve`) or
//! deny; then the history.

use std::sync::Arc;

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use dbguard_guard::approvals::{Listed, Listing};
use dbguard_guard::protocol::QUESTION;
use dbguard_guard::{approver, consent, Approval, Approvals};
use maud::{html, Markup};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::{action, Outcome};
use crate::layout::{notice, page};
use crate::paging::Paging;
use crate::{blocking, AppState};

const PATH: &str = "/approvals";

/// The routes of this page.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(PATH, get(show))
        .route("/approvals/{id}/approve", post(approve))
        .route("/approvals/{id}/deny", post(deny))
}

/// Every approval as `dbguard approvals` lists it, oldest first.
pub fn listing(state: &AppState) -> Listing {
    let settings = &state.dashboard.settings;
    let trusted = approver::trusted(&state.dashboard.approver_dir, &settings.state_dir()).ok();
    let now = Utc::now();
    Listing {
        approvals: Approvals::new(&settings.state_dir())
            .all()
            .iter()
            .map(|a| Listed::of(a, trusted.as_ref(), now))
            .collect(),
    }
}

async fn show(State(state): State<Arc<AppState>>, Query(paging): Query<Paging>) -> Markup {
    blocking(&state, move |state| render(state, paging, None)).await
}

/// The page, with `message` (good news or not) on top.
fn render(state: &AppState, paging: Paging, message: Option<(bool, String)>) -> Markup {
    let settings = &state.dashboard.settings;
    let now = Utc::now();
    let all = Approvals::new(&settings.state_dir()).all();
    let pending: Vec<&Approval> = all.iter().filter(|a| a.state(now) == "pending").collect();
    let mut history: Vec<Listed> = listing(state)
        .approvals
        .into_iter()
        .filter(|a| a.state != "pending")
        .collect();
    history.reverse();
    let trouble = approver::trusted(&state.dashboard.approver_dir, &settings.state_dir()).err();
    page(
        PATH,
        "Approvals",
        None,
        html! {
            @if let Some((ok, text)) = &message { (notice(*ok, text)) }
            @if let Some(e) = &trouble { (notice(false, &format!("Nothing can be approved here: {e}."))) }
            h2 { "Pending (" (pending.len()) ")" }
            @if pending.is_empty() { p class="muted" { "Nothing is waiting for a person." } }
            @for a in &pending { (pending_card(state, a)) }
            h2 { "History" }
            (paging.links(PATH, "", history.len()))
            table {
                thead { tr { th { "id" } th { "state" } th { "risk" } th { "operation" } th { "target" } th { "requested (UTC)" } th { "approved by" } } }
                tbody {
                    @for a in paging.slice(&history) {
                        tr {
                            td { code { (a.id) } }
                            td { (a.state) }
                            td class={ "risk-" (a.risk) } { (a.risk) }
                            td { code { (a.operation) } }
                            td { (a.target) }
                            td { (a.created_at.format("%Y-%m-%d %H:%M:%S")) }
                            td { (a.approved_by.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        },
    )
}

fn pending_card(state: &AppState, a: &Approval) -> Markup {
    html! {
        section class="card" id={ "approval-" (a.id) } {
            h3 { "Approval " code { (a.id) } " · " span class={ "risk-" (a.risk) } { (a.risk) " risk" } }
            pre { (a.block.trim_end_matches(QUESTION)) }
            p {
                "Target: " (a.target_display) br;
                "Folder: " (a.binding.cwd.display()) br;
                "Requested " (a.created_at.format("%Y-%m-%d %H:%M:%S")) " UTC, expires " (a.expires_at.format("%H:%M:%S")) " UTC"
            }
            form method="post" action={ "/approvals/" (a.id) "/approve" } {
                input type="hidden" name="csrf" value=(state.secrets.csrf());
                label { "Type YES to approve " input type="text" name="answer" autocomplete="off" required; }
                label { "Approver passphrase " input type="password" name="passphrase" autocomplete="off" required; }
                button type="submit" class="danger" { "Approve" }
            }
            form method="post" action={ "/approvals/" (a.id) "/deny" } class="inline" {
                input type="hidden" name="csrf" value=(state.secrets.csrf());
                button type="submit" { "Deny" }
            }
        }
    }
}

/// The approve form.
#[derive(Deserialize)]
struct Approve {
    csrf: String,
    answer: String,
    passphrase: String,
}

/// The deny form.
#[derive(Deserialize)]
struct Deny {
    csrf: String,
}

/// The page after an answer.
fn answered(state: &AppState, message: (bool, String)) -> Markup {
    render(state, Paging::default(), Some(message))
}

async fn approve(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Form(form): Form<Approve>,
) -> Response {
    let passphrase = Zeroizing::new(form.passphrase);
    let answer = form.answer;
    let work = move |state: &AppState| -> Outcome {
        let d = &state.dashboard;
        let target = || d.sources.target();
        Ok(match consent::approve(&d.settings, &d.approver_dir, &id, &answer, &passphrase, &target)? {
            Ok(given) => Ok(format!(
                "Approved {id}. The same command, run again before {} UTC, will take a verified backup and run once.{}",
                given.approval.expires_at.format("%H:%M:%S"),
                given.note.map(|n| format!(" {n}")).unwrap_or_default()
            )),
            Err(declined) => Err((StatusCode::FORBIDDEN, declined.to_string())),
        })
    };
    action(&state, &form.csrf, work, answered).await
}

async fn deny(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Form(form): Form<Deny>,
) -> Response {
    let work = move |state: &AppState| -> Outcome {
        let d = &state.dashboard;
        Ok(match consent::deny(&d.settings, &d.approver_dir, &id)? {
            Ok(denied) => Ok(format!(
                "Denied {}: it approves nothing; asked again, the operation waits for a new approval.",
                denied.id
            )),
            Err(declined) => Err((StatusCode::FORBIDDEN, declined.to_string())),
        })
    };
    action(&state, &form.csrf, work, answered).await
}
