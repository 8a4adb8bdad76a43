use super::*;
use crate::bms::model::{Alarm, Switch};

fn spec() -> WizardSpec {
    WizardSpec::builtin()
}

const GOOD: &str = "\
description: cell 7's lead is open
pack:
  chemistry: lifepo4
  cells: 16
  capacity: 280
  cell_voltages: {9: 3.25}
bms:
  variant: 24s
  settings: matched
  changes:
    - switch: {switch: balance, on: false}
    - !capacity 100
wiring:
  - open_tap: {cell: 7}
  - pack_plus_pin_open
faults:
  - entering: config.control
    fault: {raise_alarm: {alarm: mos_over_temperature}}
  - after_s: 30
    fault: !drop_link {seconds: 5}
  - fault: stall_stream
trainee:
  after_refusal:
    wiring.ladder:
      repair: {wiring: true}
expect:
  catch:
    - step: wiring.ladder
      gate: ladder
      reason_contains: open_lead
";

fn parse(text: &str) -> Result<Scenario, ScenarioErrors> {
    Scenario::parse(text, "s.yaml", "s", &spec())
}

fn one_error(text: &str) -> String {
    let e = parse(text).unwrap_err();
    assert_eq!(e.0.len(), 1, "{e}");
    e.to_string()
}

#[test]
fn a_scenario_reads_in_either_style_with_its_triggers() {
    let s = parse(GOOD).unwrap();
    assert!(s.training);
    assert_eq!(s.layout(), Layout::S24);
    assert_eq!(
        s.bms.changes[0].0,
        AppAction::Switch {
            switch: Switch::Balance,
            on: false
        }
    );
    assert_eq!(s.bms.changes[1].0, AppAction::Capacity(AmpHours(100.0)));
    assert_eq!(s.wiring[1], WiringFault::PackPlusPinOpen);
    assert_eq!(
        s.faults[0].fault.0,
        Fault::RaiseAlarm {
            alarm: Alarm::MosOverTemperature
        }
    );
    assert_eq!(
        s.faults[0].trigger(),
        Trigger::Entering("config.control".into())
    );
    assert_eq!(s.faults[1].trigger(), Trigger::After(30.0));
    assert_eq!(s.faults[2].trigger(), Trigger::Start);
    assert_eq!(s.catches()[0].gate, "ladder");
    assert!(s.trainee.after_refusal["wiring.ladder"].repair.wiring);
    // The unit: changes made, plug out again, the open tap and the start fault applied.
    let unit = s.build_unit(1.0).unwrap();
    assert!(!unit.answers());
    assert!(!unit.settings().balance_switch);
    assert_eq!(unit.settings().capacity, AmpHours(100.0));
    assert_eq!(unit.settings().cell_count, 16, "matched");
    assert_eq!(unit.layout(), Layout::S24);
    assert!((unit.cell_voltage(9).unwrap().0 - 3.25).abs() < 0.01);
}

#[test]
fn expect_pass_and_a_plain_sim_setup() {
    let s = parse(
        "description: a demo\ntraining: false\npack: {chemistry: lto, cells: 12, capacity: 40}\n",
    )
    .unwrap();
    assert!(s.expect.is_none() && s.catches().is_empty());
    let s = parse(
        "description: clean\npack: {chemistry: lto, cells: 12, capacity: 40}\nexpect: pass\n",
    )
    .unwrap();
    assert_eq!(s.expect, Some(Expect::Pass));
}

#[test]
fn mistakes_name_file_line_column_and_field() {
    let typo = GOOD.replace("  variant: 24s", "  varient: 24s");
    let e = one_error(&typo);
    assert!(
        e.starts_with("s.yaml:8:3: bms.varient: unknown field `varient`"),
        "{e}"
    );
    let e = one_error(&GOOD.replace("cells: 16", "cells: sixteen"));
    assert!(
        e.starts_with("s.yaml:4:10: pack.cells: invalid type"),
        "{e}"
    );
    let e = one_error(&GOOD.replace("mos_over_temperature", "mos_too_hot"));
    assert!(e.starts_with("s.yaml:18:5: faults[0].fault: "), "{e}");
    assert!(e.contains("unknown variant `mos_too_hot`"), "{e}");
    let e = one_error(&GOOD.replace("gate: ladder", "gate: ladders"));
    assert!(
        e.starts_with(
            "s.yaml:29:7: expect.catch[0].gate: step 'wiring.ladder' has no gate 'ladders'"
        ),
        "{e}"
    );
    let e = one_error(&GOOD.replace("entering: config.control", "entering: config.ctrl"));
    assert!(
        e.starts_with("s.yaml:17:5: faults[0].entering: the wizard has no step 'config.ctrl'"),
        "{e}"
    );
    let e = one_error(&GOOD.replace("open_tap: {cell: 7}", "open_tap: {cell: 17}"));
    assert!(
        e.starts_with("s.yaml:14:5: wiring[0]: there is no cell 17"),
        "{e}"
    );
    let e = one_error(&GOOD.replace("!capacity 100", "!capacity 0"));
    assert!(
        e.starts_with("s.yaml:12:7: bms.changes[1]: Battery Capacity(AH): 0"),
        "{e}"
    );
    let e = one_error(&GOOD.replace("expect:\n  catch:", "expect:\n  cathc:"));
    assert!(e.contains("expect: unknown field `cathc`"), "{e}");
    let e = one_error(&GOOD.replace(
        "  variant: 24s",
        "  variant: 24s\n  firmware: {software: '11.61'}",
    ));
    assert!(
        e.starts_with("s.yaml:9:14: bms.firmware.software: software '11.61' does not agree"),
        "{e}"
    );
}

#[test]
fn a_referenced_answers_file_is_read_beside_the_scenario_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.yaml"),
        "steps:\n  setup.safety:\n    confirm: all\n",
    )
    .unwrap();
    let scenario = "description: x\npack: {chemistry: lto, cells: 12, capacity: 40}\nexpect: pass\ntrainee: {answers: a.yaml}\n";
    std::fs::write(dir.path().join("s.yaml"), scenario).unwrap();
    let s = Scenario::load(&dir.path().join("s.yaml"), &spec()).unwrap();
    assert!(s.base_answers.unwrap().steps.contains_key("setup.safety"));
    assert_eq!(s.id, "s");
    std::fs::write(dir.path().join("a.yaml"), "steps:\n  setup.nope: {}\n").unwrap();
    let e = Scenario::load(&dir.path().join("s.yaml"), &spec())
        .unwrap_err()
        .to_string();
    assert!(e.contains("s.yaml:4:11: trainee.answers: "), "{e}");
    assert!(e.contains("step 'setup.nope' is not in the wizard"), "{e}");
}

#[test]
fn a_training_scenario_must_say_what_to_expect() {
    let e = one_error("description: x\npack: {chemistry: lto, cells: 12, capacity: 40}\n");
    assert!(e.contains("needs `expect`"), "{e}");
    let e = one_error(
            "description: x\npack: {chemistry: lto, cells: 12, capacity: 40}\nbms: {model: b2a8s20p}\nexpect: pass\n",
        );
    assert!(
        e.contains("bms.model: model 'b2a8s20p' takes at most 8 cells"),
        "{e}"
    );
}
