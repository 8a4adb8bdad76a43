//! Where in a scenario's YAML text a field path points.
//!
//! A copy of the walker in `wizard::spec::locate`, which is private to the wizard loader: the
//! parser knows the line of its own errors, but the checks that need the wizard (a step id
//! that does not exist, a cell the pack does not have) run on the parsed value, which has no
//! positions. The walker finds the line of a path such as `expect.catch[0].gate` in the
//! block-style text. TODO(lead): make `wizard::spec::locate` `pub(crate)` and drop this copy.

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
    let lines: Vec<&str> = text.lines().collect();
    let first = next_content(&lines, 0, lines.len())?;
    let mut node = Node {
        line: first,
        col: indent(lines[first]).unwrap_or(0),
        end: lines.len(),
        inline: false,
    };
    let mut found = None;
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
            }
            None => break,
        }
    }
    found.map(|(line, col)| (line + 1, col + 1))
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

/// The parser's message without the position and path it appends (we print our own).
pub(crate) fn bare_message(err: &serde_yaml::Error) -> String {
    let mut message = err.to_string();
    if let Some(at) = message.rfind(" at line ") {
        let tail = &message[at + " at line ".len()..];
        let is_position = tail
            .split_once(" column ")
            .is_some_and(|(l, c)| l.parse::<usize>().is_ok() && c.parse::<usize>().is_ok());
        if is_position {
            message.truncate(at);
        }
    }
    // serde_yaml prefixes its own path (`steps[3].input: …`); ours is printed separately.
    if let Some((head, tail)) = message.split_once(": ") {
        if !head.is_empty() && !head.contains(char::is_whitespace) && !head.contains('`') {
            message = tail.to_string();
        }
    }
    message
}
