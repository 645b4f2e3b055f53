//! Incidents: every incident of the project, newest first, whether it is
//! open and the database frozen, how far it went; an incident's page has
//! its steps, the scope (rows lost, changed and added per table and per
//! farm), the recoveries, the verification, and the report once closed.
//!
//! Read only: an incident moves on by a person's `dbguard incident` steps
//! at the terminal (freezing, recovering and closing change the live
//! database, and some go through the approval protocol).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use dbguard_incident::compare::Counts;
use dbguard_incident::scope::ScopeReport;
use dbguard_incident::start::frozen;
use dbguard_incident::{Incident, Incidents};
use maud::{html, Markup};
use serde::Serialize;

use crate::layout::{notice, page, trouble};
use crate::paging::Paging;
use crate::{blocking, AppState};

const PATH: &str = "/incidents";

/// The routes of this page.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(PATH, get(show_list))
        .route("/incidents/{id}", get(show_one))
}

/// The incidents, newest first, as `/api/incidents` lists them (each as
/// `dbguard --format json incident status` prints it).
#[derive(Debug, Serialize)]
pub struct Listing {
    /// The incidents.
    pub incidents: Vec<Incident>,
}

fn incidents(state: &AppState) -> Incidents {
    Incidents::new(&state.dashboard.settings.state_dir())
}

/// Every incident, newest first.
pub fn listing(state: &AppState) -> anyhow::Result<Listing> {
    let mut incidents = incidents(state).list()?;
    incidents.reverse();
    Ok(Listing { incidents })
}

/// Incident `id` (`None` when there is none of that id).
pub fn one(state: &AppState, id: &str) -> anyhow::Result<Option<Incident>> {
    Ok(incidents(state).list()?.into_iter().find(|i| i.id == id))
}

/// How far an incident went, in a word.
fn phase(i: &Incident) -> &'static str {
    match () {
        _ if !i.is_open() => "closed",
        _ if i.verification.is_some() => "verified",
        _ if !i.recoveries.is_empty() => "recovered",
        _ if i.scope.is_some() => "scoped",
        _ => "opened",
    }
}

fn freeze(i: &Incident) -> String {
    match &i.freeze {
        Some(f) if frozen(i) => format!("frozen since {}", f.at.format("%Y-%m-%d %H:%M:%S")),
        Some(f) => format!(
            "not frozen (lifted {})",
            f.lifted_at
                .map(|at| at.format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default()
        ),
        None => "not frozen".to_string(),
    }
}

/// The reminder that this page only shows.
fn read_only() -> Markup {
    html! {
        p class="muted" {
            "Read only: an incident moves on by a person's steps at the terminal, "
            code { "dbguard incident scope | recover | verify | close" }
            " (they change the live database, and some ask for approval)."
        }
    }
}

async fn show_list(State(state): State<Arc<AppState>>, Query(paging): Query<Paging>) -> Markup {
    blocking(&state, move |state| render_list(state, paging)).await
}

fn render_list(state: &AppState, paging: Paging) -> Markup {
    let all = match listing(state) {
        Ok(listing) => listing.incidents,
        Err(e) => return page(PATH, "Incidents", None, trouble("Cannot read the incidents", &e)),
    };
    let open = all.iter().filter(|i| i.is_open()).count();
    page(
        PATH,
        "Incidents",
        None,
        html! {
            (read_only())
            @if all.is_empty() {
                (notice(true, "No incident: `dbguard incident start` opens one when data is lost."))
            } @else {
                (notice(open == 0, &format!("{open} open incident(s) of {}.", all.len())))
                (paging.links(PATH, "", all.len()))
                table {
                    thead { tr { th { "id" } th { "title" } th { "opened (UTC)" } th { "by" } th { "database" } th { "status" } th { "freeze" } th { "steps" } } }
                    tbody {
                        @for i in paging.slice(&all) {
                            tr {
                                td { a href={ "/incidents/" (i.id) } { code { (i.id) } } }
                                td { (i.title) }
                                td { (i.opened_at.format("%Y-%m-%d %H:%M:%S")) }
                                td { (i.opened_by) }
                                td { (i.database) }
                                td { (if i.is_open() { "open" } else { "closed" }) ", " (phase(i)) }
                                td class=[frozen(i).then_some("risk-high")] { (freeze(i)) }
                                td { (i.steps.len()) }
                            }
                        }
                    }
                }
            }
        },
    )
}

async fn show_one(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    blocking(&state, move |state| {
        let title = format!("Incident {id}");
        match one(state, &id) {
            Ok(Some(incident)) => render_one(state, &incident).into_response(),
            Ok(None) => (
                StatusCode::NOT_FOUND,
                page(
                    PATH,
                    &title,
                    None,
                    notice(false, "There is no incident of that id."),
                ),
            )
                .into_response(),
            Err(e) => page(PATH, &title, None, trouble("Cannot read the incidents", &e)).into_response(),
        }
    })
    .await
}

fn counts(c: &Counts) -> Markup {
    html! {
        td class=[(c.lost > 0).then_some("risk-high")] { (c.lost) }
        td { (c.changed) }
        td { (c.added) }
    }
}

fn farm_name(farm: &str) -> &str {
    if farm.is_empty() {
        "(no farm)"
    } else {
        farm
    }
}

fn scope(s: &ScopeReport) -> Markup {
    html! {
        h2 { "Scope" }
        p {
            "Compared the live database with backup " code { (s.backup.id) }
            " (taken " (s.backup.taken_at.format("%Y-%m-%d %H:%M:%S")) " UTC, verified " (s.backup.verified.to_string())
            "; " (s.backup.why) ") in " code { (s.side_database) } ", at " (s.at.format("%Y-%m-%d %H:%M:%S")) " UTC."
        }
        @match &s.cause {
            Some(c) => p id="cause" {
                "Most likely cause: audit entry " (c.seq) " at " (c.time.format("%Y-%m-%d %H:%M:%S")) " UTC, "
                code { (c.operation) } " (" span class={ "risk-" (c.risk) } { (c.risk) } " risk, by " (c.os_user)
                @if let Some(agent) = &c.agent { ", agent " (agent) }
                ", approval " (c.approval.as_deref().unwrap_or("none")) ")"
            },
            None => p { "No operation in the audit log stands out as the cause." },
        }
        table id="scope-tables" {
            thead { tr { th { "table / farm" } th { "lost" } th { "changed" } th { "added" } th { "note" } } }
            tbody {
                @for t in s.tables.iter().filter(|t| t.counts.any()) {
                    tr { td { code { (t.table) } } (counts(&t.counts))
                         td { (t.not_compared.as_deref().map(|why| format!("not compared row by row: {why}")).unwrap_or_default()) } }
                    @for (farm, c) in &t.farms {
                        tr class="muted" { td { "  " (farm_name(farm)) } (counts(c)) td {} }
                    }
                }
                @for (table, rows) in &s.new_tables {
                    tr { td { code { (table) } } td colspan="4" { "new since the backup, " (rows) " rows" } }
                }
                tr { th { "total" } (counts(&s.totals)) td {} }
            }
        }
        @if !s.farms.is_empty() {
            h3 { "Per farm" }
            table id="scope-farms" {
                thead { tr { th { "farm" } th { "lost" } th { "changed" } th { "added" } } }
                tbody { @for (farm, c) in &s.farms { tr { td { (farm_name(farm)) } (counts(c)) } } }
            }
        }
    }
}

fn render_one(state: &AppState, i: &Incident) -> Markup {
    let report = match i.is_open() {
        true => None,
        false => std::fs::read_to_string(incidents(state).dir_of(&i.id).join("report.md")).ok(),
    };
    page(
        PATH,
        &format!("Incident {}", i.id),
        None,
        html! {
            (read_only())
            p id="summary" {
                strong { (i.title) } " · " (if i.is_open() { "open" } else { "closed" }) ", " (phase(i))
                " · " span class=[frozen(i).then_some("risk-high")] { (freeze(i)) } br;
                "database " code { (i.target) } ", opened " (i.opened_at.format("%Y-%m-%d %H:%M:%S")) " UTC by " (i.opened_by)
                @if let Some(closed) = i.closed_at { ", closed " (closed.format("%Y-%m-%d %H:%M:%S")) " UTC" }
                @if let Some(side) = &i.side { br; "side database " code { (side.name) } " (backup " code { (side.backup) } ")" }
            }
            h2 { "Steps" }
            table id="steps" {
                thead { tr { th { "time (UTC)" } th { "step" } th { "what it did" } } }
                tbody {
                    @for s in &i.steps {
                        tr { td { (s.time.format("%Y-%m-%d %H:%M:%S")) } td { code { (s.step) } } td { (s.detail) } }
                    }
                }
            }
            @if let Some(s) = &i.scope { (scope(s)) }
            @if !i.recoveries.is_empty() {
                h2 { "Recoveries" }
                table {
                    thead { tr { th { "at (UTC)" } th { "kind" } th { "backup" } th { "farm" } th { "rows put back" } } }
                    tbody {
                        @for r in &i.recoveries {
                            tr { td { (r.at.format("%Y-%m-%d %H:%M:%S")) } td { (r.kind) } td { code { (r.backup) } }
                                 td { (r.farm.as_deref().unwrap_or("all")) } td { (r.inserted()) } }
                        }
                    }
                }
            }
            @if let Some(v) = &i.verification {
                h2 { "Verification" }
                p { span class={ "level " (if v.clean { "OK" } else { "CRITICAL" }) } { (if v.clean { "clean" } else { "problems found" }) }
                    " at " (v.at.format("%Y-%m-%d %H:%M:%S")) " UTC" }
                ul { @for line in v.lines() { li { (line) } } }
            }
            @if !i.checklist.is_empty() {
                h2 { "Post-incident checklist" }
                ul { @for c in &i.checklist { li { (c.item) ": " (c.status.label()) @if !c.note.is_empty() { " (" (c.note) ")" } } } }
            }
            @if let Some(report) = report {
                h2 { "Report" }
                pre id="report" { (report) }
            }
        },
    )
}
