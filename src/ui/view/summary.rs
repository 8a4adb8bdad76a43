//! The sign-off summary: what the log will say, shown before the signature is asked for —
//! the pack, the unit, the readings, the settings read back beside what is expected, every
//! override, amendment and warning. Built from the same fold as the log
//! ([`crate::log::record::build`]), so the screen cannot show other than what is signed.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{AppView, Theme};
use crate::log::record::{CommissioningLog, BY_OPERATOR};
use crate::ui::text::{label, wrap};

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
    let p = &log.pack;
    para(
        &mut out,
        &format!(
            "Pack {} · {} {}S · {} · {} · cold site {} · meter {}",
            p.id,
            p.chemistry,
            p.series_cells,
            p.capacity,
            p.model,
            if p.cold_site { "yes" } else { "no" },
            p.pack_voltage.as_deref().unwrap_or("—"),
        ),
        Style::new(),
    );
    match &log.bms {
        Some(b) => para(
            &mut out,
            &format!(
                "Unit {} · serial {} · firmware {} · {}",
                b.model, b.serial_number, b.software_version, b.link
            ),
            Style::new(),
        ),
        None => para(&mut out, "Unit: not identified", t.bad()),
    }
    if log.simulated {
        para(&mut out, label(spec, lang, "summary_simulated"), t.sim());
    }
    let faults = log.ladder.iter().filter(|l| l.verdict != "ok").count();
    let cells = log.cells.as_ref().map_or("no cell data".to_string(), |c| {
        format!(
            "cells now: pack {} · Δ {} · {} cells",
            c.pack_voltage,
            c.delta,
            c.cell_voltages.len()
        )
    });
    para(
        &mut out,
        &format!(
            "Ladder {} readings, {} not ok · {cells}",
            log.ladder.len(),
            faults
        ),
        if faults > 0 { t.bad() } else { Style::new() },
    );
    let pt = &log.protection_test;
    para(
        &mut out,
        &format!(
            "Protection test: charge cut off at {} (OVP {}), discharge at {} (UVP {})",
            pt.charge_cutoff.as_deref().unwrap_or("—"),
            pt.cell_ovp.as_deref().unwrap_or("—"),
            pt.discharge_cutoff.as_deref().unwrap_or("—"),
            pt.cell_uvp.as_deref().unwrap_or("—"),
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
                    &format!("{mark} {name}: {value} (expected {expected})"),
                    style,
                );
            }
        }
        None => para(&mut out, "no settings read", t.bad()),
    }
    let mut warnings = Vec::new();
    for o in &log.overrides {
        warnings.push((
            format!(
                "! override {} / {}: {} — {} ({})",
                o.step, o.gate, o.reason, o.by, o.role
            ),
            t.warn(),
        ));
    }
    for a in &log.amendments {
        warnings.push((
            format!("✎ amended {}: {}", a.step, a.changed.join("; ")),
            Style::new(),
        ));
    }
    for s in &log.steps {
        for g in &s.gates {
            if g.source.as_deref() == Some(BY_OPERATOR) {
                warnings.push((format!("⚠ {} / {}: {BY_OPERATOR}", s.id, g.gate), t.warn()));
            }
        }
        if s.outcome == "skipped" {
            warnings.push((format!("– skipped: {}", s.title), t.dim()));
        }
    }
    head(&mut out, "summary_warnings");
    if warnings.is_empty() {
        para(&mut out, label(spec, lang, "summary_none"), t.ok());
    }
    for (text, style) in warnings {
        para(&mut out, &text, style);
    }
    out.push(Line::raw(""));
    let _: Theme = t;
    out
}
