//! The step list: every step with its manual number and where it stands.

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::AppView;
use crate::ui::text::{section_code, section_label, width};
use crate::wizard::engine::Status;
use crate::wizard::spec::tr;

/// How a step stands on the list: a symbol and a word, so colour is never needed to read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Left with every gate passing.
    Done,
    /// The current step.
    Current,
    /// The current step, refused on the last attempt to leave and still failing.
    Blocked,
    /// Left with an override.
    Overridden,
    /// Skipped, or not applicable to this pack.
    Skipped,
    /// Not reached yet.
    Pending,
    /// Does not apply to this pack (its condition does not hold).
    NotApplicable,
}

impl Mark {
    /// The symbol in the list.
    pub fn symbol(self) -> &'static str {
        match self {
            Mark::Done => "✓",
            Mark::Current => "▶",
            Mark::Blocked => "✗",
            Mark::Overridden => "!",
            Mark::Skipped => "–",
            Mark::Pending => "·",
            Mark::NotApplicable => " ",
        }
    }

    /// The key of its words for the help overlay (wizard.yaml's `ui:` section).
    pub fn word(self) -> &'static str {
        match self {
            Mark::Done => "ui.mark.done",
            Mark::Current => "ui.mark.current",
            Mark::Blocked => "ui.mark.blocked",
            Mark::Overridden => "ui.mark.overridden",
            Mark::Skipped => "ui.mark.skipped",
            Mark::Pending => "ui.mark.pending",
            Mark::NotApplicable => "ui.mark.not_applicable",
        }
    }
}

/// Where step `i` stands.
pub fn mark(view: &AppView<'_>, i: usize) -> Mark {
    let record = &view.state.steps[i];
    if i == view.current() && view.state.signed_off.is_none() {
        let refused = record.gates.iter().any(|g| !g.verdict.ok);
        let failing =
            crate::wizard::engine::leave_verdict(&view.gates, &record.overrides).is_none();
        return if refused && failing {
            Mark::Blocked
        } else {
            Mark::Current
        };
    }
    match record.status() {
        Status::Done => Mark::Done,
        Status::Overridden => Mark::Overridden,
        Status::Skipped => Mark::Skipped,
        Status::NotApplicable => Mark::NotApplicable,
        Status::Current => Mark::Current,
        Status::Pending if !view.applies.get(i).copied().unwrap_or(true) => Mark::NotApplicable,
        Status::Pending => Mark::Pending,
    }
}

/// Draw the list.
pub fn render(frame: &mut Frame<'_>, area: Rect, view: &AppView<'_>) {
    let t = view.theme;
    let spec = view.spec;
    let block = Block::new().borders(Borders::RIGHT);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = inner.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    let mut current_line = 0;
    let mut section = None;
    for (i, step) in spec.steps.iter().enumerate() {
        if section != Some(step.section) {
            section = Some(step.section);
            let style = t.title().add_modifier(Modifier::UNDERLINED);
            for l in hanging("", section_label(spec, view.lang, step.section), w) {
                lines.push(Line::from(Span::styled(l, style)));
            }
        }
        let m = mark(view, i);
        let num = step.number.map_or(String::new(), |n| n.to_string());
        let prefix = format!("{} {}{:>2} ", m.symbol(), section_code(step.section), num);
        let style = match m {
            Mark::Done => t.ok(),
            Mark::Blocked => t.bad().add_modifier(Modifier::REVERSED),
            Mark::Current => t.title().add_modifier(Modifier::REVERSED),
            Mark::Overridden => t.warn(),
            Mark::Skipped | Mark::NotApplicable => t.dim(),
            Mark::Pending => ratatui::style::Style::new(),
        };
        if i == view.current() {
            current_line = lines.len();
        }
        // Every name is read whole, wrapped under its number: a cut name is a guess.
        for l in hanging(&prefix, tr(&step.title, view.lang), w) {
            lines.push(Line::from(Span::styled(l, style)));
        }
    }
    let h = inner.height as usize;
    // Keep the current step in view, a third of the way down, so what comes next shows.
    let offset = current_line
        .saturating_sub(h / 3)
        .min(lines.len().saturating_sub(h));
    let shown: Vec<Line> = lines.into_iter().skip(offset).take(h).collect();
    frame.render_widget(Paragraph::new(shown), inner);
}

/// Continuation lines of a name in the list start this far in.
const HANG: usize = 2;

/// `prefix` and `name` in lines of at most `w` cells, breaking at spaces and, in a word too
/// long for a line (a German or Danish compound), after a hyphen; the lines after the first
/// start [`HANG`] cells in. Only a word longer than a whole line is cut, and then it is
/// carried on, never lost.
fn hanging(prefix: &str, name: &str, w: usize) -> Vec<String> {
    let w = w.max(HANG + 4);
    let room = w - HANG;
    // Each word, and whether it carries on the word before (the rest after a hyphen break).
    let mut words: Vec<(String, bool)> = Vec::new();
    for word in crate::clean::clean(name).split_whitespace() {
        let mut rest = word.to_string();
        let mut carried = false;
        // A compound with a hyphen breaks after it when it would not fit a line.
        while width(&rest) > room {
            let hyphen = rest
                .char_indices()
                .filter(|&(k, c)| c == '-' && k + 1 < rest.len() && width(&rest[..=k]) <= room)
                .map(|(k, _)| k)
                .next_back();
            match hyphen {
                Some(k) => {
                    words.push((rest[..=k].to_string(), carried));
                    rest = rest[k + 1..].to_string();
                    carried = true;
                }
                None => break,
            }
        }
        words.push((rest, carried));
    }
    let mut out = Vec::new();
    let mut line = crate::clean::clean(prefix).into_owned();
    // Whether `line` holds a word yet (a word joins it after a space).
    let mut worded = false;
    for (word, carried) in words {
        let joint = usize::from(worded && !carried);
        if width(&line) + joint + width(&word) > w && (worded || !line.trim().is_empty()) {
            out.push(std::mem::take(&mut line).trim_end().to_string());
            line = " ".repeat(HANG);
            worded = false;
        }
        if worded && !carried {
            line.push(' ');
        }
        line.push_str(&word);
        worded = true;
    }
    if !line.trim().is_empty() || out.is_empty() {
        out.push(line);
    }
    // A word longer than a whole line: shown in pieces, every piece kept.
    out.into_iter()
        .flat_map(|l| {
            if width(&l) <= w {
                return vec![l];
            }
            let mut parts = Vec::new();
            let mut chars = l.chars().peekable();
            while chars.peek().is_some() {
                let part: String = chars.by_ref().take(w).collect();
                parts.push(part);
            }
            parts
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_wraps_under_its_number_and_no_word_is_cut() {
        assert_eq!(
            hanging("✓ W 5 ", "Multimeter check of the balance plug", 21),
            vec!["✓ W 5 Multimeter", "  check of the", "  balance plug"]
        );
        // Fits: one line, the whole of it.
        assert_eq!(hanging("· W 1 ", "á-é", 21), vec!["· W 1 á-é"]);
        assert_eq!(
            hanging("· C 8 ", "CONTROL tab", 21),
            vec!["· C 8 CONTROL tab"]
        );
        // 21 cells exactly fit; one more goes on.
        assert_eq!(
            hanging("· W 1 ", "abcdefghij abcd", 21),
            vec!["· W 1 abcdefghij abcd"]
        );
        assert_eq!(
            hanging("· W 1 ", "abcdefghij abcde", 21),
            vec!["· W 1 abcdefghij", "  abcde"]
        );
        // A first word too long for the first line starts the next one.
        assert_eq!(
            hanging("· W12 ", "Ausgangsspannung", 21),
            vec!["· W12", "  Ausgangsspannung"]
        );
        // A compound too long for any line breaks after its hyphen; a lead's name does not.
        assert_eq!(
            hanging("· W 7 ", "B- lead to the pack", 21),
            vec!["· W 7 B- lead to the", "  pack"]
        );
        assert_eq!(
            hanging("· W 6 ", "NTC-Temperatursensor ab", 21),
            vec!["· W 6 NTC-", "  Temperatursensor ab"]
        );
        assert_eq!(
            hanging("· W 6 ", "NTC-Temperatursensor", 21),
            vec!["· W 6 NTC-", "  Temperatursensor"]
        );
        // A section label has no prefix.
        assert_eq!(
            hanging("", "Configuration in the app", 21),
            vec!["Configuration in the", "  app"]
        );
    }
}
