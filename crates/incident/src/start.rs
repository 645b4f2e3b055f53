//! `incident start`: opens an incident, or resumes the one open on this
//! database, and freezes the database when asked (a person confirms it
//! through the protocol, shown the sessions that will end).

use chrono::Utc;
use dbguard_guard::protocol::Operation;
use dbguard_risk::Verdict;

use crate::freeze::{self, Freeze};
use crate::{Context, Incident};

/// Opens an incident titled `title` on the live database, or returns the
/// one already open on it (a rerun after a crash continues it).
pub fn open(ctx: &Context, title: &str) -> anyhow::Result<(Incident, bool)> {
    let target = ctx.url.redacted();
    if let Some(open) = ctx
        .incidents
        .list()?
        .into_iter()
        .find(|i| i.is_open() && i.target == target)
    {
        return Ok((open, false));
    }
    let mut live = ctx.live("start")?;
    let database: String = live.query_one("SELECT current_database()::text", &[])?.get(0);
    let now = Utc::now();
    let mut incident = Incident::opened(
        ctx.incidents.new_id(now),
        title.to_string(),
        (now, dbguard_pg::osuser::current_user_name()),
        target,
        database,
    );
    ctx.record(&mut incident, "start", format!("opened: {title}"))?;
    Ok((incident, true))
}

/// Whether `incident`'s database is frozen by it now.
pub fn frozen(incident: &Incident) -> bool {
    incident.freeze.as_ref().is_some_and(|f| f.lifted_at.is_none())
}

/// The operation and verdict a freeze goes through the protocol with.
pub fn freeze_operation(ctx: &Context, incident: &Incident) -> anyhow::Result<(Operation, Verdict)> {
    let sessions = freeze::sessions(&mut ctx.live("start")?)?;
    let text = format!(
        "dbguard incident start {} --freeze {}",
        incident.id, incident.database
    );
    let verdict = freeze::verdict(&incident.database, &sessions, &text);
    Ok((ctx.operation(text), verdict))
}

/// Freezes `incident`'s database (again, when rerun): the setting it had is
/// recorded first, so unfreezing puts it back even after a crash.
pub fn freeze(ctx: &Context, incident: &mut Incident) -> anyhow::Result<Freeze> {
    let mut live = ctx.live("start")?;
    if !frozen(incident) {
        incident.freeze = Some(freeze::prepare(&mut live)?);
        ctx.incidents.save(incident)?;
    }
    let mut frozen = incident.freeze.clone().expect("prepared");
    freeze::apply(&mut live, &mut frozen)?;
    let detail = format!(
        "froze {}: new sessions are read-only; {} session(s) ended{}; undo: {}",
        frozen.database,
        frozen.ended.len(),
        match frozen.ended.is_empty() {
            true => String::new(),
            false => format!(
                " ({})",
                frozen
                    .ended
                    .iter()
                    .map(freeze::Session::describe)
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        },
        frozen.undo_sql()
    );
    incident.freeze = Some(frozen.clone());
    ctx.record(incident, "freeze", detail)?;
    Ok(frozen)
}
