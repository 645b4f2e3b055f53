//! getopt-style reading of a command's arguments: short-option clusters
//! (`-Atc SQL`, `-cSQL`), long options (`--command SQL`, `--command=SQL`) and
//! `--`. Each tool says which of its options take a value.

use super::ast::Word;

/// The options of one program that take a value.
pub struct Spec {
    /// Short options taking a value, e.g. `"cfdhpUv"`.
    pub short_values: &'static str,
    /// Long options taking a value, without dashes.
    pub long_values: &'static [&'static str],
}

/// One argument, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// An option without a value: `-x` or `--flag`.
    Flag(String),
    /// An option with its value.
    Value(String, Word),
    /// An operand (not an option).
    Operand(Word),
}

/// Reads `words` by `spec`. With `stop_at_operand`, the first operand ends
/// option reading and its index (in `words`) is returned: the start of a
/// wrapped command.
pub fn read(words: &[Word], spec: &Spec, stop_at_operand: bool) -> (Vec<Item>, Option<usize>) {
    let mut items = Vec::new();
    let mut i = 0;
    let mut options_done = false;
    while i < words.len() {
        let word = &words[i];
        let text = word.text.as_str();
        if options_done || !text.starts_with('-') || text == "-" {
            if stop_at_operand {
                return (items, Some(i));
            }
            items.push(Item::Operand(word.clone()));
            i += 1;
            continue;
        }
        if text == "--" {
            options_done = true;
            i += 1;
            if stop_at_operand {
                return (items, (i < words.len()).then_some(i));
            }
            continue;
        }
        if let Some(long) = text.strip_prefix("--") {
            match long.split_once('=') {
                Some((name, value)) => items.push(Item::Value(format!("--{name}"), derived(word, value))),
                None if spec.long_values.contains(&long) => match words.get(i + 1) {
                    Some(value) => {
                        items.push(Item::Value(format!("--{long}"), value.clone()));
                        i += 1;
                    }
                    None => items.push(Item::Flag(format!("--{long}"))),
                },
                None => items.push(Item::Flag(format!("--{long}"))),
            }
            i += 1;
            continue;
        }
        let cluster: Vec<char> = text[1..].chars().collect();
        for (j, &c) in cluster.iter().enumerate() {
            if spec.short_values.contains(c) {
                let attached: String = cluster[j + 1..].iter().collect();
                if !attached.is_empty() {
                    items.push(Item::Value(format!("-{c}"), derived(word, &attached)));
                } else if let Some(value) = words.get(i + 1) {
                    items.push(Item::Value(format!("-{c}"), value.clone()));
                    i += 1;
                } else {
                    items.push(Item::Flag(format!("-{c}")));
                }
                break;
            }
            items.push(Item::Flag(format!("-{c}")));
        }
        i += 1;
    }
    (items, None)
}

fn derived(word: &Word, text: &str) -> Word {
    Word {
        text: text.to_string(),
        ..word.clone()
    }
}

/// Helpers over read items.
pub trait Items {
    /// Whether any of `names` was given (as a flag or with a value).
    fn has(&self, names: &[&str]) -> bool;
    /// The values given to any of `names`, in order.
    fn values(&self, names: &[&str]) -> Vec<&Word>;
    /// The operands, in order.
    fn operands(&self) -> Vec<&Word>;
}

impl Items for [Item] {
    fn has(&self, names: &[&str]) -> bool {
        self.iter().any(|item| match item {
            Item::Flag(n) | Item::Value(n, _) => names.contains(&n.as_str()),
            Item::Operand(_) => false,
        })
    }

    fn values(&self, names: &[&str]) -> Vec<&Word> {
        self.iter()
            .filter_map(|item| match item {
                Item::Value(n, w) if names.contains(&n.as_str()) => Some(w),
                _ => None,
            })
            .collect()
    }

    fn operands(&self) -> Vec<&Word> {
        self.iter()
            .filter_map(|item| match item {
                Item::Operand(w) => Some(w),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(texts: &[&str]) -> Vec<Word> {
        texts.iter().map(|t| Word::literal(*t)).collect()
    }

    const PSQL: Spec = Spec {
        short_values: "cfdhpUv",
        long_values: &["command", "file", "dbname"],
    };

    #[test]
    fn clusters_attached_values_and_long_options() {
        let (items, _) = read(
            &words(&[
                "-Atc",
                "SELECT 1",
                "-cSELECT 2",
                "--file=x.sql",
                "--dbname",
                "farm",
                "farm2",
            ]),
            &PSQL,
            false,
        );
        assert_eq!(
            items
                .values(&["-c"])
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>(),
            ["SELECT 1", "SELECT 2"]
        );
        assert!(items.has(&["-A"]) && items.has(&["-t"]));
        assert_eq!(items.values(&["--file"])[0].text, "x.sql");
        assert_eq!(items.values(&["--dbname"])[0].text, "farm");
        assert_eq!(items.operands()[0].text, "farm2");
    }

    #[test]
    fn stop_at_first_operand_for_wrappers() {
        let (items, rest) = read(
            &words(&["-u", "postgres", "dropdb", "-f", "x"]),
            &Spec {
                short_values: "u",
                long_values: &[],
            },
            true,
        );
        assert_eq!(items.values(&["-u"])[0].text, "postgres");
        assert_eq!(rest, Some(2));
        let (_, rest) = read(&words(&["--", "x"]), &PSQL, true);
        assert_eq!(rest, Some(1));
    }
}
