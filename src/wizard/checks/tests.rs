use super::testkit::*;
use super::*;
use crate::bms::model::LogEntry;
use crate::wizard::spec::{InputSpec, Unit};

/// Everything a gate looks at, owned, so each test states only what differs.
#[derive(Clone)]
struct World {
    spec: WizardSpec,
    step: StepSpec,
    pack: PackFacts,
    checked: BTreeSet<String>,
    fields: BTreeMap<String, Value>,
    ladder: LadderInput,
    live: LiveData,
    now_ms: i64,
}

impl World {
    fn new(step: StepSpec) -> World {
        World {
            spec: spec(),
            step,
            pack: PackFacts::default(),
            checked: BTreeSet::new(),
            fields: BTreeMap::new(),
            ladder: LadderInput::default(),
            live: LiveData::default(),
            now_ms: 10_000,
        }
    }

    /// A 16-cell 280 Ah LiFePO4 pack on the 16-cell unit, configured right and live.
    fn configured() -> World {
        let mut w = World::new(step("config.x", "Live", InputSpec::Live { items: vec![] }));
        w.pack = PackFacts {
            chemistry: Some(Chemistry::LiFePo4),
            cells: Some(16),
            capacity: Some(AmpHours(280.0)),
            model: Some("b16".into()),
            cold_site: false,
            pack_voltage: Some(Volts(52.9)),
        };
        w.live = LiveData {
            connected: true,
            device: Some(DeviceInfo {
                model: "JK-PB2A16S20P".into(),
                ..device("11.61")
            }),
            settings: Some(settings_lifepo4()),
            settings_at_ms: Some(9_000),
            cells: Some(cell_info(&pack_cells(16, 3.3))),
            cells_at_ms: Some(9_000),
            logbook: Some(Logbook {
                entries: vec![LogEntry {
                    seconds: 5,
                    code: LogEntry::factory_code(Chemistry::LiFePo4),
                }],
            }),
            factory_events_baseline: Some(0),
            ..LiveData::default()
        };
        w
    }

    fn field(mut self, id: &str, value: Value) -> World {
        self.fields.insert(id.into(), value);
        self
    }

    fn eval(&self, check: Check) -> Verdict {
        let ctx = GateContext {
            spec: &self.spec,
            step: &self.step,
            pack: &self.pack,
            checked: &self.checked,
            fields: &self.fields,
            ladder: &self.ladder,
            live: &self.live,
            now_ms: self.now_ms,
            since_ms: 0,
        };
        evaluate(&check, &ctx)
    }
}

const LIVE_CHECKS: [Check; 19] = [
    Check::LiveConnected,
    Check::CellsVisible,
    Check::CellsPlausible,
    Check::CellCountSetting,
    Check::OvpMatchesChemistry,
    Check::CapacitySet,
    Check::BalanceTrigger,
    Check::SwitchesOn,
    Check::TempSensorEnabled,
    Check::ProbesPresent,
    Check::ColdSite,
    Check::NoAlarm,
    Check::NoFactoryReset,
    Check::ProtectionTest,
    Check::EmergencyOff,
    Check::UnitMatchesModel,
    Check::PackVoltageMatches,
    Check::UvpMatchesChemistry,
    Check::ProbeCount,
];

fn codes(v: &Verdict) -> Vec<&str> {
    v.reasons.iter().map(|r| r.code.as_str()).collect()
}

#[test]
fn all_confirmed_names_the_unticked_items() {
    let mut w = World::new(step(
        "setup.safety",
        "Safety",
        InputSpec::Checklist {
            items: vec![
                item("qualified", "I am qualified"),
                item("no_vapours", "No vapours here"),
            ],
        },
    ));
    w.checked.insert("qualified".into());
    let v = w.eval(Check::AllConfirmed);
    assert_eq!(v.reasons.len(), 1);
    assert_eq!(v.reasons[0].english(), "not confirmed: No vapours here");
    w.checked.insert("no_vapours".into());
    assert!(w.eval(Check::AllConfirmed).ok);
}

#[test]
fn fields_valid_names_missing_fields_and_checks_cells_against_the_model() {
    let w = World::new(setup_step()).field("chemistry", Value::Choice("lifepo4".into()));
    let v = w.eval(Check::FieldsValid);
    let texts: Vec<String> = v.reasons.iter().map(|r| r.english()).collect();
    assert_eq!(
        texts,
        [
            "Cells in series is not entered",
            "Capacity is not entered",
            "BMS model is not entered"
        ]
    );
    let w = w
        .field("cells", Value::Integer(16))
        .field("capacity", Value::Number(280.0))
        .field("model", Value::Choice("b8".into()));
    let v = w.eval(Check::FieldsValid);
    assert_eq!(codes(&v), ["cells_exceed_model"]);
    assert_eq!(
        v.reasons[0].english(),
        "the 8-cell unit takes at most 8 cells (3–8), but the pack has 16: choose the unit \
             made for this pack"
    );
    let w = w.field("model", Value::Choice("b16".into()));
    assert!(w.eval(Check::FieldsValid).ok); // the optional pack id may stay empty
}

#[test]
fn the_setup_step_refuses_a_pack_outside_the_units_cell_range() {
    let w = World::new(setup_step())
        .field("chemistry", Value::Choice("lifepo4".into()))
        .field("capacity", Value::Number(280.0))
        .field("model", Value::Choice("b16".into()));
    // The 16-cell unit works with 8–16 cells: both ends pass, one past either end not.
    for ok in [8, 16] {
        let v = w
            .clone()
            .field("cells", Value::Integer(ok))
            .eval(Check::FieldsValid);
        assert!(v.ok, "{ok}: {v:?}");
    }
    let v = w
        .clone()
        .field("cells", Value::Integer(7))
        .eval(Check::FieldsValid);
    assert_eq!(codes(&v), ["cells_below_model"]);
    assert_eq!(
        v.reasons[0].english(),
        "the 16-cell unit takes at least 8 cells (8–16), but the pack has 7: choose the unit \
             made for this pack"
    );
    let v = w
        .clone()
        .field("cells", Value::Integer(17))
        .eval(Check::FieldsValid);
    assert_eq!(codes(&v), ["cells_exceed_model"]);
    assert!(v.reasons[0].english().contains("(8–16)"), "{v:?}");
    // 2 cells on the 24-cell unit (the case).
    let v = w
        .field("model", Value::Choice("b24".into()))
        .field("cells", Value::Integer(2))
        .eval(Check::FieldsValid);
    assert!(
        v.reasons[0].english().contains("at least 7 cells (7–24)"),
        "{v:?}"
    );
}

#[test]
fn a_missing_pack_fact_names_the_step_that_gives_it() {
    let w = World::new(step(
        "wiring.ladder",
        "Multimeter test",
        InputSpec::Ladder { items: vec![] },
    ));
    let v = w.eval(Check::Ladder);
    assert!(!v.ok);
    assert_eq!(
        v.reasons[0].english(),
        "no chemistry known yet: it is entered in step 'The pack' (setup.pack)"
    );
    let mut w = World::configured();
    w.pack.cells = None;
    for check in [Check::CellsVisible, Check::CellCountSetting, Check::Ladder] {
        let v = w.eval(check.clone());
        assert!(
            v.reasons[0]
                .english()
                .starts_with("no cell count known yet"),
            "{check:?}: {v:?}"
        );
    }
    w.pack.capacity = None;
    assert_eq!(codes(&w.eval(Check::CapacitySet)), ["missing_fact"]);
}

#[test]
fn the_ladder_gate_diagnoses_and_asks_for_what_is_missing() {
    let mut w = World::configured();
    let cells = pack_cells(16, 3.3);
    w.pack.pack_voltage = Some(pack_of(&cells));
    w.ladder.readings = readings(&cells, &right(16));
    assert!(w.eval(Check::Ladder).ok, "{:?}", w.eval(Check::Ladder));
    let mut map = right(16);
    for (k, lead) in map.iter_mut().enumerate().take(15).skip(4) {
        *lead = Some(k + 2);
    }
    w.ladder.readings = readings(&cells, &map);
    assert_eq!(codes(&w.eval(Check::Ladder)), ["skipped_tap"]);
    w.ladder.readings = readings(&cells, &right(16));
    w.ladder.readings[3] = None;
    assert_eq!(codes(&w.eval(Check::Ladder)), ["missing_reading"]);
    // A pack too long for the unit chosen.
    w.pack.model = Some("b8".into());
    assert_eq!(codes(&w.eval(Check::Ladder)), ["cells_exceed_model"]);
    // No model chosen: the smallest that takes the pack.
    w.pack.model = None;
    assert_eq!(
        default_model(&w.spec, 16).map(|m| m.id.as_str()),
        Some("b16")
    );
    assert_eq!(
        default_model(&w.spec, 9).map(|m| m.id.as_str()),
        Some("b16")
    );
    assert_eq!(default_model(&w.spec, 25), None);
}

#[test]
fn the_charger_gate_applies_only_to_the_charger_method() {
    let activate = step(
        "wiring.activate",
        "Activation",
        InputSpec::Form {
            fields: vec![
                choice(
                    "method",
                    "Activation method",
                    &["switch", "display", "charger"],
                ),
                number(
                    "charger_voltage",
                    "Charger output voltage",
                    Unit::V,
                    0.0,
                    200.0,
                ),
            ],
            items: vec![],
        },
    );
    let mut w = World::new(activate);
    // No method chosen is no proof of anything.
    let v = w.eval(Check::ChargerVoltage);
    assert_eq!(codes(&v), ["activation_method"]);
    assert!(
        v.reasons[0]
            .english()
            .contains("no activation method is chosen"),
        "{v:?}"
    );
    w.pack.cells = Some(16);
    w.pack.model = Some("b16".into());
    w = w.field("method", Value::Choice("switch".into()));
    assert!(w.eval(Check::ChargerVoltage).ok);
    w = w.field("method", Value::Choice("charger".into()));
    assert_eq!(
        w.eval(Check::ChargerVoltage).reasons[0].english(),
        "Charger output voltage is not entered"
    );
    w = w.field("charger_voltage", Value::Number(56.0));
    assert!(w.eval(Check::ChargerVoltage).reasons[0]
        .english()
        .contains("measured in step"));
    w.pack.pack_voltage = Some(Volts(52.9));
    let v = w.eval(Check::ChargerVoltage);
    assert!(v.reasons[0].english().contains("at least 57.90 V"), "{v:?}");
    w = w.field("charger_voltage", Value::Number(58.8));
    assert!(w.eval(Check::ChargerVoltage).ok);
    // Above the 16-cell unit's 70 V rating: refused, naming both.
    w = w.field("charger_voltage", Value::Number(70.01));
    let v = w.eval(Check::ChargerVoltage);
    assert_eq!(codes(&v), ["charger_above_rating"]);
    assert!(
        v.reasons[0]
            .english()
            .contains("gives 70.01 V, above the 70.00 V"),
        "{v:?}"
    );
    // The unit's range is judged before the charger, so a wrong unit is named as such.
    w.pack.cells = Some(20);
    assert_eq!(
        codes(&w.eval(Check::ChargerVoltage)),
        ["cells_exceed_model"]
    );
}

#[test]
fn output_and_spread_gates_read_their_fields() {
    let mut w = World::new(step(
        "wiring.output",
        "Output",
        InputSpec::Form {
            fields: vec![],
            items: vec![],
        },
    ));
    w.pack.pack_voltage = Some(Volts(52.9));
    assert_eq!(codes(&w.eval(Check::OutputVoltage)), ["field_missing"]);
    let w = w.field("output_voltage", Value::Number(52.85));
    assert!(w.eval(Check::OutputVoltage).ok);
    let w = w.field("output_voltage", Value::Number(0.0));
    assert_eq!(codes(&w.eval(Check::OutputVoltage)), ["output_voltage"]);

    let w = World::new(step(
        "wiring.similar",
        "Similar",
        InputSpec::Form {
            fields: vec![],
            items: vec![],
        },
    ));
    assert_eq!(
        codes(&w.eval(Check::CellSpread)),
        ["field_missing", "field_missing"]
    );
    let w = w
        .field("lowest_cell", Value::Number(3.31))
        .field("highest_cell", Value::Number(3.29));
    assert_eq!(codes(&w.eval(Check::CellSpread)), ["entry_error"]);
    let w = w.field("highest_cell", Value::Number(3.36));
    assert!(w.eval(Check::CellSpread).ok);
}

#[test]
fn a_configured_pack_passes_every_live_gate() {
    let mut w = World::configured();
    w.live.protection = ProtectionObs {
        charge: Some(Cutoff {
            cell_voltage: Volts(3.61),
        }),
        discharge: Some(Cutoff {
            cell_voltage: Volts(2.5),
        }),
        started_at: Some(9_000),
    };
    for check in LIVE_CHECKS {
        let v = w.eval(check.clone());
        assert!(v.ok, "{check:?}: {v:?}");
    }
}

#[test]
fn live_gates_refuse_without_a_link_or_fresh_data_and_never_panic() {
    let mut w = World::configured();
    w.live = LiveData::default();
    for check in LIVE_CHECKS {
        let v = w.eval(check.clone());
        // Not a cold site: nothing to check there.
        assert_eq!(v.ok, check == Check::ColdSite, "{check:?}: {v:?}");
    }
    // Stale cell data fails the gates that read it.
    let mut w = World::configured();
    w.now_ms = 60_000;
    let v = w.eval(Check::NoAlarm);
    assert!(v.reasons[0].english().contains("51.0 s old"), "{v:?}");
    assert!(w.eval(Check::CellCountSetting).ok);
}

#[test]
fn live_gates_fail_with_the_numbers() {
    let mut w = World::configured();
    let s = w.live.settings.as_mut().unwrap();
    s.cell_ovp = Volts(4.2);
    s.cell_count = 15;
    w.pack.cold_site = true;
    assert!(w.eval(Check::OvpMatchesChemistry).reasons[0]
        .english()
        .contains("Li-ion factory set"));
    assert!(w.eval(Check::CellCountSetting).reasons[0]
        .english()
        .contains("Cell Count is 15"));
    assert_eq!(
        codes(&w.eval(Check::ColdSite)),
        ["charge_utpr", "charge_utp"]
    );
    w.live.logbook.as_mut().unwrap().entries.push(LogEntry {
        seconds: 900,
        code: LogEntry::factory_code(Chemistry::LiIon),
    });
    assert_eq!(codes(&w.eval(Check::NoFactoryReset)), ["factory_reset"]);
}

#[test]
fn the_unit_is_tied_to_the_chosen_model_and_the_measured_pack() {
    let mut w = World::configured();
    assert!(w.eval(Check::UnitMatchesModel).ok);
    w.live.device.as_mut().unwrap().model = "JK_B2A24S20P".into();
    assert_eq!(
        codes(&w.eval(Check::UnitMatchesModel)),
        ["unit_model_mismatch"]
    );
    w.live.device = None;
    assert_eq!(codes(&w.eval(Check::UnitMatchesModel)), ["device_not_read"]);
    // Another pack: the unit reads a cell less than the meter did.
    assert!(w.eval(Check::PackVoltageMatches).ok);
    w.live.cells.as_mut().unwrap().pack_voltage = Volts(49.5);
    let v = w.eval(Check::PackVoltageMatches);
    assert!(
        v.reasons[0]
            .english()
            .contains("49.50 V but the meter measured 52.90 V"),
        "{v:?}"
    );
    w.pack.pack_voltage = None;
    assert_eq!(codes(&w.eval(Check::PackVoltageMatches)), ["missing_fact"]);
}

#[test]
fn emergency_on_is_refused_and_a_24s_unit_hands_it_to_the_operator() {
    let mut w = World::configured();
    assert!(w.eval(Check::EmergencyOff).ok);
    w.live.cells.as_mut().unwrap().emergency = Some(true);
    assert_eq!(codes(&w.eval(Check::EmergencyOff)), ["emergency_on"]);
    // A 24S frame has no Emergency switch: no pass without the operator's word.
    w.live.cells.as_mut().unwrap().emergency = None;
    let v = w.eval(Check::EmergencyOff);
    assert_eq!(codes(&v), ["not_reported"]);
    assert!(
        v.reasons[0]
            .english()
            .contains("does not report the Emergency switch"),
        "{v:?}"
    );
}

#[test]
fn every_check_runs_on_an_empty_context() {
    let w = World::new(step("x", "X", InputSpec::Checklist { items: vec![] }));
    let all = [
        Check::AllConfirmed,
        Check::FieldsValid,
        Check::CellSpread,
        Check::Ladder,
        Check::ChargerVoltage,
        Check::OutputVoltage,
    ];
    for check in all.into_iter().chain(LIVE_CHECKS) {
        let v = w.eval(check.clone());
        assert_eq!(v.ok, v.reasons.is_empty(), "{check:?}: {v:?}");
    }
}
