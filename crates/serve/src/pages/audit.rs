//! Audit: the log, newest first, filtered by risk, outcome and agent;
//! whether its chain verifies (`dbguard audit verify`); the refusals the
//! database recorded itself when `protect` is on.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::Router;
use dbguard_guard::audit::Reading;
use dbguard_guard::audit::{Listing, Verification};
use dbguard_guard::protect::Refusal;
use dbguard_guard::protocol::read_project_log;
use dbguard_guard::Entry;
use maud::{html, Markup};
use serde::Deserialize;

use crate::layout::{notice, page, trouble};
use crate::paging::Paging;
use crate::{blocking, AppState};

const PATH: &str = "/audit";

/// How many of the database's refusals are shown.
const REFUSALS: i64 = 50;

/// The routes of this page.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route(PATH, get(show))
}

/// `?risk=&outcome=&agent=` (`agent=none`: no agent), and the page.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Filter {
    /// `low`, `medium` or `high`.
    pub risk: Option<String>,
    /// An outcome such as `executed` or `pending-approval`.
    pub outcome: Option<String>,
    /// An agent's variable, or `none`.
    pub agent: Option<String>,
    /// The page, from 1.
    pub page: Option<usize>,
    /// Rows on a page.
    pub per_page: Option<usize>,
}

impl Filter {
    /// The page asked for.
    pub fn paging(&self) -> Paging {
        Paging {
            page: self.page,
            per_page: self.per_page,
        }
    }

    fn wanted(value: &Option<String>) -> Option<&str> {
        value.as_deref().filter(|v| !v.is_empty())
    }

    /// Whether `entry` passes.
    pub fn keeps(&self, entry: &Entry) -> bool {
        Filter::wanted(&self.risk).is_none_or(|r| entry.risk == r)
            && Filter::wanted(&self.outcome).is_none_or(|o| entry.outcome == o)
            && Filter::wanted(&self.agent).is_none_or(|a| match a {
                "none" => entry.agent.is_none(),
                a => entry.agent.as_deref() == Some(a),
            })
    }

    /// The filter as a query, for the pager's links.
    fn query(&self) -> String {
        [
            ("risk", &self.risk),
            ("outcome", &self.outcome),
            ("agent", &self.agent),
        ]
        .iter()
        .filter_map(|(k, v)| Filter::wanted(v).map(|v| format!("{k}={}&", encode(v))))
        .collect()
    }
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The database's own refusals, when it can be reached and is protected.
fn refusals(state: &AppState) -> Vec<Refusal> {
    state
        .dashboard
        .sources
        .target()
        .ok()
        .and_then(|url| dbguard_pg::connect(&url, state.dashboard.settings.pool.timeout()).ok())
        .and_then(|mut client| dbguard_guard::protect::refusals(&mut client, REFUSALS).ok())
        .unwrap_or_default()
}

/// The log as last read, and what `audit verify` said of it.
#[derive(Clone)]
pub struct Read {
    /// The reading, continued by the next read.
    pub reading: Reading,
    /// `dbguard audit verify`.
    pub verification: Verification,
}

/// The last read of the log. Parsing and verifying 100,000 entries takes
/// longer than a page may, and the log only grows when dbguard appends to
/// it, so each read continues the last one: only the lines appended since
/// are parsed and checked (the guard's [`Reading`] reads the whole log again
/// when anything before them changed).
#[derive(Default)]
pub struct Cache(std::sync::Mutex<Option<Arc<Read>>>);

/// The log as it is now.
pub fn read(state: &AppState) -> anyhow::Result<Arc<Read>> {
    let d = &state.dashboard;
    let mut cached = state
        .audit
        .0
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let previous = cached
        .take()
        .map(|read| Arc::unwrap_or_clone(read).reading)
        .unwrap_or_default();
    let (reading, verification) = read_project_log(&d.settings.state_dir(), &d.approver_dir, previous)?;
    let read = Arc::new(Read {
        reading,
        verification,
    });
    *cached = Some(read.clone());
    Ok(read)
}

/// The entries `filter` keeps, newest first.
fn kept<'r>(read: &'r Read, filter: &Filter) -> Vec<&'r Entry> {
    read.reading
        .entries()
        .iter()
        .rev()
        .filter(|e| filter.keeps(e))
        .collect()
}

/// `dbguard audit`'s listing, newest first, of the page of entries `filter` keeps.
pub fn listing(state: &AppState, filter: &Filter) -> anyhow::Result<Listing> {
    let read = read(state)?;
    Ok(Listing {
        entries: filter
            .paging()
            .slice(&kept(&read, filter))
            .iter()
            .map(|e| (*e).clone())
            .collect(),
        refusals: refusals(state),
    })
}

/// `dbguard audit verify`.
pub fn verification(state: &AppState) -> anyhow::Result<Verification> {
    Ok(read(state)?.verification.clone())
}

async fn show(State(state): State<Arc<AppState>>, Query(filter): Query<Filter>) -> Markup {
    blocking(&state, move |state| render(state, &filter)).await
}

fn select(name: &str, label: &str, chosen: Option<&str>, options: &[&str]) -> Markup {
    html! {
        label { (label) " "
            select name=(name) {
                option value="" { "any" }
                @for o in options { option value=(o) selected[chosen == Some(*o)] { (o) } }
            }
        }
    }
}

fn render(state: &AppState, filter: &Filter) -> Markup {
    let read = match read(state) {
        Ok(read) => read,
        Err(e) => return page(PATH, "Audit", None, trouble("Cannot read the log", &e)),
    };
    let v = &read.verification;
    let verified = match v.intact {
        true => notice(
            true,
            &format!("audit verify: the log is intact ({} entries).", v.lines),
        ),
        false => notice(
            false,
            &format!(
                "audit verify: the log was tampered with: {}",
                v.problems.join("; ")
            ),
        ),
    };
    let entries = kept(&read, filter);
    let refusals = refusals(state);
    let paging = filter.paging();
    let outcomes = [
        "executed",
        "failed",
        "pending-approval",
        "refused",
        "cancelled",
        "approved",
        "denied",
        "approval-used",
    ];
    page(
        PATH,
        "Audit",
        None,
        html! {
            (verified)
            form method="get" action=(PATH) {
                (select("risk", "risk", Filter::wanted(&filter.risk), &["low", "medium", "high"]))
                (select("outcome", "outcome", Filter::wanted(&filter.outcome), &outcomes))
                (select("agent", "agent", Filter::wanted(&filter.agent),
                    &["none", "CLAUDECODE", "CURSOR_AGENT", "GEMINI_CLI", "REPLIT_CLI", "CODEX_SANDBOX"]))
                button type="submit" { "filter" }
            }
            (paging.links(PATH, &filter.query(), entries.len()))
            table {
                thead { tr { th { "#" } th { "time (UTC)" } th { "outcome" } th { "risk" } th { "agent" } th { "user" } th { "operation" } th { "backup" } } }
                tbody {
                    @for e in paging.slice(&entries) {
                        tr {
                            td { (e.seq) }
                            td { (e.time.format("%Y-%m-%d %H:%M:%S")) }
                            td { (e.outcome) }
                            td class={ "risk-" (e.risk) } { (e.risk) }
                            td { (e.agent.as_deref().unwrap_or("")) }
                            td { (e.os_user) }
                            td { code { (e.operation) } }
                            td { (e.backup.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
            @if !refusals.is_empty() {
                h2 { "Refused inside the database (protect), newest first" }
                table {
                    thead { tr { th { "at" } th { "rule" } th { "role" } th { "statement" } th { "detail" } } }
                    tbody {
                        @for r in &refusals {
                            tr {
                                td { (r.at) }
                                td { code { (r.rule) } }
                                td { (r.session_role.as_deref().unwrap_or("?")) }
                                td { code { (r.statement.as_deref().unwrap_or("")) } }
                                td { (r.detail) }
                            }
                        }
                    }
                }
            }
        },
    )
}
