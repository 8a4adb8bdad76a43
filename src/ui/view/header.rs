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
    // A notice gets three lines; the start banner (which key signs, the session folder, a
    // resume) up to six, so it is read whole at 80×24.
    let room = if view.ui.notice.is_none() && view.ui.banner.is_some() {
        6
    } else {
        3
    };
    let wrapped = |text: String, style: Style| -> Vec<Line<'static>> {
        crate::ui::text::wrap(&text, max.max(10))
            .into_iter()
            .take(room)
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
    let index = view.current();
    let step = &view.spec.steps[index];
    let rows = crate::ui::state::rows(view.spec, view.state, index);
    let edit = rows.get(view.ui.focus).is_some_and(|r| r.takes_text(step));
    let amend_entry = crate::ui::keys::amending_here(view.state)
        && rows
            .get(view.ui.focus)
            .is_some_and(crate::ui::keys::is_entry);
    let keys = crate::ui::keys::footer_keys(
        edit,
        amend_entry,
        step.optional,
        view.gates.iter().any(|g| !g.verdict.ok && !g.safety),
        view.mode == Mode::Sim,
        // Offered where a lead is put right and measured again; a probe's `r` is in `?`.
        matches!(step.input, crate::wizard::spec::InputSpec::Ladder { .. }),
    );
    // Going to a finished step is offered only when there is one.
    let amendable = view.state.amending.is_none()
        && view.state.steps[..index].iter().any(|r| {
            use crate::wizard::engine::Status;
            matches!(
                r.status(),
                Status::Done | Status::Overridden | Status::Skipped
            )
        });
    let mut keys: Vec<String> = keys
        .into_iter()
        .filter(|(_, word)| amendable || *word != Some("ui.footer.amend"))
        .map(|(key, word)| match word {
            Some(w) => format!("{key} {}", say(view.spec, view.lang, w)),
            None => key.to_string(),
        })
        .collect();
    // The gate pane had to cut its reasons: the key that shows them all comes first after Esc.
    if view.ui.gate_cut.get() {
        let k = if edit { "^W" } else { "w" };
        keys.insert(
            3.min(keys.len()),
            format!("{k} {}", say(view.spec, view.lang, "ui.footer.reasons")),
        );
    }
    let w = view.ui.shown.get();
    // The step pane's marks name both keys; the footer names the one that shows more now.
    if w.max > 0 {
        let k = if w.offset < w.max { "PgDn" } else { "PgUp" };
        keys.insert(
            2,
            format!("{k} {}", say(view.spec, view.lang, "ui.footer.more")),
        );
    }
    // The language key just before help, where it fits without a line of its own (the help
    // lists it always; it is not what acts on this step).
    let without = pack_keys(keys.clone(), max, FOOTER_KEY_LINES);
    let language = format!("F2 {}", say(view.spec, view.lang, "ui.footer.language"));
    keys.insert(keys.len().saturating_sub(1), language);
    let with = pack_keys(keys, max, FOOTER_KEY_LINES);
    let chosen = if with.len() == without.len() && with.concat().len() > without.concat().len() {
        with
    } else {
        without
    };
    chosen
        .into_iter()
        .map(|l| Line::from(Span::styled(clip(&l, max), t.dim())))
        .collect()
}

/// How many lines the keys may take: a second line rather than a key that acts unnamed.
const FOOTER_KEY_LINES: usize = 2;

/// The keys laid into at most `lines` lines of `max` columns, in order of need; the last key
/// (help, where every key is) always, at the end. Keys that would need a further line are left
/// out from the least needed.
fn pack_keys(mut keys: Vec<String>, max: usize, lines: usize) -> Vec<String> {
    let help = keys.pop().unwrap_or_default();
    loop {
        let mut out = vec![String::new()];
        for k in keys.iter().chain(std::iter::once(&help)) {
            let line = out.last_mut().expect("one line at least");
            if !line.is_empty() && width(line) + 2 + width(k) > max {
                out.push(k.clone());
            } else {
                if !line.is_empty() {
                    line.push_str("  ");
                }
                line.push_str(k);
            }
        }
        if out.len() <= lines || keys.is_empty() {
            return out;
        }
        keys.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::pack_keys;

    fn keys(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn keys_that_fit_stay_on_one_line_with_help_last() {
        let out = pack_keys(keys(&["Enter ok", "Esc back", "? help"]), 80, 2);
        assert_eq!(out, ["Enter ok  Esc back  ? help"]);
    }

    #[test]
    fn keys_that_do_not_fit_go_on_a_second_line_rather_than_away() {
        // 8 + 2 + 8 = 18 columns: the third key starts the second line.
        let out = pack_keys(
            keys(&["Enter ok", "Esc back", "^R rewire", "? help"]),
            18,
            2,
        );
        assert_eq!(out, ["Enter ok  Esc back", "^R rewire  ? help"]);
        // One column more and the third fits the first line.
        let out = pack_keys(
            keys(&["Enter ok", "Esc back", "^R rewire", "? help"]),
            29,
            2,
        );
        assert_eq!(out, ["Enter ok  Esc back  ^R rewire", "? help"]);
    }

    #[test]
    fn beyond_the_lines_allowed_the_least_needed_keys_go_and_help_stays() {
        let out = pack_keys(keys(&["aaaa", "bbbb", "cccc", "dddd", "? help"]), 10, 2);
        // "cccc  ? help" is 12 columns: cccc and dddd go, help keeps its place.
        assert_eq!(out, ["aaaa  bbbb", "? help"]);
        let out = pack_keys(keys(&["aaaa", "bbbb", "cccc", "dddd", "? h"]), 10, 2);
        assert_eq!(out, ["aaaa  bbbb", "cccc  ? h"]);
    }
}
