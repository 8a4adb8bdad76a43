//! The record of a training session: marked training, naming the scenario, what was caught at
//! which step and what slipped through (an override past a staged fault counts as missed),
//! signed by the trainee and by the trainer; `verify` says it is a training log and checks
//! both signatures.

use std::path::Path;
use std::time::Duration;

use jk_commission::cmd::train::{check_scenario, CheckOptions, CheckResult};
use jk_commission::log::record::CommissioningLog;
use jk_commission::log::sign::{generate_key, load_signing_key};
use jk_commission::train::judge::{Ending, Outcome};
use jk_commission::train::scenario::Scenario;
use jk_commission::wizard::spec::WizardSpec;

use crate::common::paused as runtime;

fn check(text: &str, dir: &Path, keys: &Path) -> CheckResult {
    let spec = WizardSpec::builtin();
    let scenario = Scenario::parse(text, "t.yaml", "balance-off-overridden", &spec).unwrap();
    generate_key(&keys.join("trainee"), "trainee@example").unwrap();
    generate_key(&keys.join("trainer"), "trainer@example").unwrap();
    let key = load_signing_key(&keys.join("trainee")).unwrap();
    let trainer = load_signing_key(&keys.join("trainer")).unwrap();
    runtime()
        .block_on(check_scenario(
            &spec,
            &scenario,
            dir,
            CheckOptions {
                lang: "en",
                live_timeout: Duration::from_secs(30),
                key: Some(&key),
                trainer_key: Some(&trainer),
            },
        ))
        .unwrap()
}

const OVERRIDDEN: &str = r#"
description: "The Balance switch is off, and the trainee overrides the refusal"
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
    # Sign-off reads the switches again: the same decision is made again, on the record.
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

#[test]
fn an_override_past_a_staged_fault_is_recorded_as_missed_and_both_sign() {
    let dir = crate::common::tmp();
    let keys = crate::common::tmp();
    let result = check(OVERRIDDEN, dir.path(), keys.path());
    assert_eq!(result.ending, Ending::SignedOff);
    // The alarm was caught; the switch was waved through.
    assert!(matches!(result.reports[1].outcome, Outcome::Caught { .. }));
    match &result.reports[0].outcome {
        Outcome::Missed(why) => {
            let why = why.render(&WizardSpec::builtin(), "en");
            assert!(why.contains("overridden by Careful Trainee"), "{why}")
        }
        other => panic!("{other:?}"),
    }
    let problems = result.verdict.unwrap_err();
    let first = problems[0].render(&WizardSpec::builtin(), "en");
    assert!(first.contains("not caught: Balance switch off"), "{first}");

    let text = std::fs::read_to_string(dir.path().join("log.yaml")).unwrap();
    let log: CommissioningLog = serde_yaml::from_str(&text).unwrap();
    let t = log.training.expect("marked training");
    assert_eq!(t.scenario, "balance-off-overridden");
    assert_eq!(t.result, "missed_some");
    assert_eq!(t.faults[0].result, "missed");
    assert_eq!(t.faults[1].result, "caught");
    assert_eq!(t.faults[1].caught_at.as_deref(), Some("config.control"));
    // The report names the miss as a miss, and where the fault was to be caught.
    let report = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let training = report
        .split("<h2>Training</h2>")
        .nth(1)
        .expect("a training section");
    assert!(
        training.contains("some staged faults were missed"),
        "{training}"
    );
    let missed = training
        .split("<tr>")
        .find(|r| r.contains("Balance switch off"))
        .unwrap();
    assert!(missed.contains(r#"class="bad">missed"#), "{missed}");
    assert!(missed.contains("expected at config.control"), "{missed}");
    assert!(
        t.faults[1].detail.contains("error 4"),
        "{}",
        t.faults[1].detail
    );
    assert!(text.contains("training:"), "{text}");
    // The overridden gate's reason: its code, sentence key and typed arguments (for verify and
    // machines) and its words in the session's language.
    let reason = log
        .steps
        .iter()
        .flat_map(|s| &s.gates)
        .filter(|g| g.result == "overridden")
        .flat_map(|g| &g.reasons)
        .find_map(|r| match r {
            jk_commission::log::record::ReasonLog::Coded {
                code,
                key,
                args,
                text,
            } => Some((code.clone(), key.clone(), args.clone(), text.clone())),
            _ => None,
        })
        .expect("the overridden gate keeps its reason");
    assert_eq!(reason.0, "switch_off");
    assert_eq!(reason.1, "switch_off");
    assert_eq!(
        reason.2.get("switch"),
        Some(&jk_commission::wizard::words::Arg::Verbatim(
            "Balance".into()
        ))
    );
    assert_eq!(
        reason.3,
        "the Balance switch is off: turn it on in the CONTROL tab"
    );

    // verify: a training log, both signatures good and both keys trusted.
    let log_path = dir.path().join("log.yaml");
    let allowed = keys.path().join("allowed_signers");
    let public = |k: &str| std::fs::read_to_string(keys.path().join(format!("{k}.pub"))).unwrap();
    std::fs::write(
        &allowed,
        format!("trainee {}trainer {}", public("trainee"), public("trainer")),
    )
    .unwrap();
    let out = crate::common::cmd()
        .arg("verify")
        .arg(&log_path)
        .arg("--allowed-signers")
        .arg(&allowed)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("TRAINING:  scenario balance-off-overridden"),
        "{stdout}"
    );
    assert!(stdout.contains("1 of 2 faults caught"), "{stdout}");
    assert!(stdout.contains("trainer:   good signature"), "{stdout}");

    // The trainer's signature over another log fails verification.
    let trainer_sig = dir.path().join("log.yaml.trainer.sig");
    let other = crate::common::tmp();
    let keys2 = crate::common::tmp();
    check(
        &OVERRIDDEN.replace("balancing can wait", "later"),
        other.path(),
        keys2.path(),
    );
    std::fs::copy(other.path().join("log.yaml.trainer.sig"), &trainer_sig).unwrap();
    let out = crate::common::cmd()
        .arg("verify")
        .arg(&log_path)
        .arg("--allowed-signers")
        .arg(&allowed)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("trainer's signature"));
}

#[test]
fn a_caught_and_fixed_fault_leaves_a_clean_training_record() {
    let dir = crate::common::tmp();
    let keys = crate::common::tmp();
    let text = OVERRIDDEN
        .replace("      overrides:\n        - {gate: switches_on, reason: \"balancing can wait\", role: trainee, by: Careful Trainee}\n", "      confirm: all\n")
        .replace("          - clear_alarm: {alarm: mos_over_temperature}\n", "          - clear_alarm: {alarm: mos_over_temperature}\n      answers:\n        app:\n          - switch: {switch: balance, on: true}\n");
    let result = check(&text, dir.path(), keys.path());
    assert_eq!(result.verdict, Ok(()), "{:?}", result.reports);
    let log: CommissioningLog =
        serde_yaml::from_str(&std::fs::read_to_string(dir.path().join("log.yaml")).unwrap())
            .unwrap();
    let t = log.training.unwrap();
    assert_eq!(t.result, "caught_all");
    assert!(t.faults.iter().all(|f| f.result == "caught"));
    assert!(log.overrides.is_empty());
}

#[test]
fn a_headless_trainees_wiring_repair_is_journaled_and_in_the_training_record() {
    let dir = crate::common::tmp();
    let keys = crate::common::tmp();
    let spec = WizardSpec::builtin();
    let scenario = jk_commission::train::shipped::scenario("wiring-open-tap", &spec).unwrap();
    let (key, allowed) = crate::common::trusted_key(keys.path(), "trainee", "trainee@example");
    let key = load_signing_key(&key).unwrap();
    let result = runtime()
        .block_on(check_scenario(
            &spec,
            &scenario,
            dir.path(),
            CheckOptions {
                lang: "en",
                live_timeout: Duration::from_secs(30),
                key: Some(&key),
                trainer_key: None,
            },
        ))
        .unwrap();
    assert_eq!(result.verdict, Ok(()), "{:?}", result.reports);
    let journal = std::fs::read_to_string(dir.path().join("journal.jsonl")).unwrap();
    assert_eq!(
        journal.matches(r#""event":"rewired""#).count(),
        1,
        "one re-wiring, journaled"
    );
    assert!(
        journal.contains(r#""what":{"wire":"lead","cell":7}"#),
        "{journal}"
    );
    let log: CommissioningLog =
        serde_yaml::from_str(&std::fs::read_to_string(dir.path().join("log.yaml")).unwrap())
            .unwrap();
    let t = log.training.unwrap();
    assert_eq!(t.rewired.len(), 1);
    assert_eq!(t.rewired[0].step, "wiring.ladder");
    assert_eq!(t.rewired[0].what, "the balance lead of cell 7");
    assert_eq!(
        t.rewired[0].repaired,
        ["cell 7's balance lead not connected"]
    );
    // The report's training section says what was staged, caught and re-wired.
    let report = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let training = report
        .split("<h2>Training</h2>")
        .nth(1)
        .expect("a training section");
    assert!(
        training.contains("every staged fault was caught"),
        "{training}"
    );
    assert!(
        training.contains(
            "Wiring and activation 5 — Multimeter check of the balance plug: the balance lead of \
             cell 7 — cell 7&#x27;s balance lead not connected"
        ),
        "{training}"
    );
    // The log replays from its journal: verify accepts it.
    let out = crate::common::jk(&[
        "verify",
        "--allowed-signers",
        allowed.to_str().unwrap(),
        dir.path().join("log.yaml").to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}{}",
        crate::common::text(&out.stdout),
        crate::common::text(&out.stderr)
    );
}
