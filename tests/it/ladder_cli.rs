//! `jk-commission ladder` through the binary: exit codes, JSON and the refusals of bad input.

use std::process::Output;

use serde_json::Value;

fn ladder(args: &[&str]) -> Output {
    crate::common::cmd()
        .arg("ladder")
        .args(args)
        .output()
        .expect("the binary runs")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited with a code")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// LiFePO4 cells as a pack really sits: a few hundredths apart.
const CELLS: [f64; 16] = [
    3.29, 3.31, 3.30, 3.32, 3.28, 3.30, 3.31, 3.29, 3.30, 3.33, 3.29, 3.30, 3.31, 3.28, 3.30, 3.32,
];

/// The readings from pin 1 with lead k on node `map(k)`, two decimals, with `sep` as the
/// decimal separator.
fn readings(map: impl Fn(usize) -> usize, sep: &str) -> Vec<String> {
    let mut nodes = vec![0.0];
    for c in CELLS {
        nodes.push(nodes.last().unwrap() + c);
    }
    (1..=CELLS.len())
        .map(|k| format!("{:.2}", nodes[map(k)]).replace('.', sep))
        .collect()
}

fn pack() -> String {
    format!("{:.2}", CELLS.iter().sum::<f64>())
}

fn run(extra: &[&str], readings: &[String]) -> Output {
    let pack = pack();
    let mut args = vec![
        "--chemistry",
        "lifepo4",
        "--cells",
        "16",
        "--pack-voltage",
        &pack,
    ];
    args.extend_from_slice(extra);
    args.extend(readings.iter().map(String::as_str));
    ladder(&args)
}

#[test]
fn right_wiring_exits_zero_with_a_table() {
    let out = run(&[], &readings(|k| k, "."));
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Wiring right"), "{text}");
    assert!(text.contains("plug 2 pin 8"), "{text}");
}

#[test]
fn a_skipped_tap_exits_one_and_names_the_cell_in_json() {
    // Cell 5's plus skipped: leads 5..15 one cell up, lead 16 on pack plus with lead 15.
    let shifted = readings(|k| if (5..16).contains(&k) { k + 1 } else { k }, ".");
    let out = run(&["--json"], &shifted);
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    let json: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(json["ok"], false);
    let faults = json["faults"].as_array().unwrap();
    assert_eq!(faults.len(), 1, "{faults:?}");
    assert_eq!(faults[0]["kind"], "skipped_tap");
    assert_eq!(faults[0]["cell"], 5);
    assert_eq!(json["rows"].as_array().unwrap().len(), 16);
    assert_eq!(json["rows"][4]["verdict"], "fault");
    assert_eq!(json["rows"][3]["verdict"], "ok");
}

#[test]
fn right_wiring_in_json_has_no_faults() {
    let out = run(&["--json"], &readings(|k| k, "."));
    assert_eq!(code(&out), 0);
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["ok"], true);
    assert_eq!(json["faults"].as_array().unwrap().len(), 0);
    assert_eq!(json["rows"][8]["pin"]["plug"], 2);
    assert_eq!(json["rows"][8]["pin"]["pin"], 1);
}

#[test]
fn comma_decimals_are_readings_too() {
    let pack = pack().replace('.', ",");
    let commas = readings(|k| k, ",");
    let mut args = vec![
        "--chemistry",
        "LiFePO4",
        "--cells",
        "16",
        "--pack-voltage",
        &pack,
    ];
    args.extend(commas.iter().map(String::as_str));
    let out = ladder(&args);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
}

#[test]
fn negative_readings_are_values_not_flags() {
    let reversed: Vec<String> = readings(|k| k, ",")
        .into_iter()
        .map(|r| format!("-{r}"))
        .collect();
    let out = run(&["--json"], &reversed);
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["faults"][0]["kind"], "crossed_leads");
}

#[test]
fn a_short_pack_needs_the_last_pin_on_pack_plus() {
    let thirteen: Vec<String> = readings(|k| k, ".").into_iter().take(13).collect();
    let pack13 = format!("{:.2}", CELLS[..13].iter().sum::<f64>());
    let base = [
        "--chemistry",
        "lifepo4",
        "--cells",
        "13",
        "--model",
        "pb2a16s20p",
        "--pack-voltage",
        &pack13,
        "--json",
    ];
    let with = |extra: &[&str]| {
        let mut args: Vec<&str> = base.to_vec();
        args.extend_from_slice(extra);
        args.extend(thirteen.iter().map(String::as_str));
        ladder(&args)
    };
    let out = with(&["--last-pin", "0,01"]);
    assert_eq!(code(&out), 1);
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["faults"][0]["kind"], "last_pin_not_pack_plus");
    let out = with(&["--last-pin", &pack13, "--unused", "15=0,02"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let out = with(&["--last-pin", &pack13, "--unused", "16=26,4"]);
    assert_eq!(code(&out), 1);
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["faults"][0]["kind"], "unused_pin_live");
    // Wire 14 carries cell 13's plus: it is not an unused wire.
    let out = with(&["--last-pin", &pack13, "--unused", "14=0"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("unused wires are 15–16"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_reading_that_is_not_a_number_exits_two_naming_it() {
    let mut bad = readings(|k| k, ".");
    bad[2] = "9.9.1".into();
    let out = run(&[], &bad);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("reading 3"), "{err}");
    assert!(err.contains("3.65 or 3,65"), "{err}");
    assert!(stdout(&out).is_empty());
}

#[test]
fn the_wrong_count_of_readings_says_how_many_are_expected() {
    let fifteen: Vec<String> = readings(|k| k, ".").into_iter().take(15).collect();
    let out = run(&[], &fifteen);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("16 cells need 16 readings"), "{err}");
    assert!(err.contains("got 15"), "{err}");
}

#[test]
fn an_unknown_chemistry_or_model_exits_two() {
    let r = readings(|k| k, ".");
    let mut args = vec![
        "--chemistry",
        "lead-acid",
        "--cells",
        "16",
        "--pack-voltage",
        "52.9",
    ];
    args.extend(r.iter().map(String::as_str));
    let out = ladder(&args);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("unknown chemistry 'lead-acid'"),
        "{}",
        stderr(&out)
    );
    let out = run(&["--model", "b2a8s20p"], &r);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("takes 3–8 cells, not 16"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_option_after_the_readings_is_refused_with_the_reason() {
    let pack = pack();
    let r = readings(|k| k, ".");
    let mut args = vec![
        "--chemistry",
        "lifepo4",
        "--cells",
        "16",
        "--pack-voltage",
        &pack,
    ];
    args.extend(r.iter().map(String::as_str));
    args.push("--json");
    let out = ladder(&args);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("put options before the readings"),
        "{}",
        stderr(&out)
    );
}

/// Issue 15: a Polish reader of `ladder --lang pl` on a miswired pack gets the table, the
/// verdict and the diagnosis in Polish, with decimal commas; the codes stay as they are.
#[test]
fn a_miswired_pack_is_explained_in_polish() {
    // Cell 5's tap skipped: leads 5..15 each one cell high.
    let shifted = readings(|k| if (5..16).contains(&k) { k + 1 } else { k }, ",");
    let out = run(&["--lang", "pl"], &shifted);
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    for polish in [
        "ogniw: 16",
        "wtyczka 1, pin 6",
        "Okablowanie BŁĘDNE",
        "pominięto plus ogniwa 5",
        "przesuń przewody 5–15 o jedno ogniwo w dół",
        "BŁĄD",
    ] {
        assert!(text.contains(polish), "{polish:?} not in:\n{text}");
    }
    // Numbers the Polish way, the app's own words untouched.
    assert!(text.contains("6,60 V"), "{text}");
    assert!(!text.contains("6.60 V"), "{text}");
    assert!(text.contains("skipped_tap"), "{text}");
    for english in ["Wiring", " was skipped", "plug ", " reads ", "cells on"] {
        assert!(
            !text.contains(english),
            "{english:?} left in English:\n{text}"
        );
    }
    // The environment picks the language too, and --lang wins over it.
    let env_pl = crate::common::cmd()
        .arg("ladder")
        .args([
            "--chemistry",
            "lifepo4",
            "--cells",
            "16",
            "--pack-voltage",
            &pack(),
        ])
        .args(&shifted)
        .env("LC_ALL", "")
        .env("LC_MESSAGES", "pl_PL.UTF-8")
        .env("LANG", "en_US.UTF-8")
        .output()
        .unwrap();
    assert!(
        stdout(&env_pl).contains("Okablowanie BŁĘDNE"),
        "{}",
        stdout(&env_pl)
    );
    let flag_wins = crate::common::cmd()
        .arg("ladder")
        .args(["--lang", "en", "--chemistry", "lifepo4", "--cells", "16"])
        .args(["--pack-voltage", &pack()])
        .args(&shifted)
        .env("LC_ALL", "pl_PL.UTF-8")
        .output()
        .unwrap();
    assert!(
        stdout(&flag_wins).contains("Wiring WRONG"),
        "{}",
        stdout(&flag_wins)
    );
}

#[test]
fn the_json_diagnosis_follows_the_language_and_keeps_its_code_and_arguments() {
    let shifted = readings(|k| if (5..16).contains(&k) { k + 1 } else { k }, ".");
    let out = run(&["--json", "--lang", "pl"], &shifted);
    let json: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let fault = &json["faults"][0];
    assert_eq!(fault["kind"], "skipped_tap");
    assert!(
        fault["detail"]
            .as_str()
            .unwrap()
            .contains("pominięto plus ogniwa 5"),
        "{fault}"
    );
    assert_eq!(fault["say"]["key"], "ladder.skipped_tap");
    assert_eq!(fault["say"]["args"]["j"]["value"], 5);
}
