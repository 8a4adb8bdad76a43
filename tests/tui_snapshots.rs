//! Snapshots of the wizard's screens at 80×24 (and wider), drawn with ratatui's TestBackend.
//!
//! The states are built from engine events, as a journal would hold them; the gate verdicts
//! are what the engine hands the screen. Review changes with `cargo insta review`.

use jk_commission::bms::model::{AppAction, Chemistry};
use jk_commission::bms::sim::{SimConfig, SimUnit};
use jk_commission::ui::phone::BenchView;
use jk_commission::ui::state::{Overlay, OverrideForm, Row, UiState};
use jk_commission::ui::view::{self, draw, AppView, LinkView, Mode, Theme};
use jk_commission::units::Volts;
use jk_commission::wizard::checks::{Reason, Value, Verdict};
use jk_commission::wizard::engine::{Engine, Event, GateResult, Leave, State, LADDER_PACK_VOLTAGE};
use jk_commission::wizard::spec::WizardSpec;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use ratatui::Terminal;

const NOW: i64 = 1_760_000_000_000;

fn spec() -> WizardSpec {
    WizardSpec::builtin()
}

fn index(spec: &WizardSpec, id: &str) -> usize {
    spec.steps
        .iter()
        .position(|s| s.id == id)
        .unwrap_or_else(|| panic!("no step {id}"))
}

fn set(step: &str, field: &str, text: &str, value: Value) -> Event {
    Event::FieldSet {
        at: NOW,
        step: step.into(),
        field: field.into(),
        text: text.into(),
        value,
    }
}

/// A commissioning started and walked (every gate passing) up to step `id`, for a 16-cell
/// LiFePO4 pack on a 16-cell unit.
fn at_step(spec: &WizardSpec, id: &str, cells: u32) -> State {
    let engine = Engine::new(spec);
    let mut state = engine.empty_state();
    let mut events = engine.start(NOW, "hash", "0.1.0", "en").unwrap();
    let model = if cells > 16 {
        "b2a24s20p"
    } else {
        "pb2a16s20p"
    };
    events.extend([
        set(
            "setup.pack",
            "operator",
            "Anna Nowak",
            Value::Text("Anna Nowak".into()),
        ),
        set(
            "setup.pack",
            "role",
            "technician",
            Value::Text("technician".into()),
        ),
        set(
            "setup.pack",
            "pack_id",
            "PK-0042",
            Value::Text("PK-0042".into()),
        ),
        set(
            "setup.pack",
            "chemistry",
            "lifepo4",
            Value::Choice("lifepo4".into()),
        ),
        set(
            "setup.pack",
            "cells",
            &cells.to_string(),
            Value::Integer(cells as i64),
        ),
        set("setup.pack", "capacity", "280", Value::Number(280.0)),
        set("setup.pack", "model", model, Value::Choice(model.into())),
        set("setup.pack", "cold_site", "no", Value::Choice("no".into())),
    ]);
    let target = index(spec, id);
    for s in &spec.steps[..target] {
        events.push(Event::StepLeft {
            at: NOW,
            step: s.id.clone(),
            how: Leave::Passed,
        });
    }
    events.push(Event::StepEntered {
        at: NOW,
        step: id.into(),
    });
    for e in &events {
        engine.apply(&mut state, e);
    }
    state
}

fn gate(id: &str, safety: bool, reasons: &[&str]) -> GateResult {
    GateResult {
        gate: id.into(),
        safety,
        verdict: if reasons.is_empty() {
            Verdict::pass()
        } else {
            Verdict::fail(
                reasons
                    .iter()
                    .map(|r| Reason {
                        code: "test".into(),
                        text: r.to_string(),
                    })
                    .collect(),
            )
        },
    }
}

fn view<'a>(spec: &'a WizardSpec, state: &'a State, ui: &'a UiState, mode: Mode) -> AppView<'a> {
    let engine = Engine::new(spec);
    AppView {
        spec,
        state,
        ui,
        lang: "en",
        now_ms: NOW,
        gates: Vec::new(),
        ladder: view::ladder_view(&engine, state, state.current, "en"),
        applies: (0..spec.steps.len())
            .map(|i| engine.applies(state, i))
            .collect(),
        mode,
        link: LinkView {
            peer: Some("simulator".into()),
            note: None,
        },
        bench: Some(BenchView {
            plugged_in: true,
            activated: true,
        }),
        session_dir: "/home/anna/.local/share/jk-commission/sessions/2026-03-01-1".into(),
        theme: Theme { color: true },
    }
}

fn render(view: &AppView<'_>, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| draw(f, view)).unwrap();
    terminal
}

fn screen(view: &AppView<'_>, w: u16, h: u16) -> String {
    render(view, w, h).backend().to_string()
}

/// A connected simulated unit with `cells` cells, configured, as the live panel shows it.
fn connect(state: &mut State, cells: u32) {
    let unit = SimUnit::new(SimConfig::ready().with_cells(cells)).unwrap();
    state.live.connected = true;
    state.live.cells = Some(unit.cell_info(7));
    state.live.cells_at_ms = Some(NOW - 800);
    state.live.settings = Some(unit.settings().clone());
    state.live.device = Some(unit.device_info());
}

#[test]
fn first_step() {
    let spec = spec();
    let engine = Engine::new(&spec);
    let mut state = engine.empty_state();
    for e in engine.start(NOW, "hash", "0.1.0", "en").unwrap() {
        engine.apply(&mut state, &e);
    }
    let ui = UiState::new(&state);
    let mut v = view(&spec, &state, &ui, Mode::Sim);
    v.gates = vec![gate(
        "fields_valid",
        true,
        &[
            "Your name: required, nothing entered yet.",
            "Cells in series: required, nothing entered yet.",
        ],
    )];
    insta::assert_snapshot!(screen(&v, 80, 24));
}

#[test]
fn ladder_with_a_diagnosed_fault() {
    let spec = spec();
    let engine = Engine::new(&spec);
    let mut state = at_step(&spec, "wiring.ladder", 16);
    // Cell 3's tap was skipped: from pin 4 on, every lead sits one cell too high.
    let readings = [3.301, 6.602, 13.204, 16.505, 19.806];
    let mut events: Vec<Event> = readings
        .iter()
        .enumerate()
        .map(|(k, v)| Event::ReadingSet {
            at: NOW,
            step: "wiring.ladder".into(),
            cell: k as u32 + 1,
            text: format!("{v}").replace('.', ","),
            value: Volts(*v),
        })
        .collect();
    events.push(Event::EntryRejected {
        at: NOW,
        step: "wiring.ladder".into(),
        field: "cell 6".into(),
        text: "23.1.0".into(),
        error: "cell 6: '23.1.0' is not a number: type digits with one '.' or ',' such as 3.65 or 3,65, optionally followed by V".into(),
    });
    events.push(set(
        "wiring.ladder",
        LADDER_PACK_VOLTAGE,
        "52.8",
        Value::Number(52.8),
    ));
    for e in &events {
        engine.apply(&mut state, e);
    }
    let mut ui = UiState::new(&state);
    ui.focus = 5;
    ui.buffers.insert("cell 6".into(), "23.1.0".into());
    let mut v = view(&spec, &state, &ui, Mode::Sim);
    let ladder = v.ladder.clone().expect("the ladder is diagnosed");
    assert!(
        !ladder.faults.is_empty(),
        "the skipped tap is diagnosed: {ladder:?}"
    );
    let faults: Vec<&str> = ladder.faults.iter().map(String::as_str).collect();
    v.gates = vec![gate("ladder", true, &faults)];
    insta::assert_snapshot!(screen(&v, 80, 24));
}

#[test]
fn live_panel_with_16_cells() {
    let spec = spec();
    let mut state = at_step(&spec, "config.status", 16);
    connect(&mut state, 16);
    let ui = UiState::new(&state);
    let mut v = view(&spec, &state, &ui, Mode::Sim);
    v.gates = vec![
        gate("live_connected", true, &[]),
        gate("cells_visible", true, &[]),
        gate("cells_plausible", false, &[]),
        gate(
            "all_confirmed",
            false,
            &["Tick: In the app I picked this pack's BMS (by its name)."],
        ),
    ];
    insta::assert_snapshot!(screen(&v, 80, 24));
}

#[test]
fn live_panel_with_32_cells_fits_80x24() {
    let spec = spec();
    let mut state = at_step(&spec, "config.status", 32);
    connect(&mut state, 32);
    let ui = UiState::new(&state);
    let mut v = view(&spec, &state, &ui, Mode::Sim);
    v.gates = vec![gate("live_connected", true, &[])];
    let text = screen(&v, 80, 24);
    // Every one of the 32 cells is on screen: the grid's last row runs 25-32.
    assert!(text.contains("25-32"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn live_panel_with_32_cells_on_a_wide_terminal() {
    let spec = spec();
    let mut state = at_step(&spec, "config.status", 32);
    connect(&mut state, 32);
    let ui = UiState::new(&state);
    let mut v = view(&spec, &state, &ui, Mode::Sim);
    v.gates = vec![gate("live_connected", true, &[])];
    insta::assert_snapshot!(screen(&v, 132, 30));
}

#[test]
fn a_blocked_gate_with_its_reasons() {
    let spec = spec();
    let mut state = at_step(&spec, "config.cells_capacity", 16);
    connect(&mut state, 16);
    let gates = vec![
        gate(
            "cell_count_setting",
            true,
            &["Cell Count in the BMS is 24, but the pack has 16 cells in series: set Cell Count to 16."],
        ),
        gate(
            "capacity_set",
            false,
            &["Battery Capacity(AH) is 100 Ah, but the pack was entered as 280 Ah."],
        ),
    ];
    // The operator tried to go on and was refused.
    let i = state.current;
    state.steps[i].gates = gates.clone();
    let mut ui = UiState::new(&state);
    ui.focus = 99;
    let mut v = view(&spec, &state, &ui, Mode::Sim);
    v.gates = gates;
    let text = screen(&v, 80, 24);
    assert!(
        text.contains("✗ C 4"),
        "the step list marks the step blocked: {text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn an_override_shows_in_the_gate_and_the_step_list() {
    let spec = spec();
    let engine = Engine::new(&spec);
    let mut state = at_step(&spec, "config.status", 16);
    connect(&mut state, 16);
    let over = Event::Overridden {
        at: NOW,
        step: "config.status".into(),
        over: jk_commission::wizard::engine::Override {
            gate: "cells_plausible".into(),
            reason: "cell 7 is a known weak cell, replaced next week".into(),
            role: "trainer".into(),
            by: "Ewa Kowalska".into(),
        },
    };
    engine.apply(&mut state, &over);
    let earlier = index(&spec, "wiring.output");
    state.steps[earlier].status = Some(jk_commission::wizard::engine::Status::Overridden);
    let ui = UiState::new(&state);
    let mut v = view(&spec, &state, &ui, Mode::Sim);
    v.gates = vec![
        gate("live_connected", true, &[]),
        gate(
            "cells_plausible",
            false,
            &["Cell 7 reads 1.90 V: below 2.00 V, not plausible for LiFePO4."],
        ),
    ];
    let text = screen(&v, 80, 24);
    assert!(text.contains("! W12"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn help_overlay() {
    let spec = spec();
    let state = at_step(&spec, "wiring.ladder", 16);
    let mut ui = UiState::new(&state);
    ui.overlay = Some(Overlay::Help);
    let v = view(&spec, &state, &ui, Mode::Sim);
    insta::assert_snapshot!(screen(&v, 80, 24));
}

#[test]
fn override_form() {
    let spec = spec();
    let mut state = at_step(&spec, "config.status", 16);
    connect(&mut state, 16);
    let mut ui = UiState::new(&state);
    ui.overlay = Some(Overlay::Override(OverrideForm {
        gates: vec!["cells_plausible".into()],
        reason: "cell 7 replaced next week".into(),
        focus: 2,
        role: "trai".into(),
        ..OverrideForm::default()
    }));
    let v = view(&spec, &state, &ui, Mode::Sim);
    insta::assert_snapshot!(screen(&v, 80, 24));
}

#[test]
fn simulated_phone_app() {
    let spec = spec();
    let mut state = at_step(&spec, "config.cells_capacity", 16);
    connect(&mut state, 16);
    let mut ui = UiState::new(&state);
    ui.overlay = Some(Overlay::Phone);
    ui.phone.focus = 3;
    ui.phone.buffers.insert(3, "16".into());
    let v = view(&spec, &state, &ui, Mode::Sim);
    let text = screen(&v, 80, 24);
    assert!(text.contains("SIMULATED PHONE APP"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn manual_only_mode_says_live_checks_cannot_pass() {
    let spec = spec();
    let state = at_step(&spec, "config.status", 16);
    let ui = UiState::new(&state);
    let v = view(&spec, &state, &ui, Mode::Manual);
    let text = screen(&v, 80, 24);
    assert!(text.contains("MANUAL ONLY"), "{text}");
    assert!(text.contains("Manual-only mode"), "{text}");
}

#[test]
fn no_color_draws_no_colour_and_keeps_the_symbols() {
    let spec = spec();
    let mut state = at_step(&spec, "config.cells_capacity", 16);
    connect(&mut state, 16);
    let ui = UiState::new(&state);
    let mut v = view(&spec, &state, &ui, Mode::Sim);
    v.theme = Theme { color: false };
    v.gates = vec![gate(
        "cell_count_setting",
        true,
        &["Cell Count is 24, pack has 16."],
    )];
    let terminal = render(&v, 80, 24);
    let buffer = terminal.backend().buffer();
    for cell in buffer.content() {
        assert_eq!(cell.fg, Color::Reset, "coloured cell {:?}", cell.symbol());
        assert_eq!(cell.bg, Color::Reset, "coloured cell {:?}", cell.symbol());
    }
    let text = terminal.backend().to_string();
    assert!(text.contains("✗ CANNOT GO ON"), "{text}");
    assert!(
        text.contains("▲") && text.contains("▼"),
        "min and max are marked: {text}"
    );
}

#[test]
fn sign_off_rows_are_prefilled_from_the_setup_answers() {
    let spec = spec();
    let state = at_step(&spec, "signoff", 16);
    let ui = UiState::new(&state);
    let v = view(&spec, &state, &ui, Mode::Sim);
    let text = screen(&v, 80, 24);
    assert!(text.contains("[Anna Nowak"), "{text}");
    let _ = (Row::SignName, AppAction::BatteryType(Chemistry::LiFePo4));
}
