//! The catalogue of rules: a stable kebab-case id, a risk and a one-line
//! summary each. Ids never change meaning; new behaviour gets a new id.

use serde::{Serialize, Serializer};

use crate::verdict::Risk;

macro_rules! rules {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal, $risk:ident, $summary:literal; )*) => {
        /// Every rule dbguard's classifier knows.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Rule {
            $( $(#[$doc])* $variant, )*
        }

        impl Rule {
            /// Every rule, in catalogue order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),*];

            /// The stable id, e.g. `drop-table`.
            pub fn id(self) -> &'static str {
                match self { $(Rule::$variant => $id,)* }
            }

            /// The risk a finding of this rule carries.
            pub fn risk(self) -> Risk {
                match self { $(Rule::$variant => Risk::$risk,)* }
            }

            /// What the rule catches, in one line.
            pub fn summary(self) -> &'static str {
                match self { $(Rule::$variant => $summary,)* }
            }
        }
    };
}

rules! {
    // SQL
    /// DROP DATABASE.
    DropDatabase = "drop-database", High, "DROP DATABASE deletes a whole database";
    /// DROP SCHEMA.
    DropSchema = "drop-schema", High, "DROP SCHEMA deletes every object in the schema";
    /// DROP TABLE.
    DropTable = "drop-table", High, "DROP TABLE deletes the table and its rows";
    /// DROP OWNED.
    DropOwned = "drop-owned", High, "DROP OWNED deletes every object a role owns";
    /// Any other DROP … CASCADE.
    DropCascade = "drop-cascade", High, "DROP … CASCADE also drops dependent objects, columns and tables included";
    /// DROP of an object that holds no rows (view, sequence, function, type, …).
    DropObject = "drop-object", Medium, "DROP of a view, sequence, function, type or similar object";
    /// DROP INDEX.
    DropIndex = "drop-index", Medium, "DROP INDEX removes an index (queries may slow down, uniqueness may be lost)";
    /// ALTER TABLE … DROP CONSTRAINT.
    DropConstraint = "drop-constraint", Medium, "dropping a constraint lets invalid or duplicate data in";
    /// ALTER TABLE … DROP COLUMN.
    DropColumn = "drop-column", High, "DROP COLUMN deletes the column's data";
    /// ALTER TABLE … ALTER COLUMN … TYPE.
    AlterColumnType = "alter-column-type", High, "changing a column's type rewrites the table and can lose or reject data";
    /// RENAME of a table, column or other object.
    Rename = "rename", Medium, "renaming breaks every query that uses the old name";
    /// TRUNCATE.
    Truncate = "truncate", High, "TRUNCATE deletes every row (and ignores row-level security)";
    /// DELETE that can touch more than one row.
    DeleteManyRows = "delete-many-rows", High, "DELETE without equality on a key can delete more than one row";
    /// UPDATE that can touch more than one row.
    UpdateManyRows = "update-many-rows", High, "UPDATE without equality on a key can change more than one row";
    /// MERGE.
    Merge = "merge", High, "MERGE can update or delete many rows";
    /// SQL that alters or drops dbguard's guards inside the database, or writes its schema.
    GuardTamper = "guard-tamper", High, "SQL that switches off or forges dbguard's guards inside the database (event triggers, its triggers, the dbguard schema)";
    /// A one-row DELETE whose ON DELETE CASCADE reaches rows in other tables (found on the live database).
    CascadeDelete = "cascade-delete", High, "a DELETE of one row whose ON DELETE CASCADE reaches rows in other tables";
    /// DELETE or UPDATE pinned to one row by a key.
    WriteOneRow = "write-one-row", Low, "DELETE or UPDATE of one row, pinned by equality on a key";
    /// ALTER TABLE … SET UNLOGGED.
    SetUnlogged = "set-unlogged", High, "an unlogged table is emptied after a crash and is absent from standbys and base backups";
    /// ALTER SYSTEM SET fsync | full_page_writes = off.
    DisableDurability = "disable-durability", High, "turning fsync or full_page_writes off can corrupt the database on a crash";
    /// Other schema changes (CREATE, ALTER, COMMENT, …).
    SchemaChange = "schema-change", Medium, "a schema change outside a reviewed migration";
    /// ALTER TABLE … DISABLE / NO FORCE ROW LEVEL SECURITY.
    DisableRowSecurity = "disable-row-security", High, "turning row-level security off removes tenant isolation";
    /// ALTER ROLE or CREATE ROLE … BYPASSRLS or SUPERUSER.
    BypassRowSecurity = "bypass-row-security", High, "a role that bypasses row-level security sees and changes every tenant's rows";
    /// DROP POLICY.
    DropPolicy = "drop-policy", High, "DROP POLICY removes a row-level security policy (tenant isolation)";
    /// A permissive CREATE POLICY, ALTER POLICY.
    LoosenPolicy = "loosen-policy", High, "a permissive or changed row-level security policy can let a tenant's rows through to others";
    /// SET session_replication_role, ALTER TABLE … DISABLE TRIGGER.
    DisableTriggers = "disable-triggers", High, "switches off triggers and foreign-key checks (and dbguard's guard in the database)";
    /// REASSIGN OWNED.
    ReassignOwned = "reassign-owned", High, "REASSIGN OWNED hands every object of a role to another, bypassing ownership checks";
    /// GRANT, REVOKE, roles.
    PermissionChange = "permission-change", Medium, "a change of roles or privileges";
    /// CALL of a procedure.
    CallProcedure = "call-procedure", Medium, "CALL runs a procedure whose effects dbguard cannot see";
    /// Functions that run SQL elsewhere or delete data outside tables.
    DangerousFunction = "dangerous-function", High, "a function that runs unseen SQL or deletes data outside tables (dblink_exec, lo_unlink, …)";
    /// pg_terminate_backend and friends.
    TerminateSession = "terminate-session", Medium, "ends other sessions, rolling back their work";
    /// COPY … PROGRAM.
    CopyProgram = "copy-program", High, "COPY … PROGRAM runs a shell command on the database server";
    /// SQL built at run time that cannot be read.
    DynamicSql = "dynamic-sql", High, "SQL built at run time (EXECUTE, \\gexec, a prepared statement) that dbguard cannot read";
    /// SQL that PostgreSQL's parser rejects.
    SqlUnparseable = "sql-unparseable", High, "the SQL could not be analysed, so it is treated as the worst it could be";

    // Shell: Prisma
    /// prisma migrate reset.
    PrismaMigrateReset = "prisma-migrate-reset", High, "prisma migrate reset drops the database and re-creates it";
    /// prisma db push --force-reset.
    PrismaForceReset = "prisma-force-reset", High, "prisma db push --force-reset drops every table first";
    /// prisma db push --accept-data-loss.
    PrismaAcceptDataLoss = "prisma-accept-data-loss", High, "prisma db push --accept-data-loss applies changes that delete data";
    /// prisma db push.
    PrismaDbPush = "prisma-db-push", Medium, "prisma db push changes the schema without a migration";
    /// prisma migrate dev.
    PrismaMigrateDev = "prisma-migrate-dev", Medium, "prisma migrate dev applies migrations and may ask to reset the database";
    /// prisma migrate deploy.
    PrismaMigrateDeploy = "prisma-migrate-deploy", Medium, "prisma migrate deploy applies pending migrations that dbguard has not linted";
    /// prisma migrate resolve.
    PrismaMigrateResolve = "prisma-migrate-resolve", Medium, "prisma migrate resolve rewrites the migration history";
    /// prisma db seed.
    PrismaDbSeed = "prisma-db-seed", Medium, "prisma db seed runs the project's seed script, which dbguard does not read";

    // Shell: PostgreSQL tools and servers
    /// dropdb.
    Dropdb = "dropdb", High, "dropdb deletes a whole database";
    /// pg_restore --clean.
    PgRestoreClean = "pg-restore-clean", High, "pg_restore --clean drops every object before restoring it";
    /// pg_restore into a database.
    PgRestore = "pg-restore", Medium, "pg_restore writes into an existing database";
    /// Interactive psql.
    InteractiveSession = "interactive-session", Medium, "an interactive session: dbguard cannot see what will be run";
    /// SQL from a source that cannot be read.
    SqlUnreadable = "sql-unreadable", High, "the SQL comes from a file or stream dbguard cannot read";
    /// pg_ctl stop and friends.
    ServerControl = "server-control", Medium, "stops or restarts a database server";
    /// pg_dropcluster, pg_resetwal.
    DestroyCluster = "destroy-cluster", High, "destroys or rewrites a database cluster's files";
    /// supabase db reset.
    SupabaseDbReset = "supabase-db-reset", High, "supabase db reset drops and re-creates the local database";
    /// docker compose down -v, docker volume rm.
    DockerVolumeRemoval = "docker-volume-removal", High, "removes Docker volumes, where database files live";

    // Shell: files
    /// rm / find -delete of backups.
    DeleteBackups = "delete-backups", High, "deletes backups, the last line of defence";
    /// rm of PostgreSQL data folders.
    DeleteDatabaseFiles = "delete-database-files", High, "deletes PostgreSQL data files";
    /// rm -r of a path dbguard cannot see.
    DeleteUnseenFiles = "delete-unseen-files", Medium, "recursive delete of a path known only at run time";

    // Shell: other tools
    /// Drop/reset commands of ORMs and frameworks.
    FrameworkReset = "framework-reset", High, "a framework command that drops or empties the database";
    /// Schema sync/rollback commands of ORMs and frameworks.
    FrameworkSchemaChange = "framework-schema-change", Medium, "a framework command that changes the schema outside reviewed migrations";
    /// A subcommand of a known database tool that dbguard does not know.
    UnknownSubcommand = "unknown-subcommand", High, "a database tool's subcommand that dbguard does not know";
    /// npm/pnpm/yarn/bun script that cannot be resolved.
    ScriptUnresolved = "script-unresolved", Medium, "a database script whose definition cannot be found";
    /// A high-risk finding of the migration lint in a pending migration.
    MigrationLint = "migration-lint", High, "a pending migration has a high-risk lint finding";
    /// LD_PRELOAD, BASH_ENV, NODE_OPTIONS=--require …: code loaded before a program starts.
    StartupCode = "startup-code", High, "an environment variable loads code into programs before they start (LD_PRELOAD, BASH_ENV, NODE_OPTIONS --require), code dbguard cannot see";
    /// A command or a file tool reading dbguard's own credentials.
    ReadDbguardSecret = "read-dbguard-secret", High, "reads a credential only dbguard uses: the local server's superuser password or an open window's token";
    /// An agent's file tool writing dbguard's state, policy, approver, hook settings or backups.
    ProtectedFileWrite = "protected-file-write", High, "a file tool writes dbguard's own state, policy, approver folder, an agent's hook settings, a backup, psql's start-up file or a git hook";
    /// `dbguard restore` over the live database.
    RestoreOverLive = "restore-over-live", High, "dbguard restore without --into replaces all of the live database";
    /// `dbguard incident start` freezing the database.
    IncidentFreeze = "incident-freeze", Medium, "dbguard incident start makes the database read-only for all but dbguard and ends its open sessions";
    /// `dbguard incident recover` putting lost rows back.
    IncidentRecover = "incident-recover", Medium, "dbguard incident recover inserts the rows lost since a backup into the live database";
    /// `dbguard approve` on a command line.
    ApprovalFromCommand = "approval-from-command", High, "approvals come from a person at their own terminal, never from a command an agent runs";
    /// A command whose name or script is only known at run time.
    DynamicCommand = "dynamic-command", High, "a command or script known only at run time (eval, $CMD, bash -c \"$X\")";

    /// terraform/tofu/pulumi/cdk/sst/serverless destroy of a database, volume or backups.
    IacDestroy = "iac-destroy", High, "destroys infrastructure that holds a database, a volume or backups";
    /// The same, when the configuration shows no such resource.
    IacDestroyOther = "iac-destroy-other", Medium, "destroys infrastructure (no database, volume or backups seen in its configuration)";
    /// kubectl delete of a namespace, PVC, StatefulSet or PostgreSQL cluster; helm uninstall of one.
    KubernetesDelete = "kubernetes-delete", High, "deletes a namespace, volume claim, stateful set or PostgreSQL cluster";
    /// pgBackRest, WAL-G, Barman, pg_archivecleanup deleting backups or WAL.
    BackupToolDelete = "backup-tool-delete", High, "a backup tool deletes backups or archived WAL, or restores over a live data folder";
    /// pg_rewind.
    PgRewind = "pg-rewind", High, "pg_rewind rewrites a data folder to match another server, discarding its own changes";
    /// pg_upgrade --link and then starting the old cluster.
    PgUpgradeLink = "pg-upgrade-link", High, "after pg_upgrade --link, starting the old cluster corrupts the new one";
    /// pg_basebackup into a PostgreSQL data folder.
    BasebackupOverData = "basebackup-over-data", High, "pg_basebackup into a PostgreSQL data folder that may be in use";
    /// A hosted database, branch or project deleted or overwritten.
    HostedDatabaseDelete = "hosted-database-delete", High, "deletes or overwrites a hosted database, branch or project";
    /// An HTTP DELETE or destructive mutation against an unknown host's database-like path.
    HttpDeleteUnknown = "http-delete-unknown", Medium, "a destructive HTTP request to a database-like resource of an unknown service";
    /// cp/mv/dd/tee/`>` over a backup.
    OverwriteBackups = "overwrite-backups", High, "overwrites or empties a backup, the last line of defence";
    /// ORM calls that delete every row or drop tables.
    OrmDestructiveCall = "orm-destructive-call", High, "code calls an ORM to delete every row, empty or drop tables";
    /// ORM bulk writes with a filter.
    OrmFilteredWrite = "orm-filtered-write", Medium, "code calls an ORM to write every row its filter matches";
    /// Code that cannot be read.
    CodeUnreadable = "code-unreadable", Medium, "runs code that dbguard cannot read";

    // Shell: dbguard itself
    /// Writing dbguard's state, config, the approver's folder or hook settings.
    EditDbguardState = "edit-dbguard-state", High, "changes dbguard's own state or configuration, or an agent's hook settings";
    /// Driving dbguard through a pseudo-terminal.
    PtyDrivenApproval = "pty-driven-approval", High, "drives dbguard through a pseudo-terminal, as if a person were typing";
    /// Removing or changing agent markers.
    UnsetAgentMarker = "unset-agent-marker", High, "hides from dbguard that an agent runs the command";
    /// dbguard approver init|rotate.
    ApproverSetup = "approver-setup", High, "sets up or changes who can approve";
    /// PRISMA_USER_CONSENT_FOR_DANGEROUS_AI_ACTION set by a command.
    PrismaConsentVariable = "prisma-consent-variable", High, "sets Prisma's consent variable, which only a person's approval may set";

    // Limits
    /// Shell syntax that cannot be parsed.
    ShellUnparseable = "shell-unparseable", High, "the command line could not be analysed, so it is treated as the worst it could be";
    /// Input beyond the size limit.
    InputTooLarge = "input-too-large", High, "the input is larger than dbguard analyses";
    /// Nesting beyond the depth limit.
    NestingTooDeep = "nesting-too-deep", High, "nesting (scripts, subshells, DO blocks) deeper than dbguard follows";
    /// A bug in dbguard.
    InternalError = "internal-error", High, "dbguard failed while analysing; treated as the worst case";
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for rule in Rule::ALL {
            let id = rule.id();
            assert!(seen.insert(id), "duplicate id {id}");
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{id} is not kebab-case"
            );
            assert!(!rule.summary().is_empty());
        }
    }
}
