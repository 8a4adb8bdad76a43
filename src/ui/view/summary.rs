//! The sign-off summary: what the log will say, shown before the signature is asked for —
//! the pack, the unit, the readings, the settings read back beside what is expected, every
//! override, amendment and warning. Built from the same fold as the log
//! ([`crate::log::record::build`]), so the screen cannot show other than what is signed.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::AppView;
use crate::log::record::CommissioningLog;
use crate::log::warnings::Warning;
use crate::ui::text::{label, say, say_with, step_short, wrap};

/// The summary's lines at width `w`.
pub fn lines(view: &AppView<'_>, log: &CommissioningLog, w: usize) -> Vec<Line<'static>> {
    let t = view.theme;
    let spec = view.spec;
    let lang = view.lang;
    let mut out = Vec::new();
    let head = |out: &mut Vec<Line<'static>>, key: &str| {
        out.push(Line::from(Span::styled(
            label(spec, lang, key).to_string(),
            t.title(),
        )));
    };
    let para = |out: &mut Vec<Line<'static>>, text: &str, style: Style| {
        for l in wrap(text, w.saturating_sub(2).max(8)) {
            out.push(Line::from(Span::styled(format!("  {l}"), style)));
        }
    };
    head(&mut out, "summary_title");
    // One list for the screen and the report: whatever the report will warn of shows here.
    let warnings = crate::log::warnings::of(log);
    // What the record as a whole is (scripted, simulated, replayed, its source changed) first,
    // as the report puts it above everything.
    for warning in warnings.iter().filter(|x| banner(x)) {
        let (text, style) = words(view, log, warning);
        para(&mut out, &text, style);
    }
    let p = &log.pack;
    para(
        &mut out,
        &say_with(
            spec,
            lang,
            "ui.summary.pack",
            &[
                ("id", &p.id),
                ("chemistry", &p.chemistry),
                ("cells", &p.series_cells.to_string()),
                ("capacity", &p.capacity),
                ("model", &p.model),
                (
                    "cold",
                    &say(
                        spec,
                        lang,
                        if p.cold_site {
                            "ui.summary.yes"
                        } else {
                            "ui.summary.no"
                        },
                    ),
                ),
                ("meter", p.pack_voltage.as_deref().unwrap_or("—")),
            ],
        ),
        Style::new(),
    );
    match &log.bms {
        Some(b) => para(
            &mut out,
            &say_with(
                spec,
                lang,
                "ui.summary.unit",
                &[
                    ("model", &b.model),
                    ("serial", &b.serial_number),
                    ("firmware", &b.software_version),
                    ("link", &b.link),
                ],
            ),
            Style::new(),
        ),
        None => para(&mut out, &say(spec, lang, "ui.summary.no_unit"), t.bad()),
    }
    let faults = log.ladder.iter().filter(|l| l.verdict != "ok").count();
    let cells = log
        .cells
        .as_ref()
        .map_or(say(spec, lang, "ui.summary.no_cells"), |c| {
            say_with(
                spec,
                lang,
                "ui.summary.cells",
                &[
                    ("pack", &c.pack_voltage),
                    ("delta", &c.delta),
                    ("count", &c.cell_voltages.len().to_string()),
                ],
            )
        });
    para(
        &mut out,
        &say_with(
            spec,
            lang,
            "ui.summary.ladder",
            &[
                ("readings", &log.ladder.len().to_string()),
                ("faults", &faults.to_string()),
                ("cells", &cells),
            ],
        ),
        if faults > 0 { t.bad() } else { Style::new() },
    );
    let pt = &log.protection_test;
    para(
        &mut out,
        &say_with(
            spec,
            lang,
            "ui.summary.protection",
            &[
                ("charge", pt.charge_cutoff.as_deref().unwrap_or("—")),
                ("ovp", pt.cell_ovp.as_deref().unwrap_or("—")),
                ("discharge", pt.discharge_cutoff.as_deref().unwrap_or("—")),
                ("uvp", pt.cell_uvp.as_deref().unwrap_or("—")),
            ],
        ),
        Style::new(),
    );
    head(&mut out, "summary_settings");
    match &log.settings {
        Some(s) => {
            for (key, value) in &s.values {
                let name = crate::log::report::app_label(key);
                let (mark, style, expected) = match s.expected.get(key) {
                    Some(e) if crate::log::report::meets(value, e) => ("✓", t.ok(), e.as_str()),
                    Some(e) => ("✗", t.bad(), e.as_str()),
                    None => (" ", Style::new(), "—"),
                };
                para(
                    &mut out,
                    &say_with(
                        spec,
                        lang,
                        "ui.summary.expected",
                        &[
                            ("mark", mark),
                            ("name", name),
                            ("value", value),
                            ("expected", expected),
                        ],
                    ),
                    style,
                );
            }
        }
        None => para(
            &mut out,
            &say(spec, lang, "ui.summary.no_settings"),
            t.bad(),
        ),
    }
    head(&mut out, "summary_warnings");
    let rest: Vec<&Warning> = warnings.iter().filter(|x| !banner(x)).collect();
    if rest.is_empty() && view.state.rewired.is_empty() {
        para(&mut out, label(spec, lang, "summary_none"), t.ok());
    }
    for warning in &rest {
        let (text, style) = words(view, log, warning);
        para(&mut out, &text, style);
    }
    // What was re-wired on the bench, where: the operator's own doing, so it is shown to be
    // checked like an amendment (what it put right stays the trainer's to read in the report).
    for (_, step, what) in &view.state.rewired {
        let text = say_with(
            spec,
            lang,
            "ui.summary.rewired",
            &[
                ("step", &step_short(spec, lang, step)),
                ("what", &crate::ui::keys::rewire_words(spec, lang, what)),
            ],
        );
        para(&mut out, &text, Style::new());
    }
    out.push(Line::raw(""));
    out
}

/// Whether a warning is about the whole record (shown above the pack, as in the report).
fn banner(w: &Warning) -> bool {
    matches!(
        w,
        Warning::Scripted { .. }
            | Warning::Simulated
            | Warning::Replayed
            | Warning::SourceChanged { .. }
    )
}

/// A warning in the screen's language, and how it stands out.
fn words(view: &AppView<'_>, log: &CommissioningLog, w: &Warning) -> (String, Style) {
    let (spec, lang, t) = (view.spec, view.lang, view.theme);
    let s = |key: &str, values: &[(&str, &str)]| say_with(spec, lang, key, values);
    // A step named as the step list names it, not by its id.
    let name = |step: &str| step_short(spec, lang, step);
    match w {
        Warning::Scripted { real_unit } => {
            let entries = crate::log::record::describe_entries_in(spec, lang, &log.entries_made_by);
            let key = if *real_unit {
                "ui.summary.scripted_real"
            } else {
                "ui.summary.scripted"
            };
            (s(key, &[("entries", &entries)]), t.bad())
        }
        Warning::Simulated => (label(spec, lang, "summary_simulated").to_string(), t.sim()),
        Warning::Replayed => (say(spec, lang, "ui.summary.replayed"), t.bad()),
        Warning::SourceChanged { path } => (
            s("ui.summary.source_changed", &[("path", &path.join(" → "))]),
            t.warn(),
        ),
        Warning::PreviousSession { session } => (
            s("ui.summary.previous", &[("session", session)]),
            Style::new(),
        ),
        Warning::Overridden {
            step,
            gate,
            reason,
            by,
            role,
        } => (
            s(
                "ui.summary.override",
                &[
                    ("step", &name(step)),
                    ("gate", gate),
                    ("reason", reason),
                    ("by", by),
                    ("role", role),
                ],
            ),
            t.warn(),
        ),
        Warning::ByOperator { step, gate } => (
            s(
                "ui.summary.by_operator",
                &[("step", &name(step)), ("gate", gate)],
            ),
            t.warn(),
        ),
        Warning::Skipped { title } => (s("ui.summary.skipped", &[("title", title)]), t.dim()),
        Warning::Amended { step, changed } => (
            s(
                "ui.summary.amended",
                &[("step", &name(step)), ("changed", &changed.join("; "))],
            ),
            Style::new(),
        ),
        Warning::Alarms { alarms } => (
            s("ui.summary.alarms", &[("alarms", &alarms.join(", "))]),
            t.bad(),
        ),
    }
}
