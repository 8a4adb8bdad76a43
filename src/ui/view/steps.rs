//! The step list: every step with its manual number and where it stands.

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::AppView;
use crate::ui::text::{clip, section_code, section_label};
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
            lines.push(Line::from(Span::styled(
                clip(section_label(spec, view.lang, step.section), w),
                t.title().add_modifier(Modifier::UNDERLINED),
            )));
        }
        let m = mark(view, i);
        let num = step.number.map_or(String::new(), |n| n.to_string());
        let text = format!(
            "{} {}{:>2} {}",
            m.symbol(),
            section_code(step.section),
            num,
            tr(&step.title, view.lang)
        );
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
            // The current step's name is read whole: wrapped under its number, never cut.
            let body = crate::ui::text::wrap(&text, w.max(8));
            for (k, l) in body.into_iter().enumerate() {
                let l = if k == 0 { l } else { format!("      {l}") };
                lines.push(Line::from(Span::styled(clip(&l, w), style)));
            }
            continue;
        }
        lines.push(Line::from(Span::styled(clip(&text, w), style)));
    }
    let h = inner.height as usize;
    // Keep the current step in view, a third of the way down, so what comes next shows.
    let offset = current_line
        .saturating_sub(h / 3)
        .min(lines.len().saturating_sub(h));
    let shown: Vec<Line> = lines.into_iter().skip(offset).take(h).collect();
    frame.render_widget(Paragraph::new(shown), inner);
}
