//! Before the wizard, without `--sim`: the Bluetooth scan, the choice of unit, and the way out
//! when there is no Bluetooth (the simulator or manual-only mode).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use super::{centered, Theme};
use crate::ui::text::{clip, say, say_with};
use crate::wizard::spec::WizardSpec;
use crate::wizard::words::Say;

/// A unit heard in the scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// Its advertised name (`None`: it sent none).
    pub name: Option<String>,
    /// Its Bluetooth address.
    pub address: String,
    /// Signal strength, dBm.
    pub rssi: Option<i16>,
}

/// Where the chooser stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Listening.
    Scanning,
    /// The scan is done (maybe with nothing found).
    Found(Vec<Unit>),
    /// Bluetooth cannot be used here: why, as a sentence to word in the operator's language.
    Unavailable(Say),
}

/// The chooser's state.
#[derive(Debug, Clone, PartialEq)]
pub struct Chooser {
    /// Where it stands.
    pub phase: Phase,
    /// The highlighted unit.
    pub focus: usize,
    /// Styles.
    pub theme: Theme,
}

/// What the operator chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Nothing yet.
    Stay,
    /// Leave.
    Quit,
    /// Scan again.
    Rescan,
    /// Use the simulator.
    Sim,
    /// Go on without a BMS.
    Manual,
    /// Connect to this address.
    Unit(String),
}

/// A key in the chooser.
pub fn key(state: &mut Chooser, key: KeyEvent) -> Choice {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Choice::Quit;
    }
    let units = match &state.phase {
        Phase::Found(u) => u.len(),
        _ => 0,
    };
    match key.code {
        KeyCode::Char('q') | KeyCode::Esc => Choice::Quit,
        KeyCode::Char('s') => Choice::Sim,
        KeyCode::Char('m') => Choice::Manual,
        KeyCode::Char('r') if state.phase != Phase::Scanning => Choice::Rescan,
        KeyCode::Up => {
            state.focus = state.focus.saturating_sub(1);
            Choice::Stay
        }
        KeyCode::Down | KeyCode::Tab => {
            state.focus = (state.focus + 1).min(units.saturating_sub(1));
            Choice::Stay
        }
        KeyCode::Enter => match &state.phase {
            Phase::Found(u) => u
                .get(state.focus)
                .map_or(Choice::Stay, |u| Choice::Unit(u.address.clone())),
            _ => Choice::Stay,
        },
        _ => Choice::Stay,
    }
}

/// How long the chooser listens, in seconds (shown while it does).
pub const SCAN_SECS: u64 = 5;

/// Draw the chooser, its words in `lang`.
pub fn render(frame: &mut Frame<'_>, state: &Chooser, spec: &WizardSpec, lang: &str) {
    let area = frame.area();
    let w = area.width.saturating_sub(4).min(76);
    let lines = lines(state, spec, lang);
    let h = (lines.len() as u16 + 6).min(area.height);
    let rect = centered(area, w, h);
    let block = Block::bordered().title(say(spec, lang, "ui.chooser.title"));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    // Not trimmed: the units' rows keep their column under the focus mark.
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// The chooser's lines: the scan's state, the units heard, the keys.
fn lines(state: &Chooser, spec: &WizardSpec, lang: &str) -> Vec<Line<'static>> {
    let t = state.theme;
    let word = |key: &str| say(spec, lang, key);
    let mut lines = Vec::new();
    match &state.phase {
        Phase::Scanning => {
            let secs = SCAN_SECS.to_string();
            lines.push(Line::raw(say_with(
                spec,
                lang,
                "ui.chooser.scanning",
                &[("secs", &secs)],
            )));
        }
        Phase::Unavailable(why) => {
            lines.push(Line::from(Span::styled(
                word("ui.chooser.unavailable"),
                t.bad(),
            )));
            lines.push(Line::raw(why.render(spec, lang)));
        }
        Phase::Found(units) if units.is_empty() => {
            lines.push(Line::from(Span::styled(word("ui.chooser.none"), t.warn())));
            lines.push(Line::raw(word("ui.chooser.none_hint")));
        }
        Phase::Found(units) => {
            lines.push(Line::raw(word("ui.chooser.pick")));
            lines.push(Line::from(Span::styled(
                format!(
                    "  {:<24} {:<17}  {}",
                    clip(&word("ui.chooser.col_name"), 24),
                    clip(&word("ui.chooser.col_address"), 17),
                    word("ui.chooser.col_signal")
                ),
                t.dim(),
            )));
            for (i, u) in units.iter().enumerate() {
                let focused = i == state.focus;
                let rssi = u.rssi.map_or(String::new(), |r| format!("{r} dBm"));
                let name = u.name.clone().unwrap_or_else(|| word("ui.chooser.no_name"));
                let text = format!(
                    "{} {:<24} {:<17}  {rssi}",
                    if focused { "›" } else { " " },
                    clip(&name, 24),
                    clip(&u.address, 17)
                );
                lines.push(Line::from(Span::styled(
                    text,
                    if focused { t.focus() } else { t.title() },
                )));
            }
        }
    }
    lines.push(Line::raw(""));
    let mut keys = vec!["ui.chooser.key_sim", "ui.chooser.key_manual"];
    if state.phase != Phase::Scanning {
        keys.push("ui.chooser.key_rescan");
    }
    keys.push("ui.chooser.key_quit");
    for k in keys {
        lines.push(Line::from(Span::styled(word(k), t.dim())));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bms::link::LinkError;

    fn text(state: &Chooser, lang: &str) -> Vec<String> {
        lines(state, crate::wizard::words::builtin(), lang)
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    fn at(phase: Phase) -> Chooser {
        Chooser {
            phase,
            focus: 0,
            theme: Theme { color: false },
        }
    }

    fn phases() -> Vec<Phase> {
        vec![
            Phase::Scanning,
            Phase::Found(Vec::new()),
            Phase::Found(vec![
                Unit {
                    name: Some("JK-B2A24S20P".into()),
                    address: "C8:47:8C:E4:54:0F".into(),
                    rssi: Some(-58),
                },
                Unit {
                    name: None,
                    address: "20:21:11:00:00:02".into(),
                    rssi: None,
                },
            ]),
            Phase::Unavailable(crate::bench::link::link_error_say(&LinkError::NoAdapter)),
            Phase::Unavailable(crate::bench::link::link_error_say(&LinkError::NoDbus(
                "org.freedesktop.DBus.Error.FileNotFound".into(),
            ))),
            Phase::Unavailable(Say::plain("ui.chooser.scan_stopped")),
        ]
    }

    /// Every state of the chooser in every language: no line is the English one except the
    /// units' own names and addresses, and every placeholder is filled.
    #[test]
    fn every_state_of_the_chooser_is_worded_in_every_language() {
        let spec = crate::wizard::words::builtin();
        for phase in phases() {
            let state = at(phase);
            let english = text(&state, "en");
            for lang in spec.languages.iter().filter(|l| *l != "en") {
                let words = text(&state, lang);
                assert_eq!(words.len(), english.len(), "{lang}: {words:?}");
                for (w, e) in words.iter().zip(&english) {
                    assert!(!w.contains('{'), "{lang}: {w}");
                    // The units' lines carry their own name and address (and the signal).
                    let a_unit = w.contains("C8:47:8C") && !w.contains("(");
                    if !w.is_empty() && !a_unit {
                        assert_ne!(w, e, "{lang}: left in English");
                    }
                }
            }
        }
    }

    #[test]
    fn the_chooser_names_the_scan_time_and_what_bluetooth_said() {
        let scanning = text(&at(Phase::Scanning), "pl");
        assert!(scanning[0].contains("(5 s)"), "{scanning:?}");
        let no_bus = text(&at(phases().remove(4)), "de");
        assert!(
            no_bus[1].contains("org.freedesktop.DBus.Error.FileNotFound")
                && no_bus[1].contains("--sim"),
            "{no_bus:?}"
        );
        let found = text(&at(phases().remove(2)), "cs");
        assert!(found.iter().any(|l| l.contains("(bez názvu)")), "{found:?}");
        assert!(found[1].contains("název") && found[1].contains("signál"));
        // Rescan is offered only once the scan is over.
        assert!(!text(&at(Phase::Scanning), "en")
            .iter()
            .any(|l| l.starts_with("r ")));
        assert!(text(&at(Phase::Found(Vec::new())), "en")
            .iter()
            .any(|l| l.starts_with("r ")));
    }

    /// The chooser as drawn at 80×24.
    fn screen(state: &Chooser, lang: &str) -> String {
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
        terminal
            .draw(|f| render(f, state, crate::wizard::words::builtin(), lang))
            .unwrap();
        terminal.backend().to_string()
    }

    #[test]
    fn the_chooser_at_80x24_in_english_and_polish() {
        let found = at(phases().remove(2));
        insta::assert_snapshot!("chooser_found_en", screen(&found, "en"));
        insta::assert_snapshot!("chooser_found_pl", screen(&found, "pl"));
        let no_bus = at(phases().remove(4));
        insta::assert_snapshot!("chooser_no_bluetooth_hu", screen(&no_bus, "hu"));
    }
}
