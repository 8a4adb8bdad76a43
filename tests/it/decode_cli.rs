//! `jk-commission decode` as a user runs it: captures in, JSON out, refusals named by line,
//! and the exit status 0 / 1 / 2.

use std::io::Write;

use std::process::{Output, Stdio};

use jk_commission::bms::decode::{decode, encode_cell_info};
use jk_commission::bms::frame::{RawFrame, FRAME_LEN};
use jk_commission::bms::model::Frame;
use serde_json::Value;

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
    let out = crate::common::cmd()
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
    let mut child = crate::common::cmd()
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
    let out = crate::common::cmd()
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

/// A real frame with some bytes changed and its checksum made right again.
fn altered(frame: &[u8], changes: &[(usize, &[u8])]) -> Vec<u8> {
    let mut f = frame.to_vec();
    for (at, bytes) in changes {
        f[*at..*at + bytes.len()].copy_from_slice(bytes);
    }
    f[FRAME_LEN - 1] = f[..FRAME_LEN - 1]
        .iter()
        .fold(0u8, |s, b| s.wrapping_add(*b));
    f
}

#[test]
fn a_settings_frame_no_unit_can_send_is_refused_even_after_a_new_looking_version() {
    // A JK-B5A24S on software 8.0.3M speaks JK04: its version looks like a 24S unit's, and
    // its settings read with the JK02 table give 1 cell and OVP 0 V.
    let v10 = vector("jk02-24s-v10.json");
    let info = altered(&v10[0].0, &[(30, b"8.0.3M\0\0")]);
    let settings = altered(
        &v10[1].0,
        &[(114, &1u32.to_le_bytes()), (18, &0u32.to_le_bytes())],
    );
    let mut text = lines_of(&info).join("\n");
    text.push('\n');
    text.push_str(&lines_of(&settings).join("\n"));
    text.push('\n');
    let out = run_on(&text, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(":6: frame refused: settings frame not understood: the cell count reads 1"),
        "{err}"
    );
    assert!(err.contains("2 to 32") && err.contains("JK04"), "{err}");
    // Shown: the device info only; the settings frame neither printed nor judged.
    let got = json_lines(&out);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["type"], "device_info");
    assert_eq!(got[0]["software_version"], "8.0.3M");
    // The real settings frame beside it still decodes.
    let ok = run_on(&format!("{}\n{}\n", hex(&info), hex(&v10[1].0)), &[]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
}

#[test]
fn absurd_temperature_limits_are_refused_naming_the_field() {
    let v14 = vector("jk02-32s-v14.json");
    let settings = altered(&v14[1].0, &[(98, &(-30_000i32).to_le_bytes())]);
    let out = run_on(&format!("{}\n", hex(&settings)), &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(":1: frame refused: settings frame not understood")
            && err.contains("under-temperature protection (UTP) reads -3000.0 °C"),
        "{err}"
    );
    assert!(json_lines(&out).is_empty());
}

#[test]
fn a_mos_sensor_the_unit_marks_absent_is_null_not_minus_200() {
    let v19 = vector("jk02-32s-v19.json");
    // MOS temperature of a 32S frame at 144: −200.0 °C, how the unit says "no sensor".
    let cells = altered(&v19[2].0, &[(144, &(-2000i16).to_le_bytes())]);
    let out = run_on(&format!("{}\n{}\n", hex(&v19[0].0), hex(&cells)), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = json_lines(&out);
    assert_eq!(got[1]["type"], "cell_info");
    assert_eq!(got[1]["mos_temperature"], Value::Null);
    // The probes are as the real frame has them.
    assert_eq!(got[1]["temperatures"][0], v19[2].1["temperatures"][0]);
}

#[test]
fn an_endless_line_is_refused_with_the_limit_and_bounded_memory() {
    use jk_commission::cmd::decode::MAX_LINE_BYTES;
    let mut child = crate::common::cmd()
        .arg("decode")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // A newline-free stream that never ends: valid hex, so only the length can stop it.
    let writer = std::thread::spawn(move || {
        let chunk = "55".repeat(32 * 1024);
        let mut sent = 0usize;
        while stdin.write_all(chunk.as_bytes()).is_ok() {
            sent += chunk.len();
            if sent > 1 << 30 {
                break;
            }
        }
        sent
    });
    let out = child.wait_with_output().unwrap();
    let sent = writer.join().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "<stdin>:1: line longer than {MAX_LINE_BYTES} bytes"
        )),
        "{err}"
    );
    // It stopped reading soon after the limit instead of holding the stream in memory.
    assert!(
        sent < 64 * MAX_LINE_BYTES,
        "read {sent} bytes before stopping"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_line_at_the_limit_is_read() {
    use jk_commission::cmd::decode::MAX_LINE_BYTES;
    let v14 = vector("jk02-32s-v14.json");
    let line = hex(&v14[0].0);
    let padded = format!("{line}{}", " ".repeat(MAX_LINE_BYTES - line.len()));
    let out = run_on(&format!("{padded}\n{padded} \n"), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(":2: line longer than"), "{err}");
    assert_eq!(json_lines(&out).len(), 1);
}

/// A long capture goes through in pieces (the reading and the decoding run side by side): a
/// frame torn across any of them still decodes, and every refusal is named by its own line,
/// in the input's order, up to the line that stops the run.
#[test]
fn a_long_capture_keeps_its_order_and_its_line_numbers() {
    let frames = vector("jk02-24s-v10.json");
    let mut lines = Vec::new();
    let mut bad = Vec::new();
    for round in 0..150 {
        for (i, (bytes, _)) in frames.iter().enumerate() {
            let mut b = bytes.clone();
            // Every 37th round the settings frame's sum is wrong.
            if i == 1 && round % 37 == 0 {
                b[40] ^= 0x10;
                bad.push(lines.len() + 3);
            }
            lines.extend(lines_of(&b));
        }
    }
    let total = lines.len();
    lines.push("55 aa zz".into());
    lines.extend(lines_of(&frames[0].0));
    let out = run_on(&(lines.join("\n") + "\n"), &[]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "the line that is not hex stops it"
    );
    let err = stderr(&out);
    let named: Vec<usize> = err
        .lines()
        .filter_map(|l| l.split_once("capture.hex:").map(|(_, rest)| rest))
        .filter_map(|l| l.split_once(": frame refused"))
        .map(|(n, _)| n.parse().unwrap())
        .collect();
    assert_eq!(named, bad, "{err}");
    assert!(
        err.trim_end()
            .ends_with(&format!("capture.hex:{}:7: not hex: 'z' is not a hex digit (each line must be one notification in hex)", total + 1)),
        "{err}"
    );
    // Every good frame before it was written, and none after it.
    let written = json_lines(&out).len();
    assert_eq!(written, 150 * frames.len() - bad.len());
}
