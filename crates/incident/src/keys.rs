//! The primary and foreign keys of a database's tables, by `schema.name`:
//! read from the catalogs of a database, or from a backup's archive.
//!
//! The side database of an incident is restored without the archive's
//! post-data section (no index is built, no foreign key checked: on 1.2 M
//! rows that was a third of the restore), so its keys come from the
//! definitions the archive holds, parsed with PostgreSQL's own parser
//! (`pg_query`, already the classifier's and the lint's), never guessed from
//! the text.

use std::collections::BTreeMap;

use dbguard_backup::Backup;
use pg_query::protobuf::{AlterTableType, ConstrType, RangeVar};
use pg_query::{Node, NodeEnum};

/// A foreign key: `child (columns)` references `parent (referenced)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    /// The referencing table, `schema.name`.
    pub child: String,
    /// Its columns, in the key's order.
    pub columns: Vec<String>,
    /// The referenced table, `schema.name`.
    pub parent: String,
    /// The referenced columns, in the key's order.
    pub referenced: Vec<String>,
}

/// The keys of a database's tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys {
    /// Each table's primary key columns, in the key's order.
    pub primary: BTreeMap<String, Vec<String>>,
    /// Every foreign key.
    pub foreign: Vec<ForeignKey>,
}

impl Keys {
    /// From the catalogs of the database `client` is connected to.
    pub fn of_database(client: &mut postgres::Client) -> anyhow::Result<Keys> {
        let mut keys = Keys::default();
        for row in client.query(
            "SELECT n.nspname || '.' || c.relname,
                    array_agg(a.attname::text ORDER BY k.pos)
               FROM pg_index i
               JOIN pg_class c ON c.oid = i.indrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
              CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, pos)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
              WHERE i.indisprimary
              GROUP BY 1",
            &[],
        )? {
            keys.primary.insert(row.get(0), row.get(1));
        }
        for row in client.query(
            "SELECT cn.nspname || '.' || cc.relname, pn.nspname || '.' || pc.relname,
                    (SELECT array_agg(a.attname::text ORDER BY k.pos)
                       FROM unnest(f.conkey) WITH ORDINALITY k(attnum, pos)
                       JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = k.attnum),
                    (SELECT array_agg(a.attname::text ORDER BY k.pos)
                       FROM unnest(f.confkey) WITH ORDINALITY k(attnum, pos)
                       JOIN pg_attribute a ON a.attrelid = f.confrelid AND a.attnum = k.attnum)
               FROM pg_constraint f
               JOIN pg_class cc ON cc.oid = f.conrelid JOIN pg_namespace cn ON cn.oid = cc.relnamespace
               JOIN pg_class pc ON pc.oid = f.confrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace
              WHERE f.contype = 'f'",
            &[],
        )? {
            keys.foreign.push(ForeignKey {
                child: row.get(0),
                parent: row.get(1),
                columns: row.get(2),
                referenced: row.get(3),
            });
        }
        Ok(keys)
    }

    /// From the definitions in `backup`'s archive.
    pub fn of_backup(backup: &Backup) -> anyhow::Result<Keys> {
        let sql = dbguard_backup::post_data_sql(backup)?;
        Keys::from_definitions(&sql)
            .map_err(|e| e.context(format!("reading the keys of backup {}", backup.id())))
    }

    /// From SQL as `pg_restore` writes an archive's post-data section: each
    /// `ALTER TABLE … ADD CONSTRAINT … PRIMARY KEY (…)` and `… FOREIGN KEY
    /// (…) REFERENCES …`. SQL that does not parse, or a table name without
    /// its schema, is an error: keys guessed would compare the wrong rows.
    pub fn from_definitions(sql: &str) -> anyhow::Result<Keys> {
        let sql: String = sql
            .lines()
            .filter(|line| !is_restrict(line))
            .flat_map(|line| [line, "\n"])
            .collect();
        let parsed = pg_query::parse(&sql, 0)
            .map_err(|e| anyhow::anyhow!("the archive's definitions do not parse: {e}"))?;
        let mut keys = Keys::default();
        for statement in &parsed.protobuf.stmts {
            let Some(NodeEnum::AlterTableStmt(alter)) = statement.stmt.as_ref().and_then(|s| s.node.as_ref())
            else {
                continue;
            };
            for command in &alter.cmds {
                let Some(NodeEnum::AlterTableCmd(command)) = &command.node else {
                    continue;
                };
                if command.subtype() != AlterTableType::AtAddConstraint {
                    continue;
                }
                let Some(NodeEnum::Constraint(constraint)) =
                    command.def.as_ref().and_then(|d| d.node.as_ref())
                else {
                    continue;
                };
                match constraint.contype() {
                    ConstrType::ConstrPrimary => {
                        keys.primary
                            .insert(qualified(alter.relation.as_ref())?, names(&constraint.keys));
                    }
                    ConstrType::ConstrForeign => keys.foreign.push(ForeignKey {
                        child: qualified(alter.relation.as_ref())?,
                        columns: names(&constraint.fk_attrs),
                        parent: qualified(constraint.pktable.as_ref())?,
                        referenced: names(&constraint.pk_attrs),
                    }),
                    _ => {}
                }
            }
        }
        Ok(keys)
    }
}

/// Whether `line` is psql's `\restrict KEY` or `\unrestrict KEY`, with which
/// pg_restore (15.14 and later) brackets its script: not SQL. The key is
/// letters and digits only, so a quoted name that spans lines is never taken
/// for one.
fn is_restrict(line: &str) -> bool {
    let key = line
        .strip_prefix("\\restrict ")
        .or_else(|| line.strip_prefix("\\unrestrict "));
    key.is_some_and(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// `schema.name` of a table named in the definitions.
fn qualified(relation: Option<&RangeVar>) -> anyhow::Result<String> {
    match relation {
        Some(r) if !r.schemaname.is_empty() => Ok(format!("{}.{}", r.schemaname, r.relname)),
        Some(r) => anyhow::bail!("the archive names table {} without its schema", r.relname),
        None => anyhow::bail!("the archive adds a constraint to no table"),
    }
}

/// The names of a list of `String` nodes.
fn names(nodes: &[Node]) -> Vec<String> {
    nodes
        .iter()
        .filter_map(|n| match &n.node {
            Some(NodeEnum::String(s)) => Some(s.sval.clone()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_from_definitions_as_pg_dump_writes_them() {
        let sql = r#"
\restrict 2m5kGd0Wq
SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
ALTER TABLE ONLY public.farms
    ADD CONSTRAINT farms_pkey PRIMARY KEY (id);
ALTER TABLE ONLY "Odd Schema"."Readings"
    ADD CONSTRAINT "Readings_pkey" PRIMARY KEY ("farmId", id);
ALTER TABLE ONLY public.farms
    ADD CONSTRAINT farms_subdomain_key UNIQUE (subdomain);
CREATE INDEX readings_at ON "Odd Schema"."Readings" USING btree (id);
CREATE TRIGGER t AFTER DELETE ON public.farms FOR EACH ROW EXECUTE FUNCTION public.f();
ALTER TABLE ONLY "Odd Schema"."Readings"
    ADD CONSTRAINT "Readings_farm_fkey" FOREIGN KEY ("farmId") REFERENCES public.farms(id) ON DELETE CASCADE;
\unrestrict 2m5kGd0Wq
"#;
        let keys = Keys::from_definitions(sql).unwrap();
        assert_eq!(
            keys.primary,
            BTreeMap::from([
                ("public.farms".to_string(), vec!["id".to_string()]),
                (
                    "Odd Schema.Readings".to_string(),
                    vec!["farmId".to_string(), "id".to_string()]
                ),
            ])
        );
        assert_eq!(
            keys.foreign,
            vec![ForeignKey {
                child: "Odd Schema.Readings".into(),
                columns: vec!["farmId".into()],
                parent: "public.farms".into(),
                referenced: vec!["id".into()],
            }]
        );
    }

    #[test]
    fn only_psqls_restrict_lines_are_left_out() {
        assert!(is_restrict("\\restrict 2m5kGd0Wq"));
        assert!(is_restrict("\\unrestrict 2m5kGd0Wq"));
        assert!(!is_restrict("\\restrict "));
        assert!(!is_restrict("\\restrict a\"b"));
        assert!(!is_restrict("\\connect farm"));
        let err = Keys::from_definitions(
            "\\connect farm\nALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id);",
        )
        .unwrap_err();
        assert!(err.to_string().contains("do not parse"), "{err}");
    }

    #[test]
    fn definitions_that_cannot_be_read_are_an_error() {
        let err = Keys::from_definitions("ALTER TABLE ONLY public.t ADD CONSTRAINT").unwrap_err();
        assert!(err.to_string().contains("do not parse"), "{err}");
        let err =
            Keys::from_definitions("ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY (id);").unwrap_err();
        assert!(err.to_string().contains("without its schema"), "{err}");
    }
}
