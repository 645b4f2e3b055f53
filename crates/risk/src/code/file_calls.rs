//! Calls in code that delete, write over or move files: Node's `fs.rmSync`,
//! `fs.rm`, `unlinkSync`, `rmdirSync`, fs-extra's `removeSync` and
//! `emptyDirSync`, `rimraf`, Deno's `Deno.removeSync`, Python's
//! `shutil.rmtree`, `os.remove`, `os.unlink`, `Path(…).unlink()`, Ruby's
//! `FileUtils.rm_rf` and `File.delete`, Perl's and PHP's `unlink`;
//! `writeFileSync`, `open(…, 'w')`, `Path(…).write_text`, `File.write`,
//! `file_put_contents`; `renameSync`, `shutil.move`, `os.rename`,
//! `FileUtils.mv`. Each literal path is then judged like the shell's `rm
//! -rf PATH`, `tee PATH` or `mv FROM TO`, so `fs.rmSync('backups', …)` is
//! as high as `rm -rf backups`.

use super::literals::Literal;

/// Functions and methods that delete the path given as their first argument.
const DELETERS: &[&str] = &[
    "rmSync",
    "rm",
    "rmdir",
    "rmdirSync",
    "unlink",
    "unlinkSync",
    "rimraf",
    "rimrafSync",
    "remove",
    "removeSync",
    "emptyDir",
    "emptyDirSync",
    "deleteSync",
    "rmtree",
    "remove_tree",
    "removedirs",
    "rm_rf",
    "rm_r",
    "rm_f",
    "remove_dir",
    "remove_entry",
    "remove_entry_secure",
    "delete",
];

/// Methods of a path object that delete it (`Path('x').unlink()`).
const PATH_DELETERS: &[&str] = &[".unlink(", ".rmdir(", ".rmtree(", ".delete("];

/// The literals of `code` (strings blanked) that are paths a call deletes.
pub fn deleted<'a>(code: &str, literals: &'a [Literal]) -> Vec<&'a Literal> {
    literals
        .iter()
        .filter(|literal| {
            let before = code.get(..literal.start).unwrap_or_default();
            if first_argument_of_deleter(before) {
                return true;
            }
            // `Path('x').unlink()`, `shutil.rmtree(pathlib.Path('x'))`.
            let Some((name, start)) = call(before) else {
                return false;
            };
            let after = code.get(literal.end..).unwrap_or_default().trim_start();
            let rest = after.strip_prefix(')').unwrap_or_default().trim_start();
            name == "Path"
                && (PATH_DELETERS.iter().any(|m| rest.starts_with(m))
                    || first_argument_of_deleter(&before[..start]))
        })
        .collect()
}

/// Whether text ending just before a literal makes it the first argument of
/// a deleting call: `rmSync(`, `shutil.rmtree(`, or Ruby's `rm_rf ` with
/// no parentheses.
fn first_argument_of_deleter(before: &str) -> bool {
    call(before).is_some_and(|(name, _)| DELETERS.contains(&name))
        || command_name(before).is_some_and(|name| DELETERS.contains(&name))
}

/// The name of the call whose opening parenthesis ends `before`, and where
/// the dotted chain it is called on starts (`shutil.rmtree(` → `rmtree`,
/// the offset of `shutil`).
fn call(before: &str) -> Option<(&str, usize)> {
    let open = before.trim_end().strip_suffix('(')?.trim_end();
    let name_start = open
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
        .map_or(0, |i| i + 1);
    let chain_start = open
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '.')))
        .map_or(0, |i| i + 1);
    Some((&open[name_start..], chain_start)).filter(|(name, _)| !name.is_empty())
}

/// Functions and methods that write over the path given as their first argument.
const WRITERS: &[&str] = &[
    "writeFileSync",
    "writeFile",
    "truncateSync",
    "outputFileSync",
    "outputFile",
    "file_put_contents",
    "writeTextFileSync",
    "writeTextFile",
];

/// Functions and methods that move their first argument to their second.
const MOVERS: &[&str] = &["renameSync", "rename", "move", "moveSync", "mv"];

/// The literals of `code` that are paths a call writes over:
/// [`WRITERS`], `File.write(…)`, Python's `open(PATH, 'w…')` and
/// `Path(PATH).write_text(…)`.
pub fn overwritten<'a>(code: &str, literals: &'a [Literal]) -> Vec<&'a Literal> {
    literals
        .iter()
        .enumerate()
        .filter(|(i, literal)| {
            let before = code.get(..literal.start).unwrap_or_default();
            let Some((name, start)) = call(before) else {
                return false;
            };
            let after = code.get(literal.end..).unwrap_or_default().trim_start();
            match name {
                _ if WRITERS.contains(&name) => true,
                "write" => before[start..].trim_end().ends_with("File.write("),
                "open" => {
                    after.starts_with(',')
                        && next_literal(code, literals, *i).is_some_and(|m| m.text.starts_with('w'))
                }
                "Path" => {
                    let rest = after.strip_prefix(')').unwrap_or_default().trim_start();
                    rest.starts_with(".write_text(") || rest.starts_with(".write_bytes(")
                }
                _ => false,
            }
        })
        .map(|(_, literal)| literal)
        .collect()
}

/// The paths a call moves: the literal first argument of a [`MOVERS`]
/// call (or `os.replace`), with the literal second one when there is one.
pub fn moved<'a>(code: &str, literals: &'a [Literal]) -> Vec<(&'a Literal, Option<&'a Literal>)> {
    literals
        .iter()
        .enumerate()
        .filter(|(_, literal)| {
            let before = code.get(..literal.start).unwrap_or_default();
            call(before).is_some_and(|(name, start)| {
                MOVERS.contains(&name)
                    || (name == "replace" && before[start..].trim_end().ends_with("os.replace("))
            })
        })
        .map(|(i, literal)| (literal, next_literal(code, literals, i)))
        .collect()
}

/// The literal after literal `i` when only a comma stands between them.
fn next_literal<'a>(code: &str, literals: &'a [Literal], i: usize) -> Option<&'a Literal> {
    let next = literals.get(i + 1)?;
    let between = code.get(literals[i].end..next.start)?;
    (between.trim() == ",").then_some(next)
}

/// A call without parentheses: Ruby's `FileUtils.rm_rf 'backups'`, Perl's
/// `unlink "x"` and `rmtree "x"` (a bare name only for those two).
fn command_name(before: &str) -> Option<&str> {
    if !before.ends_with(' ') {
        return None;
    }
    let name = before.trim_end();
    let start = name
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let name = &name[start..];
    let method = start > 0 && before.as_bytes()[start - 1] == b'.';
    (method || matches!(name, "unlink" | "rmtree" | "remove_tree")).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::{deleted, moved, overwritten};
    use crate::code::{scan, Lang};

    fn paths(source: &str, lang: Lang) -> Vec<String> {
        let (literals, code) = scan(source, lang);
        deleted(&code, &literals).iter().map(|l| l.text.clone()).collect()
    }

    #[test]
    fn deleting_calls_name_their_paths() {
        assert_eq!(
            paths(
                "require('fs').rmSync('backups', {recursive: true})",
                Lang::JavaScript
            ),
            ["backups"]
        );
        assert_eq!(paths("import shutil; shutil.rmtree('b')", Lang::Python), ["b"]);
        assert_eq!(paths("Path('b/x.dump').unlink()", Lang::Python), ["b/x.dump"]);
        assert_eq!(paths("shutil.rmtree(Path('b'))", Lang::Python), ["b"]);
        assert_eq!(paths("FileUtils.rm_rf 'b'", Lang::Ruby), ["b"]);
        assert!(paths("fs.readFileSync('b')", Lang::JavaScript).is_empty());
        assert!(paths("Path('b').exists()", Lang::Python).is_empty());
        assert_eq!(paths("unlink \"b/x.dump\";", Lang::JavaScript), ["b/x.dump"]);
        assert!(paths("puts 'rm_rf'", Lang::Ruby).is_empty());
        assert!(paths("print 'unlink'", Lang::Python).is_empty());
    }

    #[test]
    fn writing_and_moving_calls_name_their_paths() {
        let written = |source: &str, lang: Lang| -> Vec<String> {
            let (literals, code) = scan(source, lang);
            overwritten(&code, &literals)
                .iter()
                .map(|l| l.text.clone())
                .collect()
        };
        assert_eq!(
            written("fs.writeFileSync('b/x.dump', '')", Lang::JavaScript),
            ["b/x.dump"]
        );
        assert_eq!(
            written("open('b/x.dump', 'w').close()", Lang::Python),
            ["b/x.dump"]
        );
        assert!(written("open('b/x.dump').read()", Lang::Python).is_empty());
        assert!(written("open('b/x.dump', 'rb')", Lang::Python).is_empty());
        assert_eq!(written("File.write('b/x', '')", Lang::Ruby), ["b/x"]);
        assert!(written("res.write('b/x')", Lang::JavaScript).is_empty());
        assert_eq!(written("Path('b/x').write_text('')", Lang::Python), ["b/x"]);
        let (literals, code) = scan("shutil.move('b', '/tmp'); 'a'.replace('b', 'c')", Lang::Python);
        let moves: Vec<(String, Option<String>)> = moved(&code, &literals)
            .iter()
            .map(|(from, to)| (from.text.clone(), to.map(|t| t.text.clone())))
            .collect();
        assert_eq!(moves, [("b".to_string(), Some("/tmp".to_string()))]);
    }
}
