//! Every shipped scenario, played headless by its careful trainee on a paused clock (virtual
//! time: the simulator, the link and the runner all read tokio's clock, so a whole
//! commissioning takes a fraction of a second), must be caught exactly where the manual's
//! procedure catches its fault — the table below says where, independently of the scenario's
//! own `expect` — or, for a clean pack, sign off.

use std::path::Path;
use std::time::Duration;

use jk_commission::cmd::train::{check_scenario, CheckOptions};
use jk_commission::train::judge::{Ending, Outcome};
use jk_commission::train::scenario::{Expect, Scenario};
use jk_commission::wizard::engine::Event;
use jk_commission::wizard::spec::WizardSpec;

/// Step, gate, and a reason code or piece of its text.
type Place = (&'static str, &'static str, &'static str);

/// Where the manual's procedure catches each shipped scenario's fault. `None`: the pack must
/// pass.
const WHERE: &[(&str, Option<Place>)] = &[
    (
        "alarm-error-1-cell-under-voltage",
        Some(("config.control", "no_alarm", "error 1")),
    ),
    (
        "alarm-error-2-cell-over-voltage",
        Some(("config.control", "no_alarm", "error 2")),
    ),
    (
        "alarm-error-3-over-current",
        Some(("signoff", "no_alarm", "error 3")),
    ),
    (
        "alarm-error-4-mosfet-over-temperature",
        Some(("config.control", "no_alarm", "error 4")),
    ),
    (
        "alarm-error-5-cell-over-temperature",
        Some(("config.control", "no_alarm", "error 5")),
    ),
    (
        "alarm-error-6-short-circuit",
        Some(("signoff", "no_alarm", "error 6")),
    ),
    (
        "alarm-error-7-internal-communication",
        Some(("config.control", "no_alarm", "error 7")),
    ),
    (
        "alarm-error-8-balancer",
        Some(("config.control", "no_alarm", "unknown_alarm")),
    ),
    (
        "alarm-error-9-poor-cell-connection",
        Some(("config.control", "no_alarm", "error 9")),
    ),
    ("clean-li-ion-14s", None),
    ("clean-lifepo4-16s", None),
    ("clean-lifepo4-8s-24s-firmware", None),
    ("clean-lto-12s", None),
    (
        "config-balance-switch-off",
        Some(("config.control", "switches_on", "switch_off")),
    ),
    ("config-battery-type-slip-corrected", None),
    (
        "config-capacity-changed-after-its-step",
        Some(("signoff", "settings_capacity", "capacity_set")),
    ),
    (
        "config-capacity-unset",
        Some(("config.cells_capacity", "capacity_set", "capacity_set")),
    ),
    (
        "config-cell-count",
        Some((
            "config.cells_capacity",
            "cell_count_setting",
            "cell_count_setting",
        )),
    ),
    (
        "config-charge-switch-off",
        Some(("config.control", "switches_on", "switch_off")),
    ),
    (
        "config-cold-site-utp",
        Some(("config.advanced", "cold_site", "charge_utpr")),
    ),
    (
        "config-emergency-on",
        Some(("config.control", "emergency_off", "emergency_on")),
    ),
    (
        "config-ovp-raised-after-its-step",
        Some((
            "protection.test",
            "before_test_chemistry",
            "ovp 3.90 v is outside",
        )),
    ),
    (
        "config-temp-sensor-disabled",
        Some((
            "config.control",
            "temp_sensor_enabled",
            "temp_sensor_disabled",
        )),
    ),
    (
        "config-wrong-chemistry",
        Some((
            "config.battery_type",
            "ovp_matches_chemistry",
            "ovp_matches_chemistry",
        )),
    ),
    (
        "config-wrong-unit-model",
        Some(("config.status", "unit_matches_model", "unit_model_mismatch")),
    ),
    (
        "live-cell-drifts-low",
        Some(("config.control", "no_alarm", "cell_under_voltage")),
    ),
    (
        "live-cell-out-of-balance",
        Some(("wiring.similar_charge", "cell_spread", "cell_spread")),
    ),
    ("live-link-drop-resumes", None),
    (
        "protection-charge-cutoff-too-high",
        Some(("protection.test", "protection_test", "charge_cutoff_off")),
    ),
    (
        "protection-discharge-cutoff-too-low",
        Some(("protection.test", "protection_test", "discharge_cutoff_off")),
    ),
    (
        "wiring-crossed-taps",
        Some(("wiring.ladder", "ladder", "crossed_leads")),
    ),
    (
        "wiring-lto-24s-li-ion-set",
        Some(("wiring.output", "output_voltage", "cell uvp")),
    ),
    (
        "wiring-ntc-absent",
        Some(("config.control", "probes_present", "probe_missing")),
    ),
    (
        "wiring-open-tap",
        Some(("wiring.ladder", "ladder", "open_lead")),
    ),
    (
        "wiring-pack-plus-pin-open",
        Some(("wiring.ladder", "ladder", "last_pin_not_pack_plus")),
    ),
    (
        "wiring-skipped-tap",
        Some(("wiring.ladder", "ladder", "skipped_tap")),
    ),
];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap()
}

fn shipped() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
    files.sort();
    files
}

#[test]
fn every_shipped_scenario_is_caught_where_the_manual_says() {
    let spec = WizardSpec::builtin();
    let files = shipped();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let table: Vec<&str> = WHERE.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names, table,
        "every shipped scenario needs its line in WHERE, in order"
    );
    let mut failures = Vec::new();
    for (file, (name, want)) in files.iter().zip(WHERE) {
        let scenario = Scenario::load(file, &spec).unwrap_or_else(|e| panic!("{e}"));
        let dir = tempfile::tempdir().unwrap();
        let started = std::time::Instant::now();
        let result = runtime()
            .block_on(check_scenario(
                &spec,
                &scenario,
                dir.path(),
                CheckOptions {
                    lang: "en",
                    live_timeout: Duration::from_secs(30),
                    key: None,
                    trainer_key: None,
                },
            ))
            .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        eprintln!("{name}: {:?} in {:?}", result.ending, started.elapsed());
        if let Err(problems) = &result.verdict {
            failures.push(format!("{name}: {problems:#?}"));
            continue;
        }
        match want {
            None => {
                assert_eq!(scenario.expect, Some(Expect::Pass), "{name}");
                assert_eq!(result.ending, Ending::SignedOff, "{name}");
            }
            Some((step, gate, reason)) => {
                // The scenario's own expectation agrees with the table…
                assert!(
                    scenario
                        .catches()
                        .iter()
                        .any(|c| c.step == *step && c.gate == *gate),
                    "{name}: its expect block does not name {step} / {gate}"
                );
                // …and the journal shows that gate of that step refusing for that reason.
                let journal = std::fs::read_to_string(dir.path().join("journal.jsonl")).unwrap();
                // One line per input: the batch of events it caused.
                let events = journal
                    .lines()
                    .flat_map(|line| serde_json::from_str::<Vec<Event>>(line).unwrap_or_default());
                let refused = events.into_iter().any(|event| {
                    let Event::Gates {
                        step: s, results, ..
                    } = event
                    else {
                        return false;
                    };
                    s == *step
                        && results.iter().any(|r| {
                            r.gate == *gate
                                && !r.verdict.ok
                                && r.verdict.reasons.iter().any(|x| {
                                    x.code == *reason || x.english().to_lowercase().contains(reason)
                                })
                        })
                });
                assert!(
                    refused,
                    "{name}: no refusal of {step} / {gate} for {reason} in the journal"
                );
                assert!(
                    result
                        .reports
                        .iter()
                        .all(|r| matches!(r.outcome, Outcome::Caught { .. })),
                    "{name}: {:?}",
                    result.reports
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_built_in_list_is_the_scenarios_folder() {
    let spec = WizardSpec::builtin();
    let names: Vec<String> = shipped()
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let built_in: Vec<&str> = jk_commission::train::shipped::SCENARIOS
        .iter()
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(names, built_in);
    for name in built_in {
        let s =
            jk_commission::train::shipped::scenario(name, &spec).unwrap_or_else(|e| panic!("{e}"));
        assert!(s.training && !s.description.is_empty(), "{name}");
    }
}

#[test]
fn the_format_example_in_the_scenarios_readme_loads() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/README.md"))
            .unwrap();
    let start = readme.find("```yaml\n").expect("an example") + "```yaml\n".len();
    let end = start + readme[start..].find("```").unwrap();
    // The referenced answers file is the only part that needs another file.
    let example: String = readme[start..end]
        .lines()
        .filter(|l| !l.trim_start().starts_with("answers: ../"))
        .map(|l| format!("{l}\n"))
        .collect();
    let s = Scenario::parse(&example, "README.md", "example", &WizardSpec::builtin())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.wiring.len(), 5);
    assert_eq!(s.faults.len(), 3);
    assert_eq!(s.catches().len(), 1);
}

#[test]
fn what_a_24s_unit_cannot_send_is_logged_as_confirmed_by_the_operator() {
    let spec = WizardSpec::builtin();
    let file = shipped()
        .into_iter()
        .find(|p| p.ends_with("clean-lifepo4-8s-24s-firmware.yaml"))
        .unwrap();
    let scenario = Scenario::load(&file, &spec).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let result = runtime()
        .block_on(check_scenario(
            &spec,
            &scenario,
            dir.path(),
            CheckOptions {
                lang: "en",
                live_timeout: Duration::from_secs(30),
                key: None,
                trainer_key: None,
            },
        ))
        .unwrap();
    assert_eq!(result.ending, Ending::SignedOff);
    let log = std::fs::read_to_string(dir.path().join("log.yaml")).unwrap();
    // Each gate line of the log is followed (within a few lines) by its source.
    let lines: Vec<&str> = log.lines().collect();
    let confirmed: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("confirmed by the operator, not read from the BMS"))
        .filter_map(|(i, _)| {
            lines[..i]
                .iter()
                .rev()
                .find_map(|l| l.trim().strip_prefix("- gate: "))
        })
        .collect();
    // The Disable Temp. Sensor switch (CONTROL, before the test, sign-off), the Emergency
    // switch (CONTROL, sign-off: 24S frames carry no countdown) and, on firmware 10 without a
    // logbook, the one battery-type choice (CONTROL, sign-off).
    for gate in [
        "temp_sensor_enabled",
        "before_test_temp_sensor",
        "settings_temp_sensor",
        "no_factory_reset",
        "settings_not_reset",
        "emergency_off",
        "settings_emergency",
    ] {
        assert!(confirmed.contains(&gate), "{gate} not in {confirmed:?}");
    }
    // What the unit does send is never on the operator's word.
    assert!(!confirmed.contains(&"settings_chemistry"), "{confirmed:?}");
    assert_eq!(confirmed.len(), 7, "{confirmed:?}");
}
