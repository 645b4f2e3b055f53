//! The shape of a parsed command line: just what classification needs.

/// A word after quote removal. Expansions (`$X`, `$(…)`, backticks) stay as
/// written and make the word `dynamic`: its run-time value is unknown.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Word {
    /// The text with quotes removed.
    pub text: String,
    /// Contains an expansion whose value is only known at run time.
    pub dynamic: bool,
    /// Contains an unquoted glob character (`*`, `?`, `[`).
    pub glob: bool,
    /// Byte range in the source line.
    pub start: usize,
    /// End of the byte range (exclusive).
    pub end: usize,
}

impl Word {
    /// A static word made by dbguard (for unwrapped or synthesised argument lists).
    pub fn literal(text: impl Into<String>) -> Word {
        Word {
            text: text.into(),
            ..Word::default()
        }
    }
}

/// What a redirection does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirectKind {
    /// `< file`
    Input,
    /// `> file`, `&> file`, `>| file`: the file is emptied first.
    Output,
    /// `>> file`, `&>> file`: appended to.
    Append,
    /// `<> file`
    ReadWrite,
    /// `<&n`, `>&n`
    Duplicate,
    /// `<<WORD` … `WORD`: index into the script's here-documents.
    HereDoc(usize),
    /// `<<< word`
    HereString,
}

/// One redirection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The file descriptor, when written (`2>`).
    pub fd: Option<u32>,
    /// What it does.
    pub kind: RedirectKind,
    /// The file, descriptor, here-document delimiter or here-string.
    pub target: Word,
}

impl Redirect {
    /// Whether it feeds standard input.
    pub fn feeds_stdin(&self) -> bool {
        self.fd.unwrap_or(0) == 0
            && matches!(
                self.kind,
                RedirectKind::Input
                    | RedirectKind::ReadWrite
                    | RedirectKind::HereDoc(_)
                    | RedirectKind::HereString
            )
    }
}

/// A here-document's body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HereDoc {
    /// The text between the operator's line and the delimiter line.
    pub body: String,
    /// The delimiter was unquoted, so the body is expanded (and may be dynamic).
    pub dynamic: bool,
    /// Command substitutions inside an expanded body.
    pub substitutions: Vec<Script>,
}

/// `NAME=value` before a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The variable.
    pub name: String,
    /// Its value.
    pub value: Word,
}

/// A command with its words.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Simple {
    /// Variable assignments before the command name.
    pub assignments: Vec<Assignment>,
    /// The command name and its arguments.
    pub words: Vec<Word>,
    /// Redirections, in order.
    pub redirects: Vec<Redirect>,
    /// Command and process substitutions in the words, run before the command.
    pub substitutions: Vec<Script>,
    /// Byte range in the source.
    pub start: usize,
    /// End of the byte range (exclusive).
    pub end: usize,
}

/// One command of a pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// A simple command.
    Simple(Simple),
    /// `( list )` or `{ list; }`, with redirections applying to the whole.
    Group {
        /// The commands inside.
        body: List,
        /// `( … )` runs in a subshell (directory changes do not leak out).
        subshell: bool,
        /// Redirections after the closing token.
        redirects: Vec<Redirect>,
        /// Command and process substitutions in those redirections.
        substitutions: Vec<Script>,
    },
}

/// Commands joined by `|`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pipeline {
    /// The commands, left to right.
    pub commands: Vec<Command>,
}

/// Pipelines joined by `;`, `&`, `&&`, `||` or newlines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct List {
    /// The pipelines in order.
    pub pipelines: Vec<Pipeline>,
}

/// A parsed command line or script.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Script {
    /// The top-level list.
    pub list: List,
    /// Here-document bodies, referred to by [`RedirectKind::HereDoc`].
    pub heredocs: Vec<HereDoc>,
}
