//! Without Bluetooth, the BLE commands fail fast with a sentence that points to --sim, never a
//! panic or a backtrace. The "no system D-Bus" case is forced by pointing the bus address at a
//! socket that does not exist, so this does not depend on the machine the tests run on.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use jk_commission::bms::ble::{self, BleLink};
use jk_commission::bms::link::{BmsLink, LinkError};

const NO_BUS: &str = "unix:path=/nonexistent/jk-commission-test-bus";

/// Run the real binary with no reachable system bus; also returns how long it took.
fn run_without_bus(args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let out = crate::common::cmd()
        .args(args)
        .env("DBUS_SYSTEM_BUS_ADDRESS", NO_BUS)
        // A backtrace would be printed if anything panicked or dumped a report.
        .env("RUST_BACKTRACE", "1")
        .env("RUST_LIB_BACKTRACE", "1")
        .output()
        .expect("the binary runs");
    (out, started.elapsed())
}

fn assert_clear_failure(out: &Output, took: Duration, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success(),
        "{what} must fail without Bluetooth; stdout: {stdout}"
    );
    assert!(
        stderr.contains("--sim") && stderr.contains("D-Bus"),
        "{what}: the message must say Bluetooth is unreachable and point to --sim: {stderr}"
    );
    for bad in [
        "panicked",
        "stack backtrace",
        "Backtrace",
        "Location:",
        "RUST_BACKTRACE",
    ] {
        assert!(!stderr.contains(bad), "{what} printed {bad:?}: {stderr}");
    }
    assert!(took < Duration::from_secs(10), "{what} took {took:?}");
    assert!(stdout.trim().is_empty(), "{what} printed results: {stdout}");
}

#[test]
fn scan_without_a_system_bus_fails_with_a_sentence() {
    let (out, took) = run_without_bus(&["scan", "--timeout", "2"]);
    assert_clear_failure(&out, took, "scan");
    assert_eq!(out.status.code(), Some(2), "a Bluetooth failure exits 2");
    // The reason names what could not be reached.
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/jk-commission-test-bus"));
}

#[test]
fn scan_json_without_a_system_bus_prints_no_json() {
    let (out, took) = run_without_bus(&["scan", "--timeout", "2", "--json"]);
    assert_clear_failure(&out, took, "scan --json");
}

#[test]
fn monitor_without_a_system_bus_fails_with_a_sentence() {
    let args = [
        "monitor",
        "--address",
        "AA:BB:CC:DD:EE:FF",
        "--timeout",
        "2",
    ];
    let (out, took) = run_without_bus(&args);
    assert_clear_failure(&out, took, "monitor");
    assert_eq!(out.status.code(), Some(2), "the same exit status as scan");
    let (json, took) = run_without_bus(&[&args[..], &["--json", "--frames", "3"]].concat());
    assert_clear_failure(&json, took, "monitor --json");
}

/// The in-process API says the same, as a typed error. libdbus reads DBUS_SYSTEM_BUS_ADDRESS
/// once per process and keeps it, and this test binary also holds the emulated-BlueZ tests,
/// which point the process at their own bus: so these checks run in a child of this binary
/// whose environment has no bus at all.
const CHILD_ENV: &str = "JK_COMMISSION_NO_BUS_CHILD";

/// Run the `#[ignore]`d child test `name` in a fresh process without a system bus.
fn in_a_child_without_bus(name: &str) {
    let out = Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            name,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("DBUS_SYSTEM_BUS_ADDRESS", NO_BUS)
        .env(CHILD_ENV, name)
        .output()
        .expect("the test binary runs again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{name} failed in its child process: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// True only in the child started for `name`: run directly (`--ignored`), the child does nothing.
fn am_child(name: &str) -> bool {
    std::env::var(CHILD_ENV).is_ok_and(|v| v == name)
}

#[test]
fn the_link_reports_no_dbus_as_a_typed_error() {
    in_a_child_without_bus("ble_no_adapter::child_link_without_bus");
}

#[tokio::test]
#[ignore = "child process of the_link_reports_no_dbus_as_a_typed_error"]
async fn child_link_without_bus() {
    if !am_child("ble_no_adapter::child_link_without_bus") {
        return;
    }
    let mut link = BleLink::new("AA:BB:CC:DD:EE:FF", Duration::from_secs(2));
    let started = Instant::now();
    let err = link.connect().await.expect_err("no bus, no link");
    assert!(matches!(err, LinkError::NoDbus(_)), "{err:?}");
    assert!(err.to_string().contains("--sim"));
    assert!(started.elapsed() < Duration::from_secs(5));
    // A failed link stays closed and says so.
    assert_eq!(link.next_event().await, None);
    assert_eq!(link.refresh().await, Err(LinkError::Closed));
}

#[test]
fn scanning_reports_no_dbus_as_a_typed_error() {
    in_a_child_without_bus("ble_no_adapter::child_scan_without_bus");
}

#[tokio::test]
#[ignore = "child process of scanning_reports_no_dbus_as_a_typed_error"]
async fn child_scan_without_bus() {
    if !am_child("ble_no_adapter::child_scan_without_bus") {
        return;
    }
    let err = ble::scan(Duration::from_secs(2))
        .await
        .expect_err("no bus, no scan");
    assert!(matches!(err, LinkError::NoDbus(_)), "{err:?}");
}

#[tokio::test]
async fn a_mistyped_address_is_refused_before_touching_bluetooth() {
    // No bus is needed: the address is refused before D-Bus is asked anything.
    let mut link = BleLink::new("AA:BB:CC:DD:EE", Duration::from_secs(2));
    let err = link.connect().await.expect_err("bad address");
    assert!(
        err.to_string()
            .contains("'AA:BB:CC:DD:EE' is not a Bluetooth address"),
        "{err}"
    );
}
