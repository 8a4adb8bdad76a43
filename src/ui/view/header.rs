//! The title line and the bottom line (a notice, or the keys that matter now).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{AppView, Mode};
use crate::ui::state::Tone;
use crate::ui::text::{clip, label, say, say_with, section_label, width};

/// Where the operator stands, in the manual's terms: `Wiring 5/12`.
pub fn position(view: &AppView<'_>, index: usize) -> String {
    let spec = view.spec;
    let step = &spec.steps[index];
    let section = section_label(spec, view.lang, step.section);
    match step.number {
        Some(n) => {
            let of = spec
                .steps
                .iter()
                .filter(|s| s.section == step.section)
                .filter_map(|s| s.number)
                .max()
                .unwrap_or(n);
            format!("{section} {n}/{of}")
        }
        None => section.to_string(),
    }
}

/// The title line.
pub fn render(frame: &mut Frame<'_>, area: Rect, view: &AppView<'_>) {
    let t = view.theme;
    let spec = view.spec;
    let base = Style::new().add_modifier(Modifier::REVERSED);
    let mode = match (&view.mode, &view.training) {
        // Training always runs on the simulator; the id tells the trainer which session it is
        // and the trainee nothing.
        (Mode::Sim, Some(id)) => Span::styled(
            format!(
                " {} ",
                say_with(spec, view.lang, "ui.badge.training", &[("id", id)])
            ),
            t.sim().add_modifier(Modifier::REVERSED),
        ),
        (Mode::Sim, None) => Span::styled(
            format!(" {} ", say(spec, view.lang, "ui.badge.sim")),
            t.sim().add_modifier(Modifier::REVERSED),
        ),
        (Mode::Bluetooth { address }, _) => Span::styled(format!(" BMS {address} "), base),
        (Mode::Replay { file }, _) => Span::styled(
            format!(
                " {} ",
                say_with(
                    spec,
                    view.lang,
                    "ui.badge.replay",
                    &[("file", &crate::clean::clean(file))]
                )
            ),
            t.sim().add_modifier(Modifier::REVERSED),
        ),
        (Mode::Manual, _) => Span::styled(
            format!(" {} ", say(spec, view.lang, "ui.badge.manual")),
            t.warn().add_modifier(Modifier::REVERSED),
        ),
    };
    let index = view.current();
    let right = format!(" {} ", say(spec, view.lang, "ui.header.keys"));
    let right = right.as_str();
    let left_fixed = format!(" {} ", label(spec, view.lang, "app_title"));
    let room =
        (area.width as usize).saturating_sub(width(&left_fixed) + mode.width() + width(right) + 2);
    let done = (0..spec.steps.len())
        .filter(|&i| {
            matches!(
                super::steps::mark(view, i),
                super::steps::Mark::Done
                    | super::steps::Mark::Overridden
                    | super::steps::Mark::Skipped
            )
        })
        .count();
    let progress = crate::ui::text::label_with(
        spec,
        view.lang,
        "step_progress",
        &[
            ("current", &(index + 1).to_string()),
            ("total", &spec.steps.len().to_string()),
        ],
    );
    let here = clip(&format!(" {progress} · {done} ✓ "), room);
    let [l, r] = Layout::horizontal([Constraint::Min(1), Constraint::Length(width(right) as u16)])
        .areas(area);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(left_fixed, base.add_modifier(Modifier::BOLD)),
            mode,
            Span::styled(here, base),
        ]))
        .style(base),
        l,
    );
    frame.render_widget(Paragraph::new(right).style(base), r);
}

/// Rows the bottom line needs: a long notice wraps onto up to three.
pub fn footer_height(view: &AppView<'_>, width: u16) -> u16 {
    footer_lines(view, width as usize).len().max(1) as u16
}

/// The bottom line: the notice if there is one, else the keys that matter here.
pub fn render_footer(frame: &mut Frame<'_>, area: Rect, view: &AppView<'_>) {
    frame.render_widget(
        Paragraph::new(footer_lines(view, area.width as usize)),
        area,
    );
}

fn footer_lines(view: &AppView<'_>, max: usize) -> Vec<Line<'static>> {
    let t = view.theme;
    let wrapped = |text: String, style: Style| -> Vec<Line<'static>> {
        crate::ui::text::wrap(&text, max.max(10))
            .into_iter()
            .take(3)
            .map(|l| Line::from(Span::styled(l, style)))
            .collect()
    };
    if let Some(n) = &view.ui.notice {
        let (sym, style) = match n.tone {
            Tone::Error => ("✗ ", t.bad()),
            Tone::Info => ("ℹ ", t.title()),
        };
        return wrapped(format!("{sym}{}", n.text), style);
    }
    if let Some(b) = &view.ui.banner {
        return wrapped(format!("ℹ {b}"), t.title());
    }
    if view.state.signed_off.is_some() {
        return wrapped(
            say_with(
                view.spec,
                view.lang,
                "ui.footer.signed_off",
                &[("dir", &view.session_dir)],
            ),
            t.ok(),
        );
    }
    let mut keys = vec!["ui.key.enter", "ui.key.move", "ui.key.back"];
    if view.spec.steps[view.current()].optional {
        keys.push("ui.key.skip");
    }
    if view.gates.iter().any(|g| !g.verdict.ok && !g.safety) {
        keys.push("ui.key.override");
    }
    if view.mode == Mode::Sim {
        keys.push("ui.key.phone");
    }
    keys.push("ui.key.help");
    let mut keys: Vec<String> = keys
        .into_iter()
        .map(|k| say(view.spec, view.lang, k))
        .collect();
    // The language key only where it fits whole; the help always lists it.
    let language = say(view.spec, view.lang, "ui.key.language");
    if width(&keys.join(" · ")) + 3 + width(&language) <= max {
        keys.push(language);
    }
    vec![Line::from(Span::styled(
        clip(&keys.join(" · "), max),
        t.dim(),
    ))]
}
