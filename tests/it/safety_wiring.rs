//! The wiring-side safety gates through the real binary: each unsafe answers file
//! (examples/answers/refuse-*.yaml) stops `run --sim` at the step that must catch it, with a
//! reason that names what was wrong.

use std::path::Path;
use std::process::Output;

use crate::common::{cmd, example, text, tmp};

fn run(answers: &Path, out: &Path) -> Output {
    cmd()
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
    let tmp = tmp();
    let out = run(&example(file), tmp.path());
    let err = text(&out.stderr);
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

#[test]
fn negative_ladder_readings_are_taken_and_blamed_on_the_probes_or_a_reversed_harness() {
    refused(
        "refuse-ladder-reversed.yaml",
        "wiring.ladder",
        "ladder",
        &[
            "every reading is below 0 V",
            "the meter's probes are swapped",
            "the harness is reversed",
            "a reversed harness must never be plugged into the BMS",
        ],
    );
}

#[test]
fn the_plug_split_is_shown_as_our_assumption_following_the_model() {
    let readings: Vec<String> = (1..=16).map(|k| format!("{:.2}", 3.3 * k as f64)).collect();
    let ladder = |model: &str| {
        let out = cmd()
            .args(["ladder", "--chemistry", "lifepo4", "--cells", "16"])
            .args([
                "--pack-voltage",
                "52.80",
                "--last-pin",
                "52.80",
                "--model",
                model,
            ])
            .args(&readings)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        text(&out.stdout)
    };
    let out = ladder("b2a24s20p");
    assert!(
        out.contains("over the two plugs (13 + 12, plug 1 with the black wire first) is this tool's assumption"),
        "{out}"
    );
    let out = ladder("pb2a16s20p");
    assert!(out.contains("(9 + 8,"), "{out}");
}

#[test]
fn the_manuals_safety_notes_are_warned_at_the_moment_they_matter() {
    use jk_commission::wizard::spec::WizardSpec;
    let spec = WizardSpec::builtin();
    // (step, words one of its English warnings must hold) — arcs when disconnecting under
    // load, never short B-/P- or the taps, stop using a unit after a short, liquid or heat.
    for (step, words) in [
        (
            "wiring.b_minus",
            &["touch P- or any cell tap", "shorted, gets wet or overheats"][..],
        ),
        (
            "wiring.p_minus",
            &["Never bridge P- and B-", "draws an arc"][..],
        ),
        ("wiring.activate", &["while current flows draws an arc"][..]),
        (
            "protection.test",
            &[
                "while current flows draws an arc",
                "Never short the output",
                "until service",
            ][..],
        ),
    ] {
        let warnings = &spec.step(step).unwrap().warnings;
        for word in words {
            assert!(
                warnings.iter().any(|w| w["en"].contains(word)),
                "{step}: no warning says {word:?}"
            );
        }
        for w in warnings {
            assert!(
                w.get("pl").is_some_and(|t| !t.is_empty() && *t != w["en"]),
                "{step}"
            );
        }
    }
}

#[test]
fn an_ovp_above_the_chemistry_maximum_is_refused_at_the_battery_type_step() {
    refused(
        "refuse-ovp-above-chemistry.yaml",
        "config.battery_type",
        "ovp_matches_chemistry",
        &[
            "OVP 3.70 V is outside 3.45–3.65 V",
            "charged to 3.65 V at most",
        ],
    );
}

#[test]
fn a_dark_output_on_lto_cells_names_the_units_uvp_and_the_battery_type_step() {
    let after = refused(
        "refuse-lto-output-dark.yaml",
        "wiring.output",
        "output_voltage",
        &[
            "sits above these cells (2.30 V each)",
            "choose the battery type LTO",
            "config.battery_type",
        ],
    );
    assert!(!after.contains("the BMS is not activated"), "{after}");
}
