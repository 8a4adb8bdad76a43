//! `jk-commission decode` as a user runs it: captures in, JSON out, refusals named by line,
//! and the exit status 0 / 1 / 2.

use std::io::Write;

use std::process::{Command, Output, Stdio};

use jk_commission::bms::decode::{decode, encode_cell_info};
use jk_commission::bms::frame::{RawFrame, FRAME_LEN};
use jk_commission::bms::model::Frame;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_jk-commission");

use crate::vectors;

use vectors::load as vector;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One frame as the lines of a capture: 128 + 22 + 150 bytes, as a phone's stack delivers.
fn lines_of(frame: &[u8]) -> Vec<String> {
    vec![
        hex(&frame[..128]),
        hex(&frame[128..150]),
        hex(&frame[150..]),
    ]
}

fn run_on(text: &str, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("capture.hex");
    std::fs::write(&path, text).unwrap();
    let out = Command::new(BIN)
        .arg("decode")
        .args(args)
        .arg(&path)
        .output()
        .unwrap();
    drop(dir);
    out
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn every_vector_file_decodes_with_exit_0() {
    for name in [
        "jk02-24s-v10.json",
        "jk02-32s-v14.json",
        "jk02-32s-v19.json",
        "jk04-old.json",
    ] {
        let frames = vector(name);
        let text: String = frames
            .iter()
            .flat_map(|(b, _)| lines_of(b))
            .map(|l| l + "\n")
            .collect();
        let out = run_on(&text, &[]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        let got = json_lines(&out);
        assert_eq!(got.len(), frames.len(), "{name}");
        for (g, (_, e)) in got.iter().zip(&frames) {
            assert_eq!(g["type"], e["type"], "{name}");
            for key in [
                "model",
                "software_version",
                "serial_number",
                "soc",
                "alarm_bits",
            ] {
                if !e[key].is_null() {
                    assert_eq!(g[key], e[key], "{name} {key}");
                }
            }
        }
    }
}

#[test]
fn messy_captures_from_stdin_decode_too() {
    let frames = vector("jk02-32s-v19.json");
    let mut text = String::from("# nRF Connect export\n\n");
    for (bytes, _) in &frames {
        text += "AA:55:90:EB:C8:01:01:00:00:00:00:00:00:00:00:00:00:00:00:44\n";
        for chunk in bytes.chunks(20) {
            let spaced: Vec<String> = chunk.iter().map(|b| format!("0x{b:02X}")).collect();
            text += &spaced.join(" ");
            text += "   # piece\n";
        }
        text += "41 54 0d 0a\n";
    }
    let mut child = Command::new(BIN)
        .args(["decode", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = json_lines(&out);
    let types: Vec<&str> = got.iter().map(|j| j["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["device_info", "settings", "cell_info", "logbook"]);
    assert_eq!(got[2]["current"], -0.727);
}

#[test]
fn a_bad_sum_is_refused_naming_its_line_and_the_rest_still_decodes() {
    let frames = vector("jk02-24s-v10.json");
    let mut lines = Vec::new();
    for (i, (bytes, _)) in frames.iter().enumerate() {
        let mut b = bytes.clone();
        if i == 1 {
            b[40] ^= 0x10;
        }
        lines.extend(lines_of(&b));
    }
    // Settings is frames[1]: lines 4-6, completed on line 6.
    let out = run_on(&(lines.join("\n") + "\n"), &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("capture.hex:6: frame refused: checksum mismatch"),
        "{err}"
    );
    let types: Vec<Value> = json_lines(&out).iter().map(|j| j["type"].clone()).collect();
    assert_eq!(types, ["device_info", "cell_info"]);
}

#[test]
fn an_unknown_frame_type_is_refused_by_its_number() {
    let mut body = [0u8; FRAME_LEN];
    body[10] = 1;
    let f = RawFrame::build(0x07, 0, &body);
    let out = run_on(&format!("# one odd frame\n{}\n", hex(&f.0)), &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(":2: frame refused: unknown frame type 0x07"),
        "{err}"
    );
}

#[test]
fn a_cell_frame_without_a_readable_layout_is_refused_unless_the_variant_is_given() {
    // A real 32S frame with the balance plug out: nothing says which layout it uses.
    let frames = vector("jk02-32s-v14.json");
    let raw = RawFrame(frames[2].0.clone().try_into().unwrap());
    let Ok(Frame::CellInfo(mut c)) = decode(&raw, None) else {
        panic!()
    };
    c.enabled_mask = 0;
    c.cell_voltages.iter_mut().for_each(|v| v.0 = 0.0);
    let unplugged = encode_cell_info(&c);
    let text = hex(&unplugged.0) + "\n";
    let out = run_on(&text, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains(":1: frame refused: cannot tell"), "{err}");
    assert!(err.contains("--variant"), "{err}");
    let out = run_on(&text, &["--variant", "32s"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json_lines(&out)[0]["cell_count"], 0);
    // After the unit's device info, auto knows the layout.
    let with_info = hex(&frames[0].0) + "\n" + &text;
    let out = run_on(&with_info, &["--variant", "auto"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json_lines(&out)[1]["variant"], "32s");
}

#[test]
fn a_forced_variant_contradicted_by_the_frame_is_refused() {
    let frames = vector("jk02-32s-v14.json");
    let out = run_on(&(hex(&frames[2].0) + "\n"), &["--variant", "24s"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(":1: frame refused") && err.contains("24s layout"),
        "{err}"
    );
}

#[test]
fn cell_frames_after_a_jk04_device_info_are_refused_by_name() {
    let old = vector("jk04-old.json");
    let new = vector("jk02-32s-v14.json");
    let text = format!("{}\n{}\n", hex(&old[0].0), hex(&new[2].0));
    let out = run_on(&text, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(":2: frame refused") && err.contains("JK04"),
        "{err}"
    );
    assert!(err.contains("3.3.0"), "{err}");
    let got = json_lines(&out);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["model"], "JK-B2A16S");
}

#[test]
fn input_that_is_not_hex_exits_2_naming_line_and_column() {
    let frames = vector("jk02-32s-v14.json");
    let text = format!("# capture\n{}\n55 aa zz\n", hex(&frames[0].0));
    let out = run_on(&text, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("capture.hex:3:7: not hex"), "{err}");
    assert!(err.contains("'z'"), "{err}");
    let out = run_on("55 a\n", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("capture.hex:1:4:"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_frame_cut_off_at_the_end_of_the_capture_is_reported() {
    let frames = vector("jk02-32s-v14.json");
    let text = format!("{}\n{}\n", hex(&frames[0].0), hex(&frames[1].0[..200]));
    let out = run_on(&text, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("incomplete frame") && err.contains("200 of 300"),
        "{err}"
    );
}

#[test]
fn a_missing_file_is_named() {
    let out = Command::new(BIN)
        .args(["decode", "/nonexistent/capture.hex"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("/nonexistent/capture.hex"),
        "{}",
        stderr(&out)
    );
}
