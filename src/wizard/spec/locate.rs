//! Finding where in the YAML text a path points, and turning parser errors into [`SpecError`]s.
//!
//! The parser knows the line of most of its own errors, but not of the errors our conversions
//! raise, and the semantic checks run on the parsed value, which has no positions at all. A
//! small walker over the block-style text finds the line of a path such as
//! `steps[4].gates[0].check` instead: enough for the way wizard.yaml is written (block
//! mappings and sequences, flow style only for leaves).

use super::SpecError;

/// One step of a path into the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// A node of the text: where its content starts and the line after its last one.
#[derive(Debug, Clone, Copy)]
struct Node {
    line: usize,
    col: usize,
    end: usize,
    /// A scalar or flow collection on one line: nothing to descend into.
    inline: bool,
}

/// The indentation of a line holding content; `None` for blank and comment-only lines.
fn indent(line: &str) -> Option<usize> {
    let trimmed = line.trim_start_matches(' ');
    if trimmed.is_empty() || trimmed.starts_with('#') {
        None
    } else {
        Some(line.len() - trimmed.len())
    }
}

fn is_dash(line: &str, col: usize) -> bool {
    let rest = line.get(col..).unwrap_or("");
    rest == "-" || rest.starts_with("- ")
}

/// The first line at or after `from` holding content.
fn next_content(lines: &[&str], from: usize, end: usize) -> Option<usize> {
    (from..end).find(|&l| indent(lines[l]).is_some())
}

/// The node holding a value that starts at `col` on `line`, or on the lines below when
/// nothing follows on `line` itself (`after` is where the value text would start).
fn value_node(lines: &[&str], line: usize, after: usize, parent_col: usize, end: usize) -> Node {
    let rest = lines[line].get(after..).unwrap_or("");
    let content = rest.trim_start_matches(' ');
    let block_scalar = content.starts_with('|') || content.starts_with('>');
    if !content.is_empty() && !content.starts_with('#') && !block_scalar {
        return Node {
            line,
            col: after + (rest.len() - content.len()),
            end: line + 1,
            inline: true,
        };
    }
    let Some(first) = next_content(lines, line + 1, end) else {
        return Node {
            line,
            col: after,
            end: line + 1,
            inline: true,
        };
    };
    let col = indent(lines[first]).unwrap_or(0);
    let dash = is_dash(lines[first], col);
    // A sequence may sit at its key's own indentation (`key:` then `- item`).
    if col < parent_col || (col == parent_col && !dash) || block_scalar {
        return Node {
            line,
            col: after,
            end: line + 1,
            inline: true,
        };
    }
    let stop = (first + 1..end)
        .find(|&l| match indent(lines[l]) {
            Some(i) => i < col || (i == col && is_dash(lines[l], col) != dash),
            None => false,
        })
        .unwrap_or(end);
    Node {
        line: first,
        col,
        end: stop,
        inline: false,
    }
}

/// Find the 1-based (line, column) a path points at; when part of the path cannot be found,
/// the deepest part that can.
pub(crate) fn locate(text: &str, path: &[Seg]) -> Option<(usize, usize)> {
    locate_full(text, path).0
}

/// Like [`locate`], and whether the whole path was found.
fn locate_full(text: &str, path: &[Seg]) -> (Option<(usize, usize)>, bool) {
    let lines: Vec<&str> = text.lines().collect();
    let Some(first) = next_content(&lines, 0, lines.len()) else {
        return (None, path.is_empty());
    };
    let mut node = Node {
        line: first,
        col: indent(lines[first]).unwrap_or(0),
        end: lines.len(),
        inline: false,
    };
    let mut found = None;
    let mut depth = 0;
    for seg in path {
        if node.inline {
            break;
        }
        let next = match seg {
            Seg::Key(key) => find_key(&lines, node, key),
            Seg::Index(index) => find_item(&lines, node, *index),
        };
        match next {
            Some((at, child)) => {
                found = Some(at);
                node = child;
                depth += 1;
            }
            None => break,
        }
    }
    (
        found.map(|(line, col)| (line + 1, col + 1)),
        depth == path.len(),
    )
}

fn find_key(lines: &[&str], node: Node, key: &str) -> Option<((usize, usize), Node)> {
    for l in node.line..node.end {
        if l != node.line && indent(lines[l]) != Some(node.col) {
            continue;
        }
        let rest = lines[l].get(node.col..).unwrap_or("");
        let unquoted = rest
            .strip_prefix(key)
            .or_else(|| rest.strip_prefix(&format!("\"{key}\"")))
            .or_else(|| rest.strip_prefix(&format!("'{key}'")));
        let Some(after_key) = unquoted else { continue };
        if after_key == ":" || after_key.starts_with(": ") || after_key.starts_with(":\t") {
            let after = lines[l].len() - after_key.len() + 1;
            let child = value_node(lines, l, after, node.col, node.end);
            return Some(((l, node.col), child));
        }
    }
    None
}

fn find_item(lines: &[&str], node: Node, index: usize) -> Option<((usize, usize), Node)> {
    let items: Vec<usize> = (node.line..node.end)
        .filter(|&l| indent(lines[l]) == Some(node.col) && is_dash(lines[l], node.col))
        .collect();
    let &l = items.get(index)?;
    let end = items.get(index + 1).copied().unwrap_or(node.end);
    let rest = &lines[l][node.col + 1..];
    let content = rest.trim_start_matches(' ');
    let col = lines[l].len() - content.len();
    if content.is_empty() || content.starts_with('#') {
        // `-` alone: the item's content starts on the next line.
        let child = value_node(lines, l, node.col + 1, node.col, end);
        return Some(((l, node.col), child));
    }
    let inline = content.starts_with(['{', '[', '"', '\'']) || !content.contains(':');
    Some((
        (l, col),
        Node {
            line: l,
            col,
            end,
            inline,
        },
    ))
}

/// The first line (0-based) that dedents to a column where no enclosing block starts, with
/// its indentation. libyaml accepts some of these and the parser then fails later with a
/// message about missing fields, far from the real mistake.
fn odd_indent(lines: &[&str]) -> Option<(usize, usize)> {
    let mut levels: Vec<usize> = Vec::new();
    let mut scalar_above: Option<usize> = None;
    for (n, line) in lines.iter().enumerate() {
        let Some(i) = indent(line) else { continue };
        if let Some(key) = scalar_above {
            if i > key {
                continue;
            }
            scalar_above = None;
        }
        let mut popped = false;
        while levels.last().is_some_and(|&top| top > i) {
            levels.pop();
            popped = true;
        }
        match levels.last() {
            Some(&top) if top == i => {}
            Some(_) if popped => return Some((n, i)),
            _ => levels.push(i),
        }
        let body = &line[i..];
        if is_dash(line, i) {
            let content = body[1..].trim_start_matches(' ');
            if !content.is_empty() {
                levels.push(line.len() - content.len());
            }
        }
        let value = body.split(" #").next().unwrap_or("").trim_end();
        let block_scalar = value
            .rsplit_once(": ")
            .map(|(_, v)| v)
            .or_else(|| value.strip_prefix("- "))
            .is_some_and(|v| v.starts_with('|') || v.starts_with('>'));
        if block_scalar {
            scalar_above = Some(i);
        }
    }
    None
}

/// Remove every ` at line N column M` from a message (we print the position up front).
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

/// The parser's message without the positions and path it adds (we print our own).
pub(crate) fn bare_message(err: &serde_yaml::Error) -> String {
    let mut message = strip_positions(&err.to_string());
    // libyaml's own wording ("did not find expected key") rarely says what to fix.
    if message.contains("while parsing") || message.contains("while scanning") {
        message.push_str(
            " (YAML syntax: look for a line indented differently from its neighbours, a missing \
             ':' or an unclosed quote)",
        );
    }
    // serde_yaml prefixes its own path (`steps[3].input: …`); ours is printed separately.
    if let Some((head, tail)) = message.split_once(": ") {
        if !head.is_empty() && !head.contains(char::is_whitespace) && !head.contains('`') {
            message = tail.to_string();
        }
    }
    message
}

/// Turn a parse or type error into [`SpecError`]s naming line, column and field path: the
/// parser's, preceded by a misindented line if the text has one.
pub(crate) fn serde_error(
    text: &str,
    origin: &str,
    err: &serde_path_to_error::Error<serde_yaml::Error>,
) -> Vec<SpecError> {
    let segs: Vec<Seg> = err
        .path()
        .iter()
        .filter_map(|s| match s {
            serde_path_to_error::Segment::Seq { index } => Some(Seg::Index(*index)),
            serde_path_to_error::Segment::Map { key } => Some(Seg::Key(key.clone())),
            _ => None,
        })
        .collect();
    // A segment the path tracker could not name (`?`) means the walk would stop short.
    let whole_path = segs.len() == err.path().iter().count();
    let path = err.path().to_string();
    let path = if path == "." { String::new() } else { path };
    let inner = err.inner();
    // The parser's position is exact for syntax errors and bad scalars, but errors our
    // conversions raise carry the position of an enclosing node (the start of a list, or of the
    // document). When the path itself can be found, it wins unless the parser points into the
    // same line (then the parser's column is the sharper one).
    let parser_pos = inner.location().map(|l| (l.line(), l.column()));
    let (path_pos, complete) = locate_full(text, &segs);
    let pos = match (parser_pos, path_pos) {
        (Some(p), Some(q)) if complete && whole_path && !segs.is_empty() && p.0 != q.0 => Some(q),
        (Some(p), _) => Some(p),
        (None, q) => q,
    };
    let parsed = SpecError {
        origin: origin.to_string(),
        line: pos.map(|p| p.0),
        column: pos.map(|p| p.1),
        path,
        message: bare_message(inner),
    };
    // libyaml tolerates some misindented lines and the parser then fails elsewhere: name the
    // line as well, first, since it is the likely cause.
    let lines: Vec<&str> = text.lines().collect();
    match odd_indent(&lines) {
        Some((n, i)) if parsed.line != Some(n + 1) => vec![
            SpecError {
                origin: origin.to_string(),
                line: Some(n + 1),
                column: Some(i + 1),
                path: String::new(),
                message: format!(
                    "this line is indented {i} spaces, which matches none of the blocks around \
                     it: fix the indentation"
                ),
            },
            parsed,
        ],
        _ => vec![parsed],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    input:
      kind: form
      fields:
        - id: f
          label: {en: F}
";

    fn at(path: &[Seg]) -> Option<(usize, usize)> {
        locate(DOC, path)
    }

    fn k(s: &str) -> Seg {
        Seg::Key(s.into())
    }

    #[test]
    fn finds_keys_and_items_in_block_yaml() {
        assert_eq!(at(&[k("languages")]), Some((2, 1)));
        assert_eq!(at(&[k("steps"), Seg::Index(0)]), Some((4, 5)));
        assert_eq!(at(&[k("steps"), Seg::Index(1), k("id")]), Some((12, 5)));
        // A sequence at its key's own indentation.
        assert_eq!(
            at(&[
                k("steps"),
                Seg::Index(0),
                k("gates"),
                Seg::Index(1),
                k("check")
            ]),
            Some((11, 7))
        );
        assert_eq!(
            at(&[
                k("steps"),
                Seg::Index(1),
                k("input"),
                k("fields"),
                Seg::Index(0),
                k("label")
            ]),
            Some((17, 11))
        );
    }

    #[test]
    fn a_line_dedented_between_two_blocks_is_found() {
        assert_eq!(odd_indent(&DOC.lines().collect::<Vec<_>>()), None);
        let builtin: Vec<&str> = super::super::BUILTIN_YAML.lines().collect();
        assert_eq!(odd_indent(&builtin), None);
        let bad = DOC.replace("    title:", "   title:");
        assert_eq!(odd_indent(&bad.lines().collect::<Vec<_>>()), Some((4, 3)));
        let scalar = "a:\n  b: |\n      x\n    y\n  c: 1\n";
        assert_eq!(odd_indent(&scalar.lines().collect::<Vec<_>>()), None);
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

    #[test]
    fn a_missing_part_points_at_the_deepest_found() {
        assert_eq!(at(&[k("steps"), Seg::Index(1), k("nope")]), Some((12, 5)));
        assert_eq!(at(&[k("steps"), Seg::Index(9)]), Some((3, 1)));
        assert_eq!(at(&[k("nothing")]), None);
    }
}
