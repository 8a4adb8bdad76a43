//! One test per kind of mistake in the three kinds of input file (wizard, answers, scenario):
//! each is refused with `file:line:column: path: message`, the position asserted exactly.

use jk_commission::train::scenario::Scenario;
use jk_commission::wizard::answers::Answers;
use jk_commission::wizard::spec::{WizardSpec, BUILTIN_YAML};
use jk_commission::yaml::Errors;

/// `origin:line:column` where `line` is the first line containing `line_has` (at or after
/// line `from`) and `column` is where `col_at` starts on it.
fn at(origin: &str, text: &str, line_has: &str, col_at: &str) -> String {
    let (n, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(line_has))
        .unwrap_or_else(|| panic!("no line has {line_has:?}"));
    let byte = line
        .find(col_at)
        .unwrap_or_else(|| panic!("{col_at:?} not on {line:?}"));
    format!("{origin}:{}:{}", n + 1, line[..byte].chars().count() + 1)
}

/// The one error, as printed.
fn only(result: Result<impl std::fmt::Debug, Errors>) -> String {
    let errors = result.expect_err("refused");
    assert_eq!(errors.0.len(), 1, "{errors}");
    assert!(errors.0[0].line.is_some() && errors.0[0].column.is_some());
    errors.to_string()
}

fn starts(got: &str, want: &str) {
    assert!(got.starts_with(want), "\n got: {got}\nwant: {want}…");
}

// --- wizard files ---------------------------------------------------------------------------

fn wizard(patch: (&str, &str)) -> (String, String) {
    assert!(
        BUILTIN_YAML.contains(patch.0),
        "{:?} not in wizard.yaml",
        patch.0
    );
    let text = BUILTIN_YAML.replacen(patch.0, patch.1, 1);
    let e = only(WizardSpec::from_str(&text, "w.yaml"));
    (text, e)
}

#[test]
fn wizard_duplicate_key() {
    let (text, e) = wizard((
        "  cell_spread: 0.1\n",
        "  cell_spread: 0.1\n  cell_spread: 0.2\n",
    ));
    let want = at("w.yaml", &text, "cell_spread: 0.2", "cell_spread");
    starts(
        &e,
        &format!("{want}: duplicate key 'cell_spread' (first at line"),
    );
}

#[test]
fn wizard_non_finite_number() {
    let (text, e) = wizard(("  cell_spread: 0.1", "  cell_spread: .nan"));
    let want = at("w.yaml", &text, "cell_spread: .nan", ".nan");
    starts(&e, &format!("{want}: '.nan' is not a finite number"));
}

#[test]
fn wizard_absurd_numbers_name_their_range() {
    let (text, e) = wizard(("  cell_spread: 0.1", "  cell_spread: 1e308"));
    let want = at("w.yaml", &text, "cell_spread: 1e308", "cell_spread");
    assert_eq!(
        e,
        format!("{want}: limits.cell_spread: 1e308 V is out of range: give above 0 to 5 V")
    );
    // Both edges: 5 V loads, 5.001 V does not; 0 does not either.
    let five = BUILTIN_YAML.replacen("  cell_spread: 0.1", "  cell_spread: 5", 1);
    assert!(WizardSpec::from_str(&five, "w.yaml").is_ok());
    for bad in ["5.001", "0"] {
        let (_, e) = wizard(("  cell_spread: 0.1", &format!("  cell_spread: {bad}")));
        assert!(e.contains("give above 0 to 5 V"), "{e}");
    }
    let (text, e) = wizard((
        "  probe_plausible: [-20, 65]",
        "  probe_plausible: [-20, 1e9]",
    ));
    let want = at("w.yaml", &text, "probe_plausible: [-20, 1e9]", "1e9");
    starts(
        &e,
        &format!("{want}: limits.probe_plausible[1]: 1000000000 °C is out of range: give from -60 to 150 °C"),
    );
    // A huge cell count is named, and the plug sum beside it does not overflow.
    let text = BUILTIN_YAML.replacen("    max_cells: 24", "    max_cells: 4000000000", 1);
    let errors = WizardSpec::from_str(&text, "w.yaml").unwrap_err();
    assert_eq!(errors.0.len(), 2, "{errors}");
    assert!(errors.0[1]
        .message
        .contains("4000000000 cells need 4000000001"));
    let want = at("w.yaml", &text, "max_cells: 4000000000", "max_cells");
    starts(
        &errors.0[0].to_string(),
        &format!("{want}: models[b2a24s20p].max_cells: 4000000000 is out of range: give 1 to 32"),
    );
}

#[test]
fn wizard_field_range_out_of_bounds() {
    let (text, e) = wizard((
        "          min: 1\n          max: 5000\n",
        "          min: 1\n          max: 1e12\n",
    ));
    let want = at("w.yaml", &text, "max: 1e12", "max");
    starts(
        &e,
        &format!(
            "{want}: steps[setup.pack].input.fields[capacity].max: 1000000000000 is out of range"
        ),
    );
}

#[test]
fn wizard_unknown_check() {
    let (text, e) = wizard(("check: cell_spread", "check: cell_spred"));
    let want = at("w.yaml", &text, "check: cell_spred", "cell_spred");
    starts(
        &e,
        &format!("{want}: steps[2].gates[0].check: unknown variant `cell_spred`"),
    );
}

#[test]
fn wizard_missing_required_field() {
    // Placed at the mapping that lacks it: the document's first key.
    let (text, e) = wizard(("languages: [en, pl, de, cs, sk, da, hu]\n", ""));
    let want = at("w.yaml", &text, "chemistries:", "chemistries");
    assert_eq!(e, format!("{want}: missing field `languages`"));
}

#[test]
fn wizard_syntax_error() {
    let (text, e) = wizard(("  cold_utp: [1, 2]", "  cold_utp: [1, 2"));
    // The scanner notices at the next key, where the flow sequence should have closed.
    let cold = text
        .lines()
        .position(|l| l.contains("cold_utp: [1, 2"))
        .unwrap();
    let next = (cold + 1..)
        .find(|&n| !text.lines().nth(n).unwrap().trim_start().starts_with('#'))
        .unwrap();
    starts(&e, &format!("w.yaml:{}:3: YAML syntax: ", next + 1));
}

#[test]
fn wizard_nesting_too_deep() {
    let (text, e) = wizard((
        "  cell_spread: 0.1",
        &format!("  cell_spread: {}", "[".repeat(100_000)),
    ));
    let line = text
        .lines()
        .position(|l| l.contains("cell_spread: ["))
        .unwrap()
        + 1;
    starts(&e, &format!("w.yaml:{line}:"));
    assert!(e.contains("nested deeper than 48 levels"), "{e}");
}

#[test]
fn wizard_invalid_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.yaml");
    let mut bytes = b"languages: [en, pl]\nmodels:\n  - id: x\xff\n".to_vec();
    bytes.extend_from_slice(b"rest: 1\n");
    std::fs::write(&path, bytes).unwrap();
    let e = WizardSpec::load(&path).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}:3:10: not UTF-8 text: byte 37 cannot start a character",
            path.display()
        )
    );
}

#[test]
fn wizard_second_document() {
    let text = format!("{BUILTIN_YAML}\n---\nmore: 1\n");
    let e = only(WizardSpec::from_str(&text, "w.yaml"));
    let line = text.lines().position(|l| l == "---").unwrap() + 1;
    starts(&e, &format!("w.yaml:{line}:1: a second YAML document"));
}

// --- answers files --------------------------------------------------------------------------

fn answers(text: &str) -> String {
    only(Answers::parse(text, "a.yaml", &WizardSpec::builtin()))
}

#[test]
fn answers_unknown_step() {
    let e =
        answers("steps:\n  setup.safety:\n    confirm: all\n  wiring.lader:\n    readings: []\n");
    starts(
        &e,
        "a.yaml:4:3: steps.wiring.lader: step 'wiring.lader' is not in the wizard",
    );
}

#[test]
fn answers_unknown_field_item_and_misplaced_answers() {
    let e = answers("steps:\n  setup.pack:\n    fields: {operator: Anna, cels: 16}\n");
    starts(
        &e,
        "a.yaml:3:30: steps.setup.pack: the step has no field 'cels'",
    );
    let e = answers("steps:\n  setup.safety:\n    confirm: [qualified, goggle]\n");
    starts(
        &e,
        "a.yaml:3:5: steps.setup.safety: the step has no item 'goggle'",
    );
    let e = answers("steps:\n  setup.safety:\n    readings: [\"3.3\"]\n");
    starts(&e, "a.yaml:3:5: steps.setup.safety: only the ladder step");
    let e = answers("steps:\n  setup.safety:\n    skip: true\n");
    starts(
        &e,
        "a.yaml:3:5: steps.setup.safety: this step is not optional",
    );
}

#[test]
fn answers_unknown_key_and_wrong_type() {
    let e = answers("steps:\n  setup.safety:\n    confrim: all\n");
    starts(
        &e,
        "a.yaml:3:5: steps.setup.safety.confrim: unknown field `confrim`",
    );
    let e = answers("steps:\n  setup.safety:\n    skip: maybe\n");
    starts(
        &e,
        "a.yaml:3:11: steps.setup.safety.skip: invalid type: string \"maybe\"",
    );
}

#[test]
fn answers_duplicate_keys() {
    let e = answers("steps:\n  setup.safety:\n    confirm: all\n  setup.safety:\n    skip: true\n");
    starts(
        &e,
        "a.yaml:4:3: duplicate key 'setup.safety' (first at line 2, column 3)",
    );
    let e = answers("steps:\n  setup.pack:\n    fields:\n      cells: 16\n      cells: 8\n");
    starts(
        &e,
        "a.yaml:5:7: duplicate key 'cells' (first at line 4, column 7)",
    );
}

#[test]
fn answers_non_finite_and_absurd_numbers() {
    let e = answers("steps:\n  wiring.ladder:\n    readings: [3.3, .inf]\n");
    starts(&e, "a.yaml:3:21: '.inf' is not a finite number");
    let e = answers("steps:\n  setup.pack:\n    fields: {cells: 1e308}\n");
    assert_eq!(
        e,
        "a.yaml:3:14: steps.setup.pack: '1e308' is no value for 'cells': it takes 1 to 32"
    );
    let e = answers("steps:\n  setup.pack:\n    fields: {capacity: \"NaN\"}\n");
    starts(
        &e,
        "a.yaml:3:14: steps.setup.pack: 'NaN' is no value for 'capacity': it takes 1 to 5000 Ah",
    );
    let e = answers("steps:\n  wiring.ladder:\n    readings: [3.3, \"1000.1\"]\n");
    starts(&e, "a.yaml:3:21: steps.wiring.ladder: reading 2 ('1000.1') is no measurement: give -1000 to 1000 V");
    // The edge itself and a wrong but possible entry load: the gates judge those.
    assert!(Answers::parse(
        "steps:\n  wiring.ladder:\n    readings: [\"1000\", \"-1000\"]\n  setup.pack:\n    fields: {cells: 40}\n",
        "a.yaml",
        &WizardSpec::builtin()
    )
    .is_ok());
}

#[test]
fn answers_missing_required_field() {
    let e = answers("description: nothing else\n");
    starts(&e, "a.yaml:1:1: missing field `steps`");
}

// --- scenario files -------------------------------------------------------------------------

const SCENARIO: &str = "\
description: x
pack:
  chemistry: lifepo4
  cells: 16
  capacity: 280
faults:
  - entering: config.control
    fault: {ambient: {celsius: 30}}
expect: pass
";

fn scenario(patch: (&str, &str)) -> (String, String) {
    assert!(SCENARIO.contains(patch.0));
    let text = SCENARIO.replacen(patch.0, patch.1, 1);
    let e = only(Scenario::parse(
        &text,
        "s.yaml",
        "s",
        &WizardSpec::builtin(),
    ));
    (text, e)
}

#[test]
fn scenario_loads_as_written() {
    Scenario::parse(SCENARIO, "s.yaml", "s", &WizardSpec::builtin()).unwrap();
}

#[test]
fn scenario_nan_ambient_is_refused() {
    let (_, e) = scenario(("  capacity: 280\n", "  capacity: 280\n  ambient: .nan\n"));
    starts(&e, "s.yaml:6:12: '.nan' is not a finite number");
    let (_, e) = scenario(("  capacity: 280\n", "  capacity: 280\n  ambient: 1e308\n"));
    starts(&e, "s.yaml:6:3: pack.ambient: 1e308 °C: give -40 to 90 °C");
    for edge in ["-40", "90"] {
        let text = SCENARIO.replacen(
            "  capacity: 280\n",
            &format!("  capacity: 280\n  ambient: {edge}\n"),
            1,
        );
        assert!(
            Scenario::parse(&text, "s.yaml", "s", &WizardSpec::builtin()).is_ok(),
            "{edge}"
        );
    }
    let (_, e) = scenario(("  capacity: 280\n", "  capacity: 280\n  ambient: 90.5\n"));
    assert!(e.contains("pack.ambient: 90.5 °C"), "{e}");
}

#[test]
fn scenario_absurd_capacity_and_fault_numbers() {
    let (_, e) = scenario(("  capacity: 280", "  capacity: 1e308"));
    assert_eq!(
        e,
        "s.yaml:5:3: pack.capacity: 1e308 Ah: give above 0 to 5000 Ah"
    );
    let (_, e) = scenario(("{celsius: 30}", "{celsius: 400}"));
    starts(&e, "s.yaml:8:5: faults[0].fault: 400 °C: give -40 to 90 °C");
    let (_, e) = scenario(("{ambient: {celsius: 30}}", "!drop_link {seconds: 1e308}"));
    starts(
        &e,
        "s.yaml:8:5: faults[0].fault: 1e308 s: give 0 to 86400 seconds",
    );
    let (_, e) = scenario((
        "{ambient: {celsius: 30}}",
        "{cell_voltage: {cell: 17, volts: 3.2}}",
    ));
    starts(
        &e,
        "s.yaml:8:5: faults[0].fault: there is no cell 17: the pack has cells 1 to 16",
    );
}

#[test]
fn scenario_duplicate_key() {
    let (_, e) = scenario(("  cells: 16\n", "  cells: 16\n  cells: 8\n"));
    starts(
        &e,
        "s.yaml:5:3: duplicate key 'cells' (first at line 4, column 3)",
    );
}

#[test]
fn scenario_unknown_step_and_missing_field() {
    let (_, e) = scenario(("entering: config.control", "entering: config.ctrl"));
    starts(
        &e,
        "s.yaml:7:5: faults[0].entering: the wizard has no step 'config.ctrl'",
    );
    let (_, e) = scenario(("  chemistry: lifepo4\n", ""));
    starts(&e, "s.yaml:2:1: pack: missing field `chemistry`");
}

/// A scenario folder with an answers file, and a secret beside the folder.
fn scenario_dir(answers_ref: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let inner = dir.path().join("scenarios");
    std::fs::create_dir(&inner).unwrap();
    std::fs::write(dir.path().join("secret.yaml"), "password: hunter2-SECRET\n").unwrap();
    std::fs::write(
        inner.join("a.yaml"),
        "steps:\n  setup.safety:\n    confirm: all\n",
    )
    .unwrap();
    let text = format!(
        "description: x\npack: {{chemistry: lto, cells: 12, capacity: 40}}\nexpect: pass\ntrainee:\n  answers: {answers_ref}\n"
    );
    let path = inner.join("s.yaml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn scenario_answers_must_lie_in_its_folder() {
    let (_dir, path) = scenario_dir("a.yaml");
    assert!(Scenario::load(&path, &WizardSpec::builtin())
        .unwrap()
        .base_answers
        .is_some());
    let secret = _dir.path().join("secret.yaml");
    for outside in ["../secret.yaml".to_string(), secret.display().to_string()] {
        let (_d, path) = scenario_dir(&outside);
        let e = Scenario::load(&path, &WizardSpec::builtin())
            .unwrap_err()
            .to_string();
        starts(
            &e,
            &format!(
                "{}:5:3: trainee.answers: '{outside}' is not in the scenario's folder",
                path.display()
            ),
        );
        assert!(!e.contains("hunter2"), "{e}");
    }
}

#[cfg(unix)]
#[test]
fn scenario_answers_symlinked_out_of_its_folder_is_refused() {
    let (dir, path) = scenario_dir("link.yaml");
    std::os::unix::fs::symlink(
        dir.path().join("secret.yaml"),
        dir.path().join("scenarios/link.yaml"),
    )
    .unwrap();
    let e = Scenario::load(&path, &WizardSpec::builtin())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("'link.yaml' is not in the scenario's folder"),
        "{e}"
    );
    assert!(!e.contains("hunter2"), "{e}");
}

#[test]
fn answers_and_scenario_invalid_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let answers = dir.path().join("a.yaml");
    std::fs::write(
        &answers,
        b"steps:\n  setup.pack:\n    fields: {operator: An\xe9}\n",
    )
    .unwrap();
    let e = Answers::load(&answers, &WizardSpec::builtin())
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "{}:3:26: not UTF-8 text: byte 46 cannot start a character",
            answers.display()
        )
    );
    let scenario = dir.path().join("s.yaml");
    std::fs::write(&scenario, b"description: \xff\n").unwrap();
    let e = Scenario::load(&scenario, &WizardSpec::builtin())
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "{}:1:14: not UTF-8 text: byte 13 cannot start a character",
            scenario.display()
        )
    );
}

#[test]
fn train_check_refuses_a_nan_ambient_instead_of_passing_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nan.yaml");
    let text = SCENARIO.replacen("  capacity: 280\n", "  capacity: 280\n  ambient: .nan\n", 1);
    std::fs::write(&path, text).unwrap();
    let out = crate::common::cmd()
        .args(["train", "--check"])
        .arg(&path)
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains(&format!(
            "{}:6:12: '.nan' is not a finite number",
            path.display()
        )),
        "{all}"
    );
    assert!(!all.contains("PASS"), "{all}");
}
