//! Fuzzing the loaders with proptest, briefly on every test run: real files with random
//! edits, and random YAML-ish text. No input may panic, and every refusal of a YAML file
//! carries a line and column inside the text.

use std::sync::OnceLock;

use jk_commission::log::journal::Journal;
use jk_commission::train::scenario::Scenario;
use jk_commission::wizard::answers::Answers;
use jk_commission::wizard::engine::Event;
use jk_commission::wizard::spec::{WizardSpec, BUILTIN_YAML};
use jk_commission::yaml::Errors;
use proptest::prelude::*;

const ANSWERS: &str = include_str!("../../examples/answers/clean-lifepo4-16s.yaml");
const SCENARIO: &str = include_str!("../../scenarios/clean-lifepo4-16s.yaml");
const SCENARIO_FAULTS: &str =
    include_str!("../../scenarios/alarm-error-4-mosfet-over-temperature.yaml");

fn spec() -> &'static WizardSpec {
    static SPEC: OnceLock<WizardSpec> = OnceLock::new();
    SPEC.get_or_init(WizardSpec::builtin)
}

/// Pieces that matter to a YAML parser, and values that matter to our checks.
const PIECES: &[&str] = &[
    ":",
    ": ",
    "-",
    "- ",
    " ",
    "  ",
    "\n",
    "\n  ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "'",
    "\"",
    "!",
    "&a",
    "*a",
    "#",
    "|",
    ">",
    "?",
    "---",
    "...",
    ".nan",
    ".inf",
    "-.inf",
    "1e308",
    "-1e308",
    "0",
    "-1",
    "4294967296",
    "18446744073709551616",
    "\t",
    "\u{0}",
    "\u{1b}[8m",
    "é",
    "x",
    "steps",
    "fields",
    "confirm: all",
    "cells",
    "readings",
    "\u{feff}",
    "~",
    "null",
];

/// An edit at a place given as a fraction of the text.
#[derive(Debug, Clone)]
enum Edit {
    Insert(f64, usize),
    Delete(f64, usize),
    Replace(f64, usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let at = 0.0..1.0f64;
    let piece = 0..PIECES.len();
    prop_oneof![
        (at.clone(), piece.clone()).prop_map(|(a, p)| Edit::Insert(a, p)),
        (at.clone(), 1..40usize).prop_map(|(a, n)| Edit::Delete(a, n)),
        (at, 1..8usize, piece).prop_map(|(a, n, p)| Edit::Replace(a, n, p)),
    ]
}

/// The char boundary nearest below `fraction` of the text.
fn place(text: &str, fraction: f64) -> usize {
    let mut at = (text.len() as f64 * fraction) as usize;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut text = text.to_string();
    for e in edits {
        match *e {
            Edit::Insert(a, p) => {
                let at = place(&text, a);
                text.insert_str(at, PIECES[p]);
            }
            Edit::Delete(a, n) | Edit::Replace(a, n, _) => {
                let at = place(&text, a);
                let end = place(&text, ((at + n) as f64 / text.len().max(1) as f64).min(1.0));
                let end = end.max(at);
                let with = match *e {
                    Edit::Replace(_, _, p) => PIECES[p],
                    _ => "",
                };
                text.replace_range(at..end, with);
            }
        }
    }
    text
}

/// Every error placed inside the text.
fn placed(text: &str, errors: &Errors) -> Result<(), TestCaseError> {
    let lines = text.split('\n').count();
    for e in &errors.0 {
        let (Some(line), Some(column)) = (e.line, e.column) else {
            return Err(TestCaseError::fail(format!("no position: {e}")));
        };
        prop_assert!(line >= 1 && line <= lines, "line {line} of {lines}: {e}");
        prop_assert!(column >= 1, "{e}");
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

/// Random text built from the pieces.
fn yamlish() -> impl Strategy<Value = String> {
    prop::collection::vec(0..PIECES.len(), 0..80)
        .prop_map(|ps| ps.into_iter().map(|p| PIECES[p]).collect())
}

proptest! {
    // 48 cases a run keeps it brief; PROPTEST_CASES=5000 for a long hunt.
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_wizard_loader_never_panics(edits in prop::collection::vec(edit(), 1..6)) {
        let text = apply(BUILTIN_YAML, &edits);
        if let Err(e) = WizardSpec::from_str(&text, "w.yaml") {
            placed(&text, &e)?;
        }
    }

    #[test]
    fn the_answers_loader_never_panics(
        edits in prop::collection::vec(edit(), 1..6),
        noise in yamlish(),
    ) {
        for text in [apply(ANSWERS, &edits), noise] {
            if let Err(e) = Answers::parse(&text, "a.yaml", spec()) {
                placed(&text, &e)?;
            }
        }
    }

    #[test]
    fn the_scenario_loader_never_panics(
        edits in prop::collection::vec(edit(), 1..6),
        noise in yamlish(),
    ) {
        for text in [apply(SCENARIO, &edits), apply(SCENARIO_FAULTS, &edits), noise] {
            if let Err(e) = Scenario::parse(&text, "s.yaml", "s", spec()) {
                placed(&text, &e)?;
            }
        }
    }

    #[test]
    fn the_journal_reader_never_panics(
        lines in prop::collection::vec(prop_oneof![
            Just(r#"{"Start":{}}"#.to_string()),
            "[ -~]{0,60}",
            yamlish(),
        ], 0..6),
        torn in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut text = lines.join("\n");
        if !torn {
            text.push('\n');
        }
        std::fs::write(&path, text).unwrap();
        // Either outcome is fine; a panic is not.
        let _ = Journal::<Event>::open(&path);
    }
}
