//! `jk-commission monitor` as a user runs it: the simulated unit, JSON and the table.

use std::process::Output;

use serde_json::Value;

fn monitor(args: &[&str]) -> Output {
    crate::common::cmd()
        .arg("monitor")
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn json_gives_device_info_settings_and_16_cells() {
    let out = monitor(&["--sim", "--json", "--frames", "5"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let frames: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let types: Vec<&str> = frames.iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "device_info",
            "settings",
            "logbook",
            "cell_info",
            "cell_info"
        ]
    );
    let device = &frames[0];
    assert!(device["model"].as_str().unwrap().starts_with("JK"));
    assert_eq!(device["layout"], "32s");
    let text_out = text(&out.stdout);
    assert!(!text_out.contains("123456"), "a passcode leaked");
    let settings = &frames[1];
    assert_eq!(settings["cell_count"], 16);
    assert_eq!(settings["cell_ovp"], 3.6);
    assert_eq!(settings["capacity_ah"], 280.0);
    let logbook = &frames[2];
    assert!(logbook["entries"].as_array().is_some_and(|e| !e.is_empty()));
    let cells = &frames[3];
    assert_eq!(cells["variant"], "32s");
    assert_eq!(cells["cell_count"], 16);
    let volts = cells["cell_voltages"].as_array().unwrap();
    assert_eq!(volts.len(), 16);
    assert!(volts
        .iter()
        .all(|v| (2.5..=3.65).contains(&v.as_f64().unwrap())));
    assert_eq!(cells["alarm_bits"], 0);
    assert_eq!(cells["charging"], true);
    assert_ne!(frames[3]["counter"], frames[4]["counter"]);
}

#[test]
fn the_table_shows_the_cells() {
    let out = monitor(&["--sim", "--frames", "4"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let last = stdout.rsplit("Device ").next().unwrap();
    for n in 1..=16 {
        assert!(
            last.contains(&format!("#{n:<2} 3.")),
            "cell {n} missing in\n{last}"
        );
    }
    assert!(last.contains("cell OVP 3.600 V"), "{last}");
    assert!(last.contains("min ") && last.contains("delta "), "{last}");
    assert!(last.contains("Alarms    none"), "{last}");
    assert!(!stdout.contains('\x1b'), "no terminal codes into a pipe");
}

#[test]
fn without_a_unit_it_says_how_to_choose_one() {
    let out = monitor(&["--json"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("--address") && err.contains("--sim"), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("BACKTRACE"),
        "{err}"
    );
    let both = monitor(&["--sim", "--address", "C8:47:80:00:00:01"]);
    assert!(!both.status.success());
    assert!(text(&both.stderr).contains("not both"));
}
