use super::*;

/// A small wizard with every kind of input and gate the engine treats differently.
pub(crate) const MINI: &str = r#"
languages: [en]
chemistries:
  lifepo4:
    name: {en: LiFePO4}
    ladder_step: {min: 2.5, max: 3.6}
    cell_plausible: {min: 2.5, max: 3.65}
    cell_ovp: 3.6
    max_charge_voltage: 3.65
    min_discharge_voltage: 2.5
    ovp_window: {min: 3.45, max: 3.65}
    uvp_window: {min: 2.5, max: 3.0}
models:
  - {id: m16, name: {en: sixteen}, min_cells: 8, max_cells: 16, max_input_voltage: 70, plugs: [9, 8]}
limits:
  cell_spread: 0.1
  charger_margin: 5
  output_tolerance: 0.5
  pack_tolerance: 0.3
  unused_pin_max: 0.5
  meter_digit: 0.01
  balance_trigger: 0.01
  cold_utpr: 5
  cold_utp: [1, 2]
  probe_plausible: [-30, 80]
  protection_tolerance: 0.05
  live_max_age_s: 5
errors: {1: {en: one}, 2: {en: two}, 3: {en: three}, 4: {en: four}, 5: {en: five},
         6: {en: six}, 7: {en: seven}, 8: {en: eight}, 9: {en: nine}}
steps:
  - id: setup.pack
    section: setup
    title: {en: Pack}
    instructions: [{en: Describe the pack.}]
    input:
      kind: form
      fields:
        - {id: chemistry, label: {en: Chemistry}, type: choice, options: [{id: lifepo4, text: {en: LiFePO4}}]}
        - {id: cells, label: {en: Cells}, type: integer, min: 1, max: 16}
        - {id: model, label: {en: Model}, type: choice, options: [{id: m16, text: {en: sixteen}}]}
    gates:
      - {id: filled, check: fields_valid, safety: true, text: {en: All filled}}
  - id: wiring.1
    section: wiring
    number: 1
    title: {en: Safety}
    instructions: [{en: Confirm.}]
    input:
      kind: checklist
      items: [{id: a, text: {en: A}}, {id: b, text: {en: B}}]
    gates:
      - {id: confirmed, check: all_confirmed, safety: true, text: {en: Both confirmed}}
  - id: wiring.9
    section: wiring
    number: 9
    title: {en: Accessories}
    instructions: [{en: Optional things.}]
    optional: true
    input:
      kind: checklist
      items: [{id: fitted, text: {en: Fitted}}]
    gates:
      - {id: fitted, check: all_confirmed, text: {en: Fitted}}
  - id: wiring.11
    section: wiring
    number: 11
    title: {en: Tidy}
    instructions: [{en: Confirm tidy.}]
    input:
      kind: checklist
      items: [{id: tidy, text: {en: Tidy}}]
    gates:
      - {id: tidy, check: all_confirmed, text: {en: Tidy bench}}
  - id: signoff
    section: signoff
    title: {en: Sign}
    instructions: [{en: Sign.}]
    input:
      kind: sign_off
      items: [{id: done, text: {en: Done}}]
    gates:
      - {id: done, check: all_confirmed, safety: true, text: {en: Done}}
"#;

pub(crate) fn mini() -> WizardSpec {
    serde_yaml::from_str(MINI).expect("mini wizard parses")
}

fn started(engine: &Engine<'_>) -> (State, Vec<Event>) {
    let mut state = engine.empty_state();
    let ev = engine.start(0, "hash", "0", "en").unwrap();
    for e in &ev {
        engine.apply(&mut state, e);
    }
    (state, ev)
}

fn field(f: &str, t: &str) -> Input {
    Input::Field {
        field: f.into(),
        text: t.into(),
    }
}

fn check(i: &str) -> Input {
    Input::Check {
        item: i.into(),
        checked: true,
    }
}

fn fill_pack(engine: &Engine<'_>, state: &mut State) {
    for i in [
        field("chemistry", "lifepo4"),
        field("cells", "16"),
        field("model", "m16"),
    ] {
        engine.step(state, i, 1).unwrap();
    }
}

#[test]
fn refuses_to_leave_a_failed_gate_and_says_why() {
    let spec = mini();
    let engine = Engine::new(&spec);
    let (mut state, _) = started(&engine);
    let ev = engine.step(&mut state, Input::Next, 5).unwrap();
    assert_eq!(state.current, 0);
    assert!(!ev.iter().any(|e| matches!(e, Event::StepLeft { .. })));
    let Some(Event::Gates { results, .. }) = ev.last() else {
        panic!("no verdicts: {ev:?}")
    };
    assert!(!results[0].verdict.ok);
    assert!(!results[0].verdict.reasons.is_empty());
    fill_pack(&engine, &mut state);
    engine.step(&mut state, Input::Next, 6).unwrap();
    assert_eq!(engine.current_step(&state).id, "wiring.1");
    assert_eq!(state.pack.cells, Some(16));
    assert_eq!(state.steps[0].status(), Status::Done);
}

#[test]
fn every_source_a_session_was_connected_to_is_remembered_and_a_drop_forgets_the_data() {
    let spec = mini();
    let engine = Engine::new(&spec);
    let (mut state, _) = started(&engine);
    let up = |peer: &str| {
        Input::Bms(BmsInput::Up {
            peer: peer.to_string(),
        })
    };
    engine.step(&mut state, up("C8:47:8C:10:00:01"), 1).unwrap();
    engine
        .step(
            &mut state,
            Input::Bms(BmsInput::Settings(Settings::default())),
            2,
        )
        .unwrap();
    assert!(state.live.settings.is_some());
    engine
        .step(
            &mut state,
            Input::Bms(BmsInput::Down {
                reason: "gone".into(),
            }),
            3,
        )
        .unwrap();
    assert!(!state.live.connected);
    assert!(
        state.live.settings.is_none(),
        "old settings must not pass a gate"
    );
    engine.step(&mut state, up("simulator"), 4).unwrap();
    engine.step(&mut state, up("C8:47:8C:10:00:01"), 5).unwrap();
    assert_eq!(state.peers, ["C8:47:8C:10:00:01", "simulator"]);
}

#[test]
fn a_bad_entry_is_refused_and_the_earlier_value_kept() {
    let spec = mini();
    let engine = Engine::new(&spec);
    let (mut state, _) = started(&engine);
    engine.step(&mut state, field("cells", "16"), 1).unwrap();
    let ev = engine
        .step(&mut state, field("cells", "sixteen"), 2)
        .unwrap();
    assert!(matches!(&ev[0], Event::EntryRejected { field, .. } if field == "cells"));
    assert_eq!(state.pack.cells, Some(16));
    assert_eq!(state.steps[0].fields["cells"].0, "16");
    assert!(state.steps[0].rejected.contains_key("cells"));
    let err = engine
        .step(&mut state, field("colour", "red"), 3)
        .unwrap_err();
    assert!(err.to_string().contains("colour"), "{err}");
}

#[test]
fn a_refusal_is_journalled_as_a_sentence_and_an_old_journals_english_one_still_reads() {
    let spec = mini();
    let engine = Engine::new(&spec);
    let (mut state, _) = started(&engine);
    let ev = engine
        .step(&mut state, field("cells", "sixteen"), 2)
        .unwrap();
    let Event::EntryRejected { error, .. } = &ev[0] else {
        panic!("{ev:?}")
    };
    assert_eq!(error.key, "entry.not_an_integer_in");
    // Named by the field's label, with the range it takes.
    assert_eq!(
        error.render(&spec, "pl"),
        "Cells: „sixteen” nie jest liczbą całkowitą (dopuszczalne: 1–16): wpisz same cyfry, np. 16"
    );
    let line = serde_json::to_string(&ev[0]).unwrap();
    assert_eq!(serde_json::from_str::<Event>(&line).unwrap(), ev[0]);
    // A journal written before refusals had words holds the English sentence.
    let old = r#"{"event":"entry_rejected","at":5,"step":"s","field":"cells","text":"x","error":"cells: 'x' is not a whole number"}"#;
    let Ok(Event::EntryRejected { error, .. }) = serde_json::from_str::<Event>(old) else {
        panic!("an old journal's refusal no longer reads")
    };
    assert_eq!(
        error.render(&spec, "pl"),
        "cells: 'x' is not a whole number"
    );
    // One written before refusals named the label and range still reads in the language.
    let older = r#"{"event":"entry_rejected","at":5,"step":"s","field":"cells","text":"x","error":{"key":"entry.not_an_integer","args":{"field":{"kind":"verbatim","value":"cells"},"text":{"kind":"verbatim","value":"x"}}}}"#;
    let Ok(Event::EntryRejected { error, .. }) = serde_json::from_str::<Event>(older) else {
        panic!("a journal from before labelled refusals no longer reads")
    };
    assert_eq!(
        error.render(&spec, "pl"),
        "cells: „x” nie jest liczbą całkowitą: wpisz same cyfry, np. 16"
    );
}

#[test]
fn safety_gates_cannot_be_overridden_others_need_reason_and_role() {
    let spec = mini();
    let engine = Engine::new(&spec);
    let (mut state, _) = started(&engine);
    fill_pack(&engine, &mut state);
    engine.step(&mut state, Input::Next, 2).unwrap();
    // wiring.1: safety gate.
    let err = engine
        .step(
            &mut state,
            Input::Override {
                gate: "confirmed".into(),
                reason: "in a hurry".into(),
                role: "trainer".into(),
                by: "Ewa".into(),
            },
            3,
        )
        .unwrap_err();
    assert!(err.to_string().contains("safety-critical"), "{err}");
    engine.step(&mut state, check("a"), 4).unwrap();
    engine.step(&mut state, check("b"), 4).unwrap();
    engine.step(&mut state, Input::Next, 5).unwrap();
    // wiring.9 is optional: skip it.
    assert_eq!(engine.current_step(&state).id, "wiring.9");
    engine.step(&mut state, Input::Skip, 6).unwrap();
    assert_eq!(state.steps[2].status(), Status::Skipped);
    // wiring.11: a non-safety gate; an override needs reason, role and name.
    let no_reason = Input::Override {
        gate: "tidy".into(),
        reason: " ".into(),
        role: "trainer".into(),
        by: "Ewa".into(),
    };
    assert!(engine.step(&mut state, no_reason, 7).is_err());
    let ok = Input::Override {
        gate: "tidy".into(),
        reason: "bench shared with class".into(),
        role: "trainer".into(),
        by: "Ewa".into(),
    };
    let ev = engine.step(&mut state, ok, 8).unwrap();
    assert!(matches!(&ev[0], Event::Overridden { over, .. } if over.role == "trainer"));
    engine.step(&mut state, Input::Next, 9).unwrap();
    assert_eq!(state.steps[3].status(), Status::Overridden);
    assert_eq!(engine.current_step(&state).id, "signoff");
}

#[test]
fn going_back_keeps_answers_and_later_gates_are_checked_again() {
    let spec = mini();
    let engine = Engine::new(&spec);
    let (mut state, _) = started(&engine);
    fill_pack(&engine, &mut state);
    engine.step(&mut state, Input::Next, 2).unwrap();
    engine.step(&mut state, check("a"), 3).unwrap();
    engine.step(&mut state, check("b"), 3).unwrap();
    engine.step(&mut state, Input::Next, 4).unwrap();
    engine.step(&mut state, Input::Back, 5).unwrap();
    assert_eq!(engine.current_step(&state).id, "wiring.1");
    engine.step(&mut state, Input::Back, 6).unwrap();
    assert_eq!(state.current, 0);
    assert_eq!(state.steps[1].status(), Status::Pending);
    assert!(state.steps[1].checked.contains("a"), "answers are kept");
    assert!(engine.step(&mut state, Input::Back, 7).is_err());
    engine.step(&mut state, Input::Next, 8).unwrap();
    engine
        .step(
            &mut state,
            Input::Check {
                item: "b".into(),
                checked: false,
            },
            9,
        )
        .unwrap();
    let ev = engine.step(&mut state, Input::Next, 10).unwrap();
    assert!(
        !ev.iter().any(|e| matches!(e, Event::StepLeft { .. })),
        "re-evaluated: {ev:?}"
    );
}

#[test]
fn signing_off_needs_the_last_step_and_its_gates() {
    let spec = mini();
    let engine = Engine::new(&spec);
    let (mut state, _) = started(&engine);
    let sign = || Input::SignOff {
        name: "Anna".into(),
        role: "assembler".into(),
    };
    assert!(engine.step(&mut state, sign(), 1).is_err());
    fill_pack(&engine, &mut state);
    engine.step(&mut state, Input::Next, 2).unwrap();
    engine.step(&mut state, check("a"), 3).unwrap();
    engine.step(&mut state, check("b"), 3).unwrap();
    engine.step(&mut state, Input::Next, 4).unwrap();
    engine.step(&mut state, Input::Skip, 5).unwrap();
    engine.step(&mut state, check("tidy"), 6).unwrap();
    engine.step(&mut state, Input::Next, 7).unwrap();
    engine.step(&mut state, sign(), 8).unwrap();
    assert!(
        state.signed_off.is_none(),
        "the sign-off checklist is not ticked"
    );
    engine.step(&mut state, check("done"), 9).unwrap();
    engine.step(&mut state, sign(), 10).unwrap();
    assert_eq!(
        state.signed_off.as_ref().map(|s| s.1.as_str()),
        Some("Anna")
    );
    assert_eq!(
        engine.step(&mut state, Input::Next, 11),
        Err(EngineError::Finished)
    );
}

#[test]
fn the_state_is_a_fold_over_the_journaled_events() {
    let spec = mini();
    let engine = Engine::new(&spec);
    let (mut state, mut journal) = started(&engine);
    let inputs = vec![
        field("chemistry", "lifepo4"),
        field("cells", "x"),
        field("cells", "16"),
        field("model", "m16"),
        Input::Next,
        check("a"),
        Input::Back,
        Input::Next,
        check("b"),
        Input::Next,
    ];
    for (t, i) in inputs.into_iter().enumerate() {
        journal.extend(engine.step(&mut state, i, t as i64).unwrap());
    }
    let replayed = engine.replay(journal.iter().filter(|e| e.journaled()));
    assert_eq!(replayed, state);
    // Events survive a round trip through JSON, as the journal stores them.
    let json: Vec<String> = journal
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    let back: Vec<Event> = json
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(back, journal);
}

/// Configuration and test steps with live gates, as wizard.yaml has them.
pub(crate) const LIVE: &str = r#"
languages: [en]
chemistries:
  lifepo4:
    name: {en: LiFePO4}
    ladder_step: {min: 2.5, max: 3.6}
    cell_plausible: {min: 2.5, max: 3.65}
    cell_ovp: 3.6
    max_charge_voltage: 3.65
    min_discharge_voltage: 2.5
    ovp_window: {min: 3.45, max: 3.65}
    uvp_window: {min: 2.5, max: 3.0}
  li-ion:
    name: {en: Li-ion}
    ladder_step: {min: 3.0, max: 4.2}
    cell_plausible: {min: 2.5, max: 4.3}
    cell_ovp: 4.2
    max_charge_voltage: 4.25
    min_discharge_voltage: 2.5
    ovp_window: {min: 4.0, max: 4.25}
    uvp_window: {min: 2.5, max: 3.2}
models:
  - {id: m16, name: {en: sixteen}, min_cells: 8, max_cells: 16, max_input_voltage: 70, plugs: [9, 8]}
limits:
  cell_spread: 0.1
  charger_margin: 5
  output_tolerance: 0.5
  pack_tolerance: 0.3
  unused_pin_max: 0.5
  meter_digit: 0.01
  balance_trigger: 0.01
  cold_utpr: 5
  cold_utp: [1, 2]
  probe_plausible: [-30, 80]
  protection_tolerance: 0.05
  live_max_age_s: 5
errors: {1: {en: one}, 2: {en: two}, 3: {en: three}, 4: {en: four}, 5: {en: five},
         6: {en: six}, 7: {en: seven}, 8: {en: eight}, 9: {en: nine}}
steps:
  - id: setup.pack
    section: setup
    title: {en: Pack}
    instructions: [{en: Describe the pack.}]
    input:
      kind: form
      fields:
        - {id: chemistry, label: {en: Chemistry}, type: choice, options: [{id: lifepo4, text: {en: LiFePO4}}, {id: li-ion, text: {en: Li-ion}}]}
        - {id: cells, label: {en: Cells}, type: integer, min: 1, max: 16}
        - {id: capacity, label: {en: Capacity}, type: number, unit: Ah, min: 1, max: 1000}
        - {id: model, label: {en: Model}, type: choice, options: [{id: m16, text: {en: sixteen}}]}
    gates:
      - {id: filled, check: fields_valid, safety: true, text: {en: All filled}}
  - id: config.battery_type
    section: configuration
    number: 3
    title: {en: Battery type}
    instructions: [{en: Choose it once.}]
    input: {kind: live}
    gates:
      - {id: ovp, check: ovp_matches_chemistry, safety: true, text: {en: OVP}}
  - id: config.cells
    section: configuration
    number: 4
    title: {en: Cell count and capacity}
    instructions: [{en: Set them.}]
    input: {kind: live}
    gates:
      - {id: cell_count, check: cell_count_setting, safety: true, text: {en: Cell count}}
      - {id: capacity, check: capacity_set, text: {en: Capacity}}
  - id: config.control
    section: configuration
    number: 8
    title: {en: Control}
    instructions: [{en: Switches.}]
    input: {kind: live}
    gates:
      - {id: switches, check: switches_on, text: {en: Switches on}}
      - id: temp_sensor
        check: temp_sensor_enabled
        safety: true
        text: {en: Temp sensor on}
        confirm: {en: Disable Temp. Sensor is OFF in the app}
      - id: no_reset
        check: no_factory_reset
        safety: true
        text: {en: No reset}
        confirm: {en: I chose the battery type once}
      - {id: no_alarm, check: no_alarm, safety: true, text: {en: No alarm}}
  - id: protection.test
    section: protection
    title: {en: Test}
    instructions: [{en: Test it.}]
    input: {kind: live}
    gates:
      - {id: before_ovp, check: ovp_matches_chemistry, safety: true, text: {en: OVP before}}
      - {id: test, check: protection_test, safety: true, text: {en: Test}}
  - id: signoff
    section: signoff
    title: {en: Sign}
    instructions: [{en: Sign.}]
    input:
      kind: sign_off
      items: [{id: done, text: {en: Done}}]
    gates:
      - {id: done, check: all_confirmed, safety: true, text: {en: Done}}
      - {id: cell_count, check: cell_count_setting, safety: true, text: {en: Cell count}}
"#;

pub(crate) fn live_spec() -> WizardSpec {
    serde_yaml::from_str(LIVE).expect("live wizard parses")
}

mod live_flow {
    use super::*;
    use crate::bms::model::{Chemistry, LogEntry, Switch};
    use crate::units::Amps;
    use crate::wizard::checks::testkit::{cell_info, device, pack_cells, settings_lifepo4};

    fn bms(b: BmsInput) -> Input {
        Input::Bms(b)
    }

    fn factory_book(n: usize) -> Logbook {
        Logbook {
            entries: (0..n)
                .map(|k| LogEntry {
                    seconds: 10 + k as u32,
                    code: LogEntry::factory_code(Chemistry::LiFePo4),
                })
                .collect(),
        }
    }

    /// A session on the live wizard, connected to a new-firmware unit whose logbook was
    /// read, at the battery-type step.
    fn at_battery_type(engine: &Engine<'_>) -> State {
        let (mut state, _) = started(engine);
        let ins = [
            bms(BmsInput::Up { peer: "sim".into() }),
            bms(BmsInput::Device(device("11.61"))),
            bms(BmsInput::Logbook(Logbook::default())),
            field("chemistry", "lifepo4"),
            field("cells", "16"),
            field("capacity", "280"),
            field("model", "m16"),
            Input::Next,
        ];
        for i in ins {
            engine.step(&mut state, i, 100).unwrap();
        }
        assert_eq!(engine.current_step(&state).id, "config.battery_type");
        state
    }

    /// Fresh settings and cells at `at`, then Next a little later.
    fn pass_live_step(engine: &Engine<'_>, state: &mut State, at: Millis) -> Vec<Event> {
        engine
            .step(state, bms(BmsInput::Settings(settings_lifepo4())), at)
            .unwrap();
        engine
            .step(
                state,
                bms(BmsInput::Cells(cell_info(&pack_cells(16, 3.3)))),
                at,
            )
            .unwrap();
        engine.step(state, Input::Next, at + 5).unwrap()
    }

    fn verdict<'s>(state: &'s State, step: usize, gate: &str) -> &'s GateResult {
        state.steps[step]
            .gates
            .iter()
            .find(|g| g.gate == gate)
            .unwrap_or_else(|| panic!("no verdict for {gate}: {:?}", state.steps[step]))
    }

    fn codes(r: &GateResult) -> Vec<&str> {
        r.verdict.reasons.iter().map(|x| x.code.as_str()).collect()
    }

    #[test]
    fn a_battery_type_slip_corrected_at_its_step_is_simply_recorded() {
        let spec = live_spec();
        let engine = Engine::new(&spec);
        let mut state = at_battery_type(&engine);
        for (t, chem) in [(200, Chemistry::LiIon), (210, Chemistry::LiFePo4)] {
            engine
                .step(&mut state, Input::App(AppAction::BatteryType(chem)), t)
                .unwrap();
        }
        engine
            .step(&mut state, bms(BmsInput::Logbook(factory_book(2))), 220)
            .unwrap();
        assert_eq!(state.live.type_choices, 2);
        pass_live_step(&engine, &mut state, 300);
        assert_eq!(engine.current_step(&state).id, "config.cells");
        pass_live_step(&engine, &mut state, 400);
        assert_eq!(engine.current_step(&state).id, "config.control");
        pass_live_step(&engine, &mut state, 500);
        let no_reset = verdict(&state, 3, "no_reset");
        assert!(no_reset.verdict.ok, "{no_reset:?}");
        assert_eq!(engine.current_step(&state).id, "protection.test");
    }

    #[test]
    fn a_battery_type_chosen_after_the_settings_sends_back_to_the_first_wiped_step() {
        let spec = live_spec();
        let engine = Engine::new(&spec);
        let mut state = at_battery_type(&engine);
        engine
            .step(
                &mut state,
                Input::App(AppAction::BatteryType(Chemistry::LiFePo4)),
                200,
            )
            .unwrap();
        pass_live_step(&engine, &mut state, 300);
        pass_live_step(&engine, &mut state, 400);
        assert_eq!(engine.current_step(&state).id, "config.control");
        let ev = engine
            .step(
                &mut state,
                Input::App(AppAction::BatteryType(Chemistry::LiFePo4)),
                450,
            )
            .unwrap();
        assert!(
            ev.iter().any(
                |e| matches!(e, Event::TypeChosen { wiped: Some(w), .. } if w == "config.cells")
            ),
            "{ev:?}"
        );
        assert_eq!(engine.current_step(&state).id, "config.cells");
        let notice = state.steps[2].notice.as_deref().unwrap_or("");
        assert!(
            notice.contains("chosen again") && notice.contains("config.cells"),
            "{notice}"
        );
        assert_eq!(
            state.steps[3].status(),
            Status::Pending,
            "control is checked again"
        );
        // The logbook then shows the second load: already accounted for, nothing more.
        let ev = engine
            .step(&mut state, bms(BmsInput::Logbook(factory_book(2))), 460)
            .unwrap();
        assert!(
            !ev.iter().any(|e| matches!(e, Event::TypeChosen { .. })),
            "{ev:?}"
        );
        // Redone, every later step passes on the way, and the notice is gone.
        pass_live_step(&engine, &mut state, 500);
        assert!(state.steps[2].notice.is_none());
        pass_live_step(&engine, &mut state, 600);
        assert_eq!(engine.current_step(&state).id, "protection.test");
    }

    #[test]
    fn a_second_factory_load_seen_only_in_the_logbook_also_sends_back() {
        let spec = live_spec();
        let engine = Engine::new(&spec);
        let mut state = at_battery_type(&engine);
        // A real unit: the choice is seen only as a factory load in the logbook.
        engine
            .step(&mut state, bms(BmsInput::Logbook(factory_book(1))), 200)
            .unwrap();
        pass_live_step(&engine, &mut state, 300);
        pass_live_step(&engine, &mut state, 400);
        engine
            .step(&mut state, bms(BmsInput::Logbook(factory_book(2))), 450)
            .unwrap();
        assert_eq!(engine.current_step(&state).id, "config.cells");
        assert_eq!(state.live.type_choices, 2);
    }

    #[test]
    fn live_gates_wait_for_data_read_since_the_step_was_entered() {
        let spec = live_spec();
        let engine = Engine::new(&spec);
        let mut state = at_battery_type(&engine);
        // Settings from before the step was entered (stamp 100) prove nothing here.
        engine
            .step(&mut state, bms(BmsInput::Settings(settings_lifepo4())), 99)
            .unwrap();
        let mut state2 = state.clone();
        engine.step(&mut state2, Input::Next, 150).unwrap();
        let ovp = verdict(&state2, 1, "ovp");
        assert!(!ovp.verdict.ok);
        assert_eq!(codes(ovp), ["no_data"]);
        assert!(
            ovp.verdict.reasons[0].english().contains("waiting for"),
            "{ovp:?}"
        );
        // The same settings read again after the step was entered pass.
        engine
            .step(&mut state, bms(BmsInput::Settings(settings_lifepo4())), 100)
            .unwrap();
        engine.step(&mut state, Input::Next, 150).unwrap();
        assert_eq!(engine.current_step(&state).id, "config.cells");
        // An app action makes earlier data stale again.
        engine
            .step(&mut state, bms(BmsInput::Settings(settings_lifepo4())), 160)
            .unwrap();
        engine
            .step(&mut state, Input::App(AppAction::CellCount(16)), 170)
            .unwrap();
        engine.step(&mut state, Input::Next, 180).unwrap();
        assert_eq!(codes(verdict(&state, 2, "cell_count")), ["no_data"]);
        // A non-safety gate without data refuses as well, and only an override passes it.
        let capacity = verdict(&state, 2, "capacity");
        assert!(!capacity.verdict.ok && !capacity.safety);
    }

    #[test]
    fn the_factory_reset_gate_needs_device_info_and_the_logbook_it_keeps() {
        let spec = live_spec();
        let engine = Engine::new(&spec);
        let mut state = engine.empty_state();
        state.current = 3;
        state.steps[3].visited_at = Some(0);
        state.live.connected = true;
        state.live.settings = Some(settings_lifepo4());
        state.live.settings_at_ms = Some(10);
        let gate = |state: &State| {
            engine
                .evaluate(state, 3, 20)
                .into_iter()
                .find(|g| g.gate == "no_reset")
                .unwrap()
        };
        assert_eq!(codes(&gate(&state)), ["no_data"], "no device info");
        state.live.device = Some(device("11.61"));
        let v = gate(&state);
        assert_eq!(codes(&v), ["no_data"], "no logbook");
        assert!(v.verdict.reasons[0].english().contains("logbook"), "{v:?}");
        state.live.logbook = Some(factory_book(1));
        assert!(gate(&state).verdict.ok);
        // Old firmware keeps no logbook: the operator confirms instead, and says so.
        state.live.logbook = None;
        state.live.device = Some(device("10.07"));
        let v = gate(&state);
        assert_eq!(codes(&v), ["not_reported"]);
        let items: Vec<String> = engine.items(&state, 3).into_iter().map(|i| i.id).collect();
        assert_eq!(items, ["confirm.no_reset"]);
        state.steps[3].checked.insert("confirm.no_reset".into());
        let v = gate(&state);
        assert!(v.verdict.ok && v.verdict.by_operator, "{v:?}");
    }

    #[test]
    fn a_24s_unit_that_sends_no_control_word_needs_the_operators_confirmation() {
        let spec = live_spec();
        let engine = Engine::new(&spec);
        let mut state = at_battery_type(&engine);
        let mut s = settings_lifepo4();
        s.control = None;
        let gate = |state: &State| {
            engine
                .evaluate(state, 3, 1_000)
                .into_iter()
                .find(|g| g.gate == "temp_sensor")
                .unwrap()
        };
        state.current = 3;
        state.steps[3].visited_at = Some(900);
        engine
            .step(&mut state, bms(BmsInput::Settings(s)), 950)
            .unwrap();
        let v = gate(&state);
        assert!(!v.verdict.ok, "nothing read is no pass: {v:?}");
        assert_eq!(codes(&v), ["not_reported"]);
        assert!(v.verdict.reasons[0]
            .english()
            .contains("Disable Temp. Sensor is OFF in the app"));
        assert!(engine
            .step(&mut state, check("confirm.temp_sensor"), 960)
            .is_ok());
        let v = gate(&state);
        assert!(v.verdict.ok && v.verdict.by_operator, "{v:?}");
        // On a unit that does send the switch, there is nothing to confirm.
        engine
            .step(&mut state, bms(BmsInput::Settings(settings_lifepo4())), 970)
            .unwrap();
        assert!(engine.items(&state, 3).is_empty());
        assert!(!gate(&state).verdict.by_operator);
    }

    /// At the protection test with the configuration done on these settings.
    fn at_test(engine: &Engine<'_>) -> State {
        let mut state = at_battery_type(engine);
        engine
            .step(
                &mut state,
                Input::App(AppAction::BatteryType(Chemistry::LiFePo4)),
                200,
            )
            .unwrap();
        pass_live_step(engine, &mut state, 300);
        pass_live_step(engine, &mut state, 400);
        pass_live_step(engine, &mut state, 500);
        assert_eq!(engine.current_step(&state).id, "protection.test");
        state
    }

    #[test]
    fn the_test_does_not_start_on_an_ovp_raised_after_its_step() {
        let spec = live_spec();
        let engine = Engine::new(&spec);
        let mut state = at_test(&engine);
        let charge = Input::App(AppAction::Current(Amps(45.0)));
        // Only settings from before the step: not fresh, the charger stays off.
        let ev = engine.step(&mut state, charge.clone(), 600).unwrap();
        assert!(
            !ev.iter().any(|e| matches!(e, Event::AppAction { .. })),
            "{ev:?}"
        );
        assert_eq!(codes(verdict(&state, 4, "before_ovp")), ["no_data"]);
        let mut raised = settings_lifepo4();
        raised.cell_ovp = crate::units::Volts(3.9);
        engine
            .step(&mut state, bms(BmsInput::Settings(raised)), 610)
            .unwrap();
        let ev = engine.step(&mut state, charge.clone(), 620).unwrap();
        assert!(
            !ev.iter().any(|e| matches!(e, Event::AppAction { .. })),
            "{ev:?}"
        );
        assert_eq!(
            codes(verdict(&state, 4, "before_ovp")),
            ["ovp_matches_chemistry"]
        );
        assert_eq!(state.live.protection.started_at, None);
        // Put right and read again: the test starts.
        engine
            .step(&mut state, bms(BmsInput::Settings(settings_lifepo4())), 630)
            .unwrap();
        let ev = engine.step(&mut state, charge, 640).unwrap();
        assert!(
            ev.iter().any(|e| matches!(e, Event::AppAction { .. })),
            "{ev:?}"
        );
        assert_eq!(state.live.protection.started_at, Some(640));
    }

    #[test]
    fn switching_charge_off_after_the_cutoff_is_no_second_cutoff() {
        let spec = live_spec();
        let engine = Engine::new(&spec);
        let mut state = at_test(&engine);
        engine
            .step(&mut state, bms(BmsInput::Settings(settings_lifepo4())), 600)
            .unwrap();
        engine
            .step(&mut state, Input::App(AppAction::Current(Amps(45.0))), 610)
            .unwrap();
        let frame = |v: f64, charging: bool, amps: f64| {
            let mut c = cell_info(&pack_cells(16, 3.3));
            c.cell_voltages[4] = crate::units::Volts(v);
            c.charging = charging;
            c.current = Amps(amps);
            c
        };
        let mut cutoffs = 0;
        let frames = [
            (3.59, true, 45.0),
            (3.61, false, 0.0), // the BMS cuts off at 3.61
            (3.45, true, 45.0), // recovered: the charger pushes again
        ];
        for (k, (v, on, a)) in frames.into_iter().enumerate() {
            let ev = engine
                .step(
                    &mut state,
                    bms(BmsInput::Cells(frame(v, on, a))),
                    700 + k as i64,
                )
                .unwrap();
            cutoffs += ev
                .iter()
                .filter(|e| matches!(e, Event::CutoffObserved { .. }))
                .count();
        }
        assert_eq!(cutoffs, 1);
        engine
            .step(
                &mut state,
                Input::App(AppAction::Switch {
                    switch: Switch::Charge,
                    on: false,
                }),
                720,
            )
            .unwrap();
        let ev = engine
            .step(
                &mut state,
                bms(BmsInput::Cells(frame(3.46, false, 45.0))),
                730,
            )
            .unwrap();
        assert!(
            !ev.iter().any(|e| matches!(e, Event::CutoffObserved { .. })),
            "{ev:?}"
        );
        let cut = state.live.protection.charge.unwrap();
        assert_eq!(cut.cell_voltage, crate::units::Volts(3.61));
    }
}

mod no_pass_without_data {
    use super::*;
    use crate::bms::model::{Chemistry, LogEntry};
    use crate::units::Amps;
    use crate::wizard::checks::testkit::{cell_info, device, pack_cells, settings_lifepo4};
    use proptest::prelude::*;

    /// What may happen at the bench, in any order.
    fn op(k: u8) -> Input {
        let bms = Input::Bms;
        match k % 16 {
            0 => bms(BmsInput::Up { peer: "u".into() }),
            1 => bms(BmsInput::Down {
                reason: "gone".into(),
            }),
            2 => bms(BmsInput::Device(device("11.61"))),
            3 => bms(BmsInput::Device(device("10.07"))),
            4 => bms(BmsInput::Settings(settings_lifepo4())),
            5 => {
                let mut s = settings_lifepo4();
                s.control = None;
                bms(BmsInput::Settings(s))
            }
            6 => bms(BmsInput::Cells(cell_info(&pack_cells(16, 3.3)))),
            7 => bms(BmsInput::Logbook(Logbook {
                entries: vec![LogEntry {
                    seconds: 1,
                    code: LogEntry::factory_code(Chemistry::LiFePo4),
                }],
            })),
            8 | 9 => Input::Next,
            10 => Input::Back,
            11 => Input::App(AppAction::BatteryType(Chemistry::LiFePo4)),
            12 => Input::App(AppAction::Current(Amps(45.0))),
            13 => Input::App(AppAction::CellCount(16)),
            14 => check("confirm.temp_sensor"),
            _ => check("confirm.no_reset"),
        }
    }

    /// Whether the data `gate` judges was there, and read since the step was entered or
    /// the app last used, in `state` at `now` — or, where the unit can never send it,
    /// confirmed by the operator.
    fn had_data(
        engine: &Engine<'_>,
        state: &State,
        idx: usize,
        gate: &crate::wizard::spec::GateSpec,
        verdict: &checks::Verdict,
        now: Millis,
    ) -> bool {
        let live = &state.live;
        let since = engine.fresh_since(state, idx);
        let settings_fresh =
            live.settings.is_some() && live.settings_at_ms.is_some_and(|at| at >= since);
        let cells_fresh = live.cells.is_some()
            && live.cells_at_ms.is_some_and(|at| {
                at >= since && (now - at) as f64 <= engine.spec().limits.live_max_age_s * 1000.0
            });
        let confirmed = verdict.by_operator
            && state.steps[idx]
                .checked
                .contains(&confirm_item_id(&gate.id));
        live.connected
            && match gate.check {
                Check::NoAlarm => cells_fresh,
                Check::TempSensorEnabled => {
                    settings_fresh
                        && (live.settings.as_ref().is_some_and(|s| s.control.is_some())
                            || confirmed)
                }
                Check::NoFactoryReset => match &live.device {
                    Some(d) if d.keeps_logbook() => live.logbook.is_some(),
                    Some(_) => confirmed,
                    None => false,
                },
                _ => settings_fresh,
            }
    }

    proptest! {
        #[test]
        fn no_safety_gate_passes_on_absent_or_stale_data(
            ops in prop::collection::vec((any::<u8>(), 0i64..8_000), 0..80)
        ) {
            let spec = live_spec();
            let engine = Engine::new(&spec);
            let (mut state, _) = started(&engine);
            let mut t = 1;
            for i in [
                field("chemistry", "lifepo4"),
                field("cells", "16"),
                field("capacity", "280"),
                field("model", "m16"),
            ] {
                engine.step(&mut state, i, t).unwrap();
            }
            for (k, dt) in ops {
                t += dt;
                let before = state.clone();
                let Ok(ev) = engine.step(&mut state, op(k), t) else { continue };
                for e in &ev {
                    let Event::Gates { step, results, .. } = e else { continue };
                    let idx = spec.steps.iter().position(|s| &s.id == step).unwrap();
                    for (gate, r) in spec.steps[idx].gates.iter().zip(results) {
                        if !(r.safety && r.verdict.ok && is_live(&gate.check)) {
                            continue;
                        }
                        prop_assert!(
                            had_data(&engine, &before, idx, gate, &r.verdict, t),
                            "{} / {} passed without fresh data at {t}: {:?}",
                            step, gate.id, before.live
                        );
                    }
                }
            }
        }
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn any_input() -> impl Strategy<Value = Input> {
        prop_oneof![
            Just(Input::Next),
            Just(Input::Back),
            Just(Input::Skip),
            prop::sample::select(vec!["a", "b", "fitted", "tidy", "done", "zzz"]).prop_flat_map(
                |i| any::<bool>().prop_map(move |c| Input::Check {
                    item: i.to_string(),
                    checked: c
                })
            ),
            prop::sample::select(vec![
                ("chemistry", "lifepo4"),
                ("cells", "16"),
                ("cells", "40"),
                ("cells", "1,5"),
                ("model", "m16"),
            ])
            .prop_map(|(f, t)| field(f, t)),
            prop::sample::select(vec!["filled", "confirmed", "fitted", "tidy", "done"]).prop_map(
                |g| Input::Override {
                    gate: g.into(),
                    reason: "r".into(),
                    role: "trainer".into(),
                    by: "T".into()
                }
            ),
            Just(Input::SignOff {
                name: "N".into(),
                role: "R".into()
            }),
        ]
    }

    proptest! {
        #[test]
        fn no_sequence_of_inputs_passes_a_failed_safety_gate(
            inputs in prop::collection::vec(any_input(), 0..60)
        ) {
            let spec = mini();
            let engine = Engine::new(&spec);
            let (mut state, _) = started(&engine);
            for (t, input) in inputs.into_iter().enumerate() {
                let Ok(ev) = engine.step(&mut state, input, t as i64) else { continue };
                let mut last_gates: Option<&Vec<GateResult>> = None;
                for e in &ev {
                    match e {
                        Event::Gates { results, .. } => last_gates = Some(results),
                        Event::StepLeft { how: Leave::Passed | Leave::Overridden, step, .. } => {
                            let results = last_gates.expect("leaving without verdicts");
                            for r in results {
                                prop_assert!(
                                    r.verdict.ok || !r.safety,
                                    "left {step} with safety gate {} failing", r.gate
                                );
                            }
                        }
                        Event::StepLeft { how: Leave::Skipped, step, .. } => {
                            let i = spec.steps.iter().position(|s| &s.id == step).unwrap();
                            prop_assert!(spec.steps[i].optional);
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

/// Issue 15: the language changes at any time, as an event; nothing entered is touched, the
/// fold (and so the log) ends on the language last shown, and a language the wizard does not
/// list is refused.
#[test]
fn the_language_is_switched_by_an_event_and_keeps_every_entry() {
    let spec = WizardSpec::builtin();
    let engine = Engine::new(&spec);
    let (mut state, mut journal) = started(&engine);
    journal.extend(
        engine
            .step(&mut state, field("operator", "Anna Nowak"), 1)
            .unwrap(),
    );
    let before = state.steps[0].fields.clone();
    let ev = engine
        .step(&mut state, Input::Language { lang: "pl".into() }, 2)
        .unwrap();
    assert_eq!(
        ev,
        vec![Event::LanguageChosen {
            at: 2,
            lang: "pl".into()
        }]
    );
    journal.extend(ev);
    assert_eq!(state.started.as_ref().unwrap().3, "pl");
    assert_eq!(state.steps[0].fields, before, "nothing entered is lost");
    assert_eq!(state.current, 0);
    // The same language again is nothing to journal; one not listed is refused.
    let again = engine
        .step(&mut state, Input::Language { lang: "pl".into() }, 3)
        .unwrap();
    assert!(again.is_empty());
    assert!(matches!(
        engine.step(&mut state, Input::Language { lang: "fr".into() }, 4),
        Err(EngineError::UnknownLanguage(l)) if l == "fr"
    ));
    // The journal folds to the same state: a resumed session shows the language last chosen.
    assert_eq!(engine.replay(&journal), state);
    // A journal line reads back (old journals simply have no such event).
    let line = serde_json::to_string(&journal.last().unwrap()).unwrap();
    assert_eq!(line, r#"{"event":"language_chosen","at":2,"lang":"pl"}"#);
}

/// The built-in wizard walked (every step passed) up to the protection test, the pack form
/// filled as an operator would.
fn at_protection_test(spec: &WizardSpec) -> (Engine<'_>, State) {
    let engine = Engine::new(spec);
    let (mut state, _) = started(&engine);
    for (f, t) in [
        ("operator", "Anna Nowak"),
        ("role", "technician"),
        ("pack_id", "PK-24"),
        ("chemistry", "lifepo4"),
        ("cells", "16"),
        ("capacity", "280"),
        ("model", "pb2a16s20p"),
        ("cold_site", "no"),
    ] {
        engine.step(&mut state, field(f, t), 1).unwrap();
    }
    let target = spec
        .steps
        .iter()
        .position(|s| s.id == "protection.test")
        .unwrap();
    let mut events = Vec::new();
    for s in &spec.steps[..target] {
        events.push(Event::StepLeft {
            at: 2,
            step: s.id.clone(),
            how: Leave::Passed,
        });
    }
    events.push(Event::StepEntered {
        at: 2,
        step: "protection.test".into(),
    });
    for e in &events {
        engine.apply(&mut state, e);
    }
    (engine, state)
}

#[test]
fn an_amended_pack_id_changes_nothing_later_and_brings_the_operator_back() {
    let spec = WizardSpec::builtin();
    let (engine, mut state) = at_protection_test(&spec);
    let test = state.current;
    let ev = engine
        .step(
            &mut state,
            Input::Amend {
                step: "setup.pack".into(),
            },
            10,
        )
        .unwrap();
    assert!(matches!(&ev[0], Event::AmendStarted { back_to, .. } if back_to == "protection.test"));
    assert_eq!(state.current, 0);
    // The later steps keep their verdicts while the amendment is under way.
    assert_eq!(state.steps[1].status(), Status::Done);
    engine
        .step(&mut state, field("pack_id", "PK-42"), 11)
        .unwrap();
    let ev = engine.step(&mut state, Input::Next, 12).unwrap();
    let amended = ev
        .iter()
        .find_map(|e| match e {
            Event::Amended {
                changed, recheck, ..
            } => Some((changed.clone(), recheck.clone())),
            _ => None,
        })
        .expect("an Amended event");
    assert_eq!(
        amended.0,
        vec![Change {
            entry: "pack_id".into(),
            before: Some("PK-24".into()),
            after: Some("PK-42".into()),
        }]
    );
    assert!(amended.1.is_empty(), "{:?}", amended.1);
    assert_eq!(state.current, test, "back at the protection test");
    assert!(state.amending.is_none());
    assert!(state.steps[..test]
        .iter()
        .enumerate()
        .all(|(i, r)| r.status() == Status::Done || !engine.applies(&state, i)));
}

#[test]
fn an_amended_cell_count_re_checks_exactly_the_steps_that_read_it() {
    let spec = WizardSpec::builtin();
    let (engine, mut state) = at_protection_test(&spec);
    let test = state.current;
    engine
        .step(
            &mut state,
            Input::Amend {
                step: "setup.pack".into(),
            },
            10,
        )
        .unwrap();
    engine.step(&mut state, field("cells", "15"), 11).unwrap();
    let ev = engine.step(&mut state, Input::Next, 12).unwrap();
    let recheck = ev
        .iter()
        .find_map(|e| match e {
            Event::Amended { recheck, .. } => Some(recheck.clone()),
            _ => None,
        })
        .unwrap();
    let id = |i: usize| spec.steps[i].id.clone();
    // The ladder (its rows are per cell) and the live steps that read the count are walked
    // again; a step with only confirmations keeps its verdict.
    for must in ["wiring.ladder", "config.status", "config.cells_capacity"] {
        assert!(recheck.contains(&must.to_string()), "{must} in {recheck:?}");
    }
    assert!(
        !recheck.contains(&"setup.safety".to_string()),
        "{recheck:?}"
    );
    assert_eq!(
        id(state.current),
        recheck[0],
        "sent to the first to re-check"
    );
    assert!(recheck.iter().all(|r| *r != "protection.test"));
    let safety = spec
        .steps
        .iter()
        .position(|s| s.id == "setup.safety")
        .unwrap();
    assert_eq!(state.steps[safety].status(), Status::Done);
    assert_eq!(state.steps[test].status(), Status::Pending);
}

#[test]
fn only_an_earlier_finished_step_can_be_amended_and_one_at_a_time() {
    let spec = WizardSpec::builtin();
    let (engine, mut state) = at_protection_test(&spec);
    let amend = |s: &str| Input::Amend { step: s.into() };
    assert!(engine
        .step(&mut state, amend("protection.test"), 3)
        .is_err());
    assert!(engine.step(&mut state, amend("signoff"), 3).is_err());
    assert!(engine.step(&mut state, amend("nope"), 3).is_err());
    engine.step(&mut state, amend("setup.pack"), 4).unwrap();
    let err = engine
        .step(&mut state, amend("setup.safety"), 5)
        .unwrap_err();
    assert!(err.to_string().contains("finish amending"), "{err}");
    // A failing amended step is not left: clearing a required field keeps the operator there.
    let ev = engine.step(&mut state, field("pack_id", ""), 6).unwrap();
    assert!(matches!(ev[0], Event::FieldCleared { .. }), "{ev:?}");
    let ev = engine.step(&mut state, Input::Back, 7).unwrap();
    assert!(
        !ev.iter().any(|e| matches!(e, Event::Amended { .. })),
        "{ev:?}"
    );
    assert_eq!(state.current, 0);
}

#[test]
fn an_optional_field_can_be_emptied_again() {
    let spec = WizardSpec::builtin();
    let engine = Engine::new(&spec);
    let (mut state, _) = started(&engine);
    engine.step(&mut state, field("trainer", "Ewa"), 1).unwrap();
    assert!(state.steps[0].fields.contains_key("trainer"));
    let ev = engine.step(&mut state, field("trainer", "  "), 2).unwrap();
    assert_eq!(ev.len(), 1);
    assert!(!state.steps[0].fields.contains_key("trainer"));
    // Emptying what is already empty records nothing.
    assert!(engine
        .step(&mut state, field("trainer", ""), 3)
        .unwrap()
        .is_empty());
}

#[test]
fn a_rewiring_is_recorded_at_a_wiring_step_only_and_drops_the_ladder_readings_taken_before() {
    let spec = WizardSpec::builtin();
    let (engine, mut state) = at_protection_test(&spec);
    let lead = |cell| Input::Rewire {
        what: Rewire::Lead { cell },
    };
    // A lead only at the ladder check, where it is measured again; a probe anywhere.
    assert!(matches!(
        engine.handle(&state, lead(7), 3),
        Err(EngineError::RewireHere(step)) if step == "protection.test"
    ));
    assert!(engine
        .handle(
            &state,
            Input::Rewire {
                what: Rewire::Probe { probe: 1 }
            },
            3
        )
        .is_ok());
    let ladder = spec
        .steps
        .iter()
        .position(|s| s.id == "wiring.ladder")
        .unwrap();
    engine.apply(
        &mut state,
        &Event::StepEntered {
            at: 3,
            step: "wiring.ladder".into(),
        },
    );
    engine
        .step(
            &mut state,
            Input::Reading {
                cell: 1,
                text: "3,30".into(),
            },
            4,
        )
        .unwrap();
    engine
        .step(&mut state, field(LADDER_PACK_VOLTAGE, "52.8"), 4)
        .unwrap();
    // Both ends of the pack's leads and probes: 1..=16, the model's two probes.
    for bad in [0, 17] {
        assert!(matches!(
            engine.handle(&state, lead(bad), 5),
            Err(EngineError::NoSuchLead { cells: 16, .. })
        ));
    }
    let probe = |probe| Input::Rewire {
        what: Rewire::Probe { probe },
    };
    assert!(engine.handle(&state, probe(2), 5).is_ok());
    assert!(matches!(
        engine.handle(&state, probe(3), 5),
        Err(EngineError::NoSuchProbe { probes: 2, .. })
    ));
    assert!(engine.handle(&state, lead(1), 5).is_ok());
    let events = engine.step(&mut state, lead(16), 5).unwrap();
    assert_eq!(
        events,
        vec![Event::Rewired {
            at: 5,
            step: "wiring.ladder".into(),
            what: Rewire::Lead { cell: 16 },
        }]
    );
    let r = &state.steps[ladder];
    assert!(r.readings.is_empty(), "taken on the old wiring");
    assert!(!r.fields.contains_key(LADDER_PACK_VOLTAGE));
    assert_eq!(
        state.rewired,
        vec![(5, "wiring.ladder".to_string(), Rewire::Lead { cell: 16 })]
    );
    // Journaled and replayed like every event.
    let line = serde_json::to_string(&events[0]).unwrap();
    assert_eq!(
        line,
        r#"{"event":"rewired","at":5,"step":"wiring.ladder","what":{"wire":"lead","cell":16}}"#
    );
}

/// Every refusal of the engine is a sentence with its values: English as its Display, and in
/// every other language words of its own with the values filled in.
#[test]
fn the_engines_refusals_are_worded_in_every_language() {
    let spec = WizardSpec::builtin();
    let engine = Engine::new(&spec);
    let (mut state, _) = started(&engine);
    // A refusal the operator meets: skipping a step that is not optional.
    let skip = engine.step(&mut state, Input::Skip, 1).unwrap_err();
    assert!(skip.to_string().contains("is not optional"), "{skip}");
    let reading = engine
        .step(
            &mut state,
            Input::Reading {
                cell: 1,
                text: "3,3".into(),
            },
            2,
        )
        .unwrap_err();
    let v = Arg::verbatim;
    let all = [
        skip,
        reading,
        EngineError::NoSteps,
        EngineError::Finished,
        EngineError::AtStart,
        EngineError::UnknownLanguage("fr".into()),
        EngineError::UnknownItem {
            step: "s".into(),
            item: "i".into(),
        },
        EngineError::UnknownField {
            step: "s".into(),
            field: "f".into(),
        },
        EngineError::Reading(Say::plain("engine.cells_unknown")),
        EngineError::Reading(Say::new(
            "engine.no_such_cell",
            [("cell", Arg::int(17)), ("n", Arg::int(16))],
        )),
        EngineError::Override(Say::new("engine.safety_gate", [("gate", v("g"))])),
        EngineError::Override(Say::plain("engine.override_incomplete")),
        EngineError::Override(Say::new("engine.gate_passes", [("gate", v("g"))])),
        EngineError::Override(Say::new(
            "engine.no_such_gate",
            [("gate", v("g")), ("step", v("s"))],
        )),
        EngineError::SignOff(Say::new("engine.signoff_elsewhere", [("step", v("s"))])),
        EngineError::SignOff(Say::plain("engine.signoff_incomplete")),
        EngineError::Amend(Say::new("engine.no_such_step", [("step", v("s"))])),
        EngineError::Amend(Say::new("engine.finish_amending", [("step", v("s"))])),
        EngineError::Amend(Say::new("engine.not_amendable", [("step", v("s"))])),
        EngineError::RewireHere("s".into()),
        EngineError::NoSuchLead {
            cell: 17,
            cells: 16,
        },
        EngineError::NoSuchProbe {
            probe: 3,
            probes: 2,
        },
    ];
    for e in &all {
        let english = e.to_string();
        assert_eq!(english, e.render(&spec, "en"));
        assert!(!english.contains("engine."), "a key, not words: {english}");
        for lang in spec.languages.iter().filter(|l| *l != "en") {
            let words = e.render(&spec, lang);
            assert_ne!(words, english, "{lang}: left in English");
            assert!(!words.contains('{'), "{lang}: {words}");
        }
    }
    let cell = all[9].render(&spec, "pl");
    assert!(cell.contains("17") && cell.contains("16"), "{cell}");
}
