//! The current step: instructions, warnings, and its input rows (fields, ladder table,
//! checklist, buttons), scrolled so the focused row is always in view.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::{AppView, LadderVerdict, Theme};
use crate::ui::keys::highlighted;
use crate::ui::state::{chosen, rejection, rows, shown_text, Row, StepWindow};
use crate::ui::text::{clip, label, label_with, say, say_with, width, wrap};
use crate::wizard::checks::accepted;
use crate::wizard::engine::{LADDER_LAST_PIN, LADDER_PACK_VOLTAGE, LADDER_UNUSED_PREFIX};
use crate::wizard::spec::{tr, FieldKind, InputSpec};
use crate::wizard::words::render_arg;

/// Width of an entry box, brackets included.
const BOX: usize = 12;

/// Draw the current step.
pub fn render(frame: &mut Frame<'_>, area: Rect, view: &AppView<'_>) {
    let index = view.current();
    let step = &view.spec.steps[index];
    let name = tr(&step.title, view.lang);
    let position = super::header::position(view, index);
    let mut title = if position == name {
        format!(" {name} ")
    } else {
        format!(" {name} · {position} ")
    };
    // Too long for the pane: the step's name stays whole, its place goes short (W 5/12).
    if width(&title) > area.width as usize {
        let step_no = step.number.map_or(String::new(), |n| {
            let of = view
                .spec
                .steps
                .iter()
                .filter(|s| s.section == step.section)
                .filter_map(|s| s.number)
                .max()
                .unwrap_or(n);
            format!(
                " · {} {n}/{of}",
                crate::ui::text::section_code(step.section)
            )
        });
        title = format!(" {name}{step_no} ");
    }
    if step.optional {
        title.push_str(&format!(
            "({}) ",
            label(view.spec, view.lang, "optional_step")
        ));
    }
    let block = Block::new().borders(Borders::TOP).title(Span::styled(
        clip(&title, area.width as usize),
        view.theme.title(),
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // An amendment under way stays said above the step, however it is scrolled.
    let mut banner = Vec::new();
    if let Some(back) = amend_target(view) {
        let text = label_with(view.spec, view.lang, "amending", &[("back", &back)]);
        push_hanging(
            &mut banner,
            "✎ ",
            &text,
            inner.width as usize,
            view.theme.warn(),
        );
    }
    let banner_h = (banner.len() as u16).min(inner.height / 3);
    let [banner_area, inner] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Length(banner_h),
        ratatui::layout::Constraint::Min(1),
    ])
    .areas(inner);
    if banner_h > 0 {
        frame.render_widget(Paragraph::new(banner), banner_area);
    }
    let (lines, anchors) = content(view, inner.width as usize);
    // The ladder's diagnosis stays in view below the table while the operator types.
    let mut diag = Vec::new();
    if matches!(step.input, InputSpec::Ladder { .. }) && view.state.signed_off.is_none() {
        ladder_diagnosis(view, &mut diag, inner.width as usize);
    }
    let diag_h = diag.len().min((inner.height as usize / 3).max(1));
    // Cut here, the diagnosis says so and names the key that shows every fault (the gate's).
    if diag.len() > diag_h && diag_h > 0 {
        let more = diag.len() - (diag_h - 1);
        diag.truncate(diag_h - 1);
        diag.push(Line::from(Span::styled(
            format!(
                "  {}",
                say_with(
                    view.spec,
                    view.lang,
                    "ui.gate.more",
                    &[
                        ("more", &more.to_string()),
                        ("key", super::gate::reasons_key(view))
                    ]
                )
            ),
            view.theme.dim().add_modifier(Modifier::BOLD),
        )));
    }
    let diag_h = diag_h as u16;
    let [inner, diag_area] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Min(1),
        ratatui::layout::Constraint::Length(diag_h),
    ])
    .areas(inner);
    if diag_h > 0 {
        frame.render_widget(Paragraph::new(diag), diag_area);
    }
    let h = inner.height as usize;
    // Follow the focused row (with a line of what precedes it) unless the operator scrolled.
    let auto = match anchors.get(view.ui.focus) {
        Some(&(start, len)) if start + len + 1 > h => (start + len + 2)
            .saturating_sub(h)
            .min(start.saturating_sub(1)),
        _ => 0,
    };
    let want = view.ui.scroll.unwrap_or(auto);
    let (window, top, bottom) = StepWindow::place(lines.len(), h, want);
    view.ui.shown.set(window);
    let shown: Vec<Line<'static>> = lines
        .into_iter()
        .skip(window.offset)
        .take(window.page)
        .collect();
    let t = view.theme;
    let mut out = Vec::with_capacity(h);
    if top {
        out.push(more_line(view, "more_up", t));
    }
    out.extend(shown);
    if bottom {
        while out.len() + 1 < h {
            out.push(Line::raw(""));
        }
        out.push(more_line(view, "more_down", t));
    }
    frame.render_widget(Paragraph::new(out), inner);
}

/// "↑ more · PgUp" / "↓ more · PgDn": there is more of the step above or below.
fn more_line(view: &AppView<'_>, key: &str, t: Theme) -> Line<'static> {
    Line::from(Span::styled(
        label(view.spec, view.lang, key).to_string(),
        t.dim().add_modifier(Modifier::BOLD),
    ))
}

/// The step's lines, and for each input row where it starts and how many lines it takes.
pub fn content(view: &AppView<'_>, w: usize) -> (Vec<Line<'static>>, Vec<(usize, usize)>) {
    let t = view.theme;
    let spec = view.spec;
    let lang = view.lang;
    let index = view.current();
    let step = &spec.steps[index];
    let mut lines: Vec<Line<'static>> = Vec::new();
    let many = step.instructions.len() > 1;
    for p in &step.instructions {
        let text = tr(p, lang);
        if many {
            push_hanging(&mut lines, "• ", text, w, Style::new());
        } else {
            for l in wrap(text, w) {
                lines.push(Line::raw(l));
            }
        }
    }
    for warning in &step.warnings {
        let head = format!("⚠ {}: ", label(spec, lang, "warnings_title").to_uppercase());
        push_hanging(&mut lines, &head, tr(warning, lang), w, t.warn());
    }
    if !step.error_codes.is_empty() {
        let list: Vec<String> = step
            .error_codes
            .iter()
            .map(|c| {
                let text = spec.errors.get(c).map_or("", |x| tr(x, lang));
                format!("{c} = {text}")
            })
            .collect();
        let head = format!("{}: ", label(spec, lang, "errors_title"));
        push_hanging(&mut lines, &head, &list.join("; "), w, t.dim());
    }
    // On the simulator the bench's charger and load are in the simulated app: say how.
    let testing = step
        .gates
        .iter()
        .any(|g| g.check == crate::wizard::spec::Check::ProtectionTest);
    if testing && view.mode == super::Mode::Sim {
        push_hanging(
            &mut lines,
            "ℹ ",
            label(spec, lang, "sim_current_hint"),
            w,
            t.sim(),
        );
    }
    // The first live step: the meter's cells against the unit's own.
    if !view.disagreements.is_empty() {
        let list: Vec<String> = view
            .disagreements
            .iter()
            .map(|d| {
                // The readings the language's way (3,301 V in Polish), as the reasons write them.
                let v = |x: f64| crate::wizard::words::number(spec, lang, x, 3);
                format!("{} ({} V / {} V)", d.cell, v(d.meter.0), v(d.unit.0))
            })
            .collect();
        let text = label_with(
            spec,
            lang,
            "meter_disagrees",
            &[
                ("cells", &list.join(", ")),
                (
                    "tolerance",
                    &crate::wizard::words::number(
                        spec,
                        lang,
                        spec.limits.ladder_live_tolerance.0,
                        2,
                    ),
                ),
            ],
        );
        push_hanging(&mut lines, "⚠ ", &text, w, t.warn());
    }
    if let Some(why) = &view.agreement_waits {
        let text = label_with(spec, lang, "meter_compare_waits", &[("why", why)]);
        push_hanging(&mut lines, "… ", &text, w, t.dim());
    }
    // Every alarm the unit shows now, with what to do about it (wizard.yaml `errors`).
    if let Some(cells) = &view.state.live.cells {
        for a in cells.alarms() {
            // The alarm's name in the screen's language, as the live panel gives it.
            let name = crate::wizard::checks::live::alarm_name(a).render(spec, lang);
            let hint = match a.manual_error() {
                Some(e) => format!(
                    "E{} {name}: {}",
                    e.0,
                    spec.errors.get(&e.0).map_or("", |x| tr(x, lang))
                ),
                None => format!("{name}: {}", label(spec, lang, "alarm_hint_unmapped")),
            };
            push_hanging(&mut lines, "⚠ ", &hint, w, t.warn());
        }
    }
    if let Some((_, name, role)) = &view.state.signed_off {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled(
            say_with(
                spec,
                lang,
                "ui.step.signed_off",
                &[("name", name), ("role", role)],
            ),
            t.ok().add_modifier(Modifier::BOLD),
        )));
        return (lines, Vec::new());
    }
    lines.push(Line::raw(""));
    if let Some(log) = &view.summary {
        lines.extend(super::summary::lines(view, log, w));
    }
    let rows = rows(spec, view.state, index);
    let mut anchors = Vec::with_capacity(rows.len());
    let label_w = label_width(view, &rows, w);
    let mut ladder_header = false;
    for (i, row) in rows.iter().enumerate() {
        let focused = i == view.ui.focus && view.ui.overlay.is_none();
        if matches!(row, Row::Reading(_) | Row::LadderField(_)) && !ladder_header {
            ladder_header = true;
            lines.push(Line::from(Span::styled(
                clip(
                    &format!(
                        "  {:>4} {:<6} {}",
                        label_with(spec, lang, "ladder_cell", &[("cell", "")]).trim(),
                        label_with(spec, lang, "ladder_pin", &[("pin", "")]).trim(),
                        label(spec, lang, "ladder_reading"),
                    ),
                    w,
                ),
                t.title(),
            )));
        }
        let start = lines.len();
        row_lines(view, row, focused, label_w, w, &mut lines);
        anchors.push((start, lines.len() - start));
    }
    (lines, anchors)
}

fn label_width(view: &AppView<'_>, rows: &[Row], w: usize) -> usize {
    let step = &view.spec.steps[view.current()];
    let widest = rows
        .iter()
        .filter_map(|r| match r {
            Row::Field(i) => Some(width(tr(&step.input.fields()[*i].label, view.lang))),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    widest.min(w.saturating_sub(BOX + 8)).clamp(4, 24)
}

/// `head` then `text` wrapped with the following lines indented under the text.
fn push_hanging(lines: &mut Vec<Line<'static>>, head: &str, text: &str, w: usize, style: Style) {
    if width(head) > 12 {
        for l in wrap(&format!("{head}{text}"), w.max(8)) {
            lines.push(Line::from(Span::styled(l, style)));
        }
        return;
    }
    let indent = width(head);
    let body = wrap(text, w.saturating_sub(indent).max(8));
    for (k, l) in body.into_iter().enumerate() {
        let lead = if k == 0 {
            head.to_string()
        } else {
            " ".repeat(indent)
        };
        lines.push(Line::from(Span::styled(format!("{lead}{l}"), style)));
    }
}

fn entry_box(text: &str, focused: bool, size: usize) -> String {
    let inner = size.max(4) - 2;
    let cursor = if focused { "▏" } else { "" };
    let shown = format!("{text}{cursor}");
    // Show the end of a long entry: that is where the typing happens. Cut by display width,
    // not by characters: a full-width digit takes two cells.
    let mut cut = String::new();
    for c in shown.chars().rev() {
        let mut candidate = c.to_string();
        candidate.push_str(&cut);
        if width(&candidate) > inner {
            break;
        }
        cut = candidate;
    }
    let pad = inner.saturating_sub(width(&cut));
    format!("[{cut}{}]", " ".repeat(pad))
}

/// A box for free text: the rest of the line, up to 32 cells.
fn text_box(w: usize, head: &str) -> usize {
    w.saturating_sub(width(head) + 3).clamp(BOX, 32)
}

fn row_lines(
    view: &AppView<'_>,
    row: &Row,
    focused: bool,
    label_w: usize,
    w: usize,
    lines: &mut Vec<Line<'static>>,
) {
    let t = view.theme;
    let spec = view.spec;
    let lang = view.lang;
    let state = view.state;
    let index = view.current();
    let step = &spec.steps[index];
    let record = &state.steps[index];
    let ui = view.ui;
    let marker = if focused { "›" } else { " " };
    let fstyle = |s: Style| if focused { s.patch(t.focus()) } else { s };
    let typing = row
        .buffer_key(step)
        .is_some_and(|k| ui.buffers.contains_key(&k));
    let refused = rejection(spec, state, index, row);
    let status = |committed: bool| -> Span<'static> {
        if typing {
            Span::styled(" ✎ Enter", t.dim())
        } else if refused.is_some() {
            Span::styled(" ✗", t.bad())
        } else if committed {
            Span::styled(" ✓", t.ok())
        } else {
            Span::styled(" ·", t.dim())
        }
    };
    match row {
        Row::Field(i) => {
            let field = &step.input.fields()[*i];
            let full = tr(&field.label, lang);
            // A label longer than the column is wrapped above its entry, never cut.
            let name = if width(full) > label_w {
                let body = wrap(full, w.saturating_sub(2).max(8));
                for l in body {
                    lines.push(Line::from(Span::styled(
                        format!("  {l}"),
                        fstyle(Style::new()),
                    )));
                }
                String::new()
            } else {
                full.to_string()
            };
            let head = format!("{marker} {name:<label_w$} ");
            match &field.kind {
                FieldKind::Choice { options } => {
                    let h = highlighted(ui, state, index, &field.id, options);
                    let picked = chosen(state, index, &field.id);
                    let option = options.get(h).map_or("", |o| tr(&o.text, lang));
                    let tail = match &picked {
                        Some(p) if options.get(h).is_some_and(|o| &o.id == p) => {
                            Span::styled(" ✓", t.ok())
                        }
                        Some(_) => Span::styled(
                            format!(" {}", say(spec, lang, "ui.step.enter_chooses")),
                            t.dim(),
                        ),
                        None if focused => Span::styled(" ←→ Enter", t.dim()),
                        None => Span::styled(
                            format!(" · {}", say(spec, lang, "ui.step.not_chosen")),
                            t.dim(),
                        ),
                    };
                    // The state word always shows; an option too long for the rest of the
                    // line goes on a line of its own, wrapped, rather than cut.
                    let room = w.saturating_sub(width(&head) + 4 + tail.width());
                    if width(option) <= room {
                        lines.push(Line::from(vec![
                            Span::styled(head, fstyle(Style::new())),
                            Span::styled(format!("◂ {option} ▸"), fstyle(t.title())),
                            tail,
                        ]));
                    } else {
                        lines.push(Line::from(vec![
                            Span::styled(head, fstyle(Style::new())),
                            tail,
                        ]));
                        let body = wrap(option, w.saturating_sub(8).max(8));
                        let n = body.len();
                        for (k, l) in body.into_iter().enumerate() {
                            let open = if k == 0 { "◂ " } else { "  " };
                            let close = if k + 1 == n { " ▸" } else { "" };
                            lines.push(Line::from(vec![
                                Span::raw("    "),
                                Span::styled(format!("{open}{l}{close}"), fstyle(t.title())),
                            ]));
                        }
                    }
                }
                kind => {
                    let text = shown_text(ui, spec, state, index, row);
                    let unit = match kind {
                        FieldKind::Number { unit, .. } => format!(" {}", unit.symbol()),
                        _ => String::new(),
                    };
                    let committed = record.fields.contains_key(&field.id);
                    let size = if matches!(kind, FieldKind::Text) {
                        text_box(w, &head)
                    } else {
                        BOX
                    };
                    lines.push(Line::from(vec![
                        Span::styled(head, fstyle(Style::new())),
                        Span::styled(entry_box(&text, focused, size), fstyle(t.title())),
                        Span::raw(unit),
                        status(committed),
                    ]));
                }
            }
            refusal_lines(view, refused, w, lines);
            if focused {
                if let Some(help) = &field.help {
                    push_hanging(lines, "    ", tr(help, lang), w, t.dim());
                }
                // The same range a refusal names, written the language's way.
                if let Some(r) = accepted(&field.kind).map(|a| render_arg(spec, lang, &a)) {
                    let accepted = say_with(spec, lang, "ui.step.accepted", &[("range", &r)]);
                    push_hanging(lines, "    ", &accepted, w, t.dim());
                }
            }
        }
        Row::Reading(cell) => {
            let text = shown_text(ui, spec, state, index, row);
            let line = view
                .ladder
                .as_ref()
                .and_then(|l| l.rows.get(*cell as usize - 1));
            let pin = line.map_or(String::new(), |l| l.pin.clone());
            let step_v = line
                .and_then(|l| l.step)
                .map_or(String::new(), |v| format!("{:+.3}", v.0));
            let verdict = match line.map(|l| l.verdict) {
                _ if typing => Span::styled("✎ Enter", t.dim()),
                _ if refused.is_some() => Span::styled(say(spec, lang, "ui.step.refused"), t.bad()),
                Some(LadderVerdict::Ok) => Span::styled(say(spec, lang, "ui.step.ok"), t.ok()),
                Some(LadderVerdict::Fault) => {
                    Span::styled(say(spec, lang, "ui.step.fault"), t.bad())
                }
                Some(LadderVerdict::Pending) | None => Span::styled("·", t.dim()),
            };
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{marker} {cell:>4} {pin:<6} "),
                    fstyle(Style::new()),
                ),
                Span::styled(entry_box(&text, focused, BOX), fstyle(t.title())),
                Span::raw(format!(" {step_v:>8}  ")),
                verdict,
            ]));
            refusal_lines(view, refused, w, lines);
        }
        Row::LadderField(id) => {
            let text = shown_text(ui, spec, state, index, row);
            let pin = view
                .ladder
                .as_ref()
                .and_then(|l| l.pins.get(id))
                .map_or(String::new(), |p| format!(" ({p})"));
            let name = if id == LADDER_PACK_VOLTAGE {
                label(spec, lang, "ladder_pack").to_string()
            } else if id == LADDER_LAST_PIN {
                format!("{}{pin}", label(spec, lang, "ladder_last_pin"))
            } else {
                let wire = id.strip_prefix(LADDER_UNUSED_PREFIX).unwrap_or(id);
                format!(
                    "{}{pin}",
                    label_with(spec, lang, "ladder_unused", &[("wire", wire)])
                )
            };
            let committed = record.fields.contains_key(id);
            let room = w.saturating_sub(BOX + 8);
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{marker} {:<room$} ", clip(&name, room)),
                    fstyle(Style::new()),
                ),
                Span::styled(entry_box(&text, focused, BOX), fstyle(t.title())),
                Span::raw(" V"),
                status(committed),
            ]));
            refusal_lines(view, refused, w, lines);
        }
        Row::Item(i) => {
            let items = crate::wizard::engine::step_items(step, &state.live);
            let Some(item) = items.get(*i) else { return };
            let ticked = record.checked.contains(&item.id);
            let head = format!("{marker} [{}] ", if ticked { "x" } else { " " });
            let body = wrap(tr(&item.text, lang), w.saturating_sub(6).max(8));
            for (k, l) in body.into_iter().enumerate() {
                let lead = if k == 0 {
                    head.clone()
                } else {
                    "      ".into()
                };
                let style = if ticked { t.ok() } else { Style::new() };
                let style = if k == 0 { fstyle(style) } else { style };
                lines.push(Line::from(Span::styled(format!("{lead}{l}"), style)));
            }
        }
        Row::SignName | Row::SignRole => {
            let name = say(
                spec,
                lang,
                if *row == Row::SignName {
                    "ui.step.name"
                } else {
                    "ui.step.role"
                },
            );
            let text = shown_text(ui, spec, state, index, row);
            let head = format!("{marker} {name:<label_w$} ");
            let size = text_box(w, &head);
            lines.push(Line::from(vec![
                Span::styled(head, fstyle(Style::new())),
                Span::styled(entry_box(&text, focused, size), fstyle(t.title())),
            ]));
        }
        Row::Skip => lines.push(button(t, marker, label(spec, lang, "skip"), focused)),
        Row::Continue => {
            let text = if matches!(step.input, InputSpec::SignOff { .. }) {
                format!("{} ✎", label(spec, lang, "sign_off"))
            } else if let Some(back) = amend_target(view) {
                format!(
                    "{} ▸",
                    label_with(spec, lang, "amend_back", &[("back", &back)])
                )
            } else {
                format!("{} ▸", label(spec, lang, "next"))
            };
            lines.push(button(t, marker, &text, focused));
        }
    }
}

/// The step the operator returns to, when the current step is being amended.
fn amend_target(view: &AppView<'_>) -> Option<String> {
    let a = view.state.amending.as_ref()?;
    (a.step == view.current()).then(|| super::header::position(view, a.back_to))
}

fn button(t: Theme, marker: &str, text: &str, focused: bool) -> Line<'static> {
    let style = if focused {
        t.title().patch(t.focus())
    } else {
        t.title()
    };
    Line::from(vec![
        Span::raw(format!("{marker} ")),
        Span::styled(format!("[ {text} ]"), style),
    ])
}

fn refusal_lines(
    view: &AppView<'_>,
    refused: Option<&(String, crate::wizard::words::Say)>,
    w: usize,
    lines: &mut Vec<Line<'static>>,
) {
    if let Some((_, error)) = refused {
        let error = error.render(view.spec, view.lang);
        let text = label_with(view.spec, view.lang, "field_invalid", &[("reason", &error)]);
        push_hanging(lines, "    ✗ ", &text, w, view.theme.bad());
    }
}

fn ladder_diagnosis(view: &AppView<'_>, lines: &mut Vec<Line<'static>>, w: usize) {
    let t = view.theme;
    let Some(ladder) = &view.ladder else {
        lines.push(Line::from(Span::styled(
            say(view.spec, view.lang, "ui.step.pack_first"),
            t.warn(),
        )));
        return;
    };
    let entered = ladder
        .rows
        .iter()
        .any(|r| r.verdict != LadderVerdict::Pending);
    if ladder.faults.is_empty() {
        if entered {
            lines.push(Line::from(Span::styled(
                say(view.spec, view.lang, "ui.step.ladder_ok"),
                t.ok(),
            )));
        }
    } else {
        for f in &ladder.faults {
            push_hanging(lines, "✗ ", f, w, t.bad());
        }
    }
    // After the verdict, which matters more on a small screen: our assumptions, marked.
    if let Some(note) = &ladder.note {
        push_hanging(lines, "ℹ ", note, w, t.dim());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_box_keeps_its_width_with_wide_characters() {
        for text in [
            "１２３４５６",
            "3.65",
            "",
            "a very long operator name indeed",
        ] {
            for focused in [true, false] {
                let b = entry_box(text, focused, 12);
                assert_eq!(width(&b), 12, "{text:?} -> {b:?}");
            }
        }
    }
}
