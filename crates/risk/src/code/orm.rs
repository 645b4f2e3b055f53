//! ORM calls that delete every row, empty or drop tables, found in code with
//! its strings and comments blanked: Prisma (`deleteMany()`/`updateMany()`
//! with no or an empty `where`, `$executeRawUnsafe(variable)`), Sequelize
//! (`sync({ force: true })`, `destroy({ truncate: true })`, `drop()`),
//! TypeORM and Mongoose (`dropDatabase()`, `dropSchema`), Knex (`truncate()`,
//! `del()` with no `where`, `schema.dropTable`), Django (`objects.all().
//! delete()`, `call_command('flush')`), SQLAlchemy (`drop_all`,
//! `query(X).delete()`), ActiveRecord (`delete_all`, `destroy_all`,
//! `drop_table`, `update_all`), Drizzle (`db.delete(t)`, `db.update(t).
//! set(…)` with no `.where(…)` after), TypeORM's `synchronize(true)` and a
//! repository's `clear()`. A filtered bulk write is medium: its filter is
//! not evaluated.

use super::literals::matching;
use super::Lang;
use crate::rules::Rule;

/// One call found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// Its rule.
    pub rule: Rule,
    /// What it does.
    pub message: String,
    /// The call as written (blanked strings shown as spaces).
    pub text: String,
}

/// The destructive ORM calls in `code` (strings and comments blanked).
/// `source` is the same text unblanked, for `call_command('flush')`.
pub fn calls(code: &str, source: &str, lang: Lang) -> Vec<Call> {
    let mut found = Vec::new();
    let mut add = |rule: Rule, message: &str, at: usize, len: usize| {
        let end = (at + len).min(code.len());
        found.push(Call {
            rule,
            message: message.to_string(),
            text: source
                .get(chain_start(code, at)..end)
                .unwrap_or_default()
                .trim()
                .to_string(),
        });
    };
    for (at, name, args) in method_calls(code) {
        let compact: String = args.chars().filter(|c| !c.is_whitespace()).collect();
        let chain = &code[chain_start(code, at)..at];
        let filtered = [
            ".where(",
            ".filter(",
            ".exclude(",
            ".filter_by(",
            ".find_by(",
            "->where(",
        ]
        .iter()
        .any(|f| chain.contains(f));
        let len = name.len() + args.len() + 2;
        match (lang, name) {
            (Lang::JavaScript, "deleteMany" | "updateMany") => {
                if compact.is_empty()
                    || compact == "{}"
                    || compact.contains("where:{}")
                    || !compact.contains("where")
                {
                    add(
                        Rule::OrmDestructiveCall,
                        &format!("{name}() without a filter writes every row of the table"),
                        at,
                        len,
                    );
                } else {
                    add(
                        Rule::OrmFilteredWrite,
                        &format!(
                            "{name}() writes every row its filter matches, which dbguard does not evaluate"
                        ),
                        at,
                        len,
                    );
                }
            }
            // Drizzle: `db.delete(table)` and `db.update(table).set(…)` write
            // every row unless a `.where(…)` follows in the same chain.
            // Kysely: `deleteFrom(table)` and `updateTable(table).set(…)`, the same.
            (Lang::JavaScript, "delete" | "update" | "deleteFrom" | "updateTable")
                if !compact.is_empty()
                    && !compact.starts_with('{')
                    && (matches!(name, "deleteFrom" | "updateTable")
                        || DRIZZLE_RECEIVERS.iter().any(|r| receiver(chain) == *r)) =>
            {
                let tail = chain_tail(code, at + len);
                if name.starts_with("update") && !tail.contains(".set(") {
                    continue;
                }
                if tail.contains(".where(") {
                    add(
                        Rule::OrmFilteredWrite,
                        &format!(
                            "{name}() writes every row its where() matches, which dbguard does not evaluate"
                        ),
                        at,
                        len,
                    );
                } else {
                    add(
                        Rule::OrmDestructiveCall,
                        &format!("{name}() without where() writes every row of the table"),
                        at,
                        len,
                    );
                }
            }
            // TypeORM: `synchronize(true)` drops every table first; a
            // repository's `clear()` is TRUNCATE.
            (Lang::JavaScript, "synchronize") if compact == "true" => add(
                Rule::OrmDestructiveCall,
                "synchronize(true) drops every table before creating them again",
                at,
                len,
            ),
            (Lang::JavaScript, "clear")
                if compact.is_empty()
                    && (chain.contains("Repository")
                        || chain.contains("getRepository(")
                        || chain.contains(".manager")) =>
            {
                add(
                    Rule::OrmDestructiveCall,
                    "clear() empties the table (TRUNCATE)",
                    at,
                    len,
                )
            }
            (Lang::JavaScript, "$executeRawUnsafe" | "$queryRawUnsafe" | "unsafe") => {
                let first = source.get(at + name.len() + 1..).unwrap_or_default().trim_start();
                if !first.starts_with(['\'', '"', '`']) {
                    add(
                        Rule::DynamicSql,
                        &format!("{name}() runs SQL built at run time"),
                        at,
                        len,
                    );
                }
            }
            (Lang::JavaScript, "sync") if compact.contains("force:true") => add(
                Rule::OrmDestructiveCall,
                "sync({ force: true }) drops and re-creates every table",
                at,
                len,
            ),
            (Lang::JavaScript, "sync") if compact.contains("alter:true") => add(
                Rule::FrameworkSchemaChange,
                "sync({ alter: true }) changes the schema outside migrations",
                at,
                len,
            ),
            (Lang::JavaScript, "destroy")
                if compact.contains("truncate:true") || compact.contains("where:{}") =>
            {
                add(
                    Rule::OrmDestructiveCall,
                    "destroy() with truncate or an empty where deletes every row",
                    at,
                    len,
                )
            }
            (Lang::JavaScript, "drop" | "dropSchema" | "dropAllSchemas") if !chain.contains("Index") => add(
                Rule::OrmDestructiveCall,
                &format!("{name}() drops tables"),
                at,
                len,
            ),
            (Lang::JavaScript, "truncate") if compact.is_empty() || compact.starts_with('{') => {
                add(Rule::OrmDestructiveCall, "truncate() deletes every row", at, len)
            }
            // MikroORM: `em.nativeDelete(Entity, {})`, `nativeUpdate(Entity, {}, …)`.
            (Lang::JavaScript, "nativeDelete" | "nativeUpdate") => {
                let criteria = compact.split_once(',').map_or("", |(_, rest)| rest);
                let filtered = !(criteria.starts_with("{}") || criteria.is_empty());
                let (rule, message) = bulk_write(name, filtered, "criteria");
                add(rule, &message, at, len);
            }
            // Laravel: `DB::table('t')->delete()`, `Model::query()->update([…])`.
            (Lang::JavaScript, "delete" | "update" | "truncate")
                if chain.trim_end().ends_with("->")
                    && (chain.contains("DB::table(")
                        || chain.contains("::query()")
                        || chain.contains("::all()")) =>
            {
                let (rule, message) = bulk_write(name, filtered, "where()");
                add(rule, &message, at, len);
            }
            (Lang::JavaScript, "del") if compact.is_empty() && !filtered => add(
                Rule::OrmDestructiveCall,
                "del() without where() deletes every row",
                at,
                len,
            ),
            (
                _,
                "dropDatabase" | "drop_database" | "dropTable" | "dropTableIfExists" | "drop_all"
                | "drop_table" | "truncate_tables" | "purge_database",
            ) => add(
                Rule::OrmDestructiveCall,
                &format!("{name}() drops or empties tables"),
                at,
                len,
            ),
            // SQLAlchemy 2's `delete(Model)` and `update(Model).values(…)`
            // statements: every row unless a `.where(…)` follows.
            (Lang::Python, "delete" | "update")
                if !chain.trim_end().ends_with('.')
                    && compact.starts_with(|c: char| c.is_ascii_uppercase()) =>
            {
                let tail = chain_tail(code, at + len);
                let (rule, message) = bulk_write(
                    name,
                    tail.contains(".where(") || tail.contains(".filter"),
                    "where()",
                );
                add(rule, &message, at, len);
            }
            // Peewee: `Model.delete().execute()`, `Model.update(…).execute()`.
            (Lang::Python, "delete" | "update")
                if receiver(chain).starts_with(|c: char| c.is_ascii_uppercase())
                    && chain_tail(code, at + len).contains(".execute(") =>
            {
                let (rule, message) =
                    bulk_write(name, chain_tail(code, at + len).contains(".where("), "where()");
                add(rule, &message, at, len);
            }
            // Django's `QuerySet._raw_delete()`, as `delete()`.
            (Lang::Python, "_raw_delete") if chain.contains(".all()") || receiver(chain) == "objects" => add(
                Rule::OrmDestructiveCall,
                "_raw_delete() on every row of the table",
                at,
                len,
            ),
            (Lang::Python, "delete" | "update") if compact.is_empty() || name == "update" => {
                // `X.objects.update(…)` (Django), `X.query.delete()` (Flask-SQLAlchemy).
                let everything = chain.contains(".all()")
                    || (chain.contains(".query(") && !filtered)
                    || matches!(receiver(chain), "objects" | "query");
                let query =
                    chain.contains(".objects") || chain.contains(".query(") || chain.contains(".query.");
                if everything {
                    add(
                        Rule::OrmDestructiveCall,
                        &format!("{name}() on every row of the table"),
                        at,
                        len,
                    );
                } else if filtered && query {
                    add(
                        Rule::OrmFilteredWrite,
                        &format!(
                            "{name}() writes every row its filter matches, which dbguard does not evaluate"
                        ),
                        at,
                        len,
                    );
                }
            }
            (Lang::Python, "call_command") => {
                let first = source.get(at + name.len() + 1..).unwrap_or_default().trim_start();
                let command = first.trim_start_matches(['\'', '"']);
                if ["flush", "reset_db", "sqlflush"]
                    .iter()
                    .any(|c| command.starts_with(c))
                {
                    add(
                        Rule::FrameworkReset,
                        "call_command() runs Django's flush, deleting every row",
                        at,
                        len,
                    );
                }
            }
            _ => {}
        }
    }
    if lang == Lang::Ruby {
        for name in ["delete_by", "destroy_by"] {
            for (at, _) in code.match_indices(&format!(".{name}")) {
                add(
                    Rule::OrmFilteredWrite,
                    &format!("{name} writes every row its conditions match, which dbguard does not evaluate"),
                    at,
                    name.len() + 1,
                );
            }
        }
        for name in ["delete_all", "destroy_all", "update_all"] {
            for (at, _) in code.match_indices(&format!(".{name}")) {
                let after = code[at + name.len() + 1..].chars().next();
                if after.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let chain = &code[chain_start(code, at)..at];
                if chain.contains(".where") || chain.contains(".find_by") {
                    add(
                        Rule::OrmFilteredWrite,
                        &format!(
                            "{name} writes every row its filter matches, which dbguard does not evaluate"
                        ),
                        at,
                        name.len() + 1,
                    );
                } else {
                    add(
                        Rule::OrmDestructiveCall,
                        &format!("{name} writes every row of the table"),
                        at,
                        name.len() + 1,
                    );
                }
            }
        }
        for (at, iterator) in row_by_row_destroys(code) {
            let chain = &code[chain_start(code, at)..at];
            let (rule, message) = match chain.contains(".where") || chain.contains(".find_by") {
                true => (
                    Rule::OrmFilteredWrite,
                    format!(
                        "{iterator} destroys each row its filter matches, which dbguard does not evaluate"
                    ),
                ),
                false => (
                    Rule::OrmDestructiveCall,
                    format!("{iterator} destroys every row of the table, one by one"),
                ),
            };
            add(rule, &message, at, iterator.len());
        }
    }
    found
}

/// Ruby iterators whose block destroys or deletes each record:
/// `.each(&:destroy)`, `.find_each { |u| u.destroy }`, `.map do |u| u.delete end`.
fn row_by_row_destroys(code: &str) -> Vec<(usize, &'static str)> {
    const ITERATORS: &[&str] = &[
        ".each",
        ".find_each",
        ".map",
        ".each_with_index",
        ".find_in_batches",
        ".in_batches",
    ];
    let mut found = Vec::new();
    for iterator in ITERATORS {
        for (at, _) in code.match_indices(iterator) {
            let rest = &code[at + iterator.len()..];
            if rest.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let close = match rest.trim_start().chars().next() {
                Some('(') => ")",
                Some('{') => "}",
                _ => "end",
            };
            let mut end = rest.find(close).map_or(rest.len(), |i| i + 1).min(400);
            while !rest.is_char_boundary(end) {
                end -= 1;
            }
            let block = &rest[..end];
            let destroys = ["&:destroy", "&:delete", ".destroy", ".delete"].iter().any(|m| {
                block.match_indices(m).any(|(i, _)| {
                    block[i + m.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
                })
            });
            if destroys {
                found.push((at, *iterator));
            }
        }
    }
    found
}

/// A bulk write's rule and message: filtered by `filter` (which dbguard
/// does not evaluate, medium), or without one (every row, high).
fn bulk_write(name: &str, filtered: bool, filter: &str) -> (Rule, String) {
    match filtered {
        true => (
            Rule::OrmFilteredWrite,
            format!("{name}() writes every row its {filter} matches, which dbguard does not evaluate"),
        ),
        false => (
            Rule::OrmDestructiveCall,
            format!("{name}() without {filter} writes every row"),
        ),
    }
}

/// The names Drizzle's database and transaction objects usually go by.
const DRIZZLE_RECEIVERS: &[&str] = &["db", "tx", "trx", "database", "drizzle"];

/// The object a method is called on: the last name of `chain` before the
/// call's dot (`await db.` → `db`).
fn receiver(chain: &str) -> &str {
    let chain = chain.trim_end().trim_end_matches('.').trim_end();
    let start = chain
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
        .map_or(0, |i| i + 1);
    &chain[start..]
}

/// The rest of the statement after offset `from`: up to a `;`, or a
/// newline that does not continue a method chain.
fn chain_tail(code: &str, from: usize) -> &str {
    let rest = code.get(from..).unwrap_or_default();
    let mut end = rest.len();
    for (i, c) in rest.char_indices() {
        if c == ';' {
            end = i;
            break;
        }
        if c == '\n' && !rest[i..].trim_start().starts_with('.') {
            end = i;
            break;
        }
    }
    &rest[..end]
}

/// `(offset of the name, name, argument text)` of each `.name(args)` and
/// `name(args)` call.
pub(super) fn method_calls(code: &str) -> Vec<(usize, &str, &str)> {
    let bytes = code.as_bytes();
    let mut calls = Vec::new();
    for (open, _) in code.match_indices('(') {
        let mut start = open;
        while start > 0
            && (bytes[start - 1].is_ascii_alphanumeric() || matches!(bytes[start - 1], b'_' | b'$'))
        {
            start -= 1;
        }
        if start == open {
            continue;
        }
        let Some(close) = matching(bytes, open, 20_000) else {
            continue;
        };
        calls.push((start, &code[start..open], &code[open + 1..close]));
    }
    calls
}

/// Where the statement holding offset `at` starts: after the previous `;`,
/// brace, or a newline that does not continue a method chain.
fn chain_start(code: &str, at: usize) -> usize {
    let bytes = code.as_bytes();
    let mut depth = 0usize;
    let mut i = at;
    while i > 0 {
        let b = bytes[i - 1];
        match b {
            b')' | b']' => depth += 1,
            b'(' | b'[' if depth == 0 => return i,
            b'(' | b'[' => depth -= 1,
            b';' | b'{' | b'}' if depth == 0 => return i,
            b'\n' if depth == 0 => {
                let next = code[i..].trim_start();
                if !next.starts_with('.') && !code[..i - 1].trim_end().ends_with(['.', '(', ',']) {
                    return i;
                }
            }
            _ => {}
        }
        i -= 1;
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::scan;

    fn rules(source: &str, lang: Lang) -> Vec<Rule> {
        let (_, code) = scan(source, lang);
        calls(&code, source, lang).into_iter().map(|c| c.rule).collect()
    }

    #[test]
    fn prisma_bulk_writes() {
        assert_eq!(
            rules("await prisma.user.deleteMany()", Lang::JavaScript),
            [Rule::OrmDestructiveCall]
        );
        assert_eq!(
            rules("await prisma.user.deleteMany({ where: {} })", Lang::JavaScript),
            [Rule::OrmDestructiveCall]
        );
        assert_eq!(
            rules(
                "await prisma.user.deleteMany({ where: { farmId } })",
                Lang::JavaScript
            ),
            [Rule::OrmFilteredWrite]
        );
        assert!(rules("await prisma.user.delete({ where: { id } })", Lang::JavaScript).is_empty());
        assert_eq!(
            rules("prisma.$executeRawUnsafe(sql)", Lang::JavaScript),
            [Rule::DynamicSql]
        );
        assert!(rules("prisma.$executeRawUnsafe('SELECT 1')", Lang::JavaScript).is_empty());
    }

    #[test]
    fn other_orms() {
        assert_eq!(
            rules("await sequelize.sync({ force: true })", Lang::JavaScript),
            [Rule::OrmDestructiveCall]
        );
        assert_eq!(
            rules("await knex('users').del()", Lang::JavaScript),
            [Rule::OrmDestructiveCall]
        );
        assert!(rules("await knex('users').where({ id }).del()", Lang::JavaScript).is_empty());
        assert_eq!(
            rules("User.objects.all().delete()", Lang::Python),
            [Rule::OrmDestructiveCall]
        );
        assert_eq!(
            rules("User.objects.filter(active=False).delete()", Lang::Python),
            [Rule::OrmFilteredWrite]
        );
        assert!(rules("user.delete()", Lang::Python).is_empty());
        assert_eq!(
            rules("await db.delete(users)", Lang::JavaScript),
            [Rule::OrmDestructiveCall]
        );
        assert_eq!(
            rules("await db.update(users).set({ admin: true })", Lang::JavaScript),
            [Rule::OrmDestructiveCall]
        );
        assert_eq!(
            rules(
                "await tx\n  .delete(users)\n  .where(eq(users.id, id))",
                Lang::JavaScript
            ),
            [Rule::OrmFilteredWrite]
        );
        assert!(rules("sessions.delete(key); cache.update(k)", Lang::JavaScript).is_empty());
        assert_eq!(
            rules("await dataSource.synchronize(true)", Lang::JavaScript),
            [Rule::OrmDestructiveCall]
        );
        assert!(rules("await dataSource.synchronize()", Lang::JavaScript).is_empty());
        assert_eq!(
            rules("await dataSource.getRepository(Task).clear()", Lang::JavaScript),
            [Rule::OrmDestructiveCall]
        );
        assert!(rules("seen.clear()", Lang::JavaScript).is_empty());
        assert_eq!(
            rules(
                "await prisma.task.updateMany({ data: { done: true } })",
                Lang::JavaScript
            ),
            [Rule::OrmDestructiveCall]
        );
        assert_eq!(
            rules("Task.update_all(done: false)", Lang::Ruby),
            [Rule::OrmDestructiveCall]
        );
        assert_eq!(
            rules("Task.where(done: true).update_all(done: false)", Lang::Ruby),
            [Rule::OrmFilteredWrite]
        );
        assert_eq!(
            rules("Base.metadata.drop_all(engine)", Lang::Python),
            [Rule::OrmDestructiveCall]
        );
        assert_eq!(rules("User.delete_all", Lang::Ruby), [Rule::OrmDestructiveCall]);
        assert_eq!(
            rules("User.where(active: false).destroy_all", Lang::Ruby),
            [Rule::OrmFilteredWrite]
        );
        assert_eq!(
            rules("call_command('flush', interactive=False)", Lang::Python),
            [Rule::FrameworkReset]
        );
    }
}
