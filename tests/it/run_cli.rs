//! Headless commissionings through the real binary against the simulator: a clean run signs a
//! log that both verifiers accept; refusals stop at the right step with the reason; a run
//! killed with SIGKILL at any point resumes and ends with the same log.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

use crate::common::{example, keygen, text};

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
    cmd.output().expect("the binary runs")
}

#[test]
fn a_clean_run_ends_with_a_signed_log_that_both_verifiers_accept() {
    let tmp = crate::common::tmp();
    let key = keygen(tmp.path());
    let out_dir = tmp.path().join("session");
    let out = run(&example("clean-lifepo4-16s.yaml"), &out_dir, Some(&key));
    assert!(
        out.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    for f in ["journal.jsonl", "log.yaml", "log.yaml.sig", "report.html"] {
        assert!(out_dir.join(f).exists(), "{f} missing");
    }
    let log = std::fs::read_to_string(out_dir.join("log.yaml")).unwrap();
    assert!(log.contains("verdict: pass"), "{log}");
    assert!(
        log.contains("serial_number:"),
        "the BMS identity is in the log"
    );
    assert!(
        !log.contains("123456"),
        "the settings passcode never reaches the log"
    );
    let journal = std::fs::read_to_string(out_dir.join("journal.jsonl")).unwrap();
    assert!(!journal.contains("123456"));
    let report = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(report.contains("PACK-2026-0042") && !report.contains("http"));
    assert!(report.contains("SIMULATED BMS"));
    assert!(
        log.contains("simulated: true") && log.contains("link: simulator"),
        "a simulated unit is never mistaken for a real one: {log}"
    );

    // jk-commission verify, with the operator listed as an allowed signer.
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let allowed = tmp.path().join("allowed_signers");
    std::fs::write(&allowed, format!("anna@bench {public}")).unwrap();
    let verify = |log: &Path| {
        crate::common::cmd()
            .arg("verify")
            .arg(log)
            .arg("--signature")
            .arg(out_dir.join("log.yaml.sig"))
            .arg("--allowed-signers")
            .arg(&allowed)
            .output()
            .unwrap()
    };
    let ok = verify(&out_dir.join("log.yaml"));
    assert!(
        text(&ok.stdout).contains("SIMULATED BMS"),
        "{}",
        text(&ok.stdout)
    );
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert!(
        text(&ok.stdout).contains("anna@bench"),
        "{}",
        text(&ok.stdout)
    );

    // Plain OpenSSH, as a third party would.
    let ssh = |log: &Path| {
        Command::new("ssh-keygen")
            .args(["-Y", "verify", "-f"])
            .arg(&allowed)
            .args(["-I", "anna@bench", "-n", "jk-commission-log", "-s"])
            .arg(out_dir.join("log.yaml.sig"))
            .stdin(std::fs::File::open(log).unwrap())
            .output()
            .expect("ssh-keygen is installed (CI installs openssh-client)")
    };
    let ok = ssh(&out_dir.join("log.yaml"));
    assert!(ok.status.success(), "{}", text(&ok.stderr));

    // One byte changed anywhere breaks both.
    let bytes = log.as_bytes();
    for pos in [0, bytes.len() / 3, bytes.len() / 2, bytes.len() - 2] {
        let mut bad = bytes.to_vec();
        bad[pos] ^= 0x01;
        let edited = tmp.path().join("edited.yaml");
        std::fs::write(&edited, &bad).unwrap();
        assert!(
            !verify(&edited).status.success(),
            "byte {pos} changed, verify passed"
        );
        assert!(
            !ssh(&edited).status.success(),
            "byte {pos} changed, ssh-keygen passed"
        );
    }
}

#[test]
fn refusals_stop_at_the_right_step_with_the_reason() {
    let cases = [
        (
            "refuse-ladder-skipped-tap.yaml",
            "wiring.ladder",
            "gate ladder",
            "skipped",
        ),
        (
            "refuse-charger-voltage.yaml",
            "wiring.activate",
            "gate charger_voltage",
            "5",
        ),
        (
            "refuse-wrong-chemistry.yaml",
            "config.battery_type",
            "gate ovp_matches_chemistry",
            "4.20",
        ),
        (
            "refuse-ovp-raised-before-test.yaml",
            "protection.test",
            "gate before_test_chemistry",
            "3.90",
        ),
        (
            "refuse-settings-changed-after.yaml",
            "signoff",
            "gate settings_temp_sensor",
            "isable",
        ),
        (
            "refuse-emergency-on.yaml",
            "config.control",
            "gate emergency_off",
            "Emergency is ON: the pack is not protected",
        ),
        (
            "refuse-charge-switch-off-at-signoff.yaml",
            "signoff",
            "gate settings_switches",
            "the Charge switch is off",
        ),
        (
            "refuse-calibration-to-label.yaml",
            "config.calibration",
            "gate calibration_matches_meter",
            "V but the meter measured 52.80 V at the multimeter test",
        ),
        (
            "refuse-uvp-too-low.yaml",
            "config.advanced",
            "gate uvp_matches_chemistry",
            "Cell UVP 2.00 V is below 2.50–3.00 V accepted for LiFePO4",
        ),
        (
            "refuse-another-pack.yaml",
            "config.status",
            "gate pack_voltage_matches",
            "V but the meter measured 56.10 V at the multimeter test",
        ),
        (
            "refuse-wrong-unit-model.yaml",
            "config.status",
            "gate unit_matches_model",
            "reports model JK_B2A24S20P (a 24-cell unit) but set-up chose a 16-cell unit",
        ),
    ];
    for (file, step, gate, reason) in cases {
        let tmp = crate::common::tmp();
        let out = run(&example(file), tmp.path(), None);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{file}: {err}");
        assert!(
            err.contains(&format!("refused at step {step}")),
            "{file}: {err}"
        );
        assert!(err.contains(gate), "{file}: {err}");
        let reasons: String = err
            .lines()
            .skip_while(|l| !l.contains(gate))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            reasons.contains(reason),
            "{file}: no '{reason}' in {reasons}"
        );
        assert!(
            !tmp.path().join("log.yaml").exists(),
            "{file}: no log for a refused run"
        );
    }
}

/// The log without what differs between two runs of the same answers: times, the live values
/// of the moment (cell drift, the exact cut-off voltages), the journal's hash and the
/// capture's (the resumed run recorded its traffic in two segments).
fn normalized(log: &str) -> String {
    let mut out = Vec::new();
    let mut skip_indent: Option<usize> = None;
    for line in log.lines() {
        let indent = line.len() - line.trim_start().len();
        if let Some(i) = skip_indent {
            if indent > i || line.trim_start().starts_with("- ") && indent == i {
                continue;
            }
            skip_indent = None;
        }
        let key = line.trim_start().trim_start_matches("- ");
        if ["cells:", "protection_test:", "capture:"].contains(&key) {
            skip_indent = Some(indent);
            continue;
        }
        if key.starts_with("journal_sha256:") || key.contains("_at:") || key.starts_with("at:") {
            continue;
        }
        out.push(line.to_string());
    }
    out.join("\n")
}

/// A power cut leaves the journal's acknowledged lines and perhaps one torn line, and nothing
/// else written (journal_crash tests that with real SIGKILLs). A simulated run now takes well
/// under a second, too quick to kill at a chosen moment, so each cut is made exactly: the
/// whole run's journal, cut after that many lines, with a torn line after them.
#[test]
fn a_run_killed_at_any_point_resumes_and_ends_with_the_same_log() {
    let answers = example("clean-lifepo4-16s.yaml");
    let tmp = crate::common::tmp();
    let whole = tmp.path().join("whole");
    let out = run(&answers, &whole, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let journal = std::fs::read_to_string(whole.join("journal.jsonl")).unwrap();
    let lines: Vec<&str> = journal.lines().collect();
    let reference = std::fs::read_to_string(whole.join("log.yaml")).unwrap();

    // Cut just after the first entries, in the wiring, in the configuration, in the protection test
    // and just before sign-off.
    for fraction in [0.02, 0.1, 0.4, 0.7, 0.9, 0.99] {
        let keep = 1 + ((lines.len() - 1) as f64 * fraction) as usize;
        let broken = tmp.path().join(format!("cut-{keep}"));
        std::fs::create_dir_all(&broken).unwrap();
        let mut cut = lines[..keep].join("\n");
        cut.push_str("\n{\"event\":\"checked\",\"at\":17");
        std::fs::write(broken.join("journal.jsonl"), cut).unwrap();

        let out = run(&answers, &broken, None);
        let err = text(&out.stderr);
        assert!(out.status.success(), "cut after {keep} lines: {err}");
        assert!(err.contains("resuming the session"), "{keep}: {err}");
        assert!(
            err.contains("cut short"),
            "{keep}: the torn line is reported: {err}"
        );
        let resumed = std::fs::read_to_string(broken.join("log.yaml")).unwrap();
        assert_eq!(
            normalized(&resumed),
            normalized(&reference),
            "cut after {keep} of {} lines",
            lines.len()
        );
    }
}

#[test]
fn a_battery_type_slip_corrected_at_its_step_signs_off() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(
        &example("corrected-battery-type-slip.yaml"),
        tmp.path(),
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(tmp.path().join("log.yaml").exists());
}

#[test]
fn an_ovp_raised_after_its_step_stops_the_test_before_any_current_flows() {
    use jk_commission::bms::model::AppAction;
    use jk_commission::wizard::engine::Event;
    let tmp = tempfile::tempdir().unwrap();
    let out = run(
        &example("refuse-ovp-raised-before-test.yaml"),
        tmp.path(),
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let journal = std::fs::read_to_string(tmp.path().join("journal.jsonl")).unwrap();
    let events: Vec<Event> = journal
        .lines()
        .flat_map(|l| serde_json::from_str::<Vec<Event>>(l).unwrap_or_default())
        .collect();
    let charged = events.iter().any(|e| {
        matches!(e, Event::AppAction { step, action: AppAction::Current(a), .. }
            if step == "protection.test" && a.0 != 0.0)
    });
    assert!(!charged, "no charger or load was let act");
    assert!(!events
        .iter()
        .any(|e| matches!(e, Event::CutoffObserved { .. })));
}

/// The first and last time stamps in a session's journal, in ms.
fn journal_span_ms(dir: &Path) -> i64 {
    let text = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
    let stamps: Vec<i64> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .flat_map(|line| {
            line.as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e["at"].as_i64())
                .collect::<Vec<_>>()
        })
        .collect();
    stamps.iter().max().unwrap() - stamps.iter().min().unwrap()
}

#[test]
fn a_simulated_run_is_on_a_virtual_clock_and_real_time_keeps_the_simulators_pace() {
    // A refusal that waits out the live timeout at a live step: seconds of session time.
    let answers = example("refuse-wrong-chemistry.yaml");
    let tmp = crate::common::tmp();
    let mut seen = Vec::new();
    for real_time in [false, true] {
        let dir = tmp.path().join(format!("real-{real_time}"));
        let mut cmd = crate::common::cmd();
        cmd.args(["run", "--sim", "--live-timeout", "4", "--answers"])
            .arg(&answers)
            .arg("--out")
            .arg(&dir);
        if real_time {
            cmd.arg("--real-time");
        }
        let start = Instant::now();
        let out = cmd.output().unwrap();
        let wall = start.elapsed().as_millis() as i64;
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        let span = journal_span_ms(&dir);
        assert!(
            span >= 4_000,
            "the session waited out the live timeout: {span} ms"
        );
        if real_time {
            assert!(
                wall >= span - 200,
                "real time: {wall} ms wall for {span} ms of session"
            );
        } else {
            assert!(
                wall * 2 < span,
                "virtual: {wall} ms wall for {span} ms of session"
            );
        }
        let refused = err.lines().find(|l| l.starts_with("refused at step"));
        seen.push(refused.map(str::to_owned));
    }
    assert!(seen[0].is_some(), "{seen:?}");
    assert_eq!(seen[0], seen[1], "the same refusal either way");
}

/// `run`'s own lines (which key signs, the verdict) in each language, never the English ones.
#[test]
fn run_speaks_the_chosen_language_from_its_first_line_to_the_verdict() {
    let tmp = crate::common::tmp();
    let answers = example("clean-lifepo4-16s.yaml");
    let lines = |lang: &str| {
        let out = crate::common::cmd()
            .args(["run", "--sim", "--lang", lang, "--answers"])
            .arg(&answers)
            .arg("--out")
            .arg(tmp.path().join(lang))
            .env("HOME", tmp.path())
            .env("XDG_DATA_HOME", tmp.path().join("nodata"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{lang}: {}", text(&out.stderr));
        let first = text(&out.stderr)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        let verdict = text(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        (first, verdict)
    };
    let (en_first, en_verdict) = lines("en");
    assert!(
        en_first.starts_with("The log will NOT be signed"),
        "{en_first}"
    );
    assert_eq!(en_verdict, "commissioning signed off: verdict PASS");
    for (lang, not_signed, pass) in [
        ("pl", "NIE zostanie podpisany", "ZALICZONE"),
        ("de", "NICHT signiert", "BESTANDEN"),
        ("cs", "NEBUDE podepsán", "VYHOVUJE"),
        ("sk", "NEBUDE podpísaný", "VYHOVUJE"),
        ("da", "IKKE signeret", "GODKENDT"),
        ("hu", "NEM lesz aláírva", "MEGFELELT"),
    ] {
        let (first, verdict) = lines(lang);
        assert!(first.contains(not_signed), "{lang}: {first}");
        assert!(first.contains("jk-commission keygen"), "{lang}: {first}");
        assert!(verdict.ends_with(pass), "{lang}: {verdict}");
        assert_ne!(first, en_first);
    }
}
