//! What a classification says: a risk level and the findings behind it.

use serde::Serialize;

use crate::rules::Rule;

/// The three risk levels of dbguard's risk model, ordered `Low < Medium < High`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    /// Reads, backups, status, single-row writes by key.
    Low,
    /// Needs a person's permission first (schema changes, `migrate dev`, …).
    Medium,
    /// Needs a person's approval and a verified backup first (data can be lost).
    High,
}

impl Risk {
    /// `LOW`, `MEDIUM` or `HIGH`, as the guide writes it.
    pub fn upper(self) -> &'static str {
        match self {
            Risk::Low => "LOW",
            Risk::Medium => "MEDIUM",
            Risk::High => "HIGH",
        }
    }

    /// `low`, `medium` or `high`.
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
        }
    }
}

impl std::fmt::Display for Risk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where in the analysed text a finding points (bytes, and 1-based line and column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    /// Byte offset of the start.
    pub offset: usize,
    /// Length in bytes.
    pub len: usize,
    /// 1-based line of the start.
    pub line: usize,
    /// 1-based column (in characters) of the start.
    pub column: usize,
}

impl Span {
    /// The span of `text[offset..offset + len]`, with its line and column.
    /// For many spans of one text, use a [`LineIndex`].
    pub fn locate(text: &str, offset: usize, len: usize) -> Span {
        LineIndex::new(text).span(text, offset, len)
    }
}

/// Line starts of a text, so that many spans can be located without
/// rescanning the text from its start each time.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The span of `text[offset..offset + len]`; `text` is the indexed text.
    pub fn span(&self, text: &str, offset: usize, len: usize) -> Span {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.starts.partition_point(|&start| start <= offset);
        let line_start = self.starts[line - 1];
        Span {
            offset,
            len: len.min(text.len() - offset),
            line,
            column: text[line_start..offset].chars().count() + 1,
        }
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// One reason for a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule that matched.
    pub rule: Rule,
    /// How risky this finding is.
    pub risk: Risk,
    /// What was found, in words.
    pub message: String,
    /// The statement or command that triggered it.
    pub text: String,
    /// Where `text` starts in the analysed input, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
    /// How the text was reached: the npm script, shell script or SQL file it came from, outermost first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
}

impl Finding {
    /// A finding of `rule` at the rule's own risk.
    pub fn new(rule: Rule, message: impl Into<String>, text: impl Into<String>) -> Finding {
        Finding {
            rule,
            risk: rule.risk(),
            message: message.into(),
            text: shorten(text.into().trim()),
            span: None,
            via: Vec::new(),
        }
    }

    /// The same finding with a span.
    pub fn at(mut self, span: Span) -> Finding {
        self.span = Some(span);
        self
    }
}

/// Texts in findings are kept short enough to read in a terminal or a hook's reason.
const MAX_TEXT: usize = 300;

fn shorten(text: &str) -> String {
    if text.len() <= MAX_TEXT {
        return text.to_string();
    }
    let end = floor_char_boundary(text, MAX_TEXT);
    format!("{}…", &text[..end])
}

/// The most findings a verdict keeps; past it, the riskiest are kept.
pub const MAX_FINDINGS: usize = 100;

/// The result of a classification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The highest risk among the findings, `low` when there are none.
    pub risk: Risk,
    /// The findings, in the order met (at most [`MAX_FINDINGS`]).
    pub findings: Vec<Finding>,
    /// How many more findings there were, of no higher risk than those kept.
    #[serde(skip_serializing_if = "is_zero")]
    pub omitted: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Gathers findings, keeping at most [`MAX_FINDINGS`] of the highest risk.
/// Findings are only built (spans located, text copied) when kept.
#[derive(Debug, Default)]
pub struct Collector {
    findings: Vec<Finding>,
    omitted: usize,
}

impl Collector {
    /// Adds the finding `make` builds, if it is kept.
    pub fn push_with(&mut self, risk: Risk, make: impl FnOnce() -> Finding) {
        if self.findings.len() < MAX_FINDINGS {
            self.findings.push(make());
            return;
        }
        self.omitted += 1;
        let weakest = self
            .findings
            .iter()
            .enumerate()
            .min_by_key(|(_, f)| f.risk)
            .map(|(i, f)| (i, f.risk));
        if let Some((i, _)) = weakest.filter(|(_, weakest)| *weakest < risk) {
            self.findings.remove(i);
            self.findings.push(make());
        }
    }

    /// Adds a finding.
    pub fn push(&mut self, finding: Finding) {
        self.push_with(finding.risk, || finding);
    }

    /// Adds what another collector gathered (a nested analysis), each
    /// finding adjusted by `adjust`.
    pub fn absorb(&mut self, other: Collector, mut adjust: impl FnMut(&mut Finding)) {
        self.omitted += other.omitted;
        for mut finding in other.findings {
            adjust(&mut finding);
            self.push(finding);
        }
    }

    /// Whether nothing was gathered.
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty() && self.omitted == 0
    }
}

impl Verdict {
    /// The verdict over `findings`.
    pub fn from_findings(findings: Vec<Finding>) -> Verdict {
        let mut collector = Collector::default();
        findings.into_iter().for_each(|f| collector.push(f));
        Verdict::from_collector(collector)
    }

    /// The verdict over what `collector` gathered.
    pub fn from_collector(collector: Collector) -> Verdict {
        let Collector { findings, omitted } = collector;
        let risk = findings.iter().map(|f| f.risk).max().unwrap_or(Risk::Low);
        Verdict {
            risk,
            findings,
            omitted,
        }
    }

    /// The findings at the verdict's own level, for a one-line reason.
    pub fn worst(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.risk == self.risk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_count_lines_and_characters() {
        let text = "SELECT 1;\n  DROP TABLE é;";
        let span = Span::locate(text, 12, 12);
        assert_eq!((span.line, span.column), (2, 3));
        let after = Span::locate(text, text.len() - 2, 1);
        assert_eq!((after.line, after.column), (2, 14));
    }

    #[test]
    fn verdict_takes_the_highest_risk() {
        let v = Verdict::from_findings(vec![
            Finding::new(Rule::SchemaChange, "m", "t"),
            Finding::new(Rule::Truncate, "m", "t"),
        ]);
        assert_eq!(v.risk, Risk::High);
        assert_eq!(v.worst().count(), 1);
        assert_eq!(Verdict::from_findings(vec![]).risk, Risk::Low);
    }
}
