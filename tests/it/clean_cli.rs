//! Untrusted text reaches the terminal cleaned: an operator's name, an answers file's entry
//! and a scenario's texts carrying escape sequences show as visible stand-ins (`␛[8m`) in
//! `verify`, `run` and `train --check`, and never as raw control characters.

use std::path::{Path, PathBuf};
use std::process::Output;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// No byte a terminal acts on: C0 controls other than the line break, DEL, and the C1 range.
fn assert_inert(what: &str, out: &str) {
    let bad: Vec<char> = out
        .chars()
        .filter(|&c| (c.is_control() && c != '\n') || ('\u{80}'..='\u{9f}').contains(&c))
        .collect();
    assert!(
        bad.is_empty(),
        "{what} carries raw controls {bad:?}:\n{out}"
    );
}

/// The example answers with `edit` applied, written beside `dir`.
fn answers_with(dir: &Path, edit: impl Fn(String) -> String) -> PathBuf {
    let clean = std::fs::read_to_string(repo("examples/answers/clean-lifepo4-16s.yaml")).unwrap();
    let edited = edit(clean.clone());
    assert_ne!(edited, clean, "the edit changed nothing");
    let path = dir.join("answers.yaml");
    std::fs::write(&path, edited).unwrap();
    path
}

fn run(answers: &Path, out: &Path, key: Option<&Path>) -> Output {
    let mut cmd = crate::common::cmd();
    cmd.args(["run", "--sim", "--answers"])
        .arg(answers)
        .arg("--out")
        .arg(out)
        .env("NO_COLOR", "1");
    if let Some(key) = key {
        cmd.arg("--key").arg(key);
    }
    cmd.output().unwrap()
}

#[test]
fn an_escape_in_the_operators_name_cannot_hide_simulated_bms_in_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("operator");
    let made = crate::common::cmd()
        .args(["keygen", "--file"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", text(&made.stderr));
    // YAML's "\e" is ESC: ESC[8m conceals everything after it on a terminal.
    let answers = answers_with(tmp.path(), |a| {
        a.replace("      name: Anna Nowak", "      name: \"Anna\\e[8m Nowak\"")
    });
    let session = tmp.path().join("session");
    let out = run(&answers, &session, Some(&key));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let log = std::fs::read_to_string(session.join("log.yaml")).unwrap();
    assert!(log.contains("simulated: true"), "{log}");
    let verify = crate::common::cmd()
        .arg("verify")
        .arg(session.join("log.yaml"))
        .output()
        .unwrap();
    let shown = text(&verify.stdout);
    assert_inert("verify's output", &shown);
    assert_inert("verify's errors", &text(&verify.stderr));
    assert!(shown.contains("by Anna␛[8m Nowak"), "{shown}");
    assert!(shown.contains("SIMULATED BMS"), "{shown}");
}

#[test]
fn run_prints_an_answers_entry_cleaned() {
    let tmp = tempfile::tempdir().unwrap();
    let answers = answers_with(tmp.path(), |a| {
        a.replace(
            "      lowest_cell: \"3,297\"",
            "      lowest_cell: \"3\\e[2J\\e]0;owned\\a\"",
        )
    });
    let out = run(&answers, &tmp.path().join("session"), None);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_inert("run's output", &stdout);
    assert_inert("run's errors", &stderr);
    assert!(stderr.contains("3␛[2J␛]0;owned␇"), "{stderr}");
}

#[test]
fn train_check_prints_the_scenarios_texts_cleaned() {
    let tmp = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(repo("scenarios/config-cell-count.yaml")).unwrap();
    let hostile = original
        .replace(
            "description: \"Cell Count does not match the cells in series\"",
            "description: \"Cell Count\\e]0;owned\\a does not match\\u202e\"",
        )
        .replace(
            "fault: \"Cell Count 15 on a 16-cell pack\"",
            "fault: \"Cell Count 15\\e[8m on a 16-cell pack\"",
        );
    assert_ne!(hostile, original);
    let path = tmp.path().join("hostile.yaml");
    std::fs::write(&path, hostile).unwrap();
    let out = crate::common::cmd()
        .args(["train", "--check"])
        .arg(&path)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_inert("train's output", &stdout);
    assert_inert("train's errors", &stderr);
    assert!(
        stdout.contains("Cell Count␛]0;owned␇ does not match\\u{202e}"),
        "{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("Cell Count 15␛[8m on a 16-cell pack"),
        "{stdout}"
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
}
