//! The subcommands' own words follow the language (issue 15): `run` refuses in Polish, with
//! the gate's reason in Polish and numbers the Polish way.

use crate::common::{cmd, example, text, tmp};

#[test]
fn run_refuses_in_polish_with_decimal_commas() {
    let dir = tmp();
    let out = cmd()
        .args(["run", "--sim", "--lang", "pl", "--answers"])
        .arg(example("refuse-uvp-too-low.yaml"))
        .arg("--out")
        .arg(dir.path().join("s"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    for polish in [
        "odmowa w kroku config.advanced",
        "warunek uvp_matches_chemistry [bezpieczeństwo]",
        "Cell UVP 2,00 V jest poniżej zakresu 2,50–3,00 V",
    ] {
        assert!(err.contains(polish), "{polish:?} not in:\n{err}");
    }
    for english in ["refused at step", "gate uvp", " is below ", "2.00 V"] {
        assert!(
            !err.contains(english),
            "{english:?} left in English:\n{err}"
        );
    }
    // The journal keeps the code and the typed arguments, never a sentence.
    let log = std::fs::read_to_string(dir.path().join("s/journal.jsonl")).unwrap();
    assert!(log.contains(r#""code":"uvp_too_low""#), "{log}");
    assert!(log.contains(r#""key":"uvp_too_low""#), "{log}");
}

#[test]
fn train_check_reports_in_polish() {
    let scenario =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/config-cell-count.yaml");
    let out = cmd()
        .args(["train", "--lang", "pl", "--check"])
        .arg(&scenario)
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    for polish in [
        "scenariusz config-cell-count",
        "  wykryto: ",
        "ZALICZONE: każdy przygotowany błąd",
    ] {
        assert!(stdout.contains(polish), "{polish:?} not in:\n{stdout}");
    }
    for english in ["caught:", "PASS", "scenario "] {
        assert!(
            !stdout.contains(english),
            "{english:?} left in English:\n{stdout}"
        );
    }
}

// --- every language: verify, train --check, scan, entry refusals (issue 15) ---

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use jk_commission::cmd::train::{check_scenario, CheckOptions};
use jk_commission::log::record::CommissioningLog;
use jk_commission::log::sign::{generate_key, load_signing_key};
use jk_commission::train::scenario::Scenario;
use jk_commission::wizard::spec::WizardSpec;

/// The manual's languages.
const LANGS: [&str; 7] = ["en", "pl", "de", "cs", "sk", "da", "hu"];

/// The lines of `words` that are lines of the English output too (blank lines aside): what
/// was left in English.
fn english_lines<'a>(words: &'a str, english: &str) -> Vec<&'a str> {
    let en: BTreeSet<&str> = english
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    words.lines().filter(|l| en.contains(l.trim())).collect()
}

/// Words with every placeholder filled: no `{name}` left.
fn filled(what: &str, lang: &str, words: &str) {
    assert!(
        !words.contains("{") && !words.trim().is_empty(),
        "{what} in {lang}:\n{words}"
    );
}

/// A training scenario whose trainee overrides one staged fault and catches the other.
const OVERRIDDEN: &str = r#"
description: "Balance switch off, overridden; an alarm caught"
pack: {chemistry: lifepo4, cells: 16, capacity: 280}
bms:
  settings: matched
  changes:
    - switch: {switch: balance, on: false}
faults:
  - entering: config.control
    fault: {raise_alarm: {alarm: mos_over_temperature}}
trainee:
  steps:
    config.control:
      overrides:
        - {gate: switches_on, reason: "balancing can wait", role: trainee, by: Careful Trainee}
    signoff:
      confirm: all
      overrides:
        - {gate: settings_switches, reason: "balancing can wait", role: trainee, by: Careful Trainee}
      sign: {name: Careful Trainee, role: trainee}
  after_refusal:
    config.control:
      repair:
        faults:
          - clear_alarm: {alarm: mos_over_temperature}
expect:
  catch:
    - {step: config.control, gate: switches_on, reason_contains: switch_off, fault: "Balance switch off"}
    - {step: config.control, gate: no_alarm, reason_contains: "error 4", fault: "MOSFET over-temperature"}
"#;

/// A signed training session in Polish in `dir`, its keys trusted by `keys/allowed_signers`.
fn polish_training_session(dir: &Path, keys: &Path) -> std::path::PathBuf {
    let spec = WizardSpec::builtin();
    let scenario = Scenario::parse(OVERRIDDEN, "t.yaml", "overridden", &spec).unwrap();
    let trainee = generate_key(&keys.join("trainee"), "trainee@example").unwrap();
    let trainer = generate_key(&keys.join("trainer"), "trainer@example").unwrap();
    std::fs::write(
        keys.join("allowed_signers"),
        format!(
            "{}\n{}\n",
            trainee.allowed_signers_line("trainee"),
            trainer.allowed_signers_line("trainer")
        ),
    )
    .unwrap();
    let key = load_signing_key(&keys.join("trainee")).unwrap();
    let trainer = load_signing_key(&keys.join("trainer")).unwrap();
    crate::common::paused()
        .block_on(check_scenario(
            &spec,
            &scenario,
            dir,
            CheckOptions {
                lang: "pl",
                live_timeout: Duration::from_secs(30),
                key: Some(&key),
                trainer_key: Some(&trainer),
            },
        ))
        .unwrap();
    keys.join("allowed_signers")
}

/// `verify` in `lang` (None: from `LANG` alone), with no workshop file of the machine's own.
fn verify(log: &Path, allowed: Option<&Path>, lang: Option<&str>, env_lang: &str) -> Output {
    let config = tmp();
    let mut c = cmd();
    c.arg("verify").arg(log);
    if let Some(a) = allowed {
        c.arg("--allowed-signers").arg(a);
    }
    if let Some(l) = lang {
        c.args(["--lang", l]);
    }
    c.env("XDG_CONFIG_HOME", config.path())
        .env("HOME", config.path())
        .env("LANG", env_lang)
        .output()
        .unwrap()
}

#[test]
fn a_training_log_keeps_codes_and_polish_words_and_verify_speaks_every_language() {
    let dir = tmp();
    let keys = tmp();
    let allowed = polish_training_session(dir.path(), keys.path());
    let log_path = dir.path().join("log.yaml");

    // The log's training section: the code, the sentence and its values, and the Polish words.
    let text_of_log = std::fs::read_to_string(&log_path).unwrap();
    let log: CommissioningLog = serde_yaml::from_str(&text_of_log).unwrap();
    let t = log.training.expect("a training log");
    let missed = &t.faults[0];
    assert_eq!(missed.result, "missed");
    assert_eq!(missed.code.as_deref(), Some("overridden"));
    assert_eq!(missed.key.as_deref(), Some("train.overridden"));
    assert!(missed.args.contains_key("by") && missed.args.contains_key("gate"));
    assert!(
        missed.detail.contains("Careful Trainee") && missed.detail.contains("obejście warunku"),
        "{}",
        missed.detail
    );
    let caught = &t.faults[1];
    assert_eq!(caught.result, "caught");
    assert!(caught.code.as_deref().is_some_and(|c| !c.is_empty()));
    assert!(caught.detail.contains("błąd 4"), "{}", caught.detail);

    let english = verify(&log_path, Some(&allowed), Some("en"), "C.UTF-8");
    assert_eq!(english.status.code(), Some(0), "{}", text(&english.stderr));
    let english = text(&english.stdout);
    assert!(english.contains("    missed: Balance switch off — gate switches_on"));
    for lang in LANGS {
        let out = verify(&log_path, Some(&allowed), Some(lang), "C.UTF-8");
        assert_eq!(out.status.code(), Some(0), "{lang}: {}", text(&out.stderr));
        let words = text(&out.stdout);
        filled("verify", lang, &words);
        // The key's fingerprint and the scenario's id are shown as they are.
        assert!(
            words.contains("SHA256:") && words.contains("overridden"),
            "{words}"
        );
        if lang != "en" {
            let left = english_lines(&words, &english);
            assert!(
                left.is_empty(),
                "{lang}: left in English: {left:?}\n{words}"
            );
        }
    }
    // The faults are worded again from the log's codes: in German though the session was
    // Polish.
    let de = text(&verify(&log_path, Some(&allowed), Some("de"), "C.UTF-8").stdout);
    assert!(
        de.contains("übersteuert") && !de.contains("obejście"),
        "{de}"
    );
    // Without --lang the environment decides.
    let from_env = text(&verify(&log_path, Some(&allowed), None, "hu_HU.UTF-8").stdout);
    assert!(from_env.contains("Érvényes aláírás"), "{from_env}");

    // Not authenticated (exit 3) and not signed (exit 4), in every language.
    let alone = tmp();
    let lone_log = alone.path().join("log.yaml");
    std::fs::copy(&log_path, &lone_log).unwrap();
    let en_unauth = text(&verify(&log_path, None, Some("en"), "C.UTF-8").stdout);
    let en_unsigned = text(&verify(&lone_log, None, Some("en"), "C.UTF-8").stderr);
    for lang in LANGS.iter().filter(|l| **l != "en") {
        let out = verify(&log_path, None, Some(lang), "C.UTF-8");
        assert_eq!(out.status.code(), Some(3), "{lang}");
        let words = text(&out.stdout);
        filled("verify (unauthenticated)", lang, &words);
        let left = english_lines(&words, &en_unauth);
        assert!(left.is_empty(), "{lang}: left in English: {left:?}");
        let out = verify(&lone_log, None, Some(lang), "C.UTF-8");
        assert_eq!(out.status.code(), Some(4), "{lang}");
        let words = text(&out.stderr);
        filled("verify (not signed)", lang, &words);
        assert!(
            english_lines(&words, &en_unsigned).is_empty(),
            "{lang}: {words}"
        );
    }
}

#[test]
fn train_check_explains_the_caught_fault_in_every_language() {
    let scenario =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/config-cell-count.yaml");
    let check = |lang: &str| {
        let out = cmd()
            .args(["train", "--lang", lang, "--check"])
            .arg(&scenario)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{lang}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let english = check("en");
    assert!(english.contains("Cell Count is 15"), "{english}");
    for lang in LANGS.iter().filter(|l| **l != "en") {
        let words = check(lang);
        filled("train --check", lang, &words);
        let left = english_lines(&words, &english);
        assert!(
            left.is_empty(),
            "{lang}: left in English: {left:?}\n{words}"
        );
        // The app's label stays English; the reason around it does not.
        assert!(
            words.contains("Cell Count") && !words.contains("the pack has"),
            "{lang}: {words}"
        );
    }
}

#[test]
fn a_refused_entry_is_explained_in_every_language_with_its_decimals() {
    let keys = tmp();
    let key = crate::common::keygen(keys.path());
    // The capacity typed with two decimal separators: not a number.
    let answers = std::fs::read_to_string(example("refuse-uvp-too-low.yaml"))
        .unwrap()
        .replace(r#"capacity: "280""#, r#"capacity: "280,5,0 Ah""#);
    let file = crate::common::write(keys.path(), "answers.yaml", &answers);
    let run = |lang: &str| {
        let dir = tmp();
        let out = cmd()
            .args(["run", "--sim", "--lang", lang, "--answers", &file, "--key"])
            .arg(&key)
            .arg("--out")
            .arg(dir.path().join("s"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{lang}: {}", text(&out.stderr));
        text(&out.stderr)
    };
    let english = run("en");
    // Named by its label on the form, with the range it takes.
    assert!(
        english.contains("Capacity: '280,5,0 Ah' is not a number (accepted: 1–5000 Ah)"),
        "{english}"
    );
    for lang in LANGS.iter().filter(|l| **l != "en") {
        let words = run(lang);
        filled("run", lang, &words);
        let left: Vec<&str> = english_lines(&words, &english)
            .into_iter()
            // Which key signs is log::sign's line, not a refusal.
            .filter(|l| !l.contains("--key SHA256:"))
            .collect();
        assert!(
            left.is_empty(),
            "{lang}: left in English: {left:?}\n{words}"
        );
        // What was typed is shown as typed, inside the language's words.
        assert!(words.contains("280,5,0 Ah"), "{lang}: {words}");
        assert!(!words.contains("is not a number"), "{lang}: {words}");
        let label = [
            ("pl", "Pojemność"),
            ("de", "Kapazität"),
            ("cs", "Kapacita"),
            ("sk", "Kapacita"),
            ("da", "Kapacitet"),
            ("hu", "Kapacitás"),
        ]
        .into_iter()
        .find(|(l, _)| l == lang)
        .map(|(_, label)| label)
        .unwrap();
        assert!(
            words.contains(&format!("{label}: „280,5,0 Ah")) && words.contains("1–5000 Ah"),
            "{lang}: the field's label and range: {words}"
        );
    }
}

#[test]
fn scan_without_bluetooth_says_why_in_every_language() {
    let scan = |lang: &str| {
        let out = cmd()
            .args(["scan", "--timeout", "1", "--lang", lang])
            .env(
                "DBUS_SYSTEM_BUS_ADDRESS",
                "unix:path=/nonexistent/jk-commission-test-bus",
            )
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{lang}");
        assert!(text(&out.stdout).trim().is_empty());
        text(&out.stderr)
    };
    let english = scan("en");
    assert!(
        english.contains("D-Bus") && english.contains("--sim"),
        "{english}"
    );
    for lang in LANGS.iter().filter(|l| **l != "en") {
        let words = scan(lang);
        filled("scan", lang, &words);
        assert!(
            english_lines(&words, &english).is_empty(),
            "{lang}: {words}"
        );
        assert!(
            words.contains("D-Bus") && words.contains("--sim"),
            "{lang}: {words}"
        );
    }
}

#[test]
fn ladder_refuses_a_reading_that_is_no_number_in_every_language() {
    let ladder = |lang: &str, pack: &str, third: &str| {
        let out = cmd()
            .args([
                "ladder",
                "--lang",
                lang,
                "--chemistry",
                "lifepo4",
                "--cells",
                "4",
            ])
            .args(["--pack-voltage", pack, "3,3", "6,6", third, "13,2"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{lang}");
        text(&out.stderr)
    };
    // A reading that is no number, and a pack voltage typed with another unit.
    let cases = [("13,2", "abc"), ("13,2 A", "9,9")];
    let english: Vec<String> = cases.iter().map(|(p, r)| ladder("en", p, r)).collect();
    assert!(
        english[0].contains("reading 3 (cell 3): 'abc' is not a number"),
        "{}",
        english[0]
    );
    assert!(
        english[1].contains("--pack-voltage: '13,2 A' has the unit 'A'"),
        "{}",
        english[1]
    );
    for lang in LANGS.iter().filter(|l| **l != "en") {
        for ((pack, reading), en) in cases.iter().zip(&english) {
            let words = ladder(lang, pack, reading);
            filled("ladder", lang, &words);
            assert!(english_lines(&words, en).is_empty(), "{lang}: {words}");
            // What was typed, as typed.
            assert!(words.contains(if *pack == "13,2" { "abc" } else { "13,2 A" }));
        }
    }
}

#[test]
fn a_changed_journal_is_refused_in_every_language_with_its_hashes() {
    let dir = tmp();
    let keys = tmp();
    let allowed = polish_training_session(dir.path(), keys.path());
    let journal = dir.path().join("journal.jsonl");
    let mut bytes = std::fs::read(&journal).unwrap();
    bytes.extend_from_slice(b"\n");
    std::fs::write(&journal, bytes).unwrap();
    let log_path = dir.path().join("log.yaml");
    let english = verify(&log_path, Some(&allowed), Some("en"), "C.UTF-8");
    assert_eq!(english.status.code(), Some(1));
    let english = text(&english.stderr);
    assert!(
        english.contains("the journal was changed: its SHA-256 is"),
        "{english}"
    );
    for lang in LANGS.iter().filter(|l| **l != "en") {
        let out = verify(&log_path, Some(&allowed), Some(lang), "C.UTF-8");
        assert_eq!(out.status.code(), Some(1), "{lang}");
        let words = text(&out.stderr);
        filled("verify (changed journal)", lang, &words);
        let left = english_lines(&words, &english);
        assert!(
            left.is_empty(),
            "{lang}: left in English: {left:?}\n{words}"
        );
        // Both hashes, as they are.
        assert_eq!(words.matches("SHA-256").count(), 1, "{lang}: {words}");
        assert!(
            words
                .split_whitespace()
                .any(|w| w.trim_matches(|c: char| !c.is_ascii_hexdigit()).len() == 64),
            "{lang}: {words}"
        );
    }
}

#[test]
fn a_changed_log_or_a_stranger_key_is_refused_in_every_language() {
    let dir = tmp();
    let keys = tmp();
    let allowed = polish_training_session(dir.path(), keys.path());
    let log_path = dir.path().join("log.yaml");
    // Another workshop's list: the signing key is not on it.
    let strangers = tmp();
    let (_, other_list) = crate::common::trusted_key(strangers.path(), "other", "eve@elsewhere");
    let changed = tmp();
    let changed_log = changed.path().join("log.yaml");
    let mut bytes = std::fs::read(&log_path).unwrap();
    bytes.extend_from_slice(b"# added later\n");
    std::fs::write(&changed_log, bytes).unwrap();
    std::fs::copy(
        dir.path().join("log.yaml.sig"),
        changed.path().join("log.yaml.sig"),
    )
    .unwrap();
    let cases = [(&changed_log, &allowed), (&log_path, &other_list)];
    let english: Vec<String> = cases
        .iter()
        .map(|(log, list)| {
            let out = verify(log, Some(list), Some("en"), "C.UTF-8");
            assert_eq!(out.status.code(), Some(1));
            text(&out.stderr)
        })
        .collect();
    assert!(
        english[0].contains("the signature does not match the file"),
        "{}",
        english[0]
    );
    assert!(
        english[1].contains("is not listed in the allowed signers"),
        "{}",
        english[1]
    );
    for lang in LANGS.iter().filter(|l| **l != "en") {
        for ((log, list), en) in cases.iter().zip(&english) {
            let out = verify(log, Some(list), Some(lang), "C.UTF-8");
            assert_eq!(out.status.code(), Some(1), "{lang}");
            let words = text(&out.stderr);
            filled("verify (refused signature)", lang, &words);
            assert!(english_lines(&words, en).is_empty(), "{lang}: {words}");
        }
    }
}
