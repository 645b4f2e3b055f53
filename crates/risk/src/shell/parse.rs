//! A shell parser for classification: POSIX/bash words and quoting (`'…'`,
//! `"…"`, `$'…'`, escapes, line continuations), operators (`;` `&` `&&`
//! `||` `|` `|&`), subshells and groups, command and process substitution
//! (`$(…)`, backticks, `<(…)`), redirections, here-documents and
//! here-strings. Control keywords are stepped over so the commands inside
//! `if`/`while`/`for` bodies are seen.
//!
//! It runs in time linear in the input for each nesting level, nesting is
//! bounded, and every malformed input is an error (which the classifier
//! turns into a high-risk finding), never a panic.

use super::ast::*;

/// How deeply subshells, groups and substitutions may nest.
pub const MAX_NESTING: usize = 32;

/// Why a line could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong.
    pub message: String,
    /// Where (byte offset).
    pub offset: usize,
    /// The limit on nesting was hit (rather than a syntax error).
    pub too_deep: bool,
}

type Result<T> = std::result::Result<T, ParseError>;

/// Parses a command line or script.
pub fn parse(src: &str) -> Result<Script> {
    parse_nested(src, 0)
}

fn parse_nested(src: &str, nesting: usize) -> Result<Script> {
    let mut parser = Parser::new(src, nesting);
    let list = parser.list(Stop::Eof)?;
    if parser.pos < src.len() {
        return Err(parser.error("unexpected `)`"));
    }
    if !parser.pending.is_empty() {
        // A here-document on the last line with no body: the shell reads
        // nothing; keep it empty.
        parser.pending.clear();
    }
    Ok(Script {
        list,
        heredocs: parser.heredocs,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stop {
    Eof,
    Paren,
    Brace,
    /// The commands of one `case` pattern: up to `;;`, `;&`, `;;&` or `esac`.
    CaseItem,
}

struct PendingHereDoc {
    index: usize,
    delimiter: String,
    strip_tabs: bool,
}

struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    nesting: usize,
    heredocs: Vec<HereDoc>,
    pending: Vec<PendingHereDoc>,
}

/// Words that open or close compound commands, stepped over at command position.
const PREFIX_KEYWORDS: &[&str] = &[
    "if", "then", "elif", "else", "do", "while", "until", "!", "time", "fi", "done", "esac",
];

impl<'a> Parser<'a> {
    /// A parser at the start of `src`, already `nesting` levels deep.
    fn new(src: &'a str, nesting: usize) -> Parser<'a> {
        Parser {
            src,
            bytes: src.as_bytes(),
            pos: 0,
            nesting,
            heredocs: Vec::new(),
            pending: Vec::new(),
        }
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            message: message.into(),
            offset: self.pos,
            too_deep: false,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.bytes.get(self.pos + offset).copied()
    }

    fn starts_with(&self, text: &str) -> bool {
        self.bytes[self.pos..].starts_with(text.as_bytes())
    }

    fn enter(&mut self) -> Result<()> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(ParseError {
                message: format!("nested more than {MAX_NESTING} levels deep"),
                offset: self.pos,
                too_deep: true,
            });
        }
        Ok(())
    }

    /// Skips blanks, line continuations and comments (not newlines).
    fn skip_blanks(&mut self) {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r') => self.pos += 1,
                Some(b'\\') if self.peek_at(1) == Some(b'\n') => self.pos += 2,
                Some(b'#') => {
                    while !matches!(self.peek(), None | Some(b'\n')) {
                        self.pos += 1;
                    }
                }
                _ => return,
            }
        }
    }

    /// Skips blanks and newlines (reading here-document bodies on the way).
    fn skip_newlines(&mut self) -> Result<()> {
        loop {
            self.skip_blanks();
            if self.peek() != Some(b'\n') {
                return Ok(());
            }
            self.newline()?;
        }
    }

    /// Consumes a newline and reads the bodies of pending here-documents.
    fn newline(&mut self) -> Result<()> {
        self.pos += 1;
        for pending in std::mem::take(&mut self.pending) {
            let mut body = String::new();
            loop {
                if self.pos >= self.bytes.len() {
                    break;
                }
                let end = self.src[self.pos..]
                    .find('\n')
                    .map_or(self.src.len(), |i| self.pos + i);
                let line = &self.src[self.pos..end];
                self.pos = (end + 1).min(self.src.len());
                let compared = if pending.strip_tabs {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                if compared == pending.delimiter {
                    break;
                }
                body.push_str(compared);
                body.push('\n');
            }
            let doc = &mut self.heredocs[pending.index];
            if doc.dynamic {
                let (substitutions, dynamic) = expansions_in(&body, self.nesting)?;
                doc.substitutions = substitutions;
                doc.dynamic = dynamic;
                body = unescape_heredoc(&body);
            }
            doc.body = body;
        }
        Ok(())
    }

    fn list(&mut self, stop: Stop) -> Result<List> {
        let mut list = List::default();
        loop {
            self.skip_blanks();
            match self.peek() {
                None => {
                    if stop != Stop::Eof {
                        return Err(
                            self.error("unexpected end of input: a group or substitution is not closed")
                        );
                    }
                    return Ok(list);
                }
                Some(b'\n') => {
                    self.newline()?;
                    continue;
                }
                Some(b';') if stop == Stop::CaseItem && matches!(self.peek_at(1), Some(b';' | b'&')) => {
                    return Ok(list);
                }
                Some(b';') if self.peek_at(1) != Some(b';') => {
                    self.pos += 1;
                    continue;
                }
                Some(b')') => {
                    if stop == Stop::Paren {
                        return Ok(list);
                    }
                    return Err(self.error("unexpected `)`"));
                }
                _ => {}
            }
            if stop == Stop::Brace && self.at_reserved("}") {
                return Ok(list);
            }
            if stop == Stop::CaseItem && self.at_reserved("esac") {
                return Ok(list);
            }
            let pipeline = self.pipeline(stop)?;
            if !pipeline.commands.is_empty() {
                list.pipelines.push(pipeline);
            }
            self.skip_blanks();
            match self.peek() {
                Some(b'&') if self.peek_at(1) == Some(b'&') => self.pos += 2,
                Some(b'|') if self.peek_at(1) == Some(b'|') => self.pos += 2,
                Some(b';') if stop == Stop::CaseItem && matches!(self.peek_at(1), Some(b';' | b'&')) => {}
                Some(b';') if self.peek_at(1) == Some(b';') => {
                    return Err(self.error("`;;` outside a `case` statement"));
                }
                Some(b';' | b'&') => self.pos += 1,
                Some(b'\n') | None | Some(b')') => {}
                _ if stop == Stop::Brace && self.at_reserved("}") => {}
                _ if stop == Stop::CaseItem && self.at_reserved("esac") => {}
                Some(c) => return Err(self.error(format!("unexpected `{}`", c as char))),
            }
        }
    }

    /// Whether the next word is exactly `word`, followed by a separator.
    fn at_reserved(&self, word: &str) -> bool {
        self.starts_with(word)
            && matches!(
                self.bytes.get(self.pos + word.len()),
                None | Some(b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b')' | b'<' | b'>')
            )
    }

    fn pipeline(&mut self, stop: Stop) -> Result<Pipeline> {
        let mut pipeline = Pipeline::default();
        loop {
            if let Some(command) = self.command(stop)? {
                pipeline.commands.push(command);
            }
            self.skip_blanks();
            let is_pipe = self.peek() == Some(b'|') && self.peek_at(1) != Some(b'|');
            if !is_pipe {
                return Ok(pipeline);
            }
            self.pos += if self.peek_at(1) == Some(b'&') { 2 } else { 1 };
            self.skip_newlines()?;
        }
    }

    fn command(&mut self, stop: Stop) -> Result<Option<Command>> {
        self.skip_blanks();
        // Keywords that only open or close a compound command.
        while let Some(word) = PREFIX_KEYWORDS.iter().find(|w| self.at_reserved(w)) {
            self.pos += word.len();
            self.skip_blanks();
        }
        if self.at_reserved("for") || self.at_reserved("select") {
            return self.for_header();
        }
        if self.at_reserved("case") {
            return self.case().map(Some);
        }
        if self.at_reserved("function") {
            self.pos += "function".len();
            self.skip_blanks();
            self.word()?;
            self.skip_blanks();
            if self.starts_with("()") {
                self.pos += 2;
            }
            return self.command(stop);
        }
        if self.at_reserved("[[") {
            let start = self.pos;
            let mut substitutions = self.conditional()?;
            let redirects = self.trailing_redirects(&mut substitutions)?;
            return Ok(self.runs_only(start, substitutions, redirects));
        }
        match self.peek() {
            Some(b'(') if self.peek_at(1) == Some(b'(') => {
                let start = self.pos;
                let mut substitutions = Vec::new();
                self.arithmetic(&mut substitutions)?;
                let redirects = self.trailing_redirects(&mut substitutions)?;
                return Ok(self.runs_only(start, substitutions, redirects));
            }
            Some(b'(') => return self.group(Stop::Paren).map(Some),
            _ => {}
        }
        if self.at_reserved("{") {
            return self.group(Stop::Brace).map(Some);
        }
        let simple = self.simple(stop)?;
        // `name() compound-command`: a function definition; its body is classified.
        if simple.words.len() == 1 && simple.redirects.is_empty() {
            self.skip_blanks();
            if self.starts_with("()") {
                self.pos += 2;
                self.skip_newlines()?;
                return self.command(stop);
            }
        }
        if simple.words.is_empty() && simple.assignments.is_empty() && simple.redirects.is_empty() {
            return Ok(None);
        }
        Ok(Some(Command::Simple(simple)))
    }

    /// A command with no words of its own that runs `substitutions` and
    /// opens `redirects` (from `[[ … ]]`, `(( … ))` or a `for` header
    /// starting at `start`).
    fn runs_only(
        &self,
        start: usize,
        substitutions: Vec<Script>,
        redirects: Vec<Redirect>,
    ) -> Option<Command> {
        (!substitutions.is_empty() || !redirects.is_empty()).then(|| {
            Command::Simple(Simple {
                substitutions,
                redirects,
                start,
                end: self.pos,
                ..Simple::default()
            })
        })
    }

    /// `( list )` (a subshell) or `{ list; }`, with the redirections after it.
    fn group(&mut self, stop: Stop) -> Result<Command> {
        let (open, subshell) = if stop == Stop::Paren {
            ("(", true)
        } else {
            ("{", false)
        };
        self.pos += 1;
        self.enter()?;
        let body = self.list(stop)?;
        let closed = if subshell {
            self.peek() == Some(b')')
        } else {
            self.at_reserved("}")
        };
        if !closed {
            return Err(self.error(format!("`{open}` is not closed")));
        }
        self.pos += 1;
        self.nesting -= 1;
        let mut substitutions = Vec::new();
        let redirects = self.trailing_redirects(&mut substitutions)?;
        Ok(Command::Group {
            body,
            subshell,
            redirects,
            substitutions,
        })
    }

    /// The redirections after a compound command (`( … ) 2>&1`,
    /// `{ …; } >log`, `[[ … ]] 2>/dev/null`), a descriptor number included.
    fn trailing_redirects(&mut self, substitutions: &mut Vec<Script>) -> Result<Vec<Redirect>> {
        let mut redirects = Vec::new();
        loop {
            self.skip_blanks();
            let start = self.pos;
            let digits = self.bytes[start..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            let fd = (digits > 0)
                .then(|| self.src[start..start + digits].parse().ok())
                .flatten();
            self.pos += digits;
            match self.redirect(fd, substitutions)? {
                Some(r) => redirects.push(r),
                None => {
                    self.pos = start;
                    return Ok(redirects);
                }
            }
        }
    }

    /// `case WORD in [(]PATTERN[|PATTERN…]) LIST ;; … esac`: any branch may
    /// run, so the result is a group of every branch's commands (after the
    /// substitutions of the word and the patterns, which run first).
    fn case(&mut self) -> Result<Command> {
        let start = self.pos;
        self.pos += "case".len();
        self.skip_blanks();
        let (_, mut substitutions) = self.word()?;
        self.skip_newlines()?;
        if !self.at_reserved("in") {
            return Err(self.error("`case` without `in`"));
        }
        self.pos += "in".len();
        self.enter()?;
        let mut branches = List::default();
        loop {
            self.skip_newlines()?;
            if self.at_reserved("esac") {
                self.pos += "esac".len();
                break;
            }
            if self.peek().is_none() {
                return Err(self.error("`case` is not closed with `esac`"));
            }
            if self.peek() == Some(b'(') {
                self.pos += 1;
            }
            loop {
                self.skip_blanks();
                let (_, inner) = self.word()?;
                substitutions.extend(inner);
                self.skip_blanks();
                match self.peek() {
                    Some(b'|') => self.pos += 1,
                    Some(b')') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.error("a `case` pattern is not closed with `)`")),
                }
            }
            branches.pipelines.extend(self.list(Stop::CaseItem)?.pipelines);
            for terminator in [";;&", ";;", ";&"] {
                if self.starts_with(terminator) {
                    self.pos += terminator.len();
                    break;
                }
            }
        }
        self.nesting -= 1;
        let mut body = List::default();
        if let Some(header) = self.runs_only(start, substitutions, Vec::new()) {
            body.pipelines.push(Pipeline {
                commands: vec![header],
            });
        }
        body.pipelines.extend(branches.pipelines);
        let mut substitutions = Vec::new();
        let redirects = self.trailing_redirects(&mut substitutions)?;
        Ok(Command::Group {
            body,
            subshell: false,
            redirects,
            substitutions,
        })
    }

    /// `for NAME [in WORDS…]` up to the separator. The words are data, but
    /// substitutions in them run, so they are kept in a command with no words.
    fn for_header(&mut self) -> Result<Option<Command>> {
        let start = self.pos;
        let mut substitutions = Vec::new();
        while !matches!(self.peek(), None | Some(b';' | b'\n')) {
            if self.starts_with("((") {
                self.arithmetic(&mut substitutions)?;
            } else {
                let (_, inner) = self.word()?;
                substitutions.extend(inner);
            }
            self.skip_blanks();
        }
        Ok(self.runs_only(start, substitutions, Vec::new()))
    }

    /// `[[ … ]]`: a test, whose words are data; the substitutions in them run.
    fn conditional(&mut self) -> Result<Vec<Script>> {
        self.pos += 2;
        let mut substitutions = Vec::new();
        loop {
            self.skip_blanks();
            if self.at_reserved("]]") {
                self.pos += 2;
                return Ok(substitutions);
            }
            if self.peek().is_none() {
                return Err(self.error("`[[` is not closed"));
            }
            if matches!(
                self.peek(),
                Some(b'&' | b'|' | b'<' | b'>' | b'(' | b')' | b'\n' | b';')
            ) {
                self.pos += 1;
                continue;
            }
            let (_, inner) = self.word()?;
            substitutions.extend(inner);
        }
    }

    /// `(( … ))`: arithmetic, read to the matching parentheses; the
    /// substitutions and expansions in it go to `substitutions`.
    fn arithmetic(&mut self, substitutions: &mut Vec<Script>) -> Result<()> {
        let mut depth = 0usize;
        let mut scratch = Word::default();
        while let Some(c) = self.peek() {
            match c {
                b'$' => {
                    self.dollar(&mut scratch, substitutions, true)?;
                    continue;
                }
                b'`' => {
                    substitutions.push(self.backticks()?);
                    continue;
                }
                b'\\' => self.pos += 1,
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        self.pos += 1;
                        return Ok(());
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
        Err(self.error("`((` is not closed"))
    }

    /// `${…}` from its `$`: read to the matching `}`, with the substitutions
    /// in defaults, patterns and subscripts (`${x:-$(…)}`, `${a[$(…)]}`).
    fn parameter(&mut self, substitutions: &mut Vec<Script>) -> Result<()> {
        self.pos += 2;
        let mut scratch = Word::default();
        loop {
            match self.peek() {
                None => return Err(self.error("`${` is not closed")),
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'$') => self.dollar(&mut scratch, substitutions, true)?,
                Some(b'`') => substitutions.push(self.backticks()?),
                Some(b'"') => {
                    self.pos += 1;
                    self.double_quoted(&mut scratch, substitutions)?;
                }
                Some(b'\'') => {
                    self.pos += 1;
                    let end = self.src[self.pos..]
                        .find('\'')
                        .ok_or_else(|| self.error("a single quote is not closed"))?;
                    self.pos += end + 1;
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.next_char();
                }
                Some(_) => {
                    self.next_char();
                }
            }
        }
    }

    fn simple(&mut self, stop: Stop) -> Result<Simple> {
        let mut simple = Simple {
            start: self.pos,
            ..Simple::default()
        };
        loop {
            self.skip_blanks();
            let Some(c) = self.peek() else { break };
            if matches!(c, b'\n' | b';' | b'|' | b')') || (c == b'&' && self.peek_at(1) != Some(b'>')) {
                break;
            }
            if c == b'(' {
                if simple.words.len() == 1 && self.starts_with("()") {
                    break;
                }
                return Err(self.error("unexpected `(`"));
            }
            if stop == Stop::Brace && simple.words.is_empty() && self.at_reserved("}") {
                break;
            }
            if let Some(redirect) = self.redirect(None, &mut simple.substitutions)? {
                simple.redirects.push(redirect);
                continue;
            }
            let word_start = self.pos;
            let (word, substitutions) = self.word()?;
            simple.substitutions.extend(substitutions);
            // A number right before `<` or `>` is a descriptor.
            if !word.dynamic && !word.text.is_empty() && word.text.bytes().all(|b| b.is_ascii_digit()) {
                if let Some(redirect) = self.redirect(word.text.parse().ok(), &mut simple.substitutions)? {
                    simple.redirects.push(redirect);
                    continue;
                }
            }
            if simple.words.is_empty() {
                if let Some(assignment) = assignment(&self.src[word_start..self.pos], &word) {
                    simple.assignments.push(assignment);
                    continue;
                }
            }
            match super::braces::expand(&self.src[word_start..self.pos]) {
                Some(alternatives) => {
                    for alternative in alternatives.iter().filter(|a| !a.is_empty()) {
                        let mut parser = Parser::new(alternative, self.nesting);
                        if let Ok((mut expanded, _)) = parser.word() {
                            (expanded.start, expanded.end) = (word.start, word.end);
                            simple.words.push(expanded);
                        }
                    }
                }
                None => simple.words.push(word),
            }
        }
        simple.end = self.pos;
        Ok(simple)
    }

    /// A redirection at the cursor, if there is one.
    /// The substitutions in the target (`> $(…)`, `< <(…)`, `<<< "$(…)"`)
    /// go to `substitutions`: they run before the command.
    fn redirect(&mut self, fd: Option<u32>, substitutions: &mut Vec<Script>) -> Result<Option<Redirect>> {
        const OPERATORS: &[(&str, Option<RedirectKind>)] = &[
            ("<<<", Some(RedirectKind::HereString)),
            ("<<-", None),
            ("<<", None),
            ("<>", Some(RedirectKind::ReadWrite)),
            ("<&", Some(RedirectKind::Duplicate)),
            (">&", Some(RedirectKind::Duplicate)),
            ("&>>", Some(RedirectKind::Append)),
            ("&>", Some(RedirectKind::Output)),
            (">>", Some(RedirectKind::Append)),
            (">|", Some(RedirectKind::Output)),
            ("<", Some(RedirectKind::Input)),
            (">", Some(RedirectKind::Output)),
        ];
        let Some((op, kind)) = OPERATORS.iter().find(|(op, _)| self.starts_with(op)) else {
            return Ok(None);
        };
        // `<(…)` and `>(…)` are process substitutions, not redirections.
        if matches!(*op, "<" | ">") && self.peek_at(1) == Some(b'(') {
            return Ok(None);
        }
        self.pos += op.len();
        self.skip_blanks();
        if matches!(self.peek(), None | Some(b'\n' | b';' | b'|' | b'&' | b')')) {
            return Err(self.error(format!("`{op}` has no target")));
        }
        let (target, inner) = self.word()?;
        substitutions.extend(inner);
        let kind = match kind {
            Some(kind) => kind.clone(),
            None => {
                let index = self.heredocs.len();
                let quoted = self.src[target.start..target.end].contains(['\'', '"', '\\']);
                self.heredocs.push(HereDoc {
                    dynamic: !quoted,
                    ..HereDoc::default()
                });
                self.pending.push(PendingHereDoc {
                    index,
                    delimiter: target.text.clone(),
                    strip_tabs: *op == "<<-",
                });
                RedirectKind::HereDoc(index)
            }
        };
        Ok(Some(Redirect { fd, kind, target }))
    }

    /// One word, with the scripts of the substitutions in it.
    fn word(&mut self) -> Result<(Word, Vec<Script>)> {
        let start = self.pos;
        let mut word = Word {
            start,
            ..Word::default()
        };
        let mut substitutions = Vec::new();
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b')' => break,
                b'<' | b'>' if self.peek_at(1) == Some(b'(') => {
                    word.text.push(c as char);
                    word.text.push_str("(…)");
                    self.pos += 1;
                    substitutions.push(self.substitution()?);
                    word.dynamic = true;
                }
                b'<' | b'>' | b'(' => break,
                b'\\' => {
                    self.pos += 1;
                    match self.next_char() {
                        Some('\n') | None => {}
                        Some(ch) => word.text.push(ch),
                    }
                }
                b'\'' => {
                    self.pos += 1;
                    let end = self.src[self.pos..]
                        .find('\'')
                        .ok_or_else(|| self.error("a single quote is not closed"))?;
                    word.text.push_str(&self.src[self.pos..self.pos + end]);
                    self.pos += end + 1;
                }
                b'"' => {
                    self.pos += 1;
                    self.double_quoted(&mut word, &mut substitutions)?;
                }
                b'$' => self.dollar(&mut word, &mut substitutions, false)?,
                b'`' => {
                    substitutions.push(self.backticks()?);
                    word.dynamic = true;
                    word.text.push_str("`…`");
                }
                b'*' | b'?' | b'[' => {
                    word.glob = true;
                    word.text.push(c as char);
                    self.pos += 1;
                }
                _ => {
                    let ch = self.next_char().expect("peeked");
                    word.text.push(ch);
                }
            }
        }
        word.end = self.pos;
        if word.start == word.end {
            return Err(self.error("expected a word"));
        }
        Ok((word, substitutions))
    }

    fn next_char(&mut self) -> Option<char> {
        let ch = self.src[self.pos..].chars().next()?;
        self.pos += ch.len_utf8();
        Some(ch)
    }

    fn double_quoted(&mut self, word: &mut Word, substitutions: &mut Vec<Script>) -> Result<()> {
        loop {
            match self.peek() {
                None => return Err(self.error("a double quote is not closed")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b'$' | b'`' | b'"' | b'\\') => word.text.push(self.next_char().expect("peeked")),
                        Some(b'\n') => self.pos += 1,
                        _ => word.text.push('\\'),
                    }
                }
                Some(b'$') => self.dollar(word, substitutions, true)?,
                Some(b'`') => {
                    substitutions.push(self.backticks()?);
                    word.dynamic = true;
                    word.text.push_str("`…`");
                }
                Some(_) => {
                    let ch = self.next_char().expect("peeked");
                    word.text.push(ch);
                }
            }
        }
    }

    /// `$'…'`, `$"…"`, `$(…)`, `$((…))`, `${…}`, `$NAME`, `$1`, `$@` …
    fn dollar(&mut self, word: &mut Word, substitutions: &mut Vec<Script>, quoted: bool) -> Result<()> {
        match self.peek_at(1) {
            Some(b'\'') if !quoted => {
                self.pos += 2;
                self.ansi_c(word)
            }
            Some(b'"') if !quoted => {
                self.pos += 1;
                Ok(())
            }
            Some(b'(') if self.peek_at(2) == Some(b'(') => {
                self.pos += 1;
                let start = self.pos;
                self.arithmetic(substitutions)?;
                word.text.push('$');
                word.text.push_str(&self.src[start..self.pos]);
                word.dynamic = true;
                Ok(())
            }
            Some(b'(') => {
                self.pos += 1;
                substitutions.push(self.substitution()?);
                word.text.push_str("$(…)");
                word.dynamic = true;
                Ok(())
            }
            Some(b'{') => {
                let start = self.pos;
                self.parameter(substitutions)?;
                word.text.push_str(&self.src[start..self.pos]);
                word.dynamic = true;
                Ok(())
            }
            Some(c) if c.is_ascii_alphanumeric() || c == b'_' || b"@*#?$!-".contains(&c) => {
                let start = self.pos;
                self.pos += 2;
                if c.is_ascii_alphabetic() || c == b'_' {
                    while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_') {
                        self.pos += 1;
                    }
                }
                word.text.push_str(&self.src[start..self.pos]);
                word.dynamic = true;
                Ok(())
            }
            _ => {
                self.pos += 1;
                word.text.push('$');
                Ok(())
            }
        }
    }

    /// The body of `$'…'` with its escapes decoded.
    fn ansi_c(&mut self, word: &mut Word) -> Result<()> {
        loop {
            let Some(ch) = self.next_char() else {
                return Err(self.error("a `$'` quote is not closed"));
            };
            match ch {
                '\'' => return Ok(()),
                '\\' => {
                    let Some(esc) = self.next_char() else {
                        return Err(self.error("a `$'` quote is not closed"));
                    };
                    match esc {
                        'n' => word.text.push('\n'),
                        't' => word.text.push('\t'),
                        'r' => word.text.push('\r'),
                        'a' => word.text.push('\x07'),
                        'b' => word.text.push('\x08'),
                        'e' | 'E' => word.text.push('\x1b'),
                        'f' => word.text.push('\x0c'),
                        'v' => word.text.push('\x0b'),
                        // `\xHH`, `\uHHHH`, `\UHHHHHHHH`; `\cX` is a control character.
                        'x' | 'u' | 'U' => {
                            let max = match esc {
                                'x' => 2,
                                'u' => 4,
                                _ => 8,
                            };
                            let value = self.digits(16, max);
                            word.text.push(char::from_u32(value).unwrap_or('\u{fffd}'));
                        }
                        'c' => {
                            let control = self.next_char().map_or(0, |c| (c as u32) & 0x1f);
                            word.text.push(char::from_u32(control).unwrap_or('\u{fffd}'));
                        }
                        '0'..='7' => {
                            self.pos -= 1;
                            let value = self.digits(8, 3);
                            word.text.push(char::from_u32(value).unwrap_or('\u{fffd}'));
                        }
                        other => {
                            if !matches!(other, '\\' | '\'' | '"' | '?') {
                                word.text.push('\\');
                            }
                            word.text.push(other);
                        }
                    }
                }
                other => word.text.push(other),
            }
        }
    }

    fn digits(&mut self, radix: u32, max: usize) -> u32 {
        let mut value = 0;
        for _ in 0..max {
            match self.peek().and_then(|c| (c as char).to_digit(radix)) {
                Some(d) => {
                    value = value * radix + d;
                    self.pos += 1;
                }
                None => break,
            }
        }
        value
    }

    /// `(…)` after `$`, `<` or `>`: the text up to the matching parenthesis,
    /// parsed as a script of its own.
    fn substitution(&mut self) -> Result<Script> {
        let open = self.pos;
        let close = matching_paren(self.bytes, open).ok_or_else(|| self.error("`$(` is not closed"))?;
        self.pos = close + 1;
        if self.nesting + 1 > MAX_NESTING {
            return Err(ParseError {
                message: format!("nested more than {MAX_NESTING} levels deep"),
                offset: open,
                too_deep: true,
            });
        }
        parse_nested(&self.src[open + 1..close], self.nesting + 1).map_err(|e| ParseError {
            offset: e.offset + open + 1,
            ..e
        })
    }

    /// `` `…` ``: the text up to the closing backtick, unescaped and parsed.
    fn backticks(&mut self) -> Result<Script> {
        let open = self.pos;
        self.pos += 1;
        let mut inner = String::new();
        loop {
            match self.next_char() {
                None => return Err(self.error("a backtick is not closed")),
                Some('`') => break,
                Some('\\') => match self.next_char() {
                    Some(c @ ('`' | '\\' | '$')) => inner.push(c),
                    Some(c) => {
                        inner.push('\\');
                        inner.push(c);
                    }
                    None => return Err(self.error("a backtick is not closed")),
                },
                Some(c) => inner.push(c),
            }
        }
        if self.nesting + 1 > MAX_NESTING {
            return Err(ParseError {
                message: format!("nested more than {MAX_NESTING} levels deep"),
                offset: open,
                too_deep: true,
            });
        }
        parse_nested(&inner, self.nesting + 1).map_err(|e| ParseError { offset: open, ..e })
    }
}

/// `NAME=value` when the name part is unquoted.
fn assignment(raw: &str, word: &Word) -> Option<Assignment> {
    let eq = raw.find('=')?;
    let name = &raw[..eq];
    let valid = !name.is_empty()
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !valid {
        return None;
    }
    let value_text = word.text.get(eq + 1..).unwrap_or_default().to_string();
    Some(Assignment {
        name: name.to_string(),
        value: Word {
            text: value_text,
            start: word.start + eq + 1,
            ..word.clone()
        },
    })
}

/// The index of the `)` matching the `(` at `open`, skipping quotes,
/// escapes and nested parentheses.
fn matching_paren(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    let mut in_double = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'\'' if !in_double => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'\'' {
                    i += 1;
                }
            }
            b'"' => in_double = !in_double,
            b'`' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'`' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'(' if !in_double || (i > 0 && bytes[i - 1] == b'$') => depth += 1,
            b')' if !in_double || depth > 1 => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// An unquoted here-document's body as the program reads it: `\$`,
/// `` \` `` and `\\` lose their backslash, and an escaped newline joins
/// two lines (`\\!` reaches psql as `\!`).
fn unescape_heredoc(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some('$' | '`' | '\\')) => out.extend(chars.next()),
            ('\\', Some('\n')) => {
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// The substitutions in an expanded here-document body, and whether it holds
/// any expansion at all.
fn expansions_in(body: &str, nesting: usize) -> Result<(Vec<Script>, bool)> {
    if !body.contains(['$', '`']) {
        return Ok((Vec::new(), false));
    }
    let mut parser = Parser::new(body, nesting);
    let mut word = Word::default();
    let mut substitutions = Vec::new();
    while let Some(c) = parser.peek() {
        match c {
            b'\\' => {
                parser.pos += 1;
                parser.next_char();
            }
            b'$' => parser.dollar(&mut word, &mut substitutions, true)?,
            b'`' => {
                substitutions.push(parser.backticks()?);
                word.dynamic = true;
            }
            _ => {
                parser.next_char();
            }
        }
    }
    Ok((substitutions, word.dynamic))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn simple_commands(script: &Script) -> Vec<Vec<String>> {
        fn walk(list: &List, out: &mut Vec<Vec<String>>) {
            for pipeline in &list.pipelines {
                for command in &pipeline.commands {
                    match command {
                        Command::Simple(s) => {
                            out.push(s.words.iter().map(|w| w.text.clone()).collect());
                            for sub in &s.substitutions {
                                walk(&sub.list, out);
                            }
                        }
                        Command::Group { body, .. } => walk(body, out),
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(&script.list, &mut out);
        out
    }

    fn words(line: &str) -> Vec<Vec<String>> {
        simple_commands(&parse(line).unwrap_or_else(|e| panic!("{line}: {e:?}")))
    }

    #[test]
    fn quoting_and_escapes() {
        assert_eq!(
            words(r#"psql -c "DROP TABLE \"x\"""#),
            vec![vec!["psql", "-c", r#"DROP TABLE "x""#]]
        );
        assert_eq!(words("echo 'a b' c\\ d"), vec![vec!["echo", "a b", "c d"]]);
        assert_eq!(
            words("printf $'TRUNCATE users;\\n'"),
            vec![vec!["printf", "TRUNCATE users;\n"]]
        );
        assert_eq!(words("a\\\nb"), vec![vec!["ab"]]);
    }

    #[test]
    fn operators_split_commands() {
        assert_eq!(
            words("a && b || c; d & e | f |& g"),
            vec![
                vec!["a"],
                vec!["b"],
                vec!["c"],
                vec!["d"],
                vec!["e"],
                vec!["f"],
                vec!["g"]
            ]
        );
        assert_eq!(
            words("(cd web && x) ; { y; }"),
            vec![vec!["cd", "web"], vec!["x"], vec!["y"]]
        );
    }

    #[test]
    fn substitutions_are_parsed() {
        assert_eq!(
            words("echo $(dropdb farm) `psql -l`"),
            vec![
                vec!["echo", "$(…)", "`…`"],
                vec!["dropdb", "farm"],
                vec!["psql", "-l"]
            ]
        );
        assert_eq!(
            words("diff <(psql -c 'x') y"),
            vec![vec!["diff", "<(…)", "y"], vec!["psql", "-c", "x"]]
        );
    }

    #[test]
    fn heredocs_and_herestrings() {
        let script = parse("psql -f - <<'EOF2'\nDELETE FROM farms;\nEOF2\necho done").unwrap();
        assert_eq!(script.heredocs[0].body, "DELETE FROM farms;\n");
        assert!(!script.heredocs[0].dynamic);
        assert_eq!(
            simple_commands(&script),
            vec![vec!["psql", "-f", "-"], vec!["echo", "done"]]
        );
        let script = parse("cat <<-EOF | psql\n\tDROP TABLE $T;\n\tEOF\n").unwrap();
        assert_eq!(script.heredocs[0].body, "DROP TABLE $T;\n");
        assert!(script.heredocs[0].dynamic);
        let script = parse("psql <<< \"drop database farm\"").unwrap();
        let Command::Simple(s) = &script.list.pipelines[0].commands[0] else {
            panic!()
        };
        assert_eq!(s.redirects[0].kind, RedirectKind::HereString);
        assert_eq!(s.redirects[0].target.text, "drop database farm");
    }

    #[test]
    fn unquoted_heredocs_lose_their_escapes() {
        let script = parse("psql <<EOF\n\\\\! dropdb x \\$HOME\nEOF\n").unwrap();
        assert_eq!(script.heredocs[0].body, "\\! dropdb x $HOME\n");
        let script = parse("psql <<'EOF'\n\\\\! x\nEOF\n").unwrap();
        assert_eq!(script.heredocs[0].body, "\\\\! x\n");
    }

    #[test]
    fn escapes_before_multibyte_characters_in_heredocs() {
        let script = parse("cat <<EOF | psql\n\\\u{10f18b} $(dropdb x)\nEOF\n").unwrap();
        assert_eq!(script.heredocs[0].substitutions.len(), 1);
    }

    #[test]
    fn assignments_and_control_keywords() {
        let script = parse("A=1 B=\"x y\" npx prisma migrate reset").unwrap();
        let Command::Simple(s) = &script.list.pipelines[0].commands[0] else {
            panic!()
        };
        assert_eq!(s.assignments.len(), 2);
        assert_eq!(s.assignments[1].value.text, "x y");
        assert_eq!(s.words[0].text, "npx");
        assert_eq!(
            words("if true; then dropdb x; fi; for f in $(ls); do psql -f $f; done"),
            vec![
                vec!["true"],
                vec!["dropdb", "x"],
                vec![],
                vec!["ls"],
                vec!["psql", "-f", "$f"]
            ]
        );
        assert_eq!(
            words("f() { dropdb x; }; f"),
            vec![vec!["dropdb", "x"], vec!["f"]]
        );
    }

    #[test]
    fn every_branch_of_a_case_statement_is_a_command() {
        assert_eq!(
            words("case \"$1\" in\n  reset|wipe) dropdb x ;;\n  (up) echo $(date);& *) psql -c y;;& esac; z"),
            vec![
                vec!["dropdb", "x"],
                vec!["echo", "$(…)"],
                vec!["date"],
                vec!["psql", "-c", "y"],
                vec!["z"]
            ]
        );
        assert_eq!(words("case x in\nesac"), Vec::<Vec<&str>>::new());
    }

    #[test]
    fn malformed_input_is_an_error() {
        for line in [
            "echo 'open",
            "echo \"open",
            "(a",
            "a)",
            "echo $(b",
            "a `b",
            "x >",
            "case x in a) y;;",
            "case x a) y;; esac",
            "case x in a y;; esac",
            "a;; b",
            "$'\\",
        ] {
            assert!(parse(line).is_err(), "{line}");
        }
        let deep = format!("{}x{}", "( ".repeat(100), ")".repeat(100));
        assert!(parse(&deep).unwrap_err().too_deep);
        let deep = format!("{}x{}", "$(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).unwrap_err().too_deep);
    }

    proptest! {
        #[test]
        fn never_panics(line in "[a-z $'\"`\\\\(){};&|<>\\n#*-]{0,80}") {
            let _ = parse(&line);
        }

        #[test]
        fn never_panics_on_any_text(line in "\\PC{0,60}") {
            let _ = parse(&line);
        }
    }
}
