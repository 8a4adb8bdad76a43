//! Windows over the main screen: help, the quit question, the override form.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::steps::Mark;
use super::{centered, AppView};
use crate::ui::keys::KEYS;
use crate::ui::state::OverrideForm;
use crate::ui::text::{clip, label, label_with, say, say_with, width};
use crate::wizard::spec::tr;

fn window(frame: &mut Frame<'_>, area: Rect, title: &str) -> Rect {
    frame.render_widget(Clear, area);
    let block = Block::bordered().title(Span::raw(format!(" {title} ")));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// `text` wrapped to `width` cells, each row indented by one space: the overlays' paragraphs.
fn indented(text: &str, width: usize) -> impl Iterator<Item = String> {
    crate::ui::text::wrap(text, width.saturating_sub(1))
        .into_iter()
        .map(|l| format!(" {l}"))
}

/// The help: every key, and what the marks of the step list mean. At 80×24 it fits in every
/// language (the window's title says it is the help, so the key list needs no heading row).
pub fn help(frame: &mut Frame<'_>, area: Rect, view: &AppView<'_>) {
    let t = view.theme;
    let key_w = KEYS.iter().map(|(k, _)| width(k)).max().unwrap_or(10);
    let w = area.width.saturating_sub(2).min(86);
    // " keys  " before the words: one space, the key column, two spaces.
    let text_w = (w as usize).saturating_sub(key_w + 3);
    let (spec, lang) = (view.spec, view.lang);
    let mut lines = Vec::new();
    for (k, what) in KEYS {
        let what = say(spec, lang, what);
        for (n, l) in crate::ui::text::wrap(&what, text_w).into_iter().enumerate() {
            let head = if n == 0 { k.to_string() } else { String::new() };
            lines.push(Line::from(vec![
                Span::styled(format!(" {head:<key_w$}  "), t.title()),
                Span::raw(l),
            ]));
        }
    }
    lines.push(Line::from(Span::styled(
        say(spec, lang, "ui.help.step_list"),
        t.title(),
    )));
    let marks = [
        Mark::Done,
        Mark::Current,
        Mark::Blocked,
        Mark::Overridden,
        Mark::Skipped,
        Mark::Pending,
    ];
    let legend: Vec<String> = marks
        .iter()
        // A no-break space: a mark never ends a row without its word.
        .map(|m| format!("{}\u{a0}{}", m.symbol(), say(spec, lang, m.word())))
        .collect();
    let paragraphs = [
        legend.join(" · "),
        say(spec, lang, "ui.help.sections"),
        say(spec, lang, "ui.help.gates"),
    ];
    for text in &paragraphs {
        lines.extend(indented(text, w as usize).map(Line::raw));
    }
    let h = (lines.len() as u16 + 2).min(area.height);
    // The title says how to close it: one row more for the keys at 80×24.
    let title = format!(
        "{} · {}",
        label(spec, lang, "help"),
        say(spec, lang, "ui.help.close")
    );
    let inner = window(frame, centered(area, w + 2, h), &title);
    frame.render_widget(Paragraph::new(lines), inner);
}

/// "Quit now?"
pub fn quit(frame: &mut Frame<'_>, area: Rect, view: &AppView<'_>) {
    let t = view.theme;
    let text = label(view.spec, view.lang, "quit_confirm");
    let lines = vec![
        Line::raw(text.to_string()),
        Line::from(Span::styled(
            say_with(
                view.spec,
                view.lang,
                "ui.quit.folder",
                &[("dir", &view.session_dir)],
            ),
            t.dim(),
        )),
        Line::raw(""),
        Line::from(vec![
            Span::styled("[y] ", t.title()),
            Span::raw(format!("{}   ", label(view.spec, view.lang, "quit"))),
            Span::styled("[n] / Esc ", t.title()),
            Span::raw(say(view.spec, view.lang, "ui.quit.stay")),
        ]),
    ];
    let w = area.width.saturating_sub(4).min(64);
    let inner = window(
        frame,
        centered(area, w, 9),
        label(view.spec, view.lang, "quit"),
    );
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}

/// The override form.
pub fn override_form(frame: &mut Frame<'_>, area: Rect, view: &AppView<'_>, form: &OverrideForm) {
    let t = view.theme;
    let spec = view.spec;
    let step = &spec.steps[view.current()];
    let w = area.width.saturating_sub(4).min(72);
    let inner_w = w.saturating_sub(2) as usize;
    let mut lines = Vec::new();
    if form.gates.is_empty() {
        lines.push(Line::from(Span::styled(
            say(spec, view.lang, "ui.override.none"),
            t.warn(),
        )));
        lines.push(Line::from(Span::styled(
            say(spec, view.lang, "ui.override.esc"),
            t.dim(),
        )));
    } else {
        let gate_id = &form.gates[form.gate.min(form.gates.len() - 1)];
        let gate_text = step
            .gates
            .iter()
            .find(|g| &g.id == gate_id)
            .map_or(gate_id.as_str(), |g| tr(&g.text, view.lang));
        let row = |lines: &mut Vec<Line<'static>>, i: usize, name: &str, value: String| {
            let focused = form.focus == i;
            let marker = if focused { "›" } else { " " };
            let style = if focused { t.focus() } else { t.title() };
            lines.push(Line::raw(format!(
                "{marker} {}",
                clip(name, inner_w.saturating_sub(2))
            )));
            let value = if focused {
                format!("{value}▏")
            } else {
                value
            };
            lines.push(Line::from(vec![
                Span::raw("    "),
                Span::styled(
                    clip(&format!("[{value}]"), inner_w.saturating_sub(4)),
                    style,
                ),
            ]));
        };
        row(
            &mut lines,
            0,
            &say(spec, view.lang, "ui.override.gate"),
            gate_text.to_string(),
        );
        row(
            &mut lines,
            1,
            label(spec, view.lang, "override_reason"),
            form.reason.clone(),
        );
        row(
            &mut lines,
            2,
            label(spec, view.lang, "override_role"),
            form.role.clone(),
        );
        row(
            &mut lines,
            3,
            &say(spec, view.lang, "ui.override.name"),
            form.by.clone(),
        );
        let focused = form.focus == 4;
        lines.push(Line::from(vec![
            Span::raw(if focused { "› " } else { "  " }),
            Span::styled(
                format!("[ {} ]", label(spec, view.lang, "override")),
                if focused {
                    t.title().patch(t.focus())
                } else {
                    t.title()
                },
            ),
        ]));
        lines.push(Line::from(Span::styled(
            say(spec, view.lang, "ui.override.note"),
            t.dim(),
        )));
        lines.push(Line::from(Span::styled(
            say(spec, view.lang, "ui.override.keys"),
            t.dim(),
        )));
    }
    let h = (lines.len() as u16 + 4).min(area.height);
    let title = say(spec, view.lang, "ui.override.title");
    let inner = window(frame, centered(area, w, h), &title);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// The simulated multimeter: what the meter reads on the simulated pack now, with the staged
/// wiring mistakes in the leads, for the operator to read off and type in.
pub fn meter(frame: &mut Frame<'_>, area: Rect, view: &AppView<'_>) {
    let t = view.theme;
    let spec = view.spec;
    let lang = view.lang;
    // The meter's digits, written the language's way (3,312 in Polish).
    let shown = |v: crate::units::Volts| {
        let digits = crate::train::meter::shown(v);
        if crate::wizard::words::decimal_comma(spec, lang) {
            digits.replace('.', ",")
        } else {
            digits
        }
    };
    // A reading in a sentence: its unit held to it.
    let volts = |v: crate::units::Volts| format!("{}{}V", shown(v), crate::wizard::words::NO_BREAK);
    let w = area.width.saturating_sub(2).min(78);
    let tw = w as usize;
    let mut lines = Vec::new();
    let Some(m) = &view.meter else {
        lines.extend(indented(label(spec, lang, "meter_none"), tw).map(Line::raw));
        let inner = window(
            frame,
            centered(area, w + 2, lines.len() as u16 + 2),
            label(spec, lang, "meter_title"),
        );
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    };
    let para = |text: String, lines: &mut Vec<Line<'static>>| {
        lines.extend(indented(&text, tw).map(Line::raw));
    };
    para(
        crate::ui::text::label_with(
            spec,
            lang,
            "meter_cells",
            &[
                ("low", &volts(m.lowest_cell)),
                ("high", &volts(m.highest_cell)),
            ],
        ),
        &mut lines,
    );
    for l in indented(label(spec, lang, "meter_ladder"), tw) {
        lines.push(Line::from(Span::styled(l, t.title())));
    }
    let per = (tw.saturating_sub(1) / 13).max(1);
    for chunk in m.taps.chunks(per).enumerate() {
        let (row, taps) = chunk;
        let text: String = taps
            .iter()
            .enumerate()
            .map(|(k, v)| format!("{:>3} {:>8} ", row * per + k + 1, shown(*v)))
            .collect();
        lines.push(Line::raw(format!(" {}", text.trim_end())));
    }
    para(
        crate::ui::text::label_with(
            spec,
            lang,
            "meter_pack",
            &[("pack", &volts(m.pack)), ("last", &volts(m.last_pin))],
        ),
        &mut lines,
    );
    para(
        crate::ui::text::label_with(spec, lang, "meter_output", &[("output", &volts(m.output))]),
        &mut lines,
    );
    for l in indented(label(spec, lang, "meter_close"), tw) {
        lines.push(Line::from(Span::styled(l, t.dim())));
    }
    let h = (lines.len() as u16 + 2).min(area.height);
    let inner = window(
        frame,
        centered(area, w + 2, h),
        label(spec, lang, "meter_title"),
    );
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The finished steps the operator may go to and amend; the cursor on step `cursor`.
pub fn goto(frame: &mut Frame<'_>, area: Rect, view: &AppView<'_>, cursor: usize) {
    let t = view.theme;
    let spec = view.spec;
    let lang = view.lang;
    let w = area.width.saturating_sub(2).min(70);
    let tw = w as usize;
    let mut head = Vec::new();
    for l in indented(label(spec, lang, "goto_help"), tw) {
        head.push(Line::from(Span::styled(l, t.dim())));
    }
    let mut rows = Vec::new();
    let mut at = 0;
    // The cursor's entries, listed under it: kept in view with it.
    let mut below = 0;
    for i in crate::ui::keys::amendable_in(view.state) {
        let step = &spec.steps[i];
        if i == cursor {
            at = rows.len();
        }
        let num = step.number.map_or(String::new(), |n| n.to_string());
        let code = crate::ui::text::section_code(step.section);
        let text = clip(
            &format!(
                " {} {code}{num:>2} {}",
                if i == cursor { "›" } else { " " },
                tr(&step.title, lang)
            ),
            tw,
        );
        let style = if i == cursor { t.focus() } else { t.ok() };
        rows.push(Line::from(Span::styled(text, style)));
        if i == cursor {
            let entries = goto_entries(view, i, tw);
            below = entries.len();
            rows.extend(entries);
        }
    }
    if rows.is_empty() {
        rows.extend(indented(label(spec, lang, "goto_none"), tw).map(Line::raw));
    }
    let room = (area.height as usize).saturating_sub(2 + head.len()).max(1);
    let offset = at
        .saturating_sub(room.saturating_sub(1 + below) / 2)
        .min(rows.len().saturating_sub(room));
    let mut lines = head;
    lines.extend(rows.into_iter().skip(offset).take(room));
    let h = (lines.len() as u16 + 2).min(area.height);
    let inner = window(
        frame,
        centered(area, w + 2, h),
        label(spec, lang, "goto_title"),
    );
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The entries of the step under the go-to cursor, numbered as the digit that opens each,
/// with what was typed, so a slip is seen where it is picked.
fn goto_entries(view: &AppView<'_>, index: usize, tw: usize) -> Vec<Line<'static>> {
    use crate::ui::state::{committed_text, Row};
    use crate::wizard::engine::{LADDER_LAST_PIN, LADDER_PACK_VOLTAGE, LADDER_UNUSED_PREFIX};
    let (spec, lang, t) = (view.spec, view.lang, view.theme);
    let step = &spec.steps[index];
    crate::ui::keys::goto_entries(spec, view.state, index)
        .into_iter()
        .enumerate()
        .map(|(n, (_, row))| {
            let name = match &row {
                Row::Field(f) => tr(&step.input.fields()[*f].label, lang).to_string(),
                Row::Reading(k) => {
                    label_with(spec, lang, "ladder_cell", &[("cell", &k.to_string())])
                }
                Row::LadderField(id) if id == LADDER_PACK_VOLTAGE => {
                    label(spec, lang, "ladder_pack").to_string()
                }
                Row::LadderField(id) if id == LADDER_LAST_PIN => {
                    label(spec, lang, "ladder_last_pin").to_string()
                }
                Row::LadderField(id) => {
                    let wire = id.strip_prefix(LADDER_UNUSED_PREFIX).unwrap_or(id);
                    label_with(spec, lang, "ladder_unused", &[("wire", wire)])
                }
                _ => String::new(),
            };
            let value = match (&row, committed_text(spec, view.state, index, &row)) {
                (Row::Field(f), Some(v)) => match &step.input.fields()[*f].kind {
                    // A choice shows its option's words, not its id.
                    crate::wizard::spec::FieldKind::Choice { options } => options
                        .iter()
                        .find(|o| o.id == v)
                        .map_or(v.clone(), |o| tr(&o.text, lang).to_string()),
                    crate::wizard::spec::FieldKind::Number { unit, .. } => {
                        format!("{v} {}", unit.symbol())
                    }
                    _ => v,
                },
                (_, Some(v)) => v,
                (_, None) => "—".to_string(),
            };
            let text = clip(&format!("      {} {name}: {value}", n + 1), tw);
            Line::from(Span::styled(text, t.dim()))
        })
        .collect()
}
