//! Flyway and Liquibase run as build plugins: Maven goals (`mvn
//! flyway:clean`, `mvn liquibase:dropAll`), Gradle tasks (`./gradlew
//! flywayClean`, `dropAll`, `liquibaseDropAll`) and sbt tasks (`sbt
//! flywayClean`). Clean and drop-all are high; migrate, undo, repair,
//! baseline, update and rollback change the schema or its history
//! (medium). Other goals and tasks (`mvn package`) are low.

use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args, Judged, NO_VALUES};

/// Program names.
pub const NAMES: &[&str] = &["mvn", "mvnw", "gradle", "gradlew", "sbt"];

/// Classifies a command of this tool: the worst of its goals or tasks.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &NO_VALUES);
    let judged = args
        .ops()
        .iter()
        .filter_map(|task| judge(task))
        .max_by_key(|(rule, _)| rule.risk());
    report(w, inv, &args, judged);
}

/// One goal or task, its plugin prefix and case and separators ignored
/// (`flyway:clean`, `flywayClean`, `liquibase:dropAll`, `dropAll`).
fn judge(task: &str) -> Judged {
    let key: String = task
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    let flyway = key.starts_with("flyway");
    let liquibase = key.starts_with("liquibase");
    let action = key.trim_start_matches("flyway").trim_start_matches("liquibase");
    match action {
        "clean" if flyway => reset(format!("{task} drops every object in the schemas (Flyway clean)")),
        "dropall" => reset(format!(
            "{task} drops every object in the schema (Liquibase dropAll)"
        )),
        "migrate" | "undo" | "repair" | "baseline" if flyway => {
            change(format!("{task} changes the schema or its history (Flyway)"))
        }
        "update" | "changelogsync" | "clearchecksums" => {
            change(format!("{task} changes the schema or its history (Liquibase)"))
        }
        _ if action.starts_with("rollback") && (liquibase || key.starts_with("rollback")) => {
            change(format!("{task} undoes changesets (Liquibase rollback)"))
        }
        _ => None,
    }
}
