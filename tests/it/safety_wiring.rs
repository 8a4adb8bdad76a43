//! The wiring-side safety gates through the real binary: each unsafe answers file
//! (examples/answers/refuse-*.yaml) stops `run --sim` at the step that must catch it, with a
//! reason that names what was wrong.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_jk-commission");

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/answers")
        .join(name)
}

fn run(answers: &Path, out: &Path) -> Output {
    Command::new(BIN)
        .args(["run", "--sim", "--answers"])
        .arg(answers)
        .arg("--out")
        .arg(out)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

/// Runs `file` and asserts it is refused at `step` by `gate`, with every one of `reasons` in
/// the lines after the gate; returns those lines.
fn refused(file: &str, step: &str, gate: &str, reasons: &[&str]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(&example(file), tmp.path());
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{file}: {err}");
    assert!(
        err.contains(&format!("refused at step {step} ")),
        "{file}: {err}"
    );
    let after: String = err
        .lines()
        .skip_while(|l| !l.contains(&format!("gate {gate} ")))
        .collect::<Vec<_>>()
        .join("\n");
    for reason in reasons {
        assert!(after.contains(reason), "{file}: no '{reason}' in {err}");
    }
    assert!(
        !tmp.path().join("log.yaml").exists(),
        "{file}: no log for a refused run"
    );
    after
}

#[test]
fn activation_without_a_method_is_refused() {
    refused(
        "refuse-activation-no-method.yaml",
        "wiring.activate",
        "charger_voltage",
        &["no activation method is chosen"],
    );
}

#[test]
fn a_charger_above_the_units_rating_is_refused_naming_both_voltages() {
    refused(
        "refuse-charger-above-rating.yaml",
        "wiring.activate",
        "charger_voltage",
        &[
            "the charger gives 150.00 V",
            "above the 100.00 V",
            "57.80 V to 100.00 V",
        ],
    );
}

#[test]
fn too_few_cells_for_the_unit_are_refused_at_set_up() {
    refused(
        "refuse-cells-below-model.yaml",
        "setup.pack",
        "fields_valid",
        &["takes at least 7 cells (7–24), but the pack has 2"],
    );
}
