//! Numbers on the command line out of their range are refused by name and range before
//! anything runs (a huge `--live-timeout` used to panic).

use std::process::Output;

fn run(args: &[&str]) -> Output {
    crate::common::cmd()
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Refused as a usage error naming the flag and its range.
fn refused(args: &[&str], flag: &str, range: &str) {
    let out = run(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(flag) && err.contains(range), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Past the argument parser (whatever the command then makes of the rest).
fn parsed(args: &[&str]) {
    let out = run(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("invalid value"), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn live_timeout_is_one_second_to_an_hour() {
    for bad in ["0", "3601", "18446744073709551615"] {
        refused(
            &[
                "run",
                "--sim",
                "--answers",
                "/nonexistent.yaml",
                "--live-timeout",
                bad,
            ],
            "--live-timeout",
            "1..=3600",
        );
        refused(
            &[
                "train",
                "--check",
                "/nonexistent.yaml",
                "--live-timeout",
                bad,
            ],
            "--live-timeout",
            "1..=3600",
        );
    }
    for edge in ["1", "3600"] {
        parsed(&[
            "run",
            "--sim",
            "--answers",
            "/nonexistent.yaml",
            "--live-timeout",
            edge,
        ]);
    }
}

#[test]
fn waiting_times_and_cell_counts_have_ranges() {
    refused(&["scan", "--timeout", "0"], "--timeout", "1..=3600");
    refused(
        &["scan", "--timeout", "99999999999"],
        "--timeout",
        "1..=3600",
    );
    refused(
        &["monitor", "--sim", "--timeout", "3601"],
        "--timeout",
        "1..=3600",
    );
    for bad in ["0", "33", "4000000000"] {
        refused(
            &[
                "ladder",
                "--chemistry",
                "lifepo4",
                "--cells",
                bad,
                "--pack-voltage",
                "3.3",
                "3.3",
            ],
            "--cells",
            "1–32",
        );
    }
    parsed(&[
        "ladder",
        "--chemistry",
        "lifepo4",
        "--cells",
        "32",
        "--pack-voltage",
        "3.3",
        "3.3",
    ]);
}
