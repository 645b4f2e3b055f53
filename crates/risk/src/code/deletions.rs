//! Calls in code that delete files or folders: Node's `fs.rmSync`,
//! `fs.rm`, `unlinkSync`, `rmdirSync`, fs-extra's `removeSync` and
//! `emptyDirSync`, `rimraf`, Deno's `Deno.removeSync`, Python's
//! `shutil.rmtree`, `os.remove`, `os.unlink`, `Path(…).unlink()`, Ruby's
//! `FileUtils.rm_rf` and `File.delete`, Perl's and PHP's `unlink`. Each
//! literal path one deletes is then judged like `rm -rf PATH` on the shell
//! line, so `fs.rmSync('backups', …)` is as high as `rm -rf backups`.

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
    use super::deleted;
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
}
