//! Reading the YAML files a person writes (wizard, answers, scenario), with every mistake
//! placed at file:line:column by the parser's own marks.
//!
//! A file is read twice: once by a spanned event parser into a small tree of positions, which
//! also refuses what no file of ours can mean (duplicate keys, nesting past [`MAX_DEPTH`],
//! non-finite numbers, several documents), and then by serde into the typed value. Every
//! error of the second pass and of the loaders' own checks is placed through the tree, so no
//! error goes out without a position.

use std::fmt;
use std::path::Path;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use serde::de::DeserializeOwned;

/// How deeply mappings and sequences may nest. Our files need about ten levels; the limit
/// keeps a hostile file of a hundred thousand brackets from costing more than a glance.
pub const MAX_DEPTH: usize = 48;

/// The largest input file read, in bytes: wizard.yaml is about 70 kB (our judgement: a
/// hundred times that is no hand-written file).
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// One mistake in an input file: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The file (or `wizard.yaml (built in)`).
    pub origin: String,
    /// 1-based line; `None` only when the file could not be read at all.
    pub line: Option<usize>,
    /// 1-based column, in characters.
    pub column: Option<usize>,
    /// Where in the document: `steps[wiring.ladder].gates[ladder]`; empty for the whole file.
    pub path: String,
    /// What is wrong, as a sentence.
    pub message: String,
}

impl Error {
    /// A mistake about the whole file (it cannot be read).
    pub fn whole_file(origin: &str, message: impl Into<String>) -> Error {
        Error {
            origin: origin.to_string(),
            line: None,
            column: None,
            path: String::new(),
            message: message.into(),
        }
    }
}

/// Write `s` cleaned ([`crate::clean::clean`]): a message quotes the file, and the file must
/// not steer the terminal.
fn write_visible(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str(&crate::clean::clean(s))
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_visible(f, &self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        f.write_str(": ")?;
        if !self.path.is_empty() {
            write_visible(f, &self.path)?;
            f.write_str(": ")?;
        }
        write_visible(f, &self.message)
    }
}

impl std::error::Error for Error {}

/// Every mistake found in an input file, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Errors(pub Vec<Error>);

impl Errors {
    /// A single mistake.
    pub fn one(e: Error) -> Errors {
        Errors(vec![e])
    }
}

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Errors {}

/// One step of a path into the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// A path into a document, kept both as segments (to find its position) and as text for
/// people, where an item with an id is shown by it: `steps[wiring.ladder].gates[0]`.
#[derive(Debug, Clone, Default)]
pub struct At {
    segs: Vec<Seg>,
    shown: String,
}

impl At {
    /// The whole document.
    pub fn root() -> At {
        At::default()
    }

    /// The value of `key` in this mapping.
    pub fn key(&self, key: &str) -> At {
        let mut p = self.clone();
        p.segs.push(Seg::Key(key.to_string()));
        if !p.shown.is_empty() {
            p.shown.push('.');
        }
        p.shown.push_str(key);
        p
    }

    /// Item `index` of this sequence.
    pub fn index(&self, index: usize) -> At {
        self.item(index, "")
    }

    /// Item `index` of this sequence, shown by its `id` unless that is empty.
    pub fn item(&self, index: usize, id: &str) -> At {
        let mut p = self.clone();
        p.segs.push(Seg::Index(index));
        if id.is_empty() {
            p.shown.push_str(&format!("[{index}]"));
        } else {
            p.shown.push_str(&format!("[{id}]"));
        }
        p
    }

    /// The path as people read it.
    pub fn shown(&self) -> &str {
        &self.shown
    }
}

/// A node of the document with the 1-based line and column where it starts.
#[derive(Debug, Clone)]
struct Node {
    line: usize,
    column: usize,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Leaf,
    Seq(Vec<Node>),
    /// Entries as (key text, key node, value node); a key that is not a scalar has no text.
    Map(Vec<(Option<String>, Node, Node)>),
}

/// A parsed document: the positions of its nodes, for placing errors.
#[derive(Debug, Clone)]
pub struct Doc {
    origin: String,
    root: Option<Node>,
}

/// 1-based (line, column) of a parser mark; the parser counts columns from 0.
fn pos(span: &Span) -> (usize, usize) {
    (span.start.line(), span.start.col() + 1)
}

/// A position at the end of the stream may lie one line past the text: point at the end of
/// the last line instead, so an editor can jump there.
fn inside(text: &str, line: usize, column: usize) -> (usize, usize) {
    let lines: Vec<&str> = text.split('\n').collect();
    match lines.get(line.wrapping_sub(1)) {
        Some(_) if line >= 1 => (line, column.max(1)),
        _ => {
            let last = lines.len().max(1);
            let len = lines.last().map_or(0, |l| l.chars().count());
            (last, len + 1)
        }
    }
}

/// serde_norway reads these plain scalars as infinities and NaN: no field of ours means one.
fn non_finite(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    matches!(
        unsigned,
        ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN"
    )
}

/// The parser's wording, with what to look for.
fn syntax_message(info: &str) -> String {
    format!(
        "YAML syntax: {info} (look for a line indented differently from its neighbours, a \
         missing ':' or an unclosed quote or bracket)"
    )
}

fn too_deep() -> String {
    format!("nested deeper than {MAX_DEPTH} levels: no file of this program needs that")
}

/// A container being built while the events stream past.
enum Open {
    Seq(Node, Vec<Node>),
    /// The mapping, its entries, and a key waiting for its value.
    Map(
        Node,
        Vec<(Option<String>, Node, Node)>,
        Option<(Option<String>, Node)>,
    ),
}

struct Builder<'o> {
    origin: &'o str,
    stack: Vec<Open>,
    root: Option<Node>,
    errors: Vec<Error>,
    documents: usize,
}

impl Builder<'_> {
    fn err(&mut self, (line, column): (usize, usize), message: String) {
        self.errors.push(Error {
            origin: self.origin.to_string(),
            line: Some(line),
            column: Some(column),
            path: String::new(),
            message,
        });
    }

    /// Put a finished node where it belongs; `key_text` is its text if it is a scalar.
    fn place(&mut self, node: Node, key_text: Option<String>) {
        let at = (node.line, node.column);
        let mut duplicate = None;
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Open::Seq(_, items)) => items.push(node),
            Some(Open::Map(_, entries, pending)) => match pending.take() {
                None => {
                    if let Some(text) = &key_text {
                        if let Some((_, first, _)) =
                            entries.iter().find(|(k, _, _)| k.as_ref() == Some(text))
                        {
                            duplicate = Some((text.clone(), first.line, first.column));
                        }
                    }
                    *pending = Some((key_text, node));
                }
                Some((key, key_node)) => entries.push((key, key_node, node)),
            },
        }
        if let Some((key, line, column)) = duplicate {
            self.err(
                at,
                format!(
                    "duplicate key '{key}' (first at line {line}, column {column}): give each \
                     key once"
                ),
            );
        }
    }

    fn is_key_position(&self) -> bool {
        matches!(self.stack.last(), Some(Open::Map(_, _, None)))
    }
}

impl Doc {
    /// Parse `text`, refusing syntax errors, duplicate keys, nesting deeper than
    /// [`MAX_DEPTH`], non-finite numbers and more than one document.
    pub fn parse(text: &str, origin: &str) -> Result<Doc, Errors> {
        let mut b = Builder {
            origin,
            stack: Vec::new(),
            root: None,
            errors: Vec::new(),
            documents: 0,
        };
        for event in Parser::new_from_str(text) {
            let (event, span) = match event {
                Ok(e) => e,
                Err(e) => {
                    let m = e.marker();
                    // The scanner reads ahead through flow brackets and stops at its own
                    // limit (255) before the depth check below sees them.
                    let message = if e.info() == "recursion limit exceeded" {
                        too_deep()
                    } else {
                        syntax_message(e.info())
                    };
                    b.err(inside(text, m.line(), m.col() + 1), message);
                    break;
                }
            };
            let at = pos(&span);
            match event {
                Event::DocumentStart(_) => {
                    b.documents += 1;
                    if b.documents > 1 {
                        b.err(
                            at,
                            "a second YAML document ('---'): a file holds exactly one".into(),
                        );
                        break;
                    }
                }
                Event::SequenceStart(..) | Event::MappingStart(..) => {
                    if b.stack.len() >= MAX_DEPTH {
                        b.err(at, too_deep());
                        break;
                    }
                    let node = Node {
                        line: at.0,
                        column: at.1,
                        kind: Kind::Leaf,
                    };
                    b.stack.push(if matches!(event, Event::SequenceStart(..)) {
                        Open::Seq(node, Vec::new())
                    } else {
                        Open::Map(node, Vec::new(), None)
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let node = match b.stack.pop() {
                        Some(Open::Seq(mut node, items)) => {
                            node.kind = Kind::Seq(items);
                            node
                        }
                        Some(Open::Map(mut node, entries, _)) => {
                            node.kind = Kind::Map(entries);
                            node
                        }
                        None => continue,
                    };
                    b.place(node, None);
                }
                Event::Scalar(value, style, _, _) => {
                    let plain = style == ScalarStyle::Plain;
                    if plain && !b.is_key_position() && non_finite(&value) {
                        b.err(
                            at,
                            format!(
                                "'{value}' is not a finite number: give a measured value (or \
                                 quote it if it is text)"
                            ),
                        );
                    }
                    let node = Node {
                        line: at.0,
                        column: at.1,
                        kind: Kind::Leaf,
                    };
                    b.place(node, Some(value.into_owned()));
                }
                Event::Alias(_) => {
                    let node = Node {
                        line: at.0,
                        column: at.1,
                        kind: Kind::Leaf,
                    };
                    b.place(node, None);
                }
                Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
            }
        }
        if b.errors.is_empty() {
            Ok(Doc {
                origin: origin.to_string(),
                root: b.root,
            })
        } else {
            Err(Errors(b.errors))
        }
    }

    /// The file this document came from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Where `path` points: the key of a mapping entry, the start of a sequence item. When
    /// part of the path is not in the document, the deepest part that is; the start of the
    /// file for the empty path.
    pub fn position(&self, path: &[Seg]) -> (usize, usize) {
        self.position_full(path).0
    }

    /// Like [`Self::position`], and whether the whole path was found.
    fn position_full(&self, path: &[Seg]) -> ((usize, usize), bool) {
        let Some(mut node) = self.root.as_ref() else {
            return ((1, 1), path.is_empty());
        };
        let mut at = (node.line, node.column);
        for seg in path {
            let next = match (seg, &node.kind) {
                (Seg::Key(key), Kind::Map(entries)) => entries
                    .iter()
                    .find(|(k, _, _)| k.as_deref() == Some(key.as_str()))
                    .map(|(_, k, v)| ((k.line, k.column), v)),
                (Seg::Index(i), Kind::Seq(items)) => items.get(*i).map(|n| ((n.line, n.column), n)),
                _ => None,
            };
            match next {
                Some((p, child)) => {
                    at = p;
                    node = child;
                }
                None => return (at, false),
            }
        }
        (at, true)
    }

    /// A mistake at `path`, shown as `shown` (`steps[wiring.ladder].gates[ladder]`).
    pub fn error(&self, path: &[Seg], shown: &str, message: impl Into<String>) -> Error {
        let (line, column) = self.position(path);
        Error {
            origin: self.origin.clone(),
            line: Some(line),
            column: Some(column),
            path: shown.to_string(),
            message: message.into(),
        }
    }

    /// A mistake at `at`.
    pub fn error_at(&self, at: &At, message: impl Into<String>) -> Error {
        self.error(&at.segs, &at.shown, message)
    }

    /// Deserialize `text` (the text this document was parsed from) into `T`, the error placed
    /// at file:line:column with its field path.
    pub fn deserialize<T: DeserializeOwned>(&self, text: &str) -> Result<T, Errors> {
        let de = serde_yaml::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| Errors::one(self.serde_error(text, &e)))
    }

    fn serde_error(
        &self,
        text: &str,
        err: &serde_path_to_error::Error<serde_yaml::Error>,
    ) -> Error {
        let segs: Vec<Seg> = err
            .path()
            .iter()
            .filter_map(|s| match s {
                serde_path_to_error::Segment::Seq { index } => Some(Seg::Index(*index)),
                serde_path_to_error::Segment::Map { key } => Some(Seg::Key(key.clone())),
                _ => None,
            })
            .collect();
        // A segment the path tracker could not name (`?`) means the path stops short.
        let whole_path = segs.len() == err.path().iter().count();
        let shown = err.path().to_string();
        let shown = if shown == "." { String::new() } else { shown };
        let inner = err.inner();
        // The parser's mark is exact for bad scalars, but errors our conversions raise carry
        // the mark of an enclosing node (the start of a list, or of the document). A path
        // found in full wins unless the parser points into the same line (its column is then
        // the sharper one).
        let parser = inner.location().map(|l| (l.line(), l.column()));
        let (found, complete) = self.position_full(&segs);
        let (line, column) = match parser {
            Some(p) if complete && whole_path && !segs.is_empty() && p.0 != found.0 => found,
            Some(p) => inside(text, p.0, p.1),
            None => found,
        };
        Error {
            origin: self.origin.clone(),
            line: Some(line),
            column: Some(column),
            path: shown,
            message: message_of(inner),
        }
    }
}

/// A number for a message: huge or tiny ones in exponent form (`1e308`, not 309 digits).
pub fn number(v: f64) -> String {
    if v.is_finite() && v != 0.0 && !(1e-6..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// Parse and deserialize `text`: the typed value and the positions of its nodes.
pub fn load<T: DeserializeOwned>(text: &str, origin: &str) -> Result<(T, Doc), Errors> {
    let doc = Doc::parse(text, origin)?;
    let value = doc.deserialize(text)?;
    Ok((value, doc))
}

/// Remove every ` at line N column M` from a message (the position is printed up front).
fn strip_positions(message: &str) -> String {
    const AT: &str = " at line ";
    let mut out = String::new();
    let mut rest = message;
    while let Some(at) = rest.find(AT) {
        let tail = &rest[at + AT.len()..];
        let line_len = tail
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(tail.len());
        let after_line = &tail[line_len..];
        let col = after_line
            .strip_prefix(" column ")
            .map(|c| c.find(|ch: char| !ch.is_ascii_digit()).unwrap_or(c.len()));
        match col {
            Some(col_len) if line_len > 0 && col_len > 0 => {
                out.push_str(&rest[..at]);
                rest = &after_line[" column ".len() + col_len..];
            }
            _ => {
                out.push_str(&rest[..at + AT.len()]);
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// serde_norway's message without the positions and path it adds (ours are printed apart).
pub(crate) fn message_of(err: &serde_yaml::Error) -> String {
    let mut message = strip_positions(&err.to_string());
    if message.contains("while parsing") || message.contains("while scanning") {
        message = syntax_message(&message);
    }
    // serde_norway prefixes its own path (`steps[3].input: …`).
    if let Some((head, tail)) = message.split_once(": ") {
        if !head.is_empty()
            && !head.contains(char::is_whitespace)
            && !head.contains('`')
            && head != "YAML"
        {
            message = tail.to_string();
        }
    }
    message
}

/// The 1-based line and column (in characters) of byte `offset` of `bytes`.
fn line_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// The bytes of a file as text; invalid UTF-8 is placed at its line and column.
pub fn text_of(bytes: Vec<u8>, origin: &str) -> Result<String, Errors> {
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let (line, column) = line_column(e.as_bytes(), offset);
        Errors::one(Error {
            origin: origin.to_string(),
            line: Some(line),
            column: Some(column),
            path: String::new(),
            message: format!("not UTF-8 text: byte {offset} cannot start a character"),
        })
    })
}

/// Read an input file as text: refused when it cannot be read, is larger than
/// [`MAX_FILE_BYTES`] or is not UTF-8.
pub fn read_file(path: &Path) -> Result<String, Errors> {
    use std::io::Read;
    let origin = path.display().to_string();
    let cannot =
        |e: std::io::Error| Errors::one(Error::whole_file(&origin, format!("cannot read: {e}")));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Errors::one(Error::whole_file(
            &origin,
            format!(
                "larger than {} MiB: not a file written by hand",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        )));
    }
    text_of(bytes, &origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> Seg {
        Seg::Key(s.into())
    }

    const DOC: &str = "\
# comment
languages: [en, pl]
steps:
  - id: a
    title:
      en: A
    gates:
    - id: g1
      check: all_confirmed
    - id: g2
      check: ladder
  - id: b
    changes:
      - !capacity 100
";

    fn refused(text: &str) -> Error {
        let e = Doc::parse(text, "t.yaml").unwrap_err();
        assert_eq!(e.0.len(), 1, "{e}");
        e.0[0].clone()
    }

    #[test]
    fn positions_come_from_the_parser() {
        let doc = Doc::parse(DOC, "t.yaml").unwrap();
        assert_eq!(doc.position(&[k("languages")]), (2, 1));
        assert_eq!(doc.position(&[k("languages"), Seg::Index(1)]), (2, 17));
        assert_eq!(doc.position(&[k("steps"), Seg::Index(0)]), (4, 5));
        assert_eq!(doc.position(&[k("steps"), Seg::Index(1), k("id")]), (12, 5));
        let g2 = [
            k("steps"),
            Seg::Index(0),
            k("gates"),
            Seg::Index(1),
            k("check"),
        ];
        assert_eq!(doc.position(&g2), (11, 7));
        let tagged = [k("steps"), Seg::Index(1), k("changes"), Seg::Index(0)];
        assert_eq!(doc.position(&tagged), (14, 9));
        // What is not there points at the deepest part that is.
        assert_eq!(
            doc.position(&[k("steps"), Seg::Index(1), k("nope")]),
            (12, 5)
        );
        assert_eq!(doc.position(&[k("steps"), Seg::Index(9)]), (3, 1));
        assert_eq!(doc.position(&[]), (2, 1));
    }

    #[test]
    fn a_duplicate_key_is_refused_at_its_second_place() {
        let e = refused("a: 1\nb:\n  c: 2\n  c: 3\n");
        assert_eq!((e.line, e.column), (Some(4), Some(3)));
        assert!(
            e.message
                .contains("duplicate key 'c' (first at line 3, column 3)"),
            "{e}"
        );
        let e = refused("{x: 1, y: 2, x: 3}");
        assert_eq!((e.line, e.column), (Some(1), Some(14)));
        // The same key in two different mappings is fine.
        assert!(Doc::parse("a: {c: 1}\nb: {c: 1}\n", "t").is_ok());
    }

    #[test]
    fn non_finite_numbers_are_refused_where_they_stand() {
        for bad in [".nan", ".NaN", ".inf", "-.inf", "+.INF"] {
            let e = refused(&format!("pack:\n  ambient: {bad}\n"));
            assert_eq!((e.line, e.column), (Some(2), Some(12)), "{bad}");
            assert!(e.message.contains("not a finite number"), "{e}");
        }
        // Quoted, it is text; a word is text too.
        assert!(Doc::parse("name: '.nan'\nother: nan\n", "t").is_ok());
    }

    #[test]
    fn deep_nesting_is_refused_quickly() {
        for deep in [
            "[".repeat(100_000),
            format!("a: {}", "{b: ".repeat(100_000)),
        ] {
            let started = std::time::Instant::now();
            let e = refused(&deep);
            assert!(started.elapsed() < std::time::Duration::from_secs(1));
            // The scanner's own bracket limit comes first, in the same words.
            assert_eq!(e.line, Some(1));
            assert!(e.message.contains("nested deeper than 48 levels"), "{e}");
        }
        assert_eq!(refused(&"[".repeat(1000)).column, Some(256));
        // Block nesting: mapping n starts at line n, column n; the 49th is one too many.
        let block: String = (0..100).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let e = refused(&block);
        assert_eq!(
            (e.line, e.column),
            (Some(MAX_DEPTH + 1), Some(MAX_DEPTH + 1))
        );
        let ok: String = (0..MAX_DEPTH)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect();
        assert!(Doc::parse(&ok, "t").is_ok());
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(Doc::parse(&ok, "t").is_ok());
    }

    #[test]
    fn a_second_document_is_refused() {
        let e = refused("a: 1\n---\nb: 2\n");
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("second YAML document"), "{e}");
    }

    #[test]
    fn a_syntax_error_names_its_line_and_column() {
        let e = refused("a: [1, 2\nb: 3\n");
        assert!(e.line.is_some() && e.column.is_some());
        assert!(e.message.starts_with("YAML syntax: "), "{e}");
        let e = refused("a: 'open\n");
        assert!(e.line.is_some(), "{e}");
    }

    #[test]
    fn invalid_utf8_is_placed_at_its_line_and_column() {
        let e = text_of(b"a: 1\nb: x\xffy\n".to_vec(), "t.yaml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.yaml:2:5: not UTF-8 text: byte 9 cannot start a character"
        );
        let e = text_of(b"\xc3".to_vec(), "t.yaml").unwrap_err();
        assert_eq!((e.0[0].line, e.0[0].column), (Some(1), Some(1)));
    }

    #[test]
    fn a_missing_or_huge_file_is_refused_naming_it() {
        let e = read_file(Path::new("/nonexistent/w.yaml")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("/nonexistent/w.yaml: cannot read"),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.yaml");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_FILE_BYTES + 1).unwrap();
        let e = read_file(&big).unwrap_err();
        assert!(e.to_string().contains("larger than 8 MiB"), "{e}");
    }

    #[test]
    fn a_type_error_is_placed_by_its_path() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct T {
            a: Vec<Inner>,
        }
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Inner {
            n: u32,
        }
        let text = "a:\n  - n: 1\n  - n: lots\n";
        let e = load::<T>(text, "t.yaml").unwrap_err().0.remove(0);
        assert_eq!(
            (e.line, e.column, e.path.as_str()),
            (Some(3), Some(8), "a[1].n")
        );
        assert!(
            e.message.starts_with("invalid type: string \"lots\""),
            "{e}"
        );
        let e = load::<T>("a:\n  - n: 1\n    m: 2\n", "t.yaml")
            .unwrap_err()
            .0
            .remove(0);
        assert_eq!(
            (e.line, e.column, e.path.as_str()),
            (Some(3), Some(5), "a[0].m")
        );
        let e = load::<T>("b: 1\n", "t.yaml").unwrap_err().0.remove(0);
        assert_eq!(e.line, Some(1));
    }

    #[test]
    fn what_an_error_quotes_cannot_steer_the_terminal() {
        let e = refused("\"a\\e[8mhidden\": 1\n\"a\\e[8mhidden\": 2\n");
        let shown = e.to_string();
        assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
        assert!(
            shown.contains("duplicate key 'a\u{241b}[8mhidden'"),
            "{shown}"
        );
        let e = Error::whole_file("x\u{9b}y\nz", "bell\u{7}");
        assert_eq!(e.to_string(), "x\\u{9b}y\u{240a}z: bell\u{2407}");
    }

    #[test]
    fn positions_are_removed_from_parser_messages() {
        assert_eq!(
            strip_positions(
                "did not find key at line 3 column 4, while parsing at line 1 column 2"
            ),
            "did not find key, while parsing"
        );
        assert_eq!(strip_positions("at line five"), "at line five");
    }
}
