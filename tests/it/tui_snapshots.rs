//! Snapshots of the wizard's screens at 80×24 (and wider), drawn with ratatui's TestBackend.
//!
//! The states are built from engine events, as a journal would hold them; the gate verdicts
//! and the ladder's diagnosis come from the engine, as in the running wizard. Review changes
//! with `cargo insta review` (or `INSTA_UPDATE=always cargo test --test it tui_snapshots`).

use jk_commission::bms::model::{AppAction, Chemistry};
use jk_commission::bms::sim::{SimConfig, SimUnit};
use jk_commission::ui::phone::BenchView;
use jk_commission::ui::state::{Overlay, OverrideForm, UiState};
use jk_commission::ui::view::{draw, AppView, LinkView, Mode, Theme};
use jk_commission::units::Volts;
use jk_commission::wizard::checks::Value;
use jk_commission::wizard::engine::{
    Engine, Event, Input, Leave, Override, State, Status, LADDER_PACK_VOLTAGE,
};
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

/// A commissioning started and walked (every gate passing) up to step `id`, for a LiFePO4
/// pack of `cells` cells (on a 16-cell unit up to 16, else a 24-cell one).
fn at_step(spec: &WizardSpec, id: &str, cells: u32) -> State {
    let engine = Engine::new(spec);
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
    for s in &spec.steps[..index(spec, id)] {
        events.push(Event::StepLeft {
            at: NOW,
            step: s.id.clone(),
            how: Leave::Passed,
        });
    }
    // Entered a moment before the live data below arrived: gates take only data read since.
    events.push(Event::StepEntered {
        at: NOW - 2_000,
        step: id.into(),
    });
    engine.replay(&events)
}

/// What the screen shows of `state`: the gates and the ladder's diagnosis come from the
/// engine, exactly as in the running wizard.
fn view<'a>(spec: &'a WizardSpec, state: &'a State, ui: &'a UiState, mode: Mode) -> AppView<'a> {
    view_in(spec, state, ui, mode, "en")
}

/// [`view`] in language `lang`.
fn view_in<'a>(
    spec: &'a WizardSpec,
    state: &'a State,
    ui: &'a UiState,
    mode: Mode,
    lang: &'a str,
) -> AppView<'a> {
    let engine = Engine::new(spec);
    let mut v = AppView::build(
        &engine,
        state,
        ui,
        lang,
        NOW,
        mode,
        LinkView {
            peer: Some("simulator".into()),
            note: None,
        },
        "/home/anna/.local/share/jk-commission/sessions/2026-03-01-1".into(),
        Theme { color: true },
    );
    v.bench = Some(BenchView {
        plugged_in: true,
        activated: true,
    });
    v
}

fn render(view: &AppView<'_>, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| draw(f, view)).unwrap();
    terminal
}

fn screen(view: &AppView<'_>, w: u16, h: u16) -> String {
    render(view, w, h).backend().to_string()
}

/// The live data of a unit with `cells` cells, as the link would have delivered it.
fn connect_unit(state: &mut State, unit: &SimUnit) {
    state.live.connected = true;
    state.live.cells = Some(unit.cell_info(7));
    state.live.cells_at_ms = Some(NOW - 800);
    state.live.settings = Some(unit.settings().clone());
    state.live.settings_at_ms = Some(NOW - 800);
    state.live.device = Some(unit.device_info());
}

/// A connected, configured simulated unit with `cells` cells, on the pack the meter measured
/// (the simulator's 24-cell unit: the model and the pack voltage agree with the unit's).
fn connect(state: &mut State, cells: u32) {
    let unit = SimUnit::new(SimConfig::ready().with_cells(cells)).unwrap();
    connect_unit(state, &unit);
    state.pack.model = Some("b2a24s20p".into());
    state.pack.pack_voltage = Some(unit.cell_info(7).pack_voltage);
}

#[test]
fn first_step() {
    let spec = spec();
    let engine = Engine::new(&spec);
    let state = engine.replay(&engine.start(NOW, "hash", "0.1.0", "en").unwrap());
    let ui = UiState::new(&state);
    let v = view(&spec, &state, &ui, Mode::Sim);
    assert!(!v.gates[0].verdict.ok, "nothing is entered yet");
    insta::assert_snapshot!(screen(&v, 80, 24));
}

/// A cell count of "16,5" and a capacity of "abc" typed into the set-up form: each refusal
/// names the field as the form labels it and the range it takes, in the operator's language.
#[test]
fn the_setup_form_refuses_a_slip_by_the_fields_label_and_range() {
    let spec = spec();
    let engine = Engine::new(&spec);
    let mut state = engine.replay(&engine.start(NOW, "hash", "0.1.0", "en").unwrap());
    for (field, text) in [("cells", "16,5"), ("capacity", "abc")] {
        let input = Input::Field {
            field: field.into(),
            text: text.into(),
        };
        for e in engine.step(&mut state, input, NOW).unwrap() {
            engine.apply(&mut state, &e);
        }
    }
    let fields = spec.steps[0].input.fields();
    let at = |id: &str| fields.iter().position(|f| f.id == id).unwrap();
    let mut ui = UiState::new(&state);
    ui.buffers.insert("cells".into(), "16,5".into());
    ui.buffers.insert("capacity".into(), "abc".into());
    // The step pane's words in reading order, the step list beside it left out.
    let pane = |ui: &UiState, lang| {
        let text = screen(&view_in(&spec, &state, ui, Mode::Sim, lang), 80, 24);
        let right: Vec<&str> = text
            .lines()
            .map(|l| l.split_once('│').map_or(l, |(_, r)| r))
            .collect();
        (screen_words(&right.join("\n")).join(" "), text)
    };
    let expected = [
        (
            "en",
            "Cells in series: '16,5' is not a whole number (accepted: 1–32): type digits only, \
             such as 16",
            "Capacity: 'abc' is not a number (accepted: 1–5000 Ah): type digits with one '.' or \
             ',' such as 3.65 or 3,65",
        ),
        (
            "pl",
            "Liczba ogniw połączonych szeregowo: „16,5” nie jest liczbą całkowitą (dopuszczalne: \
             1–32)",
            "Pojemność: „abc” nie jest liczbą (dopuszczalne: 1–5000 Ah)",
        ),
    ];
    for (lang, cells, capacity) in expected {
        ui.focus = at("cells");
        let (words, text) = pane(&ui, lang);
        assert!(words.contains(cells), "{cells}\n{text}");
        if lang == "en" {
            insta::assert_snapshot!(text);
        }
        ui.focus = at("capacity");
        let (words, text) = pane(&ui, lang);
        assert!(words.contains(capacity), "{capacity}\n{text}");
    }
}

#[test]
fn a_replayed_unit_is_named_as_a_replay_never_as_a_live_bms() {
    let spec = spec();
    let engine = Engine::new(&spec);
    let state = engine.replay(&engine.start(NOW, "hash", "0.1.0", "en").unwrap());
    let ui = UiState::new(&state);
    let v = view(
        &spec,
        &state,
        &ui,
        Mode::Replay {
            file: "capture\x1b[2J.jkcap".into(),
        },
    );
    let text = screen(&v, 80, 24);
    let title = text.lines().next().unwrap();
    assert!(title.contains("REPLAY capture␛[2J.jkcap"), "{title}");
    assert!(!title.contains("BMS capture"), "{title}");
}

#[test]
fn a_training_session_names_only_its_blind_id_in_the_title() {
    let spec = spec();
    let engine = Engine::new(&spec);
    let state = engine.replay(&engine.start(NOW, "hash", "0.1.0", "en").unwrap());
    let ui = UiState::new(&state);
    let mut v = view(&spec, &state, &ui, Mode::Sim);
    v.training = Some("T-085f7a".into());
    let text = screen(&v, 80, 24);
    let title = text.lines().next().unwrap();
    assert!(title.contains("TRAINING T-085f7a"), "{title}");
    assert!(
        title.contains("Step 1 of 24"),
        "the progress still fits: {title}"
    );
    assert!(title.contains("^Q quit"), "{title}");
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
    // And a slip of the finger on cell 6, refused as typed.
    events.extend(
        engine
            .step(
                &mut state,
                Input::Reading {
                    cell: 6,
                    text: "23.1.0".into(),
                },
                NOW,
            )
            .unwrap(),
    );
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
    let v = view(&spec, &state, &ui, Mode::Sim);
    let ladder = v.ladder.clone().expect("the ladder is diagnosed");
    assert!(
        !ladder.faults.is_empty(),
        "the skipped tap is diagnosed: {ladder:?}"
    );
    assert!(!v.gates[0].verdict.ok, "the ladder gate refuses");
    insta::assert_snapshot!(screen(&v, 80, 24));
}

#[test]
fn live_panel_with_16_cells() {
    let spec = spec();
    let mut state = at_step(&spec, "config.status", 16);
    connect(&mut state, 16);
    let ui = UiState::new(&state);
    let v = view(&spec, &state, &ui, Mode::Sim);
    insta::assert_snapshot!(screen(&v, 80, 24));
}

#[test]
fn live_panel_with_32_cells_fits_80x24() {
    let spec = spec();
    let mut state = at_step(&spec, "config.status", 32);
    connect(&mut state, 32);
    let ui = UiState::new(&state);
    let v = view(&spec, &state, &ui, Mode::Sim);
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
    let v = view(&spec, &state, &ui, Mode::Sim);
    insta::assert_snapshot!(screen(&v, 132, 30));
}

#[test]
fn a_blocked_gate_with_its_reasons() {
    let spec = spec();
    let engine = Engine::new(&spec);
    let mut state = at_step(&spec, "config.cells_capacity", 16);
    // The unit as it comes from the box, LiFePO4 chosen: Cell Count 24, capacity 100 Ah.
    let mut unit = SimUnit::new(SimConfig::fresh().plugged_in(true).activated(true)).unwrap();
    unit.apply(&AppAction::BatteryType(Chemistry::LiFePo4))
        .unwrap();
    connect_unit(&mut state, &unit);
    // The operator tried to go on and was refused.
    let events = engine.step(&mut state, Input::Next, NOW).unwrap();
    assert!(!events.iter().any(|e| matches!(e, Event::StepLeft { .. })));
    let ui = UiState::new(&state);
    let v = view(&spec, &state, &ui, Mode::Sim);
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
    // Cell plausibility is a safety gate: the override goes on the app's confirmation.
    let over = Event::Overridden {
        at: NOW,
        step: "config.status".into(),
        over: Override {
            gate: "all_confirmed".into(),
            reason: "the app runs on the trainer's phone, unit checked there".into(),
            role: "trainer".into(),
            by: "Ewa Kowalska".into(),
        },
    };
    engine.apply(&mut state, &over);
    let earlier = index(&spec, "wiring.output");
    state.steps[earlier].status = Some(Status::Overridden);
    let ui = UiState::new(&state);
    let v = view(&spec, &state, &ui, Mode::Sim);
    let text = screen(&v, 80, 24);
    assert!(text.contains("! W12"), "{text}");
    assert!(text.contains("Ewa Kowalska"), "{text}");
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
        gates: vec!["all_confirmed".into()],
        reason: "unit checked on the trainer's phone".into(),
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
    assert!(
        text.contains("Gate"),
        "the phone leaves the gate in view: {text}"
    );
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
    if let Some(s) = state.live.settings.as_mut() {
        s.cell_count = 24;
    }
    let ui = UiState::new(&state);
    let mut v = view(&spec, &state, &ui, Mode::Sim);
    v.theme = Theme { color: false };
    let terminal = render(&v, 80, 24);
    for cell in terminal.backend().buffer().content() {
        assert_eq!(cell.fg, Color::Reset, "coloured cell {:?}", cell.symbol());
        assert_eq!(cell.bg, Color::Reset, "coloured cell {:?}", cell.symbol());
    }
    let text = terminal.backend().to_string();
    assert!(text.contains("✗ CANNOT GO ON"), "{text}");
    assert!(
        text.contains('▲') && text.contains('▼'),
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
}

#[test]
fn the_live_panel_shows_an_absent_mos_sensor_as_absent_and_a_hostile_name_cleaned() {
    let spec = spec();
    let mut state = at_step(&spec, "config.status", 16);
    connect(&mut state, 16);
    if let Some(c) = state.live.cells.as_mut() {
        c.mos_temperature = None;
    }
    let ui = UiState::new(&state);
    let mut v = view(&spec, &state, &ui, Mode::Sim);
    v.link.peer = Some("JK\x1b[8m\u{202e}evil".into());
    let shown = screen(&v, 100, 30);
    assert!(shown.contains("MOS —"), "{shown}");
    assert!(!shown.contains("-200"), "{shown}");
    assert!(shown.contains("JK␛[8m\\u{202e}evil"), "{shown}");
}

#[test]
fn a_unit_that_does_not_report_the_temperature_switch_asks_the_operator_instead() {
    let spec = spec();
    let mut state = at_step(&spec, "config.control", 16);
    connect(&mut state, 16);
    // The 24S frame layout: no control word in the settings.
    if let Some(s) = state.live.settings.as_mut() {
        s.control = None;
    }
    let ui = UiState::new(&state);
    let v = view(&spec, &state, &ui, Mode::Sim);
    let text = screen(&v, 100, 40);
    assert!(
        text.contains("[ ] In the app's CONTROL tab, Disable Temp. Sensor is OFF"),
        "{text}"
    );
    let gate = v
        .gates
        .iter()
        .find(|g| g.gate == "temp_sensor_enabled")
        .unwrap();
    assert!(!gate.verdict.ok, "nothing read is no pass");
    assert_eq!(gate.verdict.reasons[0].code, "not_reported");
}

/// The screen's own words that must not show in another language (issue 15): the chrome of
/// the gate panel, the footer, the help and the live panel.
const ENGLISH_CHROME: &[&str] = &[
    "CANNOT GO ON",
    "MAY GO ON",
    "Enter confirm",
    "Esc back",
    "? help",
    " Gate ",
    "Step list",
    "Keys",
    "move between the rows",
    "any key closes",
    "[safety]",
    "[o: override]",
    "charging",
    " idle",
    "not confirmed",
    "is not entered",
    "Cell Count is ",
    " but the pack has",
    "skipped",
    "plug ",
    " reads ",
    "no reading yet",
];

/// Three screens at 80×24 in every listed language: a refused live step with its reasons,
/// the ladder with a diagnosed fault, and the help. Each is snapshotted, and none shows the
/// English chrome or an English reason.
#[test]
fn screens_in_every_language_show_no_english_chrome() {
    let spec = spec();
    let engine = Engine::new(&spec);
    assert_eq!(spec.languages.len(), 7);
    // The refused Cell Count step of a unit straight from the box.
    let mut blocked = at_step(&spec, "config.cells_capacity", 16);
    let mut unit = SimUnit::new(SimConfig::fresh().plugged_in(true).activated(true)).unwrap();
    unit.apply(&AppAction::BatteryType(Chemistry::LiFePo4))
        .unwrap();
    connect_unit(&mut blocked, &unit);
    engine.step(&mut blocked, Input::Next, NOW).unwrap();
    // The ladder with cell 3's tap skipped.
    let mut ladder = at_step(&spec, "wiring.ladder", 16);
    for (k, v) in [3.301, 6.602, 13.204, 16.505].iter().enumerate() {
        engine.apply(
            &mut ladder,
            &Event::ReadingSet {
                at: NOW,
                step: "wiring.ladder".into(),
                cell: k as u32 + 1,
                text: format!("{v}"),
                value: Volts(*v),
            },
        );
    }
    let plain = UiState::new(&blocked);
    let ladder_ui = UiState::new(&ladder);
    let mut help = UiState::new(&ladder);
    help.overlay = Some(Overlay::Help);
    for lang in &spec.languages {
        let screens = [
            ("blocked", view_in(&spec, &blocked, &plain, Mode::Sim, lang)),
            (
                "ladder",
                view_in(&spec, &ladder, &ladder_ui, Mode::Sim, lang),
            ),
            ("help", view_in(&spec, &ladder, &help, Mode::Sim, lang)),
        ];
        for (name, v) in screens {
            let text = screen(&v, 80, 24);
            if lang != "en" {
                for english in ENGLISH_CHROME {
                    assert!(
                        !text.contains(english),
                        "{lang} {name}: {english:?} in English:\n{text}"
                    );
                }
            }
            insta::assert_snapshot!(format!("{name}_{lang}"), text);
        }
    }
    // Numbers the language's way in the reasons: 3,30 V in Polish, 3.30 V in English.
    let pl = screen(
        &view_in(&spec, &ladder, &ladder_ui, Mode::Sim, "pl"),
        80,
        24,
    );
    // (a no-break space holds each number to its unit on the screen)
    assert!(
        pl.contains("6,60\u{a0}V") || pl.contains("3,30\u{a0}V"),
        "{pl}"
    );
}

/// At STATUS (the first live step) with the unit of [`connect`] and a ladder that gives cell 3
/// `shift` volts more than the unit reads (its reading and every one above it).
fn status_with_ladder(spec: &WizardSpec, shift: f64) -> State {
    let engine = Engine::new(spec);
    let mut state = at_step(spec, "config.status", 16);
    connect(&mut state, 16);
    let cells = state.live.cells.clone().unwrap();
    let mut sum = 0.0;
    for (k, v) in cells.cell_voltages.iter().take(16).enumerate() {
        sum += v.0 + if k == 2 { shift } else { 0.0 };
        engine.apply(
            &mut state,
            &Event::ReadingSet {
                at: NOW,
                step: "wiring.ladder".into(),
                cell: k as u32 + 1,
                text: format!("{sum:.3}"),
                value: Volts((sum * 1000.0).round() / 1000.0),
            },
        );
    }
    state
}

#[test]
fn the_ladder_is_compared_only_with_fresh_cells_of_a_connected_unit() {
    let spec = spec();
    let status = index(&spec, "config.status");
    let entered = state_entered(&status_with_ladder(&spec, 0.06), status);
    let shown = |state: &State| {
        let ui = UiState::new(state);
        let v = view(&spec, state, &ui, Mode::Sim);
        let cells: Vec<u32> = v.disagreements.iter().map(|d| d.cell).collect();
        (cells, v.agreement_waits.clone(), screen(&v, 120, 40))
    };
    // Read after the step was entered: compared, cell 3 pointed out.
    let fresh = status_with_ladder(&spec, 0.06);
    let (cells, waits, text) = shown(&fresh);
    assert_eq!(cells, vec![3]);
    assert_eq!(waits, None);
    assert!(text.contains("The meter and the BMS disagree"), "{text}");
    // Read at the very moment the step was entered: still fresh.
    let mut at_entry = status_with_ladder(&spec, 0.06);
    at_entry.live.cells_at_ms = Some(entered);
    assert_eq!(shown(&at_entry).0, vec![3]);
    // A millisecond before: stale, not compared, and the screen says what it waits for.
    let mut stale = status_with_ladder(&spec, 0.06);
    stale.live.cells_at_ms = Some(entered - 1);
    let (cells, waits, text) = shown(&stale);
    assert!(cells.is_empty(), "stale cells are not compared: {cells:?}");
    assert!(waits.is_some());
    assert!(!text.contains("disagree"), "{text}");
    assert!(text.contains("once fresh cells arrive"), "{text}");
    // The link down: the last cells are not compared either.
    let mut down = status_with_ladder(&spec, 0.06);
    down.live.connected = false;
    let (cells, waits, text) = shown(&down);
    assert!(cells.is_empty(), "{cells:?}");
    assert!(waits.as_deref().is_some_and(|w| !w.is_empty()));
    assert!(text.contains("once fresh cells arrive"), "{text}");
    // Older than live_max_age_s (though read after the step was entered): not compared.
    let max_ms = (spec.limits.live_max_age_s * 1000.0) as i64;
    let mut old = status_with_ladder(&spec, 0.06);
    old.steps[status].entered_at = Some(NOW - max_ms - 10_000);
    old.steps[status].visited_at = None;
    old.live.cells_at_ms = Some(NOW - max_ms - 1);
    assert!(shown(&old).0.is_empty());
    old.live.cells_at_ms = Some(NOW - max_ms);
    assert_eq!(
        shown(&old).0,
        vec![3],
        "at the age limit the cells still count"
    );
    // Agreeing cells, fresh: nothing said at all.
    let (cells, waits, text) = shown(&status_with_ladder(&spec, 0.0));
    assert!(cells.is_empty() && waits.is_none());
    assert!(
        !text.contains("disagree") && !text.contains("fresh cells"),
        "{text}"
    );
}

/// When step `index` counts as entered for the freshness of live data.
fn state_entered(state: &State, index: usize) -> i64 {
    let r = &state.steps[index];
    r.visited_at.or(r.entered_at).unwrap()
}

/// The words of a rendered screen in reading order, the window frames left out.
fn screen_words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || "│┌┐└┘─\"".contains(c))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The words inside the first window (┌…┘) of a rendered screen, its title included, in
/// reading order: what is behind the window beside it is left out.
fn window_words(text: &str) -> Vec<String> {
    let rows: Vec<Vec<char>> = text
        .lines()
        .map(|r| r.trim_matches('"').chars().collect())
        .collect();
    let Some(top) = rows.iter().position(|r| r.contains(&'┌')) else {
        return Vec::new();
    };
    let left = rows[top].iter().position(|c| *c == '┌').unwrap();
    let right = rows[top].iter().position(|c| *c == '┐').unwrap();
    let mut inside = String::new();
    for row in &rows[top..] {
        let part: String = row[left..=right.min(row.len() - 1)].iter().collect();
        inside.push_str(&part);
        inside.push('\n');
        if row.get(left) == Some(&'└') {
            break;
        }
    }
    screen_words(&inside)
}

/// Whether `text`'s words stand one after the other somewhere on `screen` (a text wrapped
/// over several rows still reads as one run).
fn shows(screen: &[String], text: &str) -> bool {
    let want = screen_words(text);
    !want.is_empty() && screen.windows(want.len()).any(|w| w == want.as_slice())
}

/// Every line of the help is readable at 80×24 in every language: its title, every key's
/// words, the step list's marks, the sections and the gates, none cut off or clipped.
#[test]
fn the_help_shows_all_its_text_at_80x24_in_every_language() {
    use jk_commission::ui::keys::KEYS;
    use jk_commission::ui::text::{label, say};
    let spec = spec();
    let state = at_step(&spec, "wiring.ladder", 16);
    let mut ui = UiState::new(&state);
    ui.overlay = Some(Overlay::Help);
    for lang in &spec.languages {
        let text = screen(&view_in(&spec, &state, &ui, Mode::Sim, lang), 80, 24);
        let words = window_words(&text);
        let mut texts = vec![label(&spec, lang, "help").to_string()];
        for key in [
            "ui.help.close",
            "ui.help.step_list",
            "ui.mark.done",
            "ui.mark.current",
            "ui.mark.blocked",
            "ui.mark.overridden",
            "ui.mark.skipped",
            "ui.mark.pending",
            "ui.help.sections",
            "ui.help.gates",
        ] {
            texts.push(say(&spec, lang, key));
        }
        for (keys, what) in KEYS {
            texts.push(keys.to_string());
            texts.push(say(&spec, lang, what));
        }
        for t in &texts {
            assert!(
                shows(&words, t),
                "{lang}: help does not show {t:?}:\n{text}"
            );
        }
    }
}

/// The log the sign-off summary shows, with every warning a log can carry added by hand: a
/// script's entries against a real unit, a replayed capture after the simulator, a change of
/// source, a new attempt, an override, a gate confirmed by the operator, a skipped step, an
/// amendment, alarms at sign-off.
fn every_warning(spec: &WizardSpec) -> (State, jk_commission::log::record::CommissioningLog) {
    use jk_commission::log::record::{AmendmentLog, OverrideLog, BY_OPERATOR};
    use jk_commission::wizard::engine::EntrySource;
    let mut state = at_step(spec, "signoff", 16);
    connect(&mut state, 16);
    let ui = UiState::new(&state);
    let mut log = view(spec, &state, &ui, Mode::Sim)
        .summary
        .expect("the sign-off step shows the summary");
    log.entries_made_by = vec![
        EntrySource::Operator,
        EntrySource::AnswersFile {
            file: "answers.yaml".into(),
            sha256: "ab12".into(),
        },
    ];
    log.simulated = false;
    log.replayed = true;
    log.source_changes = vec![
        "bluetooth C8:47:80:12:34:56".into(),
        "replay bench.jkcap".into(),
    ];
    log.previous_session = Some("PK-0042-2026-02-28".into());
    log.overrides.push(OverrideLog {
        step: "config.status".into(),
        gate: "all_confirmed".into(),
        reason: "checked on the trainer's phone".into(),
        role: "trainer".into(),
        by: "Ewa Kowalska".into(),
        at: "2026-03-01T10:00:00Z".into(),
    });
    log.steps[3]
        .gates
        .push(jk_commission::log::record::GateLog {
            gate: "temp_sensor_switch".into(),
            safety: false,
            result: "passed".into(),
            reasons: vec![],
            source: Some(BY_OPERATOR.into()),
        });
    log.steps[4].outcome = "skipped".into();
    log.amendments.push(AmendmentLog {
        at: "2026-03-01T10:05:00Z".into(),
        step: "setup.pack".into(),
        changed: vec!["pack_id: P! → P1".into()],
        rechecked: vec![],
    });
    log.cells.as_mut().unwrap().alarms = vec!["cell overvoltage".into()];
    // A lead put right on the bench is the operator's doing: shown to be checked too.
    state.rewired.push((
        NOW,
        "wiring.ladder".into(),
        jk_commission::wizard::engine::Rewire::Lead { cell: 8 },
    ));
    (state, log)
}

#[test]
fn the_sign_off_summary_shows_every_warning_the_report_states() {
    use jk_commission::log::warnings::{self, Warning};
    let spec = spec();
    let (state, log) = every_warning(&spec);
    let all = warnings::of(&log);
    let kinds: Vec<&str> = all.iter().map(Warning::kind).collect();
    assert_eq!(
        kinds,
        [
            "scripted",
            "replayed",
            "source_changed",
            "previous_session",
            "overridden",
            "by_operator",
            "skipped",
            "amended",
            "alarms"
        ]
    );
    assert_eq!(
        all[0],
        Warning::Scripted { real_unit: false },
        "a replay is no real unit"
    );
    // The report states each of them.
    let report = jk_commission::log::report::render(&log, "log", None, &spec);
    for needle in [
        "SCRIPTED",
        "REPLAYED BMS",
        "more than one way",
        "PK-0042-2026-02-28",
        "checked on the trainer&#x27;s phone",
        jk_commission::log::record::BY_OPERATOR,
        "skipped",
        "pack_id: P! → P1",
        "cell overvoltage",
        // The override's and the amendment's steps as the report's headings name them.
        "<td>Configuration in the app 1 — Connect and check STATUS</td>",
        "<td>Setup — The pack and the people</td>",
    ] {
        assert!(report.contains(needle), "the report lacks {needle:?}");
    }
    // And the summary shows each, in every language, at the sign-off step.
    for lang in spec.languages.clone() {
        let ui = UiState::new(&state);
        let mut v = view_in(&spec, &state, &ui, Mode::Sim, &lang);
        v.summary = Some(log.clone());
        // Tall and 80 wide: the live panel sits below, so right of the list is the step only.
        let rows = plain_rows(&render(&v, 80, 200));
        let text = rows
            .iter()
            .map(|r| r.split_once('│').map_or(r.as_str(), |(_, right)| right))
            .collect::<Vec<_>>()
            .join("\n");
        let words = screen_words(&text);
        let say = |key: &str, values: &[(&str, &str)]| {
            jk_commission::ui::text::say_with(&spec, &lang, key, values)
        };
        // Steps are named as the step list names them, in the language.
        let short = |id: &str| jk_commission::ui::text::step_short(&spec, &lang, id);
        let entries =
            jk_commission::log::record::describe_entries_in(&spec, &lang, &log.entries_made_by);
        for want in [
            say("ui.summary.scripted", &[("entries", &entries)]),
            say("ui.summary.replayed", &[]),
            say(
                "ui.summary.source_changed",
                &[("path", "bluetooth C8:47:80:12:34:56 → replay bench.jkcap")],
            ),
            say("ui.summary.previous", &[("session", "PK-0042-2026-02-28")]),
            say(
                "ui.summary.override",
                &[
                    ("step", &short("config.status")),
                    ("gate", "all_confirmed"),
                    ("reason", "checked on the trainer's phone"),
                    ("by", "Ewa Kowalska"),
                    ("role", "trainer"),
                ],
            ),
            say(
                "ui.summary.by_operator",
                &[
                    ("step", &short(&log.steps[3].id)),
                    ("gate", "temp_sensor_switch"),
                ],
            ),
            say("ui.summary.skipped", &[("title", &log.steps[4].title)]),
            say(
                "ui.summary.amended",
                &[
                    ("step", &short("setup.pack")),
                    ("changed", "pack_id: P! → P1"),
                ],
            ),
            say("ui.summary.alarms", &[("alarms", "cell overvoltage")]),
            say(
                "ui.summary.rewired",
                &[
                    ("step", &short("wiring.ladder")),
                    (
                        "what",
                        &jk_commission::ui::keys::rewire_words(
                            &spec,
                            &lang,
                            &jk_commission::wizard::engine::Rewire::Lead { cell: 8 },
                        ),
                    ),
                ],
            ),
        ] {
            assert!(
                shows(&words, &want),
                "{lang}: the summary lacks {want:?}:\n{text}"
            );
        }
        let none = format!(
            "{} {}",
            jk_commission::ui::text::label(&spec, &lang, "summary_warnings"),
            jk_commission::ui::text::label(&spec, &lang, "summary_none")
        );
        assert!(!shows(&words, &none), "{lang}: warnings, not 'none'");
    }
    // A clean log, with nothing re-wired, says there is none.
    let mut state = state.clone();
    state.rewired.clear();
    let ui = UiState::new(&state);
    let v = view(&spec, &state, &ui, Mode::Sim);
    let clean = v.summary.clone().unwrap();
    let kinds: Vec<&str> = warnings::of(&clean).iter().map(Warning::kind).collect();
    assert!(kinds.is_empty(), "{kinds:?}");
    let rows = plain_rows(&render(&v, 80, 200));
    let text: Vec<&str> = rows
        .iter()
        .map(|r| r.split_once('│').map_or(r.as_str(), |(_, right)| right))
        .collect();
    let words = screen_words(&text.join("\n"));
    assert!(
        shows(&words, "Overrides, amendments and warnings none"),
        "{text:#?}"
    );
    // On the simulator the record says so above everything.
    let mut sim = state.clone();
    sim.peers = vec!["simulator".into()];
    let v = view(&spec, &sim, &ui, Mode::Sim);
    let kinds: Vec<&str> = warnings::of(v.summary.as_ref().unwrap())
        .iter()
        .map(Warning::kind)
        .collect();
    assert_eq!(kinds, ["simulated"]);
    let text = screen(&v, 80, 200);
    assert!(text.contains("SIMULATED BMS"), "{text}");
}

#[test]
fn the_sign_off_summary_with_every_warning_80x24_and_120x40() {
    let spec = spec();
    let (state, log) = every_warning(&spec);
    let ui = UiState::new(&state);
    let mut v = view(&spec, &state, &ui, Mode::Sim);
    v.summary = Some(log);
    insta::assert_snapshot!("summary_warnings_80x24", screen(&v, 80, 24));
    // Scrolled to the summary's head: the record's own warnings come first.
    let mut ui = UiState::new(&state);
    ui.scroll = Some(7);
    let mut v = view(&spec, &state, &ui, Mode::Sim);
    v.summary = Some(every_warning(&spec).1);
    let text = screen(&v, 80, 24);
    assert!(text.contains("SCRIPTED"), "{text}");
    insta::assert_snapshot!("summary_warnings_top_80x24", text);
    insta::assert_snapshot!("summary_warnings_120x40", screen(&v, 120, 40));
}

/// The rows of the step list (left of its border) as drawn.
fn list_rows(term: &Terminal<TestBackend>) -> Vec<String> {
    let buf = term.backend().buffer();
    let area = buf.area;
    let border = (0..area.width)
        .find(|&x| buf[(x, 1)].symbol() == "│")
        .expect("the step list has a border");
    (1..area.height)
        .filter(|&y| buf[(border, y)].symbol() == "│")
        .map(|y| {
            (0..border)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect()
}

/// Words as the list may break them: spaces collapsed, a line broken after a hyphen joined.
fn normalized(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("- ", "-")
}

#[test]
fn no_step_name_is_cut_in_the_step_list_at_80x24_in_any_language() {
    use jk_commission::ui::text::section_label;
    use jk_commission::wizard::spec::tr;
    let spec = spec();
    for lang in spec.languages.clone() {
        let mut corpus: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        let mut names = Vec::new();
        for step in &spec.steps {
            let code = format!(
                "{}{:>2}",
                jk_commission::ui::text::section_code(step.section),
                step.number.map_or(String::new(), |n| n.to_string())
            );
            let name = normalized(&format!("{code} {}", tr(&step.title, &lang)));
            corpus.extend(name.split(' ').map(str::to_string));
            corpus.extend(
                normalized(section_label(&spec, &lang, step.section))
                    .split(' ')
                    .map(str::to_string),
            );
            names.push((step.id.clone(), name));
        }
        let mut seen_whole = std::collections::BTreeSet::new();
        for cells in [16, 24] {
            for step in &spec.steps {
                let state = at_step(&spec, &step.id, cells);
                let ui = UiState::new(&state);
                let v = view_in(&spec, &state, &ui, Mode::Sim, &lang);
                let rows = list_rows(&render(&v, 80, 24));
                assert!(rows.len() >= 10, "{lang} {}: {rows:?}", step.id);
                for r in &rows {
                    assert!(!r.contains('…'), "{lang} at {}: cut: {r:?}", step.id);
                }
                let text = normalized(&rows.join(" "));
                for token in text.split(' ') {
                    let mark = ["✓", "▶", "✗", "!", "–", "·"].contains(&token);
                    assert!(
                        mark || corpus.contains(token),
                        "{lang} at {}: {token:?} is not a whole word of a name: {rows:#?}",
                        step.id
                    );
                }
                for (id, name) in &names {
                    if text.contains(name.as_str()) {
                        seen_whole.insert(id.clone());
                    }
                }
            }
        }
        for (id, name) in &names {
            assert!(
                seen_whole.contains(id),
                "{lang}: {name:?} is never shown whole"
            );
        }
    }
}

/// The benches that give the gates the most to say at step `id` of a 24-cell pack: on the
/// ladder, leads swapped in pairs, skipped or all on one pin; on the live steps, a unit as it
/// comes from the box (Cell Count 24 for a pack told 24, every setting at the factory's), with
/// two cells missing.
fn worst_benches(spec: &WizardSpec, id: &str) -> Vec<State> {
    let engine = Engine::new(spec);
    let mut out = Vec::new();
    if id == "wiring.ladder" {
        let patterns: Vec<Vec<f64>> = vec![
            // Neighbouring leads swapped, all the way up.
            (1..=24)
                .map(|k: u32| {
                    let k = if k % 2 == 1 { k + 1 } else { k - 1 };
                    3.3 * k as f64
                })
                .collect(),
            // Every other tap skipped.
            (1..=24).map(|k: u32| 3.3 * (2 * k) as f64).collect(),
            // Every lead on the same pin.
            vec![3.3; 24],
            // A pack of a different chemistry's voltages, descending.
            (1..=24).map(|k: u32| 4.2 * (25 - k) as f64).collect(),
        ];
        for p in patterns {
            let mut state = at_step(spec, id, 24);
            for (k, v) in p.iter().enumerate() {
                engine.apply(
                    &mut state,
                    &Event::ReadingSet {
                        at: NOW,
                        step: id.into(),
                        cell: k as u32 + 1,
                        text: format!("{v:.3}"),
                        value: Volts(*v),
                    },
                );
            }
            out.push(state);
        }
        return out;
    }
    let mut state = at_step(spec, id, 24);
    let mut unit = SimUnit::new(
        SimConfig::fresh()
            .with_cells(22)
            .plugged_in(true)
            .activated(true),
    )
    .unwrap();
    unit.apply(&AppAction::BatteryType(Chemistry::LiFePo4))
        .unwrap();
    connect_unit(&mut state, &unit);
    out.push(state);
    out
}

/// The rows inside the reasons overlay (between its borders), found by its title.
fn overlay_rows(term: &Terminal<TestBackend>, title: &str) -> Vec<String> {
    let buf = term.backend().buffer();
    let area = buf.area;
    let row = |y: u16| -> String { (0..area.width).map(|x| buf[(x, y)].symbol()).collect() };
    let top = (0..area.height)
        .find(|&y| row(y).contains(title))
        .unwrap_or_else(|| panic!("no overlay {title:?}"));
    (top + 1..area.height)
        .map(row)
        .take_while(|r| !r.starts_with('└'))
        .map(|r| {
            let inner: String = r.chars().skip(1).take(area.width as usize - 2).collect();
            inner.trim_end().to_string()
        })
        .collect()
}

#[test]
fn every_reason_of_the_longest_gate_can_be_read_at_80x24_in_every_language() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use jk_commission::ui::action::Ctx;
    use jk_commission::ui::keys::handle_key;
    use jk_commission::ui::text::say;
    let spec = spec();
    let ids: Vec<String> = spec
        .steps
        .iter()
        .filter(|s| {
            s.id == "wiring.ladder"
                || s.id.starts_with("config.")
                || s.id.starts_with("protection.")
        })
        .map(|s| s.id.clone())
        .collect();
    for lang in spec.languages.clone() {
        let title = say(&spec, &lang, "ui.gate.all_title");
        let mut cut_somewhere = 0;
        for id in &ids {
            for state in worst_benches(&spec, id) {
                let mut ui = UiState::new(&state);
                let v = view_in(&spec, &state, &ui, Mode::Sim, &lang);
                // What the gate has to say, sentence by sentence, from the engine's verdicts.
                let reasons: Vec<String> = v
                    .gates
                    .iter()
                    .filter(|g| !g.verdict.ok)
                    .flat_map(|g| g.verdict.reasons.iter().map(|r| r.render(&spec, &lang)))
                    .collect();
                let screen_text = plain_rows(&render(&v, 80, 24)).join("\n");
                if !ui.gate_cut.get() {
                    // Uncut: every reason is on the screen as it is.
                    let shown = normalized(&screen_text);
                    for r in &reasons {
                        assert!(
                            shown.contains(&normalized(r)),
                            "{lang} {id}: {r:?} not shown:\n{screen_text}"
                        );
                    }
                    continue;
                }
                cut_somewhere += 1;
                // The cut gate names the key that shows the rest; the footer offers it too.
                let last_gate_line = screen_text
                    .lines()
                    .rev()
                    .nth(1)
                    .unwrap_or_default()
                    .to_string();
                assert!(
                    last_gate_line.contains("^W") || last_gate_line.contains(" w "),
                    "{lang} {id}: {last_gate_line}"
                );
                // Open it with the key and page through to the end.
                let ctx = Ctx {
                    spec: &spec,
                    state: &state,
                    gates: &v.gates,
                    sim: true,
                    meter: None,
                    lang: "en",
                };
                let key = |code| KeyEvent::new(code, KeyModifiers::NONE);
                handle_key(
                    &mut ui,
                    &ctx,
                    KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL),
                );
                assert_eq!(ui.overlay, Some(Overlay::Reasons(0)), "{lang} {id}");
                let mut lines: Vec<Option<String>> = Vec::new();
                for _ in 0..100 {
                    let v = view_in(&spec, &state, &ui, Mode::Sim, &lang);
                    let rows = overlay_rows(&render(&v, 80, 24), &title);
                    let w = ui.reasons.get();
                    let skip = usize::from(w.offset > 0);
                    for (k, r) in rows.iter().skip(skip).take(w.page).enumerate() {
                        let at = w.offset + k;
                        if lines.len() <= at {
                            lines.resize(at + 1, None);
                        }
                        lines[at] = Some(r.clone());
                    }
                    if w.offset >= w.max {
                        break;
                    }
                    handle_key(&mut ui, &ctx, key(KeyCode::PageDown));
                    assert!(
                        matches!(ui.overlay, Some(Overlay::Reasons(o)) if o > w.offset),
                        "{lang} {id}: PgDn moves on from {}",
                        w.offset
                    );
                }
                assert!(
                    lines.iter().all(Option::is_some),
                    "{lang} {id}: a line never shown"
                );
                let all = normalized(&lines.into_iter().flatten().collect::<Vec<_>>().join(" "));
                for r in &reasons {
                    assert!(
                        all.contains(&normalized(r)),
                        "{lang} {id}: {r:?} never shown:\n{all}"
                    );
                }
                // At the end PgDn stays there; any other key closes.
                let end = ui.overlay.clone();
                handle_key(&mut ui, &ctx, key(KeyCode::PageDown));
                assert_eq!(ui.overlay, end);
                handle_key(&mut ui, &ctx, key(KeyCode::Esc));
                assert_eq!(ui.overlay, None);
            }
        }
        assert!(
            cut_somewhere > 0,
            "{lang}: no gate is cut: the test shows nothing"
        );
    }
}

/// The screen's rows as plain text.
fn plain_rows(term: &Terminal<TestBackend>) -> Vec<String> {
    let buf = term.backend().buffer();
    (0..buf.area.height)
        .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

#[test]
fn a_cut_gate_and_every_reason_over_the_body() {
    let spec = spec();
    let state = worst_benches(&spec, "wiring.ladder").remove(0);
    let mut ui = UiState::new(&state);
    let v = view(&spec, &state, &ui, Mode::Sim);
    let text = screen(&v, 80, 24);
    assert!(ui.gate_cut.get(), "{text}");
    assert!(text.contains("^W shows every reason"), "{text}");
    assert!(text.contains("^W reasons"), "the footer offers it: {text}");
    insta::assert_snapshot!("cut_gate_80x24", text);
    ui.overlay = Some(Overlay::Reasons(0));
    let v = view(&spec, &state, &ui, Mode::Sim);
    insta::assert_snapshot!("every_reason_80x24", screen(&v, 80, 24));
    ui.overlay = Some(Overlay::Reasons(usize::MAX));
    let v = view(&spec, &state, &ui, Mode::Sim);
    insta::assert_snapshot!("every_reason_at_its_end_80x24", screen(&v, 80, 24));
    ui.overlay = Some(Overlay::Reasons(0));
    let v = view(&spec, &state, &ui, Mode::Sim);
    insta::assert_snapshot!("every_reason_120x40", screen(&v, 120, 40));
}

#[test]
fn w_opens_every_reason_off_an_entry_and_types_in_one() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use jk_commission::ui::action::Ctx;
    use jk_commission::ui::keys::handle_key;
    let spec = spec();
    let press = |state: &State, ui: &mut UiState, code, modifiers| {
        let ui_now = ui.clone();
        let v = view(&spec, state, &ui_now, Mode::Sim);
        let ctx = Ctx {
            spec: &spec,
            state,
            gates: &v.gates,
            sim: true,
            meter: None,
            lang: "en",
        };
        handle_key(ui, &ctx, KeyEvent::new(code, modifiers));
    };
    // STATUS opens on its checklist row: the letter is the command.
    let mut state = at_step(&spec, "config.status", 16);
    connect(&mut state, 16);
    let mut ui = UiState::resumed(&spec, &state);
    press(&state, &mut ui, KeyCode::Char('w'), KeyModifiers::NONE);
    assert_eq!(ui.overlay, Some(Overlay::Reasons(0)));
    // Closed by any other key, nothing else done.
    press(&state, &mut ui, KeyCode::Char('x'), KeyModifiers::NONE);
    assert_eq!(ui.overlay, None);
    // In the pack form's first entry the letter types; ^W opens it there.
    let engine = Engine::new(&spec);
    let fresh = engine.replay(&engine.start(NOW, "hash", "0.1.0", "en").unwrap());
    let mut ui = UiState::resumed(&spec, &fresh);
    press(&fresh, &mut ui, KeyCode::Char('w'), KeyModifiers::NONE);
    assert_eq!(ui.overlay, None);
    assert_eq!(ui.buffers.get("operator").map(String::as_str), Some("w"));
    press(&fresh, &mut ui, KeyCode::Char('w'), KeyModifiers::CONTROL);
    assert_eq!(ui.overlay, Some(Overlay::Reasons(0)));
    assert_eq!(
        ui.buffers.get("operator").map(String::as_str),
        Some("w"),
        "^W typed nothing"
    );
}

/// A number and its unit never wrap apart on the screen: at every width from 60 to 110
/// columns, in every language, no row of a pane ends in a number whose unit starts the
/// pane's next row (the refused Battery Capacity step: 100,0 Ah against 280,0 Ah).
#[test]
fn a_number_never_wraps_away_from_its_unit() {
    let spec = spec();
    let engine = Engine::new(&spec);
    let mut state = at_step(&spec, "config.cells_capacity", 16);
    let mut unit = SimUnit::new(SimConfig::fresh().plugged_in(true).activated(true)).unwrap();
    unit.apply(&AppAction::BatteryType(Chemistry::LiFePo4))
        .unwrap();
    connect_unit(&mut state, &unit);
    engine.step(&mut state, Input::Next, NOW).unwrap();
    let ui = UiState::new(&state);
    let mut seen = 0;
    for lang in &spec.languages {
        for w in 60..=110 {
            let text = screen(&view_in(&spec, &state, &ui, Mode::Sim, lang), w, 30);
            let rows: Vec<Vec<&str>> = text.lines().map(|r| r.split('│').collect()).collect();
            for pair in rows.windows(2) {
                for (k, this) in pair[0].iter().enumerate() {
                    let Some(next) = pair[1].get(k) else { continue };
                    let (this, next) = (this.trim_end(), next.trim_start());
                    let ends_in_number = this.ends_with(|c: char| c.is_ascii_digit());
                    let starts_with_unit = ["V ", "A ", "Ah ", "°C "]
                        .iter()
                        .any(|u| format!("{next} ").starts_with(u));
                    assert!(
                        !(ends_in_number && starts_with_unit),
                        "{lang} at {w} columns: {this:?} / {next:?}\n{text}"
                    );
                }
            }
            seen += text.matches("\u{a0}Ah").count();
        }
    }
    assert!(seen > 0, "the capacities are on the screen at all");
}

/// Words the English rendering shares with every translation on purpose: key names, the
/// app's labels, switches and tabs (English in every language, as in the app, with the live
/// panel's short forms of them), chemistry names, units, ids, and the test's own data.
const SHARED_WORDS: &[&str] = &[
    "Enter",
    "Esc",
    "Tab",
    "Shift",
    "Home",
    "End",
    "PgUp",
    "PgDn",
    "Backspace",
    "Space",
    "Cell",
    "Count",
    "Battery",
    "Capacity",
    "Advance",
    "Settings",
    "STATUS",
    "SETTINGS",
    "CONTROL",
    "Chg",
    "Dis",
    "Bal",
    "MOS",
    "FET",
    "SOC",
    "LTO",
    "LiFePO",
    "NMC",
    "ion",
    "BMS",
    "NTC",
    "min",
    "max",
    "Anna",
    "Nowak",
    "technician",
];

/// Words a language spells as English does (its own words, or the manual's own terms there:
/// glossary.md's pin, plus and minus, Alarm).
const SAME_IN: &[(&str, &[&str])] = &[
    ("pl", &["Pin", "pin", "plus", "minus", "test"]),
    ("de", &["Pin", "Alarm", "Live", "SIMULATOR", "optional"]),
    (
        "cs",
        &["Pin", "pin", "plus", "Alarm", "data", "test", "text", "bal"],
    ),
    (
        "sk",
        &["Pin", "pin", "plus", "Alarm", "test", "text", "bal"],
    ),
    (
        "da",
        &[
            "Pin",
            "pin",
            "plus",
            "minus",
            "Alarm",
            "SIMULATOR",
            "simulator",
            "app",
            "data",
            "for",
            "Find",
            "model",
        ],
    ),
    ("hu", &[]),
];

/// The words of a rendering: runs of three letters or more.
fn letter_words(text: &str) -> std::collections::BTreeSet<String> {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_string)
        .collect()
}

/// Six screens at 80×24 (the start, a wiring step, a refused gate with its reasons, the help,
/// the meter, the go-to list), in every language: no word of the English rendering's chrome
/// appears in a translation, except the shared words listed above. The start, meter and
/// go-to screens are snapshotted per language (the others above).
#[test]
fn no_word_of_the_english_chrome_is_left_in_a_translation() {
    let spec = spec();
    let engine = Engine::new(&spec);
    let start = engine.replay(&engine.start(NOW, "hash", "0.1.0", "en").unwrap());
    let mut blocked = at_step(&spec, "config.cells_capacity", 16);
    let mut unit = SimUnit::new(SimConfig::fresh().plugged_in(true).activated(true)).unwrap();
    unit.apply(&AppAction::BatteryType(Chemistry::LiFePo4))
        .unwrap();
    connect_unit(&mut blocked, &unit);
    engine.step(&mut blocked, Input::Next, NOW).unwrap();
    let ladder = at_step(&spec, "wiring.ladder", 16);
    let status = at_step(&spec, "config.status", 16);
    let uis = |state: &State, overlay: Option<Overlay>| {
        let mut ui = UiState::new(state);
        ui.overlay = overlay;
        ui
    };
    let screens: Vec<(&str, &State, UiState)> = vec![
        ("start", &start, uis(&start, None)),
        ("wiring", &ladder, uis(&ladder, None)),
        ("blocked", &blocked, uis(&blocked, None)),
        ("help", &ladder, uis(&ladder, Some(Overlay::Help))),
        ("meter", &status, uis(&status, Some(Overlay::Meter))),
        ("goto", &status, uis(&status, Some(Overlay::Goto(0)))),
    ];
    let meter =
        jk_commission::train::meter::measure(&SimUnit::new(SimConfig::ready()).unwrap(), &[]);
    let render = |name: &str, state: &State, ui: &UiState, lang: &str| {
        let mut v = view_in(&spec, state, ui, Mode::Sim, lang);
        v.meter = Some(meter.clone());
        let text = screen(&v, 80, 24);
        if ["start", "meter", "goto"].contains(&name) {
            insta::assert_snapshot!(format!("{name}_{lang}"), text);
        }
        text
    };
    let mut left = Vec::new();
    for (name, state, ui) in &screens {
        let en = letter_words(&render(name, state, ui, "en"));
        for lang in spec.languages.iter().filter(|l| *l != "en") {
            let text = render(name, state, ui, lang);
            let shared: Vec<String> = letter_words(&text)
                .intersection(&en)
                .filter(|w| !SHARED_WORDS.contains(&w.as_str()))
                .filter(|w| {
                    !SAME_IN
                        .iter()
                        .any(|(l, words)| l == lang && words.contains(&w.as_str()))
                })
                .cloned()
                .collect();
            if !shared.is_empty() {
                left.push(format!("{lang} {name}: {shared:?}"));
            }
        }
    }
    assert!(left.is_empty(), "English words left:\n{}", left.join("\n"));
}

/// The meter and the go-to list show all their own words at 80×24 in every language:
/// nothing of a long line is clipped at the window's edge.
#[test]
fn the_meter_and_the_go_to_list_show_all_their_words_at_80x24_in_every_language() {
    use jk_commission::ui::text::label;
    let spec = spec();
    let engine = Engine::new(&spec);
    let status = at_step(&spec, "config.status", 16);
    let start = engine.replay(&engine.start(NOW, "hash", "0.1.0", "en").unwrap());
    let meter =
        jk_commission::train::meter::measure(&SimUnit::new(SimConfig::ready()).unwrap(), &[]);
    let cases: [(&State, Overlay, bool, &[&str]); 4] = [
        (
            &status,
            Overlay::Meter,
            true,
            &["meter_title", "meter_ladder", "meter_close"],
        ),
        (
            &status,
            Overlay::Meter,
            false,
            &["meter_title", "meter_none"],
        ),
        (
            &status,
            Overlay::Goto(0),
            false,
            &["goto_title", "goto_help"],
        ),
        (
            &start,
            Overlay::Goto(0),
            false,
            &["goto_title", "goto_help", "goto_none"],
        ),
    ];
    for lang in &spec.languages {
        for (state, overlay, with_meter, keys) in &cases {
            let mut ui = UiState::new(state);
            ui.overlay = Some(overlay.clone());
            let mut v = view_in(&spec, state, &ui, Mode::Sim, lang);
            v.meter = with_meter.then(|| meter.clone());
            let text = screen(&v, 80, 24);
            let words = window_words(&text);
            for key in *keys {
                let t = label(&spec, lang, key);
                assert!(shows(&words, t), "{lang}: {key} not all shown:\n{text}");
            }
        }
    }
}

/// The README's picture of the screen is the program's own drawing of that step at 80×24.
#[test]
fn the_readme_screenshot_is_what_the_program_draws() {
    let spec = spec();
    let mut state = at_step(&spec, "config.status", 16);
    connect(&mut state, 16);
    let ui = UiState::new(&state);
    let v = view(&spec, &state, &ui, Mode::Sim);
    let drawn: Vec<String> = plain_rows(&render(&v, 80, 24))
        .iter()
        .map(|r| r.trim_end().to_string())
        .collect();
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("```\n JK BMS commissioning")
        .expect("the README shows the screen")
        + 4;
    let shown: Vec<String> = readme[start..]
        .lines()
        .take_while(|l| *l != "```")
        .map(|l| l.trim_end().to_string())
        .collect();
    assert_eq!(
        shown,
        drawn,
        "README.md's screenshot is out of date; the program draws:\n{}",
        drawn.join("\n")
    );
}
