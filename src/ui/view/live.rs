//! The live BMS panel: every cell in a compact grid with the lowest and highest marked, pack
//! voltage, current, temperatures, switches, alarms with the manual's error numbers, the link
//! state and the age of the last frame.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::{AppView, Mode};
use crate::ui::text::{clip, label, label_with, say, say_with, wrap};

/// Width of one cell in the grid: `3.301` and its mark.
const CELL_W: usize = 6;
/// Width of the row label of the grid: `25-32 `.
const LABEL_W: usize = 6;

/// Draw the panel: its title (the link state, always shown) over `lines`, built by [`lines`]
/// at the panel's inner width (its rows are `lines.len() + 1`).
pub fn render(
    frame: &mut Frame<'_>,
    area: Rect,
    view: &AppView<'_>,
    side: bool,
    lines: Vec<Line<'static>>,
) {
    let t = view.theme;
    let live = &view.state.live;
    let mut title = vec![Span::styled(
        format!(" {} ", label(view.spec, view.lang, "live_title")),
        t.title(),
    )];
    let link = if live.connected {
        // The simulated unit's link names itself "simulator": in the operator's words here.
        let peer = match view.link.peer.as_deref() {
            Some("simulator") => crate::ui::text::say(view.spec, view.lang, "ui.source.sim"),
            peer => crate::clean::clean(peer.unwrap_or("BMS")).into_owned(),
        };
        Span::styled(
            format!(
                "· {peer} ● {} ",
                label(view.spec, view.lang, "live_connected")
            ),
            t.ok(),
        )
    } else {
        Span::styled(
            format!("· ○ {} ", label(view.spec, view.lang, "live_disconnected")),
            t.bad(),
        )
    };
    title.push(link);
    if let Some(at) = live.cells_at_ms {
        let age = (view.now_ms - at).max(0) as f64 / 1000.0;
        let stale = age > view.spec.limits.live_max_age_s;
        let text = if stale {
            let secs = format!("{age:.0}");
            format!(
                "· ⚠ {} ",
                label_with(view.spec, view.lang, "live_stale", &[("seconds", &secs)])
            )
        } else {
            let age = crate::wizard::words::number(view.spec, view.lang, age, 1);
            format!(
                "· {} ",
                say_with(view.spec, view.lang, "ui.live.ago", &[("age", &age)])
            )
        };
        title.push(Span::styled(text, if stale { t.warn() } else { t.dim() }));
    }
    let borders = if side {
        Borders::TOP | Borders::LEFT
    } else {
        Borders::TOP
    };
    let block = Block::new().borders(borders).title(Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(Paragraph::new(lines), inner);
}

/// `value` with `decimals` digits, the language's way (3,274 in Polish).
fn num(view: &AppView<'_>, value: f64, decimals: u8) -> String {
    crate::wizard::words::number(view.spec, view.lang, value, decimals)
}

/// The panel's lines at width `w`.
pub fn lines(view: &AppView<'_>, w: usize) -> Vec<Line<'static>> {
    let t = view.theme;
    let live = &view.state.live;
    let Some(cells) = &live.cells else {
        // The link's own note is in the operator's words; the journal's reason (a resumed
        // session, before the link has said anything) is the English it keeps.
        let why = match (&view.mode, &view.link.note, &view.state.link_down_reason) {
            (Mode::Manual, _, _) => say(view.spec, view.lang, "ui.live.manual"),
            (_, Some(n), _) | (_, None, Some(n)) => {
                say_with(view.spec, view.lang, "ui.live.no_data", &[("why", n)])
            }
            (_, None, None) => say(view.spec, view.lang, "ui.live.no_data_yet"),
        };
        return at_most_two(&why, w)
            .into_iter()
            .map(|l| Line::from(Span::styled(l, t.dim())))
            .collect();
    };
    let mut out = Vec::new();
    let soc = format!("SOC {}%", cells.soc);
    let current = cells.current.0;
    let dir = say(
        view.spec,
        view.lang,
        if current > 0.05 {
            "ui.live.charging"
        } else if current < -0.05 {
            "ui.live.discharging"
        } else {
            "ui.live.idle"
        },
    );
    out.push(Line::from(vec![
        Span::styled(
            format!(
                "{} {} V",
                label(view.spec, view.lang, "pack_voltage"),
                num(view, cells.pack_voltage.0, 2)
            ),
            t.title(),
        ),
        Span::raw(format!(
            "  {}{} A {dir}  {soc}  ",
            if current >= 0.0 { "+" } else { "" },
            num(view, current, 1)
        )),
        Span::styled(
            format!(
                "{} {}",
                cells.connected_count(),
                label(view.spec, view.lang, "cells")
            ),
            t.dim(),
        ),
    ]));
    let (lo, hi) = (cells.min_cell as usize, cells.max_cell as usize);
    let v = |i: usize| cells.cell_voltages.get(i).map_or(0.0, |v| v.0);
    out.push(Line::from(vec![
        extreme(
            view,
            "ui.live.min",
            v(lo),
            format!("▼{}", lo + 1),
            low_style(view),
        ),
        Span::raw("  "),
        extreme(
            view,
            "ui.live.max",
            v(hi),
            format!("▲{}", hi + 1),
            high_style(view),
        ),
        Span::raw("  "),
        Span::styled(
            format!("Δ {} V", num(view, cells.delta_voltage.0, 3)),
            t.title(),
        ),
    ]));
    // Every slot up to the pack's cell count or the highest connected slot, whichever is more:
    // a missing cell in the middle or at the end must show as missing.
    let highest = (0..cells.cell_voltages.len().min(32))
        .rev()
        .find(|i| cells.enabled_mask & (1 << i) != 0)
        .map_or(0, |i| i + 1);
    let n = highest
        .max(view.state.pack.cells.unwrap_or(0) as usize)
        .min(cells.cell_voltages.len());
    let cols = (w.saturating_sub(LABEL_W) / CELL_W).clamp(1, 8);
    for start in (0..n).step_by(cols) {
        let end = (start + cols).min(n);
        let mut spans = vec![Span::styled(
            format!("{:>2}-{:<2} ", start + 1, end),
            t.dim(),
        )];
        for i in start..end {
            let on = cells.enabled_mask & (1 << i) != 0;
            let span = if !on {
                Span::styled("-----✗", t.bad())
            } else if i == hi {
                Span::styled(format!("{}▲", num(view, v(i), 3)), high_style(view))
            } else if i == lo {
                Span::styled(format!("{}▼", num(view, v(i), 3)), low_style(view))
            } else {
                Span::raw(format!("{} ", num(view, v(i), 3)))
            };
            spans.push(span);
        }
        out.push(Line::from(spans));
    }
    let mut temps = vec![match cells.mos_temperature {
        Some(c) => format!("MOS {:.0}°C", c.0),
        None => "MOS —".to_string(),
    }];
    for (k, p) in cells.probes.iter().enumerate() {
        match p {
            Some(c) => temps.push(format!("T{} {:.0}", k + 1, c.0)),
            None if k < 2 => temps.push(format!("T{} —", k + 1)),
            None => {}
        }
    }
    let mut sw = Vec::new();
    if let Some(s) = &live.settings {
        let (on_word, off_word) = (
            say(view.spec, view.lang, "ui.live.on"),
            say(view.spec, view.lang, "ui.live.off"),
        );
        let on = |b: bool| if b { on_word.clone() } else { off_word.clone() };
        sw.push(format!(
            "Chg {} Dis {} Bal {}",
            on(s.charge_switch),
            on(s.discharge_switch),
            on(s.balance_switch)
        ));
        if s.control.is_some_and(|c| c.disable_temp_sensors) {
            sw.push(say(view.spec, view.lang, "ui.live.temp_disabled"));
        }
    }
    let fet = format!(
        "FET {}{}",
        if cells.charging { "c" } else { "-" },
        if cells.discharging { "d" } else { "-" }
    );
    sw.push(fet);
    out.push(Line::raw(clip(
        &format!("{}  · {}", temps.join(" "), sw.join(" · ")),
        w,
    )));
    let alarms = cells.alarms();
    // No alarm bit carries the manual's error 8; the tool's own reading of the balancer does.
    let balancer = live
        .settings
        .as_ref()
        .and_then(|s| crate::bms::model::ManualError::balancer_idle(cells, s));
    if alarms.is_empty() && balancer.is_none() {
        out.push(Line::from(Span::styled(
            format!("✓ {}", label(view.spec, view.lang, "no_alarm")),
            t.ok(),
        )));
    } else {
        let mut text: Vec<String> = alarms
            .iter()
            .map(|a| {
                let name = crate::wizard::checks::live::alarm_name(*a).render(view.spec, view.lang);
                match a.manual_error() {
                    Some(e) => format!("E{} {name}", e.0),
                    None => name,
                }
            })
            .collect();
        if let Some(e) = balancer {
            text.push(say_with(
                view.spec,
                view.lang,
                "ui.live.balancer_idle",
                &[("n", &e.0.to_string())],
            ));
        }
        let mut all = text.join("; ");
        if balancer.is_some() || alarms.iter().any(|a| a.manual_error().is_some()) {
            all.push_str(" · ");
            all.push_str(label(view.spec, view.lang, "alarm_mapping_ours"));
        }
        let line = format!(
            "⚠ {}",
            label_with(view.spec, view.lang, "alarm_active", &[("alarm", &all)])
        );
        let style = if balancer.is_some() || alarms.iter().any(|a| a.is_fault()) {
            t.bad()
        } else {
            t.warn()
        };
        // The step pane lists every alarm with its hint; here two lines, marked when cut.
        for l in at_most_two(&line, w) {
            out.push(Line::from(Span::styled(l, style)));
        }
    }
    out
}

/// `text` wrapped to `w` in at most two lines, the second ending in "…" when text is left out.
fn at_most_two(text: &str, w: usize) -> Vec<String> {
    let mut lines = wrap(text, w.max(10));
    if lines.len() > 2 {
        let rest = lines[1..].join(" ");
        lines.truncate(1);
        lines.push(clip(&rest, w.max(10)));
    }
    lines
}

/// The lowest or highest cell: its word (`key`), its voltage and its mark with its number.
fn extreme(view: &AppView<'_>, key: &str, volts: f64, mark: String, style: Style) -> Span<'static> {
    Span::styled(
        format!(
            "{} {} V {mark}",
            say(view.spec, view.lang, key),
            num(view, volts, 3)
        ),
        style,
    )
}

fn high_style(view: &AppView<'_>) -> Style {
    view.theme.warn().add_modifier(Modifier::BOLD)
}

fn low_style(view: &AppView<'_>) -> Style {
    if view.theme.color {
        Style::new()
            .fg(ratatui::style::Color::Cyan)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::new().add_modifier(Modifier::BOLD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_alarm_line_is_marked_where_it_is_cut() {
        assert_eq!(at_most_two("one two three", 20), vec!["one two three"]);
        assert_eq!(
            at_most_two("aaaa bbbb cccc dddd eeee ffff", 10),
            vec!["aaaa bbbb", "cccc dddd…"]
        );
        // Exactly two lines: nothing is left out, nothing marked.
        assert_eq!(
            at_most_two("aaaa bbbb cccc dddd", 10),
            vec!["aaaa bbbb", "cccc dddd"]
        );
    }
}
