//! The workbench flow at 80×24: every word of every step can be brought into view, and the
//! screens new with the flow (amending, the meter, the go-to list) at 80×24 and 120×40.

use jk_commission::bms::model::Chemistry;
use jk_commission::bms::sim::{SimConfig, SimUnit};
use jk_commission::ui::state::{Overlay, UiState};
use jk_commission::ui::view::{draw, AppView, LinkView, Mode, Theme};
use jk_commission::wizard::checks::Value;
use jk_commission::wizard::engine::{Engine, Event, Input, Leave, State};
use jk_commission::wizard::spec::{tr, WizardSpec};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

const NOW: i64 = 1_760_000_000_000;

fn set(field: &str, text: &str, value: Value) -> Event {
    Event::FieldSet {
        at: NOW,
        step: "setup.pack".into(),
        field: field.into(),
        text: text.into(),
        value,
    }
}

/// A session walked up to step `index` for this chemistry, cell count and model, with a
/// connected simulated unit's live data (the tallest live panel the pack gives).
fn at(spec: &WizardSpec, index: usize, chem: &str, cells: u32, model: &str) -> State {
    let engine = Engine::new(spec);
    let mut events = engine.start(NOW, "hash", "0.1.0", "en").unwrap();
    events.extend([
        set("operator", "Anna Nowak", Value::Text("Anna Nowak".into())),
        set("role", "technician", Value::Text("technician".into())),
        set("pack_id", "PK-0042", Value::Text("PK-0042".into())),
        set("chemistry", chem, Value::Choice(chem.into())),
        set("cells", &cells.to_string(), Value::Integer(cells as i64)),
        set("capacity", "280", Value::Number(280.0)),
        set("model", model, Value::Choice(model.into())),
        set("cold_site", "yes", Value::Choice("yes".into())),
    ]);
    for s in &spec.steps[..index] {
        events.push(Event::StepLeft {
            at: NOW,
            step: s.id.clone(),
            how: Leave::Passed,
        });
    }
    events.push(Event::StepEntered {
        at: NOW - 2_000,
        step: spec.steps[index].id.clone(),
    });
    let mut state = engine.replay(&events);
    let chemistry = Chemistry::from_id(chem).unwrap();
    let unit = SimUnit::new(
        SimConfig::ready()
            .with_cells(cells)
            .with_chemistry(chemistry),
    )
    .unwrap();
    state.live.connected = true;
    state.live.cells = Some(unit.cell_info(7));
    state.live.cells_at_ms = Some(NOW - 800);
    state.live.settings = Some(unit.settings().clone());
    state.live.settings_at_ms = Some(NOW - 800);
    state.live.device = Some(unit.device_info());
    state
}

fn view<'a>(spec: &'a WizardSpec, state: &'a State, ui: &'a UiState) -> AppView<'a> {
    let engine = Engine::new(spec);
    AppView::build(
        &engine,
        state,
        ui,
        "en",
        NOW,
        Mode::Sim,
        LinkView {
            peer: Some("simulator".into()),
            note: None,
        },
        "/tmp/s".into(),
        Theme { color: false },
    )
}

fn screen(view: &AppView<'_>, w: u16, h: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| draw(f, view)).unwrap();
    terminal.backend().to_string()
}

/// The step pane's text of every screen from the top to the bottom of the step, scrolled as
/// the operator would with PgDn.
fn scrolled_through(spec: &WizardSpec, state: &State) -> String {
    let mut ui = UiState::new(state);
    ui.scroll = Some(0);
    let mut seen = String::new();
    for _ in 0..60 {
        let text = screen(&view(spec, state, &ui), 80, 24);
        for line in text.lines() {
            // Right of the step list (22 cells), as the terminal shows it.
            let pane: String = line.chars().skip(23).collect();
            seen.push_str(&pane);
            seen.push('\n');
        }
        let w = ui.shown.get();
        if w.offset >= w.max {
            break;
        }
        ui.scroll_by(w.page.max(2) as isize - 1);
    }
    seen
}

#[test]
fn every_instruction_and_warning_of_every_step_can_be_brought_into_view_at_80x24() {
    let spec = WizardSpec::builtin();
    let mut checked = 0;
    for chem in spec.chemistries.keys() {
        for model in &spec.models {
            let chem_id = chem.id();
            let cells = model.max_cells;
            for index in 0..spec.steps.len() {
                let state = at(&spec, index, chem_id, cells, &model.id);
                let seen = scrolled_through(&spec, &state);
                // Words joined again across the wrapped lines of the pane.
                let flat: Vec<&str> = seen
                    .split(|c: char| c.is_whitespace() || c == '"' || c == '│')
                    .filter(|w| !w.is_empty())
                    .collect();
                let step = &spec.steps[index];
                for text in step.instructions.iter().chain(&step.warnings) {
                    for word in tr(text, "en").split_whitespace() {
                        if word.chars().count() < 5 || word.chars().count() > 50 {
                            continue;
                        }
                        assert!(
                            flat.contains(&word),
                            "{}: {chem_id} {} — {word:?} is never in view at 80×24",
                            step.id,
                            model.id
                        );
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 1000, "{checked}");
}

#[test]
fn the_step_pane_says_there_is_more_and_pgdn_pgup_stop_at_its_ends() {
    let spec = WizardSpec::builtin();
    let index = spec
        .steps
        .iter()
        .position(|s| s.id == "protection.test")
        .unwrap();
    let state = at(&spec, index, "lifepo4", 16, "pb2a16s20p");
    let mut ui = UiState::new(&state);
    ui.scroll = Some(0);
    let top = screen(&view(&spec, &state, &ui), 80, 24);
    assert!(top.contains("↓ more below · PgDn"), "{top}");
    assert!(!top.contains("↑ more above"), "{top}");
    for _ in 0..30 {
        ui.scroll_by(5);
    }
    let bottom = screen(&view(&spec, &state, &ui), 80, 24);
    assert!(bottom.contains("↑ more above · PgUp"), "{bottom}");
    assert!(!bottom.contains("↓ more below"), "{bottom}");
    assert!(
        bottom.contains("[ Next ▸ ]"),
        "the end of the step: {bottom}"
    );
    // Past the end PgDn does nothing, so one PgUp moves at once.
    let end = ui.scroll;
    ui.scroll_by(-1);
    assert_eq!(ui.scroll, end.map(|e| e - 1));
    insta::assert_snapshot!("protection_test_scrolled_to_its_end_80x24", bottom);
}

#[test]
fn an_amended_step_says_so_and_its_button_leads_back() {
    let spec = WizardSpec::builtin();
    let engine = Engine::new(&spec);
    let index = spec
        .steps
        .iter()
        .position(|s| s.id == "protection.test")
        .unwrap();
    let mut state = at(&spec, index, "lifepo4", 16, "pb2a16s20p");
    engine
        .step(
            &mut state,
            Input::Amend {
                step: "setup.pack".into(),
            },
            NOW,
        )
        .unwrap();
    let ui = UiState::new(&state);
    for (w, h) in [(80, 24), (120, 40)] {
        let text = screen(&view(&spec, &state, &ui), w, h);
        assert!(text.contains("Amending"), "{text}");
        insta::assert_snapshot!(format!("amending_the_pack_form_{w}x{h}"), text);
    }
    let mut ui = UiState::new(&state);
    ui.focus = jk_commission::ui::state::rows(&spec, &state, state.current).len() - 1;
    let text = screen(&view(&spec, &state, &ui), 80, 24);
    assert!(text.contains("[ Back to Protection test ▸ ]"), "{text}");
}

#[test]
fn the_go_to_list_and_the_meter_at_80x24_and_120x40() {
    let spec = WizardSpec::builtin();
    let index = spec
        .steps
        .iter()
        .position(|s| s.id == "config.status")
        .unwrap();
    let state = at(&spec, index, "lifepo4", 16, "pb2a16s20p");
    let mut ui = UiState::new(&state);
    ui.overlay = Some(Overlay::Goto(0));
    for (w, h) in [(80, 24), (120, 40)] {
        let text = screen(&view(&spec, &state, &ui), w, h);
        assert!(text.contains("› S   The pack and the people"), "{text}");
        // Under the cursor, the pack form's entries with what was typed, by their digit.
        assert!(text.contains("4 Pack id: PK-0042"), "{text}");
        assert!(text.contains("7 Capacity: 280 Ah"), "{text}");
        insta::assert_snapshot!(format!("go_to_list_{w}x{h}"), text);
    }
    let unit = SimUnit::new(SimConfig::ready()).unwrap();
    ui.overlay = Some(Overlay::Meter);
    let mut v = view(&spec, &state, &ui);
    v.meter = Some(jk_commission::train::meter::measure(&unit, &[]));
    for (w, h) in [(80, 24), (120, 40)] {
        let text = screen(&v, w, h);
        assert!(text.contains("Simulated multimeter"), "{text}");
        insta::assert_snapshot!(format!("simulated_meter_{w}x{h}"), text);
    }
}

#[test]
fn at_the_first_live_step_a_ladder_that_disagrees_with_the_bms_is_pointed_out() {
    let spec = WizardSpec::builtin();
    let engine = Engine::new(&spec);
    let status = spec
        .steps
        .iter()
        .position(|s| s.id == "config.status")
        .unwrap();
    let with_ladder = |shift: f64| {
        let mut state = at(&spec, status, "lifepo4", 16, "pb2a16s20p");
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
                    value: jk_commission::units::Volts((sum * 1000.0).round() / 1000.0),
                },
            );
        }
        state
    };
    let ui = UiState::new(&with_ladder(0.0));
    let agreed = with_ladder(0.0);
    let text = screen(&view(&spec, &agreed, &ui), 120, 40);
    assert!(!text.contains("disagree"), "{text}");
    // Cell 3 taken 0.06 V high (its reading and every one above it): only cell 3 is off.
    let made_up = with_ladder(0.06);
    let v = view(&spec, &made_up, &ui);
    let cells: Vec<u32> = v.disagreements.iter().map(|d| d.cell).collect();
    assert_eq!(cells, vec![3]);
    let text = screen(&v, 120, 40);
    assert!(text.contains("The meter and the BMS disagree"), "{text}");
    // Within the tolerance (0.04 V) nothing is said.
    let close = with_ladder(0.04);
    assert!(view(&spec, &close, &ui).disagreements.is_empty());
}

#[test]
fn the_live_panel_sits_beside_the_step_from_120_columns_and_below_it_under() {
    let spec = WizardSpec::builtin();
    let index = spec
        .steps
        .iter()
        .position(|s| s.id == "config.status")
        .unwrap();
    let state = at(&spec, index, "lifepo4", 16, "pb2a16s20p");
    let ui = UiState::new(&state);
    let v = view(&spec, &state, &ui);
    let row_of = |text: &str, what: &str| {
        text.lines()
            .position(|l| l.contains(what))
            .unwrap_or_else(|| panic!("{what:?} is not on the screen:\n{text}"))
    };
    let wide = screen(&v, jk_commission::ui::view::SIDE_BY_SIDE_FROM, 40);
    assert_eq!(
        row_of(&wide, "Live BMS data"),
        row_of(&wide, "Connect and check STATUS ·"),
        "beside:\n{wide}"
    );
    // Every word of the live panel's first line shows beside the step.
    assert!(
        wide.contains("16 Cells") && wide.contains("FET cd"),
        "{wide}"
    );
    let narrow = screen(&v, jk_commission::ui::view::SIDE_BY_SIDE_FROM - 1, 40);
    assert!(
        row_of(&narrow, "Live BMS data") > row_of(&narrow, "Connect and check STATUS ·"),
        "below:\n{narrow}"
    );
}

/// A key without modifiers; `ctrl`: with Ctrl.
fn k(code: crossterm::event::KeyCode) -> crossterm::event::KeyEvent {
    crossterm::event::KeyEvent::new(code, crossterm::event::KeyModifiers::NONE)
}

fn ctrl(c: char) -> crossterm::event::KeyEvent {
    crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char(c),
        crossterm::event::KeyModifiers::CONTROL,
    )
}

#[test]
fn a_trainee_finds_an_open_lead_with_the_meter_rewires_it_and_the_ladder_passes() {
    use crossterm::event::KeyCode::{Char, End, Enter, Esc, Home};
    use jk_commission::ui::app::{AppConfig, Headless, ScenarioConfig, Source};
    let spec = WizardSpec::builtin();
    let scenario = jk_commission::train::shipped::scenario("wiring-open-tap", &spec).unwrap();
    let control = jk_commission::bench::scenario_control(&scenario).unwrap();
    let dir = crate::common::tmp();
    let (mut session, _) =
        jk_commission::log::session::Session::open(&spec, dir.path(), "h", "en", 0).unwrap();
    // What the BMS itself sees of cell 7: nothing while its lead is open.
    let unit = control.clone();
    let bms_sees_cell_7 = move || unit.read(|u| u.cell_info(0).enabled_mask & (1 << 6) != 0);
    assert!(!bms_sees_cell_7());
    let config = AppConfig {
        lang: "en".into(),
        source: Source::Sim(control),
        theme: Theme { color: false },
        banner: None,
        key: None,
        scenario: Some(ScenarioConfig {
            scenario,
            trainer_key: None,
        }),
        name_by_serial: false,
    };
    crate::common::paused().block_on(async {
        let mut t = Headless::new(&mut session, config, 80, 24);
        let current = |t: &Headless<'_, '_>| spec.steps[t.state().current].id.clone();
        // The pack form as a trainee fills it (the simulator's unit takes 24 cells).
        let typed = |t: &mut Headless<'_, '_>, text: &str| {
            for c in text.chars() {
                t.key(k(Char(c)));
            }
        };
        typed(&mut t, "Ann");
        t.key(k(Enter));
        typed(&mut t, "trainee");
        t.key(k(Enter));
        t.key(k(Enter)); // no trainer
        typed(&mut t, "P1");
        for key in [Enter, crossterm::event::KeyCode::Right, Enter] {
            t.key(k(key)); // LiFePO4
        }
        typed(&mut t, "16");
        t.key(k(Enter));
        typed(&mut t, "280");
        use crossterm::event::KeyCode::Right;
        for key in [Enter, Right, Right, Right, Enter, Right, Enter, Enter] {
            t.key(k(key));
        }
        assert_eq!(current(&t), "setup.safety", "{}", t.screen());
        for _ in 0..7 {
            t.key(k(Enter));
        }
        assert_eq!(current(&t), "wiring.similar_charge", "{}", t.screen());
        for key in [ctrl('v'), k(Enter), k(Enter), k(Enter)] {
            t.key(key);
        }
        for n in [3, 4, 4] {
            for _ in 0..n {
                t.key(k(Enter));
            }
        }
        assert_eq!(current(&t), "wiring.ladder", "{}", t.screen());
        // The ladder off the meter: cell 7's lead is open, its pin reads 0 V; refused.
        let measure = |t: &mut Headless<'_, '_>| {
            t.key(k(Home));
            t.key(ctrl('v'));
            for _ in 0..18 {
                t.key(k(Enter));
            }
            for key in [Esc, End, Enter] {
                t.key(k(key));
            }
        };
        measure(&mut t);
        let refused = t.screen();
        assert_eq!(current(&t), "wiring.ladder", "{refused}");
        assert!(refused.contains("CANNOT GO ON"), "{refused}");
        let taken = |t: &Headless<'_, '_>| {
            let i = t.state().current;
            t.state().steps[i]
                .readings
                .get(&7)
                .map(|(text, _)| text.clone())
        };
        assert_eq!(
            taken(&t).as_deref(),
            Some("0.000"),
            "the open lead reads 0 V"
        );
        // "I have re-wired it": the wire from cell 7, found by its number.
        t.key(k(Char('r')));
        t.key(k(Char('7')));
        let list = t.screen();
        assert!(list.contains("› The wire from cell 7"), "{list}");
        insta::assert_snapshot!("rewire_list_80x24", list);
        t.key(k(Enter));
        let said = t.screen();
        assert!(
            said.contains("Recorded as re-wired: The wire from cell 7"),
            "{said}"
        );
        assert_eq!(taken(&t), None, "the readings from before are taken again");
        // Measured again: the pin reads the cell now, and the step passes.
        measure(&mut t);
        let after = t.state().steps[spec
            .steps
            .iter()
            .position(|s| s.id == "wiring.ladder")
            .unwrap()]
        .readings
        .get(&7)
        .map(|(text, _)| text.clone())
        .unwrap();
        assert_ne!(after, "0.000");
        assert_eq!(current(&t), "wiring.ntc", "{}", t.screen());
        // Journaled as an engine event, never a silent change.
        let rewired: Vec<_> = t
            .events()
            .iter()
            .filter(|e| matches!(e, Event::Rewired { .. }))
            .collect();
        assert_eq!(rewired.len(), 1, "{rewired:?}");
        let log = jk_commission::train::judge::rewired_log(
            &jk_commission::train::shipped::scenario("wiring-open-tap", &spec).unwrap(),
            t.events(),
        );
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].what, "the balance lead of cell 7");
        assert_eq!(log[0].repaired, ["cell 7's balance lead not connected"]);
        // The unit has its lead back too: once plugged in, the BMS will see the cell.
        t.wait(std::time::Duration::from_secs(1)).await;
        assert!(bms_sees_cell_7());
    });
}
