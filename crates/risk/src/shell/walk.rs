//! Walking a parsed line: every command that would run, with what it reads
//! on standard input and the folder it runs in, handed to the tool rules.

use std::path::{Component, Path, PathBuf};

use super::ast::{Command, HereDoc, List, Redirect, RedirectKind, Script, Simple, Word};
use super::parse::parse;
use super::{tools, ShellContext};
use crate::rules::Rule;
use crate::verdict::{Collector, Finding, LineIndex, Span};
use crate::MAX_DEPTH;

/// What a command reads on standard input.
#[derive(Debug, Clone)]
pub enum Input {
    /// Nothing redirected: a terminal, or whatever the caller's stdin is.
    Terminal,
    /// Known text (a here-document, a here-string, `echo … |`).
    Text {
        /// The text.
        text: String,
        /// It holds expansions, so the real text is unknown.
        dynamic: bool,
        /// Where it came from, for messages.
        origin: String,
    },
    /// The concatenation of files (`< file`, `cat a b |`).
    Files(Vec<Word>),
    /// Output of a program dbguard cannot predict.
    Unknown(String),
    /// A `pg_dump` in plain format: schema and data, with DROPs only when
    /// `clean` (`--clean`, `-c`).
    Dump {
        /// The dump drops each object before creating it.
        clean: bool,
        /// The command, for messages.
        origin: String,
    },
}

/// What reading an [`Input`] gave.
pub enum InputText {
    /// A person (or nothing) at the terminal.
    Interactive,
    /// The text and where it came from.
    Text(String, String),
    /// Why it cannot be read.
    Unreadable(String),
}

/// One command about to run, after wrappers are unwrapped.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The program and its arguments.
    pub words: Vec<Word>,
    /// Its standard input.
    pub stdin: Input,
    /// The command's text, for findings.
    pub text: String,
}

impl Invocation {
    /// The arguments after the program name.
    pub fn args(&self) -> &[Word] {
        &self.words[1..]
    }

    /// The arguments that do not start with `-`, as text: a rough view of
    /// the subcommand words for tools whose options need no table.
    pub fn plain_words(&self) -> Vec<&str> {
        self.args()
            .iter()
            .map(|a| a.text.as_str())
            .filter(|a| !a.starts_with('-'))
            .collect()
    }

    /// The subcommand words of a CLI whose global options may stand before
    /// or between them (`aws --profile p rds delete-db-instance`, `gcloud
    /// sql --project p instances delete`): the values of `value_options`
    /// are skipped, and since an option dbguard does not know may or may
    /// not take a value, there are two readings, one keeping and one
    /// skipping the word after each such option. A rule that matches
    /// either reading applies.
    pub fn subcommand_readings(&self, value_options: &[&str]) -> [Vec<&str>; 2] {
        let mut readings = [Vec::new(), Vec::new()];
        for (keep_unknown, reading) in [true, false].into_iter().zip(readings.iter_mut()) {
            let mut skip_next = false;
            for arg in self.args().iter().map(|a| a.text.as_str()) {
                if std::mem::take(&mut skip_next) && !arg.starts_with('-') {
                    continue;
                }
                if arg.starts_with('-') {
                    skip_next = !arg.contains('=') && (value_options.contains(&arg) || !keep_unknown);
                } else {
                    reading.push(arg);
                }
            }
        }
        readings
    }

    /// The same invocation running `words` instead (for wrappers).
    pub fn with_words(&self, words: Vec<Word>) -> Invocation {
        Invocation {
            words,
            stdin: self.stdin.clone(),
            text: self.text.clone(),
        }
    }
}

/// The working folder as far as it is known.
#[derive(Debug, Clone)]
pub struct Scope {
    /// `None` once a `cd` went somewhere only known at run time.
    pub cwd: Option<PathBuf>,
    /// The folders `pushd` saved, for `popd`.
    pub saved: Vec<Option<PathBuf>>,
    /// The machine the command runs on when it is not this one (`ssh host`,
    /// a container): its files cannot be read here, and a local file of the
    /// same name says nothing about them.
    pub remote: Option<String>,
}

impl Scope {
    /// The top-level scope: the caller's folder, on this machine.
    pub fn local(cwd: PathBuf) -> Scope {
        Scope {
            cwd: Some(cwd),
            saved: Vec::new(),
            remote: None,
        }
    }

    /// The same scope on another machine `host` (its folder unknown).
    pub fn on(&self, host: impl Into<String>) -> Scope {
        Scope {
            cwd: None,
            saved: Vec::new(),
            remote: Some(host.into()),
        }
    }

    /// The same scope in folder `dir`.
    pub fn in_dir(&self, dir: Option<PathBuf>) -> Scope {
        Scope {
            cwd: dir,
            ..self.clone()
        }
    }
}

/// Collects findings while walking.
pub struct Walker<'a> {
    pub(crate) ctx: &'a ShellContext<'a>,
    pub(crate) findings: Collector,
    /// The top-level line, and its line index for locating findings.
    src: &'a str,
    lines: LineIndex,
    via: Vec<String>,
    /// The top-level command being analysed (byte offset and length).
    anchor: Option<(usize, usize)>,
    depth: usize,
    /// Bytes of shell text and of SQL that may still be analysed.
    shell_budget: usize,
    sql_budget: usize,
    /// What earlier commands of the line set up for later ones.
    pub(crate) memory: Memory,
}

/// What earlier commands of a line set up for later ones.
#[derive(Debug, Default)]
pub struct Memory {
    /// Package scripts defined on the line (`npm pkg set scripts.x=…`), by name.
    pub scripts: std::collections::HashMap<String, String>,
    /// Databases created on the line (`createdb copy`), so empty.
    pub created_databases: Vec<String>,
    /// Files the line writes before later commands read or run them
    /// (`cat > x.sh <<< …; bash x.sh`): what they will hold, when known.
    /// Reading the disk instead would see the old content, or nothing.
    pub written: std::collections::HashMap<PathBuf, Option<String>>,
    /// Names given to programs for later commands (`hash -p PATH NAME`,
    /// `alias NAME=VALUE`), with the shell text each stands for.
    pub aliases: std::collections::HashMap<String, String>,
    /// A `git stash -u` on the line took untracked files into a stash.
    pub stashed_untracked: bool,
    /// Commands run so far that may write files in ways not followed
    /// (`curl -o`, `cp`, `tar x`, any program): a file missing now may
    /// exist by the time a later command runs it.
    pub may_have_written: bool,
}

impl<'a> Walker<'a> {
    /// A walker for the line `src` classified in `ctx`.
    pub fn new(ctx: &'a ShellContext<'a>, src: &'a str) -> Walker<'a> {
        Walker {
            ctx,
            findings: Collector::default(),
            src,
            lines: LineIndex::new(src),
            via: Vec::new(),
            anchor: None,
            depth: 0,
            shell_budget: super::MAX_LINE_BYTES.saturating_sub(src.len()),
            sql_budget: crate::sql::MAX_SQL_BYTES,
            memory: Memory::default(),
        }
    }

    /// Takes `len` bytes from a budget; `false`, with a finding, when it is spent.
    fn spend(&mut self, sql: bool, len: usize, text: &str) -> bool {
        let (budget, what, limit) = if sql {
            (&mut self.sql_budget, "SQL", crate::sql::MAX_SQL_BYTES)
        } else {
            (&mut self.shell_budget, "shell text", super::MAX_LINE_BYTES)
        };
        if len > *budget {
            *budget = 0;
            let message = format!("the {what} this line runs is over the {limit}-byte limit of one check");
            self.add(Rule::InputTooLarge, message, text);
            return false;
        }
        *budget -= len;
        true
    }

    fn anchor_span(&self) -> Option<Span> {
        self.anchor
            .map(|(start, len)| self.lines.span(self.src, start, len))
    }

    /// The whole line being classified.
    pub fn source_line(&self) -> &str {
        self.src
    }

    /// Records a finding for the command being analysed.
    pub fn add(&mut self, rule: Rule, message: impl Into<String>, text: &str) {
        let (anchor, src, lines, via) = (self.anchor, self.src, &self.lines, &self.via);
        self.findings.push_with(rule.risk(), || {
            let mut finding = Finding::new(rule, message, text);
            finding.span = anchor.map(|(start, len)| lines.span(src, start, len));
            finding.via = via.clone();
            finding
        });
    }

    /// Walks the top-level line.
    pub fn line(&mut self) {
        let src = self.src;
        match parse(src) {
            Ok(script) => {
                let mut scope = Scope::local(self.ctx.cwd.clone());
                self.script(&script, &mut scope, Some(src));
            }
            Err(e) => {
                let rule = if e.too_deep {
                    Rule::NestingTooDeep
                } else {
                    Rule::ShellUnparseable
                };
                self.anchor = Some((0, src.len()));
                self.add(
                    rule,
                    format!("could not be analysed: {} (at byte {})", e.message, e.offset),
                    src,
                );
            }
        }
    }

    /// Parses and walks shell text reached from the line (`bash -c`, a
    /// script file, an npm script), one level deeper.
    pub fn nested_shell(&mut self, text: &str, via: String, scope: &Scope) {
        self.nested_shell_with_input(text, via, scope, Input::Terminal);
    }

    /// [`Walker::nested_shell`] for shell text whose commands read `input`
    /// (`ssh host 'psql' < file`).
    pub fn nested_shell_with_input(&mut self, text: &str, via: String, scope: &Scope, input: Input) {
        if !self.spend(false, text.len(), text) || !self.descend(&via, text) {
            return;
        }
        match parse(text) {
            Ok(script) => {
                let mut inner = scope.clone();
                self.list(&script.list, &script.heredocs, &mut inner, None, &input);
            }
            Err(e) => {
                let rule = if e.too_deep {
                    Rule::NestingTooDeep
                } else {
                    Rule::ShellUnparseable
                };
                self.add(rule, format!("could not be analysed: {}", e.message), text);
            }
        }
        self.ascend();
    }

    /// Classifies SQL reached from the line (`psql -c`, a file, stdin).
    pub fn nested_sql(&mut self, sql: &str, via: Option<String>) {
        if !self.spend(true, sql.len(), sql) {
            return;
        }
        let pushed = via.is_some();
        if let Some(via) = via {
            self.via.push(via);
        }
        let found = crate::sql::analyse(sql, &self.ctx.sql, self.depth + 1);
        if !found.is_empty() {
            let span = self.anchor_span();
            let chain = self.via.clone();
            self.findings.absorb(found, |finding| {
                finding.span = span;
                let mut via = chain.clone();
                via.append(&mut finding.via);
                finding.via = via;
            });
        }
        if pushed {
            self.via.pop();
        }
    }

    /// Enters a nested source named `via` (a file, a stream); `false`, with
    /// a finding, past the depth limit or on a cycle. Pair with [`Walker::leave`].
    pub fn enter(&mut self, via: &str, text: &str) -> bool {
        self.descend(via, text)
    }

    /// Leaves the source entered last.
    pub fn leave(&mut self) {
        self.ascend();
    }

    /// Enters a nested source; `false` (with a finding) past the depth limit
    /// or on a cycle.
    fn descend(&mut self, via: &str, text: &str) -> bool {
        if self.depth >= MAX_DEPTH {
            self.add(
                Rule::NestingTooDeep,
                format!("{via}: nested more than {MAX_DEPTH} levels deep"),
                text,
            );
            return false;
        }
        if self.via.iter().any(|v| v == via) {
            self.add(
                Rule::NestingTooDeep,
                format!("{via} runs itself again (a cycle)"),
                text,
            );
            return false;
        }
        self.depth += 1;
        self.via.push(via.to_string());
        true
    }

    fn ascend(&mut self) {
        self.depth -= 1;
        self.via.pop();
    }

    fn script(&mut self, script: &Script, scope: &mut Scope, top: Option<&str>) {
        self.list(&script.list, &script.heredocs, scope, top, &Input::Terminal);
    }

    /// Walks a list; `input` is what its pipelines start reading (a group's
    /// redirected or piped input).
    fn list(
        &mut self,
        list: &List,
        heredocs: &[HereDoc],
        scope: &mut Scope,
        top: Option<&str>,
        input: &Input,
    ) {
        for pipeline in &list.pipelines {
            let count = pipeline.commands.len();
            let mut stdin = input.clone();
            for (i, command) in pipeline.commands.iter().enumerate() {
                let output = (i + 1 < count).then(|| producer_output(command, heredocs, &stdin));
                self.command(command, stdin, heredocs, scope, top);
                stdin = output.unwrap_or(Input::Terminal);
            }
        }
    }

    fn command(
        &mut self,
        command: &Command,
        stdin: Input,
        heredocs: &[HereDoc],
        scope: &mut Scope,
        top: Option<&str>,
    ) {
        match command {
            Command::Simple(simple) => self.simple(simple, stdin, heredocs, scope, top),
            Command::Group {
                body,
                subshell,
                redirects,
                substitutions,
            } => {
                self.substitutions(substitutions, redirects, heredocs, scope);
                for redirect in redirects {
                    tools::redirect(self, &[], redirect, scope);
                }
                let input = redirected_stdin(redirects, heredocs).unwrap_or(stdin);
                if *subshell {
                    let mut inner = scope.clone();
                    self.list(body, heredocs, &mut inner, top, &input);
                } else {
                    self.list(body, heredocs, scope, top, &input);
                }
            }
        }
    }

    /// Walks the substitutions a command runs before it starts: in its
    /// words and redirections, and in its expanded here-documents.
    fn substitutions(
        &mut self,
        subs: &[Script],
        redirects: &[Redirect],
        heredocs: &[HereDoc],
        scope: &Scope,
    ) {
        let in_docs = redirects.iter().filter_map(|r| match r.kind {
            RedirectKind::HereDoc(i) => heredocs.get(i),
            _ => None,
        });
        for sub in subs.iter().chain(in_docs.flat_map(|d| &d.substitutions)) {
            let mut inner = scope.clone();
            self.script(sub, &mut inner, None);
        }
    }

    fn simple(
        &mut self,
        simple: &Simple,
        stdin: Input,
        heredocs: &[HereDoc],
        scope: &mut Scope,
        top: Option<&str>,
    ) {
        if top.is_some() {
            self.anchor = Some((simple.start, simple.end - simple.start));
        }
        self.substitutions(&simple.substitutions, &simple.redirects, heredocs, scope);
        tools::environment(self, simple, scope);
        for redirect in &simple.redirects {
            tools::redirect(self, &simple.words, redirect, scope);
        }
        self.remember_writes(simple, heredocs, &stdin, scope);
        if simple.words.is_empty() {
            return;
        }
        if !simple.words[0].dynamic && folder_builtin(scope, &simple.words) {
            return;
        }
        let stdin = redirected_stdin(&simple.redirects, heredocs).unwrap_or(stdin);
        let text = match top {
            Some(src) => src.get(simple.start..simple.end).unwrap_or_default().to_string(),
            None => simple
                .words
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        };
        let invocation = Invocation {
            words: simple.words.clone(),
            stdin,
            text,
        };
        self.invocation(&invocation, scope);
        if !tools::writes_no_files(&tools::program_name(&simple.words[0].text)) {
            self.memory.may_have_written = true;
        }
    }

    /// Classifies one command (after the shell has done its part).
    pub fn invocation(&mut self, inv: &Invocation, scope: &Scope) {
        let Some(first) = inv.words.first() else { return };
        if first.dynamic {
            self.add(
                Rule::DynamicCommand,
                format!("the command `{}` is only known at run time", first.text),
                &inv.text,
            );
            return;
        }
        tools::dispatch(self, inv, scope);
    }

    /// Records the files `simple` writes (`> file`, `>> file`, `tee file`)
    /// with the text it writes there, when that text is known.
    fn remember_writes(&mut self, simple: &Simple, heredocs: &[HereDoc], stdin: &Input, scope: &Scope) {
        let own_stdin = redirected_stdin(&simple.redirects, heredocs).unwrap_or_else(|| stdin.clone());
        let known = |input: Input| match input {
            Input::Text {
                text, dynamic: false, ..
            } => Some(text),
            _ => None,
        };
        let mut targets: Vec<(&Word, bool, Option<String>)> = Vec::new();
        let output = known(producer_output(&Command::Simple(simple.clone()), heredocs, stdin));
        for redirect in &simple.redirects {
            let append = match redirect.kind {
                RedirectKind::Output => false,
                RedirectKind::Append => true,
                _ => continue,
            };
            if redirect.fd.unwrap_or(1) == 1 {
                targets.push((&redirect.target, append, output.clone()));
            }
        }
        if simple.words.first().is_some_and(|w| w.text == "tee") {
            let append = simple
                .words
                .iter()
                .any(|w| w.text == "-a" || w.text == "--append");
            for file in simple.words[1..].iter().filter(|w| !w.text.starts_with('-')) {
                targets.push((file, append, known(own_stdin.clone())));
            }
        }
        for (target, append, text) in targets {
            let Some(path) = (!target.dynamic && !target.glob)
                .then(|| self.resolve(&target.text, scope))
                .flatten()
            else {
                continue;
            };
            let before = if append {
                match self.memory.written.get(&path) {
                    Some(known) => known.clone(),
                    None => self.ctx.files.read(&path).ok(),
                }
            } else {
                Some(String::new())
            };
            tools::script_shell::written(self, &path, text.as_deref(), &target.text);
            let after = before.zip(text).map(|(before, text)| before + &text);
            self.memory.written.insert(path, after);
        }
    }

    /// Reads a file named on the line, relative to the command's folder.
    pub fn read_file(&self, word: &Word, scope: &Scope) -> Result<(String, String), String> {
        if let Some(host) = &scope.remote {
            return Err(format!(
                "`{}` is on {host}, not on this machine, so it cannot be read",
                word.text
            ));
        }
        if word.dynamic || word.glob {
            return Err(format!("`{}` is only known at run time", word.text));
        }
        let path = self
            .resolve(&word.text, scope)
            .ok_or_else(|| format!("`{}` is relative to a folder only known at run time", word.text))?;
        // The null device reads as nothing (`bash < /dev/null`).
        if path == Path::new("/dev/null") {
            return Ok((String::new(), word.text.clone()));
        }
        if let Some(written) = self.memory.written.get(&path) {
            return written
                .clone()
                .map(|text| (text, word.text.clone()))
                .ok_or_else(|| {
                    format!(
                        "`{}` is written by this same line with content only known at run time",
                        word.text
                    )
                });
        }
        match self.ctx.files.read(&path) {
            Ok(text) => Ok((text, word.text.clone())),
            Err(crate::ReadError::NotFound) if self.memory.may_have_written => Err(format!(
                "`{}` does not exist yet, and an earlier command of this line may create it",
                word.text
            )),
            Err(crate::ReadError::NotFound) => Err(format!("`{}` does not exist", word.text)),
            Err(crate::ReadError::Unreadable(why)) => Err(format!("`{}` cannot be read: {why}", word.text)),
        }
    }

    /// An absolute path for `path` in `scope`.
    pub fn resolve(&self, path: &str, scope: &Scope) -> Option<PathBuf> {
        if path.starts_with('~') {
            return None;
        }
        let joined = if Path::new(path).is_absolute() {
            PathBuf::from(path)
        } else {
            scope.cwd.as_ref()?.join(path)
        };
        Some(normalize(&joined))
    }

    /// The text of a command's standard input.
    pub fn read_input(&self, input: &Input, scope: &Scope) -> InputText {
        match input {
            Input::Terminal => InputText::Interactive,
            Input::Text {
                dynamic: true,
                origin,
                ..
            } => InputText::Unreadable(format!("{origin} holds expansions only known at run time")),
            Input::Text { text, origin, .. } => InputText::Text(text.clone(), origin.clone()),
            Input::Unknown(why) => InputText::Unreadable(why.clone()),
            Input::Dump { origin, .. } => InputText::Unreadable(format!("the output of `{origin}`")),
            Input::Files(words) => {
                let mut all = String::new();
                let mut names = Vec::new();
                for word in words {
                    match self.read_file(word, scope) {
                        Ok((text, name)) => {
                            all.push_str(&text);
                            names.push(name);
                        }
                        Err(why) => return InputText::Unreadable(why),
                    }
                }
                InputText::Text(all, names.join(", "))
            }
        }
    }
}

/// `cd`, `pushd` and `popd`: the folder changes; `true` when `words` was one of them.
fn folder_builtin(scope: &mut Scope, words: &[Word]) -> bool {
    match words[0].text.as_str() {
        "cd" => scope.cwd = change_dir(scope, words.get(1)),
        "pushd" => {
            let next = change_dir(scope, words.get(1));
            scope.saved.push(std::mem::replace(&mut scope.cwd, next));
        }
        "popd" => scope.cwd = scope.saved.pop().flatten(),
        _ => return false,
    }
    true
}

fn change_dir(scope: &Scope, target: Option<&Word>) -> Option<PathBuf> {
    let target = target?;
    if target.dynamic || target.text.starts_with('~') || target.text == "-" {
        return None;
    }
    let base = scope.cwd.as_ref()?;
    Some(normalize(&base.join(&target.text)))
}

/// Removes `.` and `..` without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The standard input a command's own redirections give it, if any.
fn redirected_stdin(redirects: &[Redirect], heredocs: &[HereDoc]) -> Option<Input> {
    let last = redirects.iter().rev().find(|r| r.feeds_stdin())?;
    Some(match &last.kind {
        RedirectKind::HereDoc(i) => {
            let doc = heredocs.get(*i).cloned().unwrap_or_default();
            Input::Text {
                text: doc.body,
                dynamic: doc.dynamic,
                origin: "the here-document".to_string(),
            }
        }
        RedirectKind::HereString => Input::Text {
            text: format!("{}\n", last.target.text),
            dynamic: last.target.dynamic,
            origin: "the here-string".to_string(),
        },
        _ => Input::Files(vec![last.target.clone()]),
    })
}

/// What a command writes to a pipe, when dbguard can tell: `echo`,
/// `printf` and `cat` (of files, or of its own input).
fn producer_output(command: &Command, heredocs: &[HereDoc], stdin: &Input) -> Input {
    let simple = match command {
        Command::Simple(simple) => simple,
        Command::Group { body, redirects, .. } => {
            let stdin = redirected_stdin(redirects, heredocs).unwrap_or_else(|| stdin.clone());
            return group_output(body, heredocs, &stdin);
        }
    };
    let own_stdin = redirected_stdin(&simple.redirects, heredocs).unwrap_or_else(|| stdin.clone());
    let Some(first) = simple.words.first() else {
        return Input::Unknown("nothing".to_string());
    };
    let args = &simple.words[1..];
    let dynamic = args.iter().any(|w| w.dynamic);
    match first.text.as_str() {
        "echo" => {
            let mut rest = args;
            let mut escapes = false;
            while let Some(flag) = rest
                .first()
                .filter(|w| matches!(w.text.as_str(), "-n" | "-e" | "-E" | "-ne" | "-en"))
            {
                escapes |= flag.text.contains('e');
                rest = &rest[1..];
            }
            let joined = rest.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ");
            Input::Text {
                text: if escapes { unescape(&joined) } else { joined },
                dynamic,
                origin: "echo".to_string(),
            }
        }
        // `printf -- FORMAT`: `--` ends printf's options (`-v VAR` prints nothing).
        "printf" if args.first().is_some_and(|a| a.text == "-v") => Input::Text {
            text: String::new(),
            dynamic,
            origin: "printf -v".to_string(),
        },
        "printf" => match args
            .split_first()
            .filter(|(f, _)| f.text != "--")
            .or_else(|| args.get(1..).and_then(<[Word]>::split_first))
        {
            Some((format, values)) => Input::Text {
                text: printf(&format.text, values),
                dynamic,
                origin: "printf".to_string(),
            },
            None => Input::Unknown("printf without a format".to_string()),
        },
        "pg_dump" => {
            let clean = args.iter().any(|a| {
                a.text == "--clean"
                    || (a.text.starts_with('-') && !a.text.starts_with("--") && a.text.contains('c'))
            });
            let to_file = args.iter().any(|a| {
                a.text == "-f"
                    || a.text.starts_with("--file")
                    || a.text.starts_with("-F") && !a.text.ends_with('p')
            });
            if to_file {
                return Input::Unknown("the output of `pg_dump`, which writes to a file".to_string());
            }
            Input::Dump {
                clean,
                origin: simple
                    .words
                    .iter()
                    .map(|w| w.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            }
        }
        // The lines already installed: not new commands.
        "crontab" if args.iter().any(|a| a.text == "-l") => Input::Text {
            text: String::new(),
            dynamic: false,
            origin: "crontab -l".to_string(),
        },
        "cat" => {
            let files: Vec<Word> = args
                .iter()
                .filter(|w| !w.text.starts_with('-') || w.text == "-")
                .cloned()
                .collect();
            if files.is_empty() || files.iter().all(|w| w.text == "-") {
                own_stdin
            } else if files.iter().any(|w| w.text == "-") {
                Input::Unknown("cat of files and standard input".to_string())
            } else {
                Input::Files(files)
            }
        }
        _ => Input::Unknown(format!(
            "the output of `{}`",
            simple
                .words
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        )),
    }
}

/// What a group (`{ a; b; }`, `( a; b )`) writes: its pipelines' outputs in turn.
fn group_output(body: &List, heredocs: &[HereDoc], stdin: &Input) -> Input {
    let mut all = String::new();
    let mut any_dynamic = false;
    for pipeline in &body.pipelines {
        let Some(last) = pipeline.commands.last() else {
            continue;
        };
        match producer_output(last, heredocs, stdin) {
            Input::Text { text, dynamic, .. } => {
                all.push_str(&text);
                all.push('\n');
                any_dynamic |= dynamic;
            }
            other => return other,
        }
    }
    Input::Text {
        text: all,
        dynamic: any_dynamic,
        origin: "a command group".to_string(),
    }
}

/// `printf FORMAT ARGS…`, roughly: escapes decoded and `%s`/`%b`/`%d` filled in turn.
fn printf(format: &str, values: &[Word]) -> String {
    let mut out = String::new();
    let mut values = values.iter();
    let decoded = unescape(format);
    let mut chars = decoded.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('b') => out.push_str(&unescape(
                values.next().map(|w| w.text.as_str()).unwrap_or_default(),
            )),
            Some('s' | 'd' | 'i' | 'q') => {
                out.push_str(values.next().map(|w| w.text.as_str()).unwrap_or_default())
            }
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// Decodes `\n`, `\t`, `\\`, `\xHH`, octal `\NNN` and `\0NNN`, `\uHHHH`
/// and friends as `echo -e` and `printf` do: the text the program writes.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(next) = chars.next() else {
            out.push('\\');
            break;
        };
        let simple = match next {
            'n' => Some('\n'),
            't' => Some('\t'),
            'r' => Some('\r'),
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'v' => Some('\u{b}'),
            'e' | 'E' => Some('\u{1b}'),
            '\\' => Some('\\'),
            _ => None,
        };
        if let Some(decoded) = simple {
            out.push(decoded);
            continue;
        }
        let (radix, max) = match next {
            'x' => (16, 2),
            'u' => (16, 4),
            'U' => (16, 8),
            '0'..='7' => (8, 3),
            _ => {
                out.push('\\');
                out.push(next);
                continue;
            }
        };
        let mut digits = String::new();
        if radix == 8 && next != '0' {
            digits.push(next);
        }
        while digits.len() < max {
            match chars.peek() {
                Some(d) if d.is_digit(radix) => {
                    digits.push(*d);
                    chars.next();
                }
                _ => break,
            }
        }
        match u32::from_str_radix(&digits, radix).ok().and_then(char::from_u32) {
            Some(decoded) => out.push(decoded),
            None if digits.is_empty() && radix == 8 => out.push('\0'),
            None => {
                out.push('\\');
                out.push(next);
                out.push_str(&digits);
            }
        }
    }
    out
}
