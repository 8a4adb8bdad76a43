//! The gate line: green when the step may be left; otherwise every failing reason in plain
//! words, marked safety-critical or overridable, and any override in force.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::AppView;
use crate::ui::text::{label, label_with, say, say_with, wrap};
use crate::wizard::spec::tr;

/// Rows the gate area takes for its `lines` (its rule included), at most `room` of text.
pub fn height(lines: &[Line<'static>], room: u16) -> u16 {
    let n = lines.len().clamp(1, room.max(2) as usize);
    n as u16 + 1
}

/// Draw the gate area: `lines` as [`lines`] built them at the area's width.
pub fn render(frame: &mut Frame<'_>, area: Rect, view: &AppView<'_>, lines: Vec<Line<'static>>) {
    let block = Block::new().borders(Borders::TOP).title(Span::styled(
        format!(" {} ", say(view.spec, view.lang, "ui.gate.title")),
        view.theme.title(),
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut all = lines;
    let h = inner.height as usize;
    let cut = all.len() > h && h > 0;
    view.ui.gate_cut.set(cut);
    if cut {
        let more = all.len() - (h - 1);
        all.truncate(h - 1);
        all.push(Line::from(Span::styled(
            format!(
                "  {}",
                say_with(
                    view.spec,
                    view.lang,
                    "ui.gate.more",
                    &[("more", &more.to_string()), ("key", reasons_key(view))]
                )
            ),
            view.theme
                .dim()
                .add_modifier(ratatui::style::Modifier::BOLD),
        )));
    }
    frame.render_widget(Paragraph::new(all), inner);
}

/// The key that opens every reason, in the form it takes on the focused row (one key rule:
/// inside an entry a letter types).
pub(super) fn reasons_key(view: &AppView<'_>) -> &'static str {
    let index = view.current();
    let step = &view.spec.steps[index];
    let rows = crate::ui::state::rows(view.spec, view.state, index);
    if rows.get(view.ui.focus).is_some_and(|r| r.takes_text(step)) {
        "^W"
    } else {
        "w"
    }
}

/// Every line of the gate over `area` (w / ^W), scrolled to `offset`: at 80×24 a miswired
/// 24-cell pack gives more reasons than the gate pane can hold, and each must be read.
pub fn render_all(frame: &mut Frame<'_>, area: Rect, view: &AppView<'_>, offset: usize) {
    let t = view.theme;
    let block = Block::bordered().title(Span::styled(
        format!(" {} ", say(view.spec, view.lang, "ui.gate.all_title")),
        t.title(),
    ));
    let inner = block.inner(area);
    frame.render_widget(ratatui::widgets::Clear, area);
    frame.render_widget(block, area);
    let all = lines(view, inner.width as usize);
    // The last row says how to scroll and close.
    let h = (inner.height as usize).saturating_sub(1);
    let (window, top, bottom) = crate::ui::state::StepWindow::place(all.len(), h, offset);
    view.ui.reasons.set(window);
    let more = |key: &str| {
        Line::from(Span::styled(
            label(view.spec, view.lang, key).to_string(),
            t.dim().add_modifier(ratatui::style::Modifier::BOLD),
        ))
    };
    let mut out = Vec::with_capacity(h + 1);
    if top {
        out.push(more("more_up"));
    }
    out.extend(all.into_iter().skip(window.offset).take(window.page));
    if bottom {
        out.push(more("more_down"));
    }
    while out.len() < h {
        out.push(Line::raw(""));
    }
    out.push(Line::from(Span::styled(
        say(view.spec, view.lang, "ui.gate.all_hint"),
        t.dim(),
    )));
    frame.render_widget(Paragraph::new(out), inner);
}

/// The gate's lines at width `w`.
pub fn lines(view: &AppView<'_>, w: usize) -> Vec<Line<'static>> {
    let t = view.theme;
    let spec = view.spec;
    let lang = view.lang;
    if view.state.signed_off.is_some() {
        return vec![Line::from(Span::styled(
            say(spec, lang, "ui.gate.done"),
            t.ok(),
        ))];
    }
    let index = view.current();
    let step = &spec.steps[index];
    let record = &view.state.steps[index];
    let failing: Vec<_> = view.gates.iter().filter(|g| !g.verdict.ok).collect();
    let overridden = |id: &str| record.overrides.iter().find(|o| o.gate == id);
    let open = crate::wizard::engine::leave_verdict(&view.gates, &record.overrides).is_some();
    let mut out = Vec::new();
    // Sent back here (the battery type chosen again): say why first.
    if let Some(notice) = &record.notice {
        for l in wrap(&format!("↩ {notice}"), w.max(8)) {
            out.push(Line::from(Span::styled(l, t.warn())));
        }
    }
    let total = view.gates.len();
    let next = if matches!(step.input, crate::wizard::spec::InputSpec::SignOff { .. }) {
        label(spec, lang, "sign_off")
    } else {
        label(spec, lang, "next")
    };
    if open {
        let text = if failing.is_empty() {
            say_with(
                spec,
                lang,
                "ui.gate.may_go",
                &[
                    ("passed", label(spec, lang, "gate_passed")),
                    ("total", &total.to_string()),
                    ("next", next),
                ],
            )
        } else {
            say_with(spec, lang, "ui.gate.may_go_override", &[("next", next)])
        };
        out.push(Line::from(Span::styled(
            text,
            if failing.is_empty() { t.ok() } else { t.warn() },
        )));
    } else {
        let n = failing
            .iter()
            .filter(|g| overridden(&g.gate).is_none())
            .count();
        out.push(Line::from(Span::styled(
            say_with(
                spec,
                lang,
                "ui.gate.cannot",
                &[
                    ("failed", label(spec, lang, "gate_failed")),
                    ("n", &n.to_string()),
                    ("total", &total.to_string()),
                ],
            ),
            t.bad(),
        )));
    }
    for g in &failing {
        let gate_text = step
            .gates
            .iter()
            .find(|s| s.id == g.gate)
            .map_or(g.gate.as_str(), |s| tr(&s.text, lang));
        if let Some(o) = overridden(&g.gate) {
            let by = label_with(
                spec,
                lang,
                "gate_overridden",
                &[("role", &o.role), ("reason", &o.reason)],
            );
            let text = format!("! {gate_text} {by} ({})", o.by);
            push(&mut out, &text, w, t.warn());
            continue;
        }
        let tag = format!(
            " {}",
            say(
                spec,
                lang,
                if g.safety {
                    "ui.gate.safety"
                } else {
                    "ui.gate.overridable"
                }
            )
        );
        let tag = tag.as_str();
        if g.verdict.reasons.is_empty() {
            push(&mut out, &format!("• {gate_text}{tag}"), w, t.bad());
        }
        for (k, r) in g.verdict.reasons.iter().enumerate() {
            let tag = if k + 1 == g.verdict.reasons.len() {
                tag
            } else {
                ""
            };
            push(
                &mut out,
                &format!("• {}{tag}", r.render_unbroken(spec, lang)),
                w,
                t.bad(),
            );
        }
    }
    out
}

fn push(out: &mut Vec<Line<'static>>, text: &str, w: usize, style: ratatui::style::Style) {
    for (k, l) in wrap(text, w.saturating_sub(2).max(10))
        .into_iter()
        .enumerate()
    {
        let lead = if k == 0 { "" } else { "  " };
        out.push(Line::from(Span::styled(format!("{lead}{l}"), style)));
    }
}
