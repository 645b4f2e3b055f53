//! `--help`, `-help`, `-h`, `help` and `--version` forms: a tool that only prints its
//! usage changes nothing, whatever subcommand it is asked about
//! (`npx prisma migrate reset --help`, `dropdb --help`, `rails help db:drop`).
//!
//! Programs that launch other programs (wrappers, shells, package managers,
//! remote shells) are not judged here: their `--help` may belong to the
//! program they launch, which is judged in turn.

use super::super::ast::Word;
use super::Family;

/// Whether `args` only ask the program for its usage or version.
pub fn only_asks_for_help(family: Option<Family>, args: &[Word]) -> bool {
    if !matches!(
        family,
        Some(
            Family::Prisma
                | Family::Psql
                | Family::Postgres
                | Family::Migrations
                | Family::Containers
                | Family::Files
                | Family::Backups
                | Family::ObjectStorage
                | Family::Iac
                | Family::BackupTools
                | Family::Helm
                | Family::TaskRunner
                | Family::Dbguard
        )
    ) {
        return false;
    }
    let Some(first) = args.first() else { return false };
    if args.iter().any(|a| a.dynamic) {
        return false;
    }
    let last = &args[args.len() - 1].text;
    // `-h` is also a host option (`dropdb -h db farm`): only as the last word
    // does it stand for help.
    // The AWS CLI's usage is `aws SERVICE COMMAND help`, and
    // `--generate-cli-skeleton` prints a request without sending it.
    let aws_help = family == Some(Family::ObjectStorage)
        && (last == "help" || args.iter().any(|a| a.text == "--generate-cli-skeleton"));
    matches!(first.text.as_str(), "help" | "--version" | "-V" | "version")
        || last == "-h"
        || aws_help
        || args
            .iter()
            .take_while(|a| a.text != "--")
            .any(|a| matches!(a.text.as_str(), "--help" | "-help" | "-?" | "--usage"))
}
