//! Captures: recorded from every link in the documented line format, passcodes masked, and
//! replayed as a unit — to the same frames, and through a headless `run` to the same verdict
//! as the live simulator gave. Built from the real frames of shared/vectors and from the
//! simulator.

use std::path::Path;
use std::time::Duration;

use jk_commission::bms::capture::{self, Tap};
use jk_commission::bms::decode::FrameStream;
use jk_commission::bms::frame::{command, CMD_CELL_INFO, CMD_DEVICE_INFO};
use jk_commission::bms::link::{BmsLink, LinkError, LinkEvent};
use jk_commission::bms::recorder::Recorder;
use jk_commission::bms::replay::ReplayLink;
use jk_commission::bms::sim::{SimConfig, SimControl, SimLink};

use crate::common::{cmd, example, paused, text, tmp, trusted_key};
use crate::vectors;

/// A capture of `frames` as a real radio delivers them: each cut 128 + 22 + 150 (or as it
/// comes, when shorter), after the request for device info, one frame every 200 ms.
fn capture_of(frames: &[Vec<u8>]) -> String {
    let mut t = String::from("jkcap/1 source=C8:47:8C:00:00:01 start=2026-01-01T00:00:00Z\n");
    t.push_str("0 up 43383a34373a38433a30303a30303a3031\n");
    t.push_str(&format!(
        "5 out {}\n",
        capture::to_hex(&command(CMD_DEVICE_INFO, &[]))
    ));
    for (i, f) in frames.iter().enumerate() {
        let at = 100 + 200 * i;
        let cuts = [0, 128.min(f.len()), 150.min(f.len()), f.len()];
        for w in cuts.windows(2).filter(|w| w[0] < w[1]) {
            t.push_str(&format!("{at} in {}\n", capture::to_hex(&f[w[0]..w[1]])));
        }
    }
    t
}

/// Every event of `link` until `until` of (virtual) time has passed, asking it to refresh at
/// each of `refresh_at`.
async fn events_of<L: BmsLink>(
    link: &mut L,
    until: Duration,
    refresh_at: &[Duration],
) -> Vec<LinkEvent> {
    link.connect().await.expect("the link connects");
    let start = tokio::time::Instant::now();
    let mut refreshes = refresh_at.to_vec();
    let mut out = Vec::new();
    loop {
        let next_refresh = refreshes.first().copied();
        let deadline = match next_refresh {
            Some(r) => start + r.min(until),
            None => start + until,
        };
        tokio::select! {
            e = link.next_event() => match e {
                Some(e) => out.push(e),
                None => return out,
            },
            _ = tokio::time::sleep_until(deadline) => {
                if next_refresh.is_some_and(|r| r <= until) {
                    refreshes.remove(0);
                    let _ = link.refresh().await;
                } else {
                    return out;
                }
            }
        }
    }
}

/// The frames among `events` (not up, down or refusals).
fn frames(events: &[LinkEvent]) -> Vec<LinkEvent> {
    events
        .iter()
        .filter(|e| !matches!(e, LinkEvent::Up { .. } | LinkEvent::Down { .. }))
        .cloned()
        .collect()
}

/// A frame event as `FrameStream` results print (`Ok(CellInfo(…))`), a refusal by its reason.
fn shown(e: &LinkEvent) -> String {
    use jk_commission::bms::model::Frame;
    let frame = match e {
        LinkEvent::DeviceInfo(d) => Frame::DeviceInfo(d.clone()),
        LinkEvent::Settings(s) => Frame::Settings(s.clone()),
        LinkEvent::CellInfo(c) => Frame::CellInfo(c.clone()),
        LinkEvent::Logbook(l) => Frame::Logbook(l.clone()),
        LinkEvent::Rejected { reason } => return format!("refused: {reason}"),
        other => return format!("{other:?}"),
    };
    format!("Ok({frame:?})")
}

#[test]
fn real_frames_in_a_capture_replay_to_what_they_decode_to() {
    for file in vectors::files() {
        let frames_hex: Vec<Vec<u8>> = vectors::load(&file).into_iter().map(|(b, _)| b).collect();
        let mut direct = FrameStream::new(None);
        let expected: Vec<String> = frames_hex
            .iter()
            .flat_map(|f| direct.push(f))
            .map(|r| format!("{r:?}"))
            .collect();
        let parsed = capture::parse(&capture_of(&frames_hex), &file).unwrap();
        let mut link = ReplayLink::new(&parsed, "vectors.jkcap");
        let events = paused().block_on(events_of(&mut link, Duration::from_secs(60), &[]));
        assert_eq!(
            events.first(),
            Some(&LinkEvent::Up {
                peer: "replay:vectors.jkcap".into()
            }),
            "{file}"
        );
        let got: Vec<String> = frames(&events).iter().map(shown).collect();
        assert_eq!(got.len(), expected.len(), "{file}: {got:#?}");
        for (g, x) in got.iter().zip(&expected) {
            if x.starts_with("Ok(") {
                assert_eq!(g, x, "{file}");
            } else {
                assert!(g.starts_with("refused: "), "{file}: {g} for {x}");
            }
        }
        // The end of the capture is said, after the grace, in a sentence naming it.
        let Some(LinkEvent::Down { reason }) = events.last() else {
            panic!("{file}: no end: {events:?}")
        };
        assert!(
            reason
                .to_string()
                .contains("the capture vectors.jkcap ends here"),
            "{reason}"
        );
    }
}

#[test]
fn decode_reads_a_capture_as_it_reads_plain_hex() {
    let dir = tmp();
    for file in vectors::files() {
        let frames_hex: Vec<Vec<u8>> = vectors::load(&file).into_iter().map(|(b, _)| b).collect();
        let plain: String = frames_hex
            .iter()
            .map(|f| capture::to_hex(f) + "\n")
            .collect();
        let hex_path = dir.path().join("plain.hex");
        let cap_path = dir.path().join("c.jkcap");
        std::fs::write(&hex_path, plain).unwrap();
        std::fs::write(&cap_path, capture_of(&frames_hex)).unwrap();
        let a = cmd().arg("decode").arg(&hex_path).output().unwrap();
        let b = cmd().arg("decode").arg(&cap_path).output().unwrap();
        assert_eq!(a.status.code(), b.status.code(), "{file}");
        assert!(!a.stdout.is_empty(), "{file}");
        assert_eq!(text(&a.stdout), text(&b.stdout), "{file}");
    }
    // A broken capture line is named by its line, exit 2.
    let bad = dir.path().join("bad.jkcap");
    std::fs::write(
        &bad,
        "jkcap/1 source=simulator start=2026-01-01T00:00:00Z\n0 up\n12 in 55aaeb9\n",
    )
    .unwrap();
    let out = cmd().arg("decode").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "bad.jkcap:3: not a capture line: the payload has an odd number of hex digits"
        ),
        "{err}"
    );
}

#[test]
fn the_passcodes_never_reach_a_capture_and_it_still_decodes() {
    let (dev, _) = vectors::load("jk02-24s-v10.json").remove(0);
    assert_eq!(&dev[62..66], b"1234", "the vector carries the passcode");
    let dir = tmp();
    let path = dir.path().join("c.jkcap");
    let tap = Tap::create(&path, "C8:47:8C:00:00:01").unwrap();
    // Cut in the middle of the passcode, an acknowledgement between the pieces.
    tap.notification(&dev[..64]);
    tap.notification(&command(CMD_DEVICE_INFO, &[]));
    tap.notification(&dev[64..120]);
    tap.notification(&dev[120..]);
    tap.seal().unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    for secret in ["31323334", "313233343536"] {
        assert!(!written.contains(secret), "{secret} in {written}");
    }
    let out = cmd().arg("decode").arg(&path).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut direct = FrameStream::new(None);
    let want = direct.push(&dev);
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let jk_commission::bms::model::Frame::DeviceInfo(d) = want[0].clone().unwrap() else {
        panic!()
    };
    assert_eq!(got["serial_number"], d.serial_number.as_str());
    assert_eq!(got["type"], "device_info");
}

#[test]
fn a_recording_of_the_simulator_replays_to_the_same_frames() {
    let dir = tmp();
    let path = dir.path().join("sim.jkcap");
    let until = Duration::from_secs(40);
    let refresh = [Duration::from_secs(7), Duration::from_secs(21)];
    let live = paused().block_on(async {
        let control = SimControl::from_config(SimConfig::ready()).unwrap();
        let tap = Tap::create(&path, "simulator").unwrap();
        let mut link = Recorder::new(SimLink::new(control), tap.clone());
        let events = events_of(&mut link, until, &refresh).await;
        tap.seal().unwrap();
        events
    });
    let parsed = capture::load(&path).unwrap();
    // The simulator's device info carries passcodes (1234, 123456): none reached the file.
    let mut reassembler = jk_commission::bms::frame::Reassembler::new();
    let mut devices = 0;
    for e in &parsed.segments[0].entries {
        if e.direction != capture::Direction::In {
            continue;
        }
        for raw in reassembler.push(&e.payload) {
            let raw = raw.expect("every recorded frame keeps a good sum");
            if raw.frame_type() == jk_commission::bms::frame::FrameType::DeviceInfo {
                devices += 1;
                for range in jk_commission::bms::decode::PASSCODE_BYTES {
                    assert!(raw.0[range].iter().all(|&b| b == 0));
                }
            }
        }
    }
    assert!(devices >= 1);
    let mut replay = ReplayLink::new(&parsed, "sim.jkcap");
    let replayed = paused().block_on(events_of(&mut replay, until, &refresh));
    let live_frames = frames(&live);
    assert!(live_frames.len() > 30, "{}", live_frames.len());
    assert!(
        live_frames
            .iter()
            .any(|e| matches!(e, LinkEvent::Settings(_))),
        "{live_frames:?}"
    );
    // The refreshes were in the recording: the replay plays them, answering nothing twice.
    let replayed_frames = frames(&replayed);
    let first_difference = replayed_frames
        .iter()
        .zip(&live_frames)
        .position(|(a, b)| a != b);
    assert_eq!(
        (replayed_frames.len(), first_difference),
        (live_frames.len(), None),
        "frames replayed, and the first that differs"
    );
    assert_eq!(
        replayed.first(),
        Some(&LinkEvent::Up {
            peer: "replay:sim.jkcap".into()
        })
    );
}

#[test]
fn a_replay_says_what_the_capture_does_not_hold() {
    // Device info only: nobody asked this unit for its settings.
    let (dev, _) = vectors::load("jk02-24s-v10.json").remove(0);
    let parsed = capture::parse(&capture_of(&[dev]), "c").unwrap();
    let mut link = ReplayLink::new(&parsed, "device-only.jkcap");
    paused().block_on(async {
        link.connect().await.unwrap();
        let err = link.refresh().await.unwrap_err();
        assert!(matches!(err, LinkError::NotInCapture(_)), "{err:?}");
        assert_eq!(
            err.to_string(),
            "the capture device-only.jkcap holds no answer to a request for settings and live \
             data (command 0x96): the recorded unit was never asked for them"
        );
    });
    // A capture with a 0x96 and its answer: a later request gets that answer again.
    let settings = vectors::load("jk02-24s-v10.json")
        .into_iter()
        .find(|(_, x)| x["type"] == "settings")
        .map(|(b, _)| b)
        .unwrap();
    let mut text = capture_of(&[]);
    text.push_str(&format!(
        "10 out {}\n11 in {}\n",
        capture::to_hex(&command(CMD_CELL_INFO, &[])),
        capture::to_hex(&settings)
    ));
    let parsed = capture::parse(&text, "c").unwrap();
    let mut link = ReplayLink::new(&parsed, "s.jkcap");
    let events = paused().block_on(events_of(
        &mut link,
        Duration::from_secs(30),
        &[Duration::from_secs(3)],
    ));
    let settings_seen = events
        .iter()
        .filter(|e| matches!(e, LinkEvent::Settings(_)))
        .count();
    assert_eq!(
        settings_seen, 2,
        "the recorded one and the answer at 3 s: {events:?}"
    );
}

/// `run` with `unit` (`--sim` or `--replay FILE`) into `out`: exit status, stdout, stderr.
fn run(unit: &[&str], answers: &Path, out: &Path, key: &Path) -> (Option<i32>, String, String) {
    let o = cmd()
        .arg("run")
        .args(unit)
        .arg("--answers")
        .arg(answers)
        .arg("--out")
        .arg(out)
        .arg("--key")
        .arg(key)
        .output()
        .unwrap();
    (o.status.code(), text(&o.stdout), text(&o.stderr))
}

fn verify(log: &Path, allowed: &Path) -> (Option<i32>, String, String) {
    let o = cmd()
        .arg("verify")
        .arg(log)
        .arg("--allowed-signers")
        .arg(allowed)
        .output()
        .unwrap();
    (o.status.code(), text(&o.stdout), text(&o.stderr))
}

#[test]
fn a_simulator_session_replays_through_run_to_the_same_verdict() {
    let dir = tmp();
    let (key, allowed) = trusted_key(dir.path(), "operator", "anna@bench");
    let answers = example("clean-lifepo4-16s.yaml");
    let live = dir.path().join("live");
    let (code, out, err) = run(&["--sim"], &answers, &live, &key);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("verdict PASS"), "{out}");
    let capture = live.join("capture.jkcap");
    let bytes = std::fs::read(&capture).unwrap();
    let log = std::fs::read_to_string(live.join("log.yaml")).unwrap();
    let sha = jk_commission::wizard::spec::sha256_hex(&bytes);
    assert!(
        log.contains(&format!(
            "capture:\n  file: capture.jkcap\n  sha256: {sha}\n"
        )),
        "{log}"
    );
    assert!(!log.contains("replayed"), "{log}");
    let (code, vout, verr) = verify(&live.join("log.yaml"), &allowed);
    assert_eq!(code, Some(0), "{vout}{verr}");
    assert!(
        vout.contains(&format!("capture:   capture.jkcap (sha256 {sha}, matches)")),
        "{vout}"
    );

    let again = dir.path().join("replayed");
    let replay = capture.display().to_string();
    let (code, rout, err) = run(&["--replay", &replay], &answers, &again, &key);
    assert_eq!(code, Some(0), "{err}");
    assert!(rout.contains("verdict PASS"), "{rout}");
    let log = std::fs::read_to_string(again.join("log.yaml")).unwrap();
    assert!(log.contains("simulated: false\nreplayed: true\n"), "{log}");
    assert!(log.contains("link: replay:capture.jkcap"), "{log}");
    let report = std::fs::read_to_string(again.join("report.html")).unwrap();
    assert!(report.contains("REPLAYED BMS:"), "the report says so too");
    assert!(
        !report.contains("against a real unit"),
        "a replay is no real unit"
    );
    let (code, vout, verr) = verify(&again.join("log.yaml"), &allowed);
    assert_eq!(code, Some(0), "{vout}{verr}");
    assert!(
        vout.contains("REPLAYED:  the BMS was a recorded capture"),
        "{vout}"
    );
    assert!(!vout.contains("SIMULATED BMS"), "{vout}");
    // Passed off as live and signed again: refused, even with only the log to go on.
    let forged = log.replace("replayed: true\n", "");
    std::fs::write(again.join("log.yaml"), &forged).unwrap();
    let signing = jk_commission::log::sign::load_signing_key(&key).unwrap();
    std::fs::write(
        again.join("log.yaml.sig"),
        jk_commission::log::sign::sign(&signing, forged.as_bytes()).unwrap(),
    )
    .unwrap();
    for only in [false, true] {
        let mut c = cmd();
        c.arg("verify")
            .arg(again.join("log.yaml"))
            .arg("--allowed-signers")
            .arg(&allowed);
        if only {
            c.arg("--log-only");
        }
        let o = c.output().unwrap();
        assert_eq!(o.status.code(), Some(1), "--log-only {only}");
        assert!(
            text(&o.stderr).contains("not marked replayed"),
            "{}",
            text(&o.stderr)
        );
    }

    // A changed capture is caught: the log names its hash.
    let mut changed = bytes.clone();
    let at = changed.len() - 3;
    changed[at] = if changed[at] == b'0' { b'1' } else { b'0' };
    std::fs::write(&capture, changed).unwrap();
    let (code, vout, verr) = verify(&live.join("log.yaml"), &allowed);
    assert_eq!(code, Some(1), "{vout}{verr}");
    assert!(
        verr.contains("the capture") && verr.contains("was changed"),
        "{verr}"
    );
    // Sent without it, the log still verifies, and says the capture was not checked.
    std::fs::remove_file(&capture).unwrap();
    let (code, vout, _) = verify(&live.join("log.yaml"), &allowed);
    assert_eq!(code, Some(0));
    assert!(
        vout.contains("capture.jkcap NOT CHECKED: the file is not beside the log"),
        "{vout}"
    );
}

#[test]
fn a_refused_simulator_session_is_refused_the_same_way_replayed() {
    let dir = tmp();
    let (key, _) = trusted_key(dir.path(), "operator", "anna@bench");
    for name in [
        "refuse-uvp-too-low.yaml",
        "refuse-ovp-raised-before-test.yaml",
    ] {
        let answers = example(name);
        let live = dir.path().join(format!("live-{name}"));
        let (code, _, live_err) = run(&["--sim"], &answers, &live, &key);
        assert_eq!(code, Some(1), "{name}: {live_err}");
        let replay = live.join("capture.jkcap").display().to_string();
        let again = dir.path().join(format!("again-{name}"));
        let (code, _, err) = run(&["--replay", &replay], &answers, &again, &key);
        assert_eq!(code, Some(1), "{name}: {err}");
        let refusal = |e: &str| {
            e.lines()
                .skip_while(|l| !l.starts_with("refused at step"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert!(!refusal(&live_err).is_empty(), "{live_err}");
        assert_eq!(refusal(&err), refusal(&live_err), "{name}");
    }
}

#[test]
fn monitor_records_and_replays_the_same_frames() {
    let dir = tmp();
    let path = dir.path().join("m.jkcap");
    let live = cmd()
        .args(["monitor", "--sim", "--json", "--frames", "5", "--record"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(live.status.success(), "{}", text(&live.stderr));
    assert!(
        text(&live.stderr).contains("capture written to"),
        "{}",
        text(&live.stderr)
    );
    let again = cmd()
        .args(["monitor", "--json", "--frames", "5", "--replay"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(text(&again.stdout), text(&live.stdout));
    assert_eq!(text(&live.stdout).lines().count(), 5);
    // Not a capture: named, exit 2.
    let hex = dir.path().join("plain.hex");
    std::fs::write(&hex, "55aaeb90\n").unwrap();
    let bad = cmd()
        .args(["monitor", "--replay"])
        .arg(&hex)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("not a capture"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn a_replay_is_one_unit_of_one_kind() {
    let dir = tmp();
    let path = dir.path().join("c.jkcap");
    std::fs::write(
        &path,
        capture_of(&[vectors::load("jk02-24s-v10.json").remove(0).0]),
    )
    .unwrap();
    let p = path.display().to_string();
    let both = cmd()
        .args(["monitor", "--sim", "--replay", &p])
        .output()
        .unwrap();
    assert_eq!(both.status.code(), Some(2));
    let check = cmd()
        .args(["train", "--replay", &p, "--check", "x.yaml"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(2));
    assert!(
        text(&check.stderr).contains(
            "--check plays each scenario's simulated unit; --replay shows a recorded unit in the wizard"
        ),
        "{}",
        text(&check.stderr)
    );
    let answers = example("clean-lifepo4-16s.yaml");
    let addr = cmd()
        .args([
            "run",
            "--replay",
            &p,
            "--address",
            "C8:47:8C:00:00:01",
            "--answers",
        ])
        .arg(&answers)
        .arg("--out")
        .arg(dir.path().join("o"))
        .output()
        .unwrap();
    assert_eq!(addr.status.code(), Some(2));
    assert!(
        text(&addr.stderr).contains("choose one unit: --replay or --address"),
        "{}",
        text(&addr.stderr)
    );
    let both = text(&both.stderr);
    assert!(
        both.contains("cannot be used with") || both.contains("choose one unit"),
        "{both}"
    );
}
