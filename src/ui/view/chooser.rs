//! Before the wizard, without `--sim`: the Bluetooth scan, the choice of unit, and the way out
//! when there is no Bluetooth (the simulator or manual-only mode).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use super::{centered, Theme};
use crate::ui::text::clip;

/// A unit heard in the scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// Its advertised name.
    pub name: String,
    /// Its Bluetooth address.
    pub address: String,
    /// Signal strength, dBm.
    pub rssi: Option<i16>,
}

/// Where the chooser stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Listening.
    Scanning,
    /// The scan is done (maybe with nothing found).
    Found(Vec<Unit>),
    /// Bluetooth cannot be used here: why, in a sentence.
    Unavailable(String),
}

/// The chooser's state.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Draw the chooser.
pub fn render(frame: &mut Frame<'_>, state: &Chooser) {
    let t = state.theme;
    let area = frame.area();
    let w = area.width.saturating_sub(4).min(76);
    let mut lines = Vec::new();
    match &state.phase {
        Phase::Scanning => {
            lines.push(Line::raw("Looking for JK BMS units over Bluetooth (5 s)…"));
        }
        Phase::Unavailable(why) => {
            lines.push(Line::from(Span::styled(
                "✗ Bluetooth cannot be used here.",
                t.bad(),
            )));
            lines.push(Line::raw(why.clone()));
        }
        Phase::Found(units) if units.is_empty() => {
            lines.push(Line::from(Span::styled(
                "No JK unit answered the scan.",
                t.warn(),
            )));
            lines.push(Line::raw(
                "Check that the BMS is activated and in range, and that no phone is connected to it (a connected unit stops advertising).",
            ));
        }
        Phase::Found(units) => {
            lines.push(Line::raw("Pick this pack's BMS (↑↓, Enter):"));
            for (i, u) in units.iter().enumerate() {
                let focused = i == state.focus;
                let rssi = u.rssi.map_or(String::new(), |r| format!("{r} dBm"));
                let text = format!(
                    "{} {:<24} {}  {rssi}",
                    if focused { "›" } else { " " },
                    clip(&u.name, 24),
                    u.address
                );
                lines.push(Line::from(Span::styled(
                    text,
                    if focused { t.focus() } else { t.title() },
                )));
            }
        }
    }
    lines.push(Line::raw(""));
    let mut keys = vec!["s  use the built-in simulated BMS"];
    keys.push("m  manual only: no BMS; live checks cannot pass");
    if state.phase != Phase::Scanning {
        keys.push("r  scan again");
    }
    keys.push("q  quit");
    for k in keys {
        lines.push(Line::from(Span::styled(k, t.dim())));
    }
    let h = (lines.len() as u16 + 6).min(area.height);
    let rect = centered(area, w, h);
    let block = Block::bordered().title(" JK BMS commissioning · connect ");
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}
