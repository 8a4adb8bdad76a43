//! The captured frames of real units (shared/vectors) decode to the values written beside them,
//! however the BLE stack cuts them up, and the encoders are the exact inverse of the decoder.

use jk_commission::bms::decode::{
    decode, encode_cell_info, encode_device_info, encode_logbook, encode_settings, DecodeError,
    FrameStream, Passcodes, StreamError,
};
use jk_commission::bms::frame::{RawFrame, FRAME_LEN};
use jk_commission::bms::json::frame_to_json;
use jk_commission::bms::model::{
    BalancingAction, CellInfo, ControlBits, DeviceInfo, Frame, Layout, LogEntry, Logbook, Settings,
};
use jk_commission::units::{AmpHours, Amps, Celsius, Ohms, Volts};
use serde_json::Value;

const ACK: [u8; 20] = [
    0xAA, 0x55, 0x90, 0xEB, 0xC8, 0x01, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x44,
];
const AT: &[u8] = b"AT\r\n";

use crate::vectors;

struct Vector {
    file: String,
    index: usize,
    bytes: Vec<u8>,
    expect: Value,
}

/// Every file's frames, in file order.
fn units() -> Vec<(String, Vec<Vector>)> {
    let files = vectors::files();
    assert!(
        files.len() >= 4,
        "expected at least 4 vector files in {}",
        vectors::dir_or_fail().display()
    );
    files
        .into_iter()
        .map(|name| {
            let frames = vectors::load(&name)
                .into_iter()
                .enumerate()
                .map(|(index, (bytes, expect))| Vector {
                    file: name.clone(),
                    index,
                    bytes,
                    expect,
                })
                .collect();
            (name, frames)
        })
        .collect()
}

/// Decimals written in `expected` (e.g. 3.28 → 2), to compare with half its last digit.
fn tolerance(expected: &Value) -> f64 {
    let text = expected.to_string();
    let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
    0.5 * 10f64.powi(-(decimals as i32)) + 1e-9
}

fn assert_matches(what: &str, expected: &Value, got: &Value) {
    match expected {
        Value::Number(e) => {
            let g = got
                .as_f64()
                .unwrap_or_else(|| panic!("{what}: expected {e}, got {got}"));
            let e = e.as_f64().unwrap();
            assert!(
                (g - e).abs() <= tolerance(expected),
                "{what}: expected {e}, got {g}"
            );
        }
        Value::Array(items) => {
            let g = got
                .as_array()
                .unwrap_or_else(|| panic!("{what}: expected a list, got {got}"));
            // The vectors list probes 1 and 2; 32S units report probes 3-5 after them.
            if what.ends_with(".temperatures") {
                assert!(g.len() >= items.len(), "{what}: length; got {got}");
            } else {
                assert_eq!(g.len(), items.len(), "{what}: length; got {got}");
            }
            for (i, (e, g)) in items.iter().zip(g).enumerate() {
                assert_matches(&format!("{what}[{i}]"), e, g);
            }
        }
        Value::Object(map) => {
            for (k, e) in map {
                assert_matches(&format!("{what}.{k}"), e, &got[k]);
            }
        }
        other => assert_eq!(got, other, "{what}"),
    }
}

/// Feed a unit's notifications through one stream, as the live link does.
fn run(stream: &mut FrameStream, notifications: &[Vec<u8>]) -> Vec<Result<Frame, StreamError>> {
    notifications.iter().flat_map(|n| stream.push(n)).collect()
}

fn check_unit(label: &str, frames: &[Vector], cut: impl Fn(&[u8]) -> Vec<Vec<u8>>) {
    let mut stream = FrameStream::new(None);
    for v in frames {
        let got = run(&mut stream, &cut(&v.bytes));
        let what = format!("{label}: {} frame {}", v.file, v.index);
        assert_eq!(got.len(), 1, "{what}: expected one frame, got {got:?}");
        let frame = got[0]
            .as_ref()
            .unwrap_or_else(|e| panic!("{what}: refused: {e}"));
        assert_matches(&what, &v.expect, &frame_to_json(frame));
    }
    assert_eq!(stream.pending(), 0, "{label}: bytes left over");
}

#[test]
fn every_vector_decodes_to_its_expected_values() {
    for (_, frames) in units() {
        check_unit("whole", &frames, |b| vec![b.to_vec()]);
    }
}

#[test]
fn every_vector_survives_a_cut_at_every_byte_with_noise_between() {
    for (_, frames) in units() {
        for at in 1..FRAME_LEN {
            check_unit(&format!("cut at {at}"), &frames, |b| {
                vec![b[..at].to_vec(), b[at..].to_vec()]
            });
            check_unit(&format!("cut at {at} + ack/AT"), &frames, |b| {
                vec![
                    ACK.to_vec(),
                    b[..at].to_vec(),
                    ACK.to_vec(),
                    AT.to_vec(),
                    b[at..].to_vec(),
                ]
            });
        }
    }
}

#[test]
fn every_vector_survives_20_byte_chunks_and_extra_bytes() {
    for (_, frames) in units() {
        check_unit("20-byte chunks with noise", &frames, |b| {
            let mut out = vec![AT.to_vec()];
            for (i, c) in b.chunks(20).enumerate() {
                out.push(c.to_vec());
                if i % 3 == 1 {
                    out.push(ACK.to_vec());
                }
                if i % 4 == 2 {
                    out.push(AT.to_vec());
                }
            }
            out
        });
        check_unit("128+22+150", &frames, |b| {
            vec![b[..128].to_vec(), b[128..150].to_vec(), b[150..].to_vec()]
        });
        check_unit("300 + 20 extra bytes", &frames, |b| {
            let mut n = b.to_vec();
            n.extend_from_slice(&[0x00; 20]);
            vec![n]
        });
    }
}

#[test]
fn one_changed_byte_is_refused_as_a_bad_sum() {
    for (_, frames) in units() {
        for v in &frames {
            for at in [4usize, 6, 100, 200, 298, 299] {
                let mut b = v.bytes.clone();
                b[at] = b[at].wrapping_add(1);
                let got = FrameStream::new(None).push(&b);
                assert!(
                    matches!(got[..], [Err(StreamError::Frame(_))]),
                    "{} frame {} byte {at}: {got:?}",
                    v.file,
                    v.index
                );
            }
        }
    }
}

#[test]
fn the_passcodes_never_appear_in_any_output() {
    let (_, frames) = units()
        .into_iter()
        .find(|(name, _)| name.contains("24s"))
        .expect("the 24S vector");
    let dev = &frames[0];
    assert_eq!(
        &dev.bytes[62..66],
        b"1234",
        "the vector carries the passcode"
    );
    let raw = RawFrame(dev.bytes.clone().try_into().unwrap());
    let frame = decode(&raw, None).unwrap();
    let mut stream = FrameStream::new(None);
    stream.push(&dev.bytes[..150]);
    let outputs = [
        frame_to_json(&frame).to_string(),
        format!("{frame:?}"),
        format!("{frame:#?}"),
        format!("{raw:?}"),
        format!("{stream:?}"),
        serde_json::to_string(&frame).unwrap(),
    ];
    for shown in outputs {
        for secret in ["1234", "123456", "31323334"] {
            assert!(!shown.contains(secret), "'{secret}' leaked into: {shown}");
        }
    }
}

#[test]
fn jk04_device_info_decodes_and_its_cell_frames_are_refused_by_name() {
    let (_, frames) = units()
        .into_iter()
        .find(|(name, _)| name.contains("jk04"))
        .expect("the JK04 vector");
    let mut stream = FrameStream::new(None);
    let got = stream.push(&frames[0].bytes);
    assert!(matches!(&got[..], [Ok(Frame::DeviceInfo(d))] if d.software_version == "3.3.0"));
    // Any cell-info frame after it (here a perfectly good 32S one) is refused, naming JK04.
    let cells = encode_cell_info(&sample_cells(Layout::S32, 16));
    let got = stream.push(&cells.0);
    let [Err(StreamError::Decode(e @ DecodeError::Jk04(_)))] = &got[..] else {
        panic!("expected a JK04 refusal, got {got:?}");
    };
    assert!(
        e.to_string().contains("JK04") && e.to_string().contains("3.3.0"),
        "{e}"
    );
}

#[test]
fn the_logbook_vector_holds_its_four_entries() {
    let (_, frames) = units()
        .into_iter()
        .find(|(name, _)| name.contains("v19"))
        .expect("the 19.27 vector");
    let v = frames
        .iter()
        .find(|v| v.expect["type"] == "logbook")
        .unwrap();
    let raw = RawFrame(v.bytes.clone().try_into().unwrap());
    let Ok(Frame::Logbook(log)) = decode(&raw, None) else {
        panic!("not a logbook")
    };
    let codes: Vec<(u32, u8)> = log.entries.iter().map(|e| (e.seconds, e.code)).collect();
    assert_eq!(
        codes,
        vec![(0, 0x01), (238, 0x44), (2_514_095, 0x1B), (2_514_136, 0x1C)]
    );
    let j = frame_to_json(&Frame::Logbook(log));
    assert_eq!(j["entries"][0]["event"], "boot");
    assert_eq!(j["entries"][1]["event"], "factory settings loaded: LiFePO4");
    assert_eq!(
        j["entries"][2]["event"],
        "charge low-temperature protection on"
    );
    assert_eq!(
        j["entries"][3]["event"],
        "charge low-temperature protection released"
    );
}

#[test]
fn cell_frames_alone_are_decided_by_their_mask() {
    for (_, frames) in units() {
        for v in frames.iter().filter(|v| v.expect["type"] == "cell_info") {
            let raw = RawFrame(v.bytes.clone().try_into().unwrap());
            let want = match v.expect["variant"].as_str().unwrap() {
                "24s" => Layout::S24,
                _ => Layout::S32,
            };
            let Ok(Frame::CellInfo(c)) = decode(&raw, None) else {
                panic!("{}", v.file)
            };
            assert_eq!(c.layout, want, "{}", v.file);
            let wrong = match want {
                Layout::S24 => Layout::S32,
                Layout::S32 => Layout::S24,
            };
            assert_eq!(
                decode(&raw, Some(wrong)),
                Err(DecodeError::LayoutMismatch {
                    expected: wrong,
                    found: want
                }),
                "{}",
                v.file
            );
        }
    }
}

#[test]
fn real_frames_survive_decode_then_encode() {
    // Re-encoding a decoded real frame and decoding again gives the same model: the tables
    // the encoder writes are the ones the decoder reads.
    for (_, frames) in units() {
        let mut stream = FrameStream::new(None);
        for v in frames {
            let raw = RawFrame(v.bytes.clone().try_into().unwrap());
            let layout = stream.layout();
            let frame = stream.accept(&raw).unwrap();
            let again = match &frame {
                Frame::DeviceInfo(d) => encode_device_info(d, &Passcodes::default(), 0),
                Frame::Settings(s) => encode_settings(s, 0),
                Frame::CellInfo(c) => encode_cell_info(c),
                Frame::Logbook(l) => encode_logbook(l, 0),
            };
            assert_eq!(
                decode(&again, layout).unwrap(),
                frame,
                "{} {}",
                v.file,
                v.index
            );
        }
    }
}

fn sample_cells(layout: Layout, n: usize) -> CellInfo {
    let slots = layout.slots();
    let mask = if n == 32 { u32::MAX } else { (1u32 << n) - 1 };
    CellInfo {
        layout,
        counter: n as u8,
        cell_voltages: (0..slots)
            .map(|i| Volts::from_millivolts(if i < n { 3200 + 7 * i as i64 } else { 0 }))
            .collect(),
        enabled_mask: mask,
        average_voltage: Volts::from_millivolts(3250),
        delta_voltage: Volts::from_millivolts(7 * n as i64),
        max_cell: (n - 1) as u8,
        min_cell: 0,
        lead_resistances: (0..slots)
            .map(|i| Ohms::from_milliohms(if i < n { 60 + 2 * i as i64 } else { 0 }))
            .collect(),
        lead_warning_bits: 1 << (n - 1),
        mos_temperature: Some(Celsius::from_decidegrees(234)),
        pack_voltage: Volts::from_millivolts(3250 * n as i64),
        current: Amps::from_milliamps(-727),
        probes: (0..layout_probes(layout))
            .map(|i| (i != 1).then(|| Celsius::from_decidegrees(-55 + 10 * i as i64)))
            .collect(),
        alarm_bits: (1 << 2) | (1 << 11),
        balancing_current: Amps::from_milliamps(-120),
        balancing_action: BalancingAction::Discharging,
        soc: 42,
        remaining_capacity: AmpHours::from_milliamp_hours(131_880),
        full_capacity: AmpHours::from_milliamp_hours(314_000),
        cycle_count: 17,
        charging: true,
        discharging: false,
        temp_sensor_bits: 0b111,
        emergency: (layout == Layout::S32).then_some(false),
    }
}

fn layout_probes(layout: Layout) -> usize {
    match layout {
        Layout::S24 => 2,
        Layout::S32 => 5,
    }
}

#[test]
fn encode_then_decode_is_the_identity_for_both_layouts_and_4_to_32_cells() {
    for layout in [Layout::S24, Layout::S32] {
        for n in 4..=layout.slots() {
            let cells = sample_cells(layout, n);
            let raw = encode_cell_info(&cells);
            assert!(raw.checksum_ok());
            assert_eq!(
                decode(&raw, Some(layout)),
                Ok(Frame::CellInfo(cells.clone())),
                "{layout} {n} cells"
            );
            // Realistic values: the mask alone finds the layout too.
            assert_eq!(
                decode(&raw, None),
                Ok(Frame::CellInfo(cells)),
                "{layout} {n} (mask)"
            );
        }
        let settings = Settings {
            cell_uvp: Volts(2.6),
            cell_uvpr: Volts(2.68),
            cell_ovp: Volts(3.65),
            cell_ovpr: Volts(3.448),
            balance_trigger: Volts(0.005),
            power_off_voltage: Volts(2.5),
            max_charge_current: Amps(80.0),
            max_discharge_current: Amps(100.0),
            charge_otp: Celsius(70.0),
            charge_utp: Celsius(-2.5),
            charge_utpr: Celsius(5.0),
            cell_count: 16,
            charge_switch: true,
            discharge_switch: false,
            balance_switch: true,
            capacity: AmpHours(314.0),
            balance_start_voltage: Volts(3.45),
            control: (layout == Layout::S32).then_some(ControlBits {
                heating: true,
                disable_temp_sensors: false,
                port_rs485: true,
                display_always_on: true,
            }),
        };
        assert_eq!(
            decode(&encode_settings(&settings, 9), Some(layout)),
            Ok(Frame::Settings(settings))
        );
    }
    let info = DeviceInfo {
        model: "JK_PB2A16S15P".into(),
        hardware_version: "14.XA".into(),
        software_version: "14.20".into(),
        uptime_s: 107_400,
        power_on_count: 148,
        device_name: "garage pack".into(),
        manufacturing_date: "231118".into(),
        serial_number: "3092572134".into(),
    };
    let raw = encode_device_info(&info, &Passcodes::default(), 1);
    assert_eq!(decode(&raw, None), Ok(Frame::DeviceInfo(info)));
    let log = Logbook {
        entries: vec![
            LogEntry {
                seconds: 0,
                code: 0x01,
            },
            LogEntry {
                seconds: 238,
                code: 0x44,
            },
        ],
    };
    assert_eq!(
        decode(&encode_logbook(&log, 2), None),
        Ok(Frame::Logbook(log))
    );
}

#[test]
fn unplugged_cells_decode_as_no_cells_once_the_layout_is_known() {
    // A real 32S frame with the balance plug out: no cell voltages, an all-zero mask.
    let (_, frames) = units()
        .into_iter()
        .find(|(name, _)| name.contains("v14"))
        .expect("the 14.20 vector");
    let raw = RawFrame(frames[2].bytes.clone().try_into().unwrap());
    let Ok(Frame::CellInfo(mut c)) = decode(&raw, None) else {
        panic!()
    };
    c.enabled_mask = 0;
    c.cell_voltages.iter_mut().for_each(|v| *v = Volts(0.0));
    let unplugged = encode_cell_info(&c);
    let mut stream = FrameStream::new(None);
    stream.push(&frames[0].bytes);
    let got = stream.push(&unplugged.0);
    let [Ok(Frame::CellInfo(back))] = &got[..] else {
        panic!("{got:?}")
    };
    let j = frame_to_json(&Frame::CellInfo(back.clone()));
    assert_eq!(j["cell_count"], 0);
    assert_eq!(j["cell_voltages"], serde_json::json!([]));
    // Without device info the same frame cannot be placed.
    assert_eq!(
        decode(&unplugged, None),
        Err(DecodeError::UndecidableLayout)
    );
}
