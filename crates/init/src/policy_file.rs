//! `dbguard.toml` for a project that has none: the built-in policy, every
//! value explained. A project's own file is never replaced.

use std::path::Path;

use dbguard_pg::policy::POLICY_FILE;

use crate::{read, Change, Error};

/// The file `init` writes; its values are the built-in defaults (a test
/// checks that it parses to exactly `Policy::default()`).
pub const TEMPLATE: &str = r#"# dbguard's policy for this project (written by `dbguard init`).
#
# This file can only tighten dbguard's built-in policy, never loosen it: a
# looser value is an error, and so is a key dbguard does not know. The
# values below are the built-in defaults.

[backup]
# Where backups go, relative to this folder. Backups hold all the data:
# keep them out of git (`dbguard init` adds the folder to .gitignore).
dir = "backups"
# Backups younger than this many days are never pruned (at least 7).
keep_days = 7
# The newest this many backups are never pruned, however old (at least 3).
keep_last = 3
# How a backup is verified before any high-risk operation may start:
# "read" (checksums, and the whole archive read through) or "full"
# (restored into a scratch database, every table's rows counted).
# May only be raised.
verify_before_high = "read"

[approval]
# Minutes a person's approval of one operation stays valid (1 to 15).
expires_minutes = 15

# [migrations]
# The migrations folder, when it is neither prisma/migrations nor migrations.
# dir = "db/migrations"
"#;

/// The policy file to create, when the project has none.
pub fn change(dir: &Path) -> Result<Option<Change>, Error> {
    let path = dir.join(POLICY_FILE);
    if read(&path)?.is_some() {
        return Ok(None);
    }
    Ok(Some(Change {
        path,
        before: None,
        after: TEMPLATE.to_string(),
        summary: "the policy, built-in defaults explained".into(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_is_the_built_in_policy() {
        let policy = dbguard_pg::Policy::parse(TEMPLATE.as_bytes(), Path::new(POLICY_FILE)).unwrap();
        assert_eq!(policy, dbguard_pg::Policy::default());
    }
}
