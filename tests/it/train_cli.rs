//! `train --check` and `--sim FILE` from the command line: exit 0 when the staged fault is
//! caught where the scenario says, 1 with what happened when not, 2 with file:line:column and
//! the field when the scenario file is wrong. The scenarios here stop at the multimeter
//! ladder, before any live data, so they run in real time in a moment.

use std::path::Path;

use crate::common::{jk, write};

const SKIPPED: &str = "\
description: a skipped tap
pack:
  chemistry: lifepo4
  cells: 16
  capacity: 280
wiring:
  - skipped_tap: {cell: 4}
expect:
  catch:
    - step: STEP
      gate: GATE
      reason_contains: skipped_tap
";

#[test]
fn a_caught_fault_exits_0_and_says_where() {
    let dir = crate::common::tmp();
    let file = write(
        dir.path(),
        "skipped.yaml",
        &SKIPPED
            .replace("STEP", "wiring.ladder")
            .replace("GATE", "ladder"),
    );
    let out = jk(&["train", "--check", &file]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("caught: skipped_tap (wiring.ladder) — at wiring.ladder / ladder: cell 4's plus was skipped"), "{stdout}");
    assert!(
        stdout.contains("the run stopped refused at wiring.ladder"),
        "{stdout}"
    );
    assert!(stdout.contains("PASS"), "{stdout}");
}

#[test]
fn a_fault_caught_elsewhere_exits_1_with_what_happened() {
    let dir = crate::common::tmp();
    let file = write(
        dir.path(),
        "wrong.yaml",
        &SKIPPED
            .replace("STEP", "config.status")
            .replace("GATE", "cells_visible"),
    );
    let out = jk(&["train", "--check", &file, "--real-time"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("MISSED: skipped_tap (config.status)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("the session did not get to check step config.status"),
        "{stdout}"
    );
    assert!(
        stdout.contains("the run stopped at step wiring.ladder, which no staged fault explains"),
        "{stdout}"
    );
    assert!(stdout.contains("FAIL"), "{stdout}");
}

#[test]
fn a_mistake_in_the_file_exits_2_with_its_place() {
    let dir = crate::common::tmp();
    let file = write(
        dir.path(),
        "bad.yaml",
        &SKIPPED
            .replace("STEP", "wiring.ladder")
            .replace("GATE", "ladder")
            .replace("skipped_tap: {cell: 4}", "skipped_tap: {cell: 40}"),
    );
    let out = jk(&["train", "--check", &file]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{file}:7:5: wiring[0]: cell 40: a skipped tap is on cells 1 to 15"
        )),
        "{stderr}"
    );
    let typo = write(
        dir.path(),
        "typo.yaml",
        &SKIPPED.replace("  capacity: 280", "  capacty: 280"),
    );
    let out = jk(&["train", "--check", &typo]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{typo}:5:3: pack.capacty: unknown field `capacty`"
        )),
        "{stderr}"
    );
    // The same file given to the wizard's `--sim` on `run`.
    let answers =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/answers/clean-lifepo4-16s.yaml");
    let out = jk(&[
        "run",
        "--sim",
        &typo,
        "--answers",
        &answers.display().to_string(),
        "--out",
        &dir.path().join("s").display().to_string(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{typo}:5:3: pack.capacty")),
        "{stderr}"
    );
}

#[test]
fn the_trainer_picks_from_the_built_in_list() {
    use std::io::Write;
    let mut child = crate::common::cmd()
        .arg("train")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"99\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("for the trainer's eyes only"), "{stdout}");
    assert!(stdout.contains("wiring-open-tap"), "{stdout}");
    assert!(stdout.contains("A balance lead is open"), "{stdout}");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("99 is not on the list"));
}

/// The trainer's list and its refusals in every language but English: the list's own lines
/// (ids, descriptions) as they are, the words around them not English.
#[test]
fn the_trainers_list_speaks_the_chosen_language() {
    use std::io::Write;
    let pick = |lang: &str, typed: &[u8]| {
        let mut child = crate::common::cmd()
            .args(["train", "--lang", lang])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(typed).unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{lang}");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (stdout, stderr)
    };
    let (en_list, en_99) = pick("en", b"99\n");
    let (_, en_x) = pick("en", b"x7\n");
    assert!(
        en_x.contains("'x7' is not a number from the list"),
        "{en_x}"
    );
    for lang in ["pl", "de", "cs", "sk", "da", "hu"] {
        let (list, not_listed) = pick(lang, b"99\n");
        let (_, not_a_number) = pick(lang, b"x7\n");
        // The heading and the question are the first and last lines around the scenarios.
        let first = list.lines().next().unwrap();
        assert_ne!(first, en_list.lines().next().unwrap(), "{lang}: {list}");
        assert!(!list.contains("Stage which one"), "{lang}: {list}");
        assert!(
            list.contains("wiring-open-tap") && list.contains('?'),
            "{lang}"
        );
        assert!(not_listed.contains("99") && not_listed != en_99, "{lang}");
        assert!(
            !not_listed.contains("is not on the list"),
            "{lang}: {not_listed}"
        );
        assert!(
            not_a_number.contains("x7") && !not_a_number.contains("is not a number"),
            "{lang}: {not_a_number}"
        );
    }
}

#[test]
fn run_on_a_training_scenario_writes_a_log_marked_training() {
    // Real time (the simulator's bench speed makes the protection test take seconds).
    let dir = crate::common::tmp();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = jk(&[
        "run",
        "--sim",
        &root
            .join("scenarios/clean-lifepo4-16s.yaml")
            .display()
            .to_string(),
        "--answers",
        &root
            .join("examples/answers/clean-lifepo4-16s.yaml")
            .display()
            .to_string(),
        "--out",
        &dir.path().display().to_string(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let log = std::fs::read_to_string(dir.path().join("log.yaml")).unwrap();
    assert!(
        log.contains("training:\n  scenario: clean-lifepo4-16s\n"),
        "{log}"
    );
    assert!(log.contains("result: caught_all"), "{log}");
}

#[test]
fn every_shipped_scenario_passes_train_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    let mut args = vec!["train", "--check"];
    args.extend(files.iter().map(String::as_str));
    let out = jk(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.matches("\nPASS").count() + usize::from(stdout.starts_with("PASS")),
        files.len(),
        "{stdout}"
    );
}
