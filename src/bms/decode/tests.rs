use super::*;

fn frame_from(build: impl FnOnce(&mut [u8; FRAME_LEN]), frame_type: u8) -> RawFrame {
    let mut b = [0u8; FRAME_LEN];
    build(&mut b);
    RawFrame::build(frame_type, 0, &b)
}

fn table_fields(t: &CellTable) -> Vec<(&'static str, usize, usize)> {
    let slots = t.layout.slots();
    let mut v = vec![
        ("voltages", CELL_VOLTAGES_AT, 2 * slots),
        ("resistances", t.resistances_at, 2 * slots),
    ];
    for (name, f) in [
        ("mask", t.mask),
        ("average", t.average),
        ("delta", t.delta),
        ("max_cell", t.max_cell),
        ("min_cell", t.min_cell),
        ("lead_warning", t.lead_warning),
        ("mos", t.mos_temperature),
        ("balancing_action", t.balancing_action),
        ("pack", t.pack_voltage),
        ("current", t.current),
        ("alarm", t.alarm),
        ("balancing_current", t.balancing_current),
        ("soc", t.soc),
        ("remaining", t.remaining),
        ("full", t.full),
        ("cycles", t.cycles),
        ("charging", t.charging),
        ("discharging", t.discharging),
        ("sensors", t.temp_sensor_bits),
    ] {
        v.push((name, f.at, f.width()));
    }
    for f in t.probes {
        v.push(("probe", f.at, f.width()));
    }
    if let Some(f) = t.emergency {
        v.push(("emergency", f.at, f.width()));
    }
    v
}

#[test]
fn no_two_fields_of_a_layout_share_a_byte() {
    for t in [&CELLS_24S, &CELLS_32S] {
        let mut owner = [None; FRAME_LEN];
        for (name, at, len) in table_fields(t) {
            assert!(at >= 6 && at + len < FRAME_LEN, "{name} out of the payload");
            for (i, slot) in owner.iter_mut().enumerate().skip(at).take(len) {
                assert!(
                    slot.is_none(),
                    "{:?}: {name} overlaps {slot:?} at {i}",
                    t.layout
                );
                *slot = Some(name);
            }
        }
    }
}

#[test]
fn versions_pick_the_layout_and_refuse_jk04_by_name() {
    assert_eq!(layout_for_version("10.07"), Ok(Layout::S24));
    assert_eq!(layout_for_version("6.0"), Ok(Layout::S24));
    assert_eq!(layout_for_version("11.0"), Ok(Layout::S32));
    assert_eq!(layout_for_version("14.20"), Ok(Layout::S32));
    assert_eq!(layout_for_version(" 19.27 "), Ok(Layout::S32));
    assert_eq!(layout_for_version("V15.41"), Ok(Layout::S32));
    let err = layout_for_version("3.3.0").unwrap_err();
    assert_eq!(err, DecodeError::Jk04("3.3.0".into()));
    assert!(err.to_string().contains("JK04") && err.to_string().contains("3.3.0"));
    assert_eq!(
        layout_for_version("5.9"),
        Err(DecodeError::Jk04("5.9".into()))
    );
    assert!(matches!(
        layout_for_version(""),
        Err(DecodeError::UnknownVersion(_))
    ));
    assert!(matches!(
        layout_for_version("abc"),
        Err(DecodeError::UnknownVersion(_))
    ));
}

#[test]
fn the_mask_decides_when_nothing_is_known() {
    let f24 = frame_from(|b| u32_at(54).put(b, 0xFF), 0x02);
    let f32 = frame_from(|b| u32_at(70).put(b, 0xFFFF), 0x02);
    assert_eq!(decide_layout(&f24, None), Ok(Layout::S24));
    assert_eq!(decide_layout(&f32, None), Ok(Layout::S32));
    // 25 set bits do not fit 24 slots.
    let too_many = frame_from(|b| u32_at(54).put(b, (1 << 25) - 1), 0x02);
    assert_eq!(
        decide_layout(&too_many, None),
        Err(DecodeError::UndecidableLayout)
    );
    let all32 = frame_from(|b| u32_at(70).put(b, u32::MAX.into()), 0x02);
    assert_eq!(decide_layout(&all32, None), Ok(Layout::S32));
    let neither = frame_from(|b| u32_at(54).put(b, 0b101), 0x02);
    assert_eq!(
        decide_layout(&neither, None),
        Err(DecodeError::UndecidableLayout)
    );
    let both = frame_from(
        |b| {
            u32_at(54).put(b, 0xF);
            u32_at(70).put(b, 0xF);
        },
        0x02,
    );
    assert_eq!(
        decide_layout(&both, None),
        Err(DecodeError::UndecidableLayout)
    );
    let none = frame_from(|_| {}, 0x02);
    assert_eq!(
        decide_layout(&none, None),
        Err(DecodeError::UndecidableLayout)
    );
    // With a known layout an all-zero mask is simply "no cells visible".
    assert_eq!(decide_layout(&none, Some(Layout::S24)), Ok(Layout::S24));
    assert_eq!(decide_layout(&none, Some(Layout::S32)), Ok(Layout::S32));
}

#[test]
fn a_known_layout_contradicted_by_the_mask_is_refused() {
    let f32 = frame_from(|b| u32_at(70).put(b, 0xFFFF), 0x02);
    let err = decide_layout(&f32, Some(Layout::S24)).unwrap_err();
    assert_eq!(
        err,
        DecodeError::LayoutMismatch {
            expected: Layout::S24,
            found: Layout::S32
        }
    );
    assert!(err.to_string().contains("24s") && err.to_string().contains("32s"));
    let f24 = frame_from(|b| u32_at(54).put(b, 0xFFFFFF), 0x02);
    assert!(decide_layout(&f24, Some(Layout::S32)).is_err());
    // Both plausible: the known layout stands.
    let both = frame_from(
        |b| {
            u32_at(54).put(b, 0xF);
            u32_at(70).put(b, 0xF);
        },
        0x02,
    );
    assert_eq!(decide_layout(&both, Some(Layout::S32)), Ok(Layout::S32));
}

#[test]
fn float_cell_voltages_are_recognised_as_jk04() {
    let jk04 = frame_from(
        |b| {
            for k in 0..16 {
                b[6 + 4 * k..10 + 4 * k].copy_from_slice(&3.31f32.to_le_bytes());
            }
        },
        0x02,
    );
    assert_eq!(decode(&jk04, None), Err(DecodeError::Jk04Frame));
    assert_eq!(
        decode(&jk04, Some(Layout::S24)),
        Err(DecodeError::Jk04Frame)
    );
    assert!(DecodeError::Jk04Frame.to_string().contains("JK04"));
}

#[test]
fn sensors_at_or_below_minus_200_are_absent_and_never_a_value() {
    let f = frame_from(
        |b| {
            u32_at(54).put(b, 1);
            u16_at(6).put(b, 3300);
            i16_at(134).put(b, -2000);
            i16_at(130).put(b, -2001);
            i16_at(132).put(b, -600);
        },
        0x02,
    );
    let Ok(Frame::CellInfo(c)) = decode(&f, None) else {
        panic!()
    };
    assert_eq!(c.mos_temperature, None);
    assert_eq!(c.probes, vec![None, Some(Celsius(-60.0))]);
    // Round trip: an absent sensor is sent as absent again.
    assert_eq!(
        decode(&encode_cell_info(&c), Some(Layout::S24)),
        Ok(Frame::CellInfo(c))
    );
    // Just above "absent" and below −60 °C: no sensor reads that; refused.
    for d in [-1999, -601] {
        let f = frame_from(
            |b| {
                u32_at(54).put(b, 1);
                i16_at(134).put(b, d);
            },
            0x02,
        );
        let err = decode(&f, None).unwrap_err();
        assert!(
            matches!(
                err,
                DecodeError::Implausible {
                    field: "the MOS temperature",
                    ..
                }
            ),
            "{d}: {err}"
        );
    }
}

/// Settings a real 16-cell LiFePO4 unit may send.
fn sane_settings() -> Settings {
    Settings {
        cell_count: 16,
        cell_ovp: Volts(3.65),
        cell_ovpr: Volts(3.4),
        cell_uvp: Volts(2.6),
        cell_uvpr: Volts(2.8),
        charge_otp: Celsius(60.0),
        charge_utp: Celsius(2.0),
        charge_utpr: Celsius(5.0),
        ..Settings::default()
    }
}

#[test]
fn settings_no_unit_can_have_are_refused_at_both_edges() {
    assert!(plausible_settings(&sane_settings()).is_ok());
    let refused = |change: &dyn Fn(&mut Settings)| {
        let mut s = sane_settings();
        change(&mut s);
        decode(&encode_settings(&s, 0), Some(Layout::S24)).err()
    };
    // Cell count 2 and 32 pass; 1, 0 and 33 do not.
    assert_eq!(refused(&|s| s.cell_count = 2), None);
    assert_eq!(refused(&|s| s.cell_count = 32), None);
    for n in [0, 1, 33] {
        let e = refused(&|s| s.cell_count = n).unwrap();
        assert!(
            e.to_string().contains(&format!("cell count reads {n}")),
            "{e}"
        );
        assert!(
            e.to_string().contains("settings frame not understood"),
            "{e}"
        );
        assert!(e.to_string().contains("JK04"), "{e}");
    }
    // OVP 0 V, just below 1 V and just above 5 V.
    for v in [0.0, 0.999, 5.001] {
        let e = refused(&|s| s.cell_ovp = Volts(v)).unwrap();
        assert!(e.to_string().contains("(OVP)"), "{e}");
    }
    assert_eq!(refused(&|s| s.cell_ovp = Volts(5.0)), None);
    assert_eq!(
        refused(&|s| {
            s.cell_uvp = Volts(1.0);
            s.cell_uvpr = Volts(1.0);
        }),
        None
    );
    let e = refused(&|s| s.cell_uvp = Volts(3.65)).unwrap();
    assert!(e.to_string().contains("UVP below OVP"), "{e}");
    // Temperature limits: −40.0 and 120.0 °C pass, a tenth beyond does not.
    assert_eq!(refused(&|s| s.charge_utp = Celsius(-40.0)), None);
    assert_eq!(refused(&|s| s.charge_otp = Celsius(120.0)), None);
    assert!(refused(&|s| s.charge_utp = Celsius(-40.1)).is_some());
    assert!(refused(&|s| s.charge_otp = Celsius(120.1)).is_some());
    assert!(refused(&|s| s.charge_utpr = Celsius(-3276.8)).is_some());
}

#[test]
fn cell_frames_no_unit_can_send_are_refused() {
    let cells = |build: &dyn Fn(&mut [u8; FRAME_LEN])| {
        decode(
            &frame_from(
                |b| {
                    u32_at(54).put(b, 0b11);
                    u16_at(6).put(b, 3300);
                    u16_at(8).put(b, 3300);
                    build(b)
                },
                0x02,
            ),
            None,
        )
    };
    assert!(cells(&|_| {}).is_ok());
    assert!(cells(&|b| u16_at(8).put(b, 5000)).is_ok());
    let e = cells(&|b| u16_at(8).put(b, 5001)).unwrap_err();
    assert!(e.to_string().contains("(cell 2)"), "{e}");
    assert!(
        e.to_string().starts_with("cell-info frame not understood"),
        "{e}"
    );
    // A slot that is not connected may hold anything.
    assert!(cells(&|b| u16_at(10).put(b, 9000)).is_ok());
    assert!(cells(&|b| u8_at(141).put(b, 100)).is_ok());
    assert!(cells(&|b| u8_at(141).put(b, 101)).is_err());
    assert!(cells(&|b| i16_at(130).put(b, 2000)).is_ok());
    assert!(cells(&|b| i16_at(130).put(b, 2001)).is_err());
}

#[test]
fn unknown_types_are_named() {
    let f = frame_from(|_| {}, 0x09);
    assert_eq!(decode(&f, None), Err(DecodeError::UnknownType(9)));
    assert!(DecodeError::UnknownType(9).to_string().contains("0x09"));
}

#[test]
fn settings_control_bits_only_on_32s() {
    let s = Settings {
        control: Some(ControlBits {
            heating: false,
            disable_temp_sensors: true,
            port_rs485: true,
            display_always_on: false,
        }),
        ..sane_settings()
    };
    let raw = encode_settings(&s, 1);
    assert_eq!(u16_at(282).get(&raw.0), 0b1010);
    assert_eq!(
        decode(&raw, Some(Layout::S32)),
        Ok(Frame::Settings(s.clone()))
    );
    let Ok(Frame::Settings(s24)) = decode(&raw, Some(Layout::S24)) else {
        panic!()
    };
    assert_eq!(s24.control, None);
}

#[test]
fn too_large_values_saturate_instead_of_wrapping() {
    let s = Settings {
        cell_count: 16,
        max_charge_current: Amps(-5.0),
        ..Settings::default()
    };
    let raw = encode_settings(&s, 0);
    assert_eq!(u32_at(50).get(&raw.0), 0);
    let mut b = [0u8; FRAME_LEN];
    u16_at(10).put(&mut b, 70_000);
    assert_eq!(u16_at(10).get(&b), 65_535);
    i16_at(10).put(&mut b, -40_000);
    assert_eq!(i16_at(10).get(&b), -32_768);
}

#[test]
fn bit_fields_drop_what_does_not_fit_instead_of_saturating() {
    let mut b = [0u8; FRAME_LEN];
    // Alarm bit 18 has no room in a 24S unit's 16-bit alarm word: it is dropped, and the
    // other bits stay as they were (saturating would raise every alarm).
    u16_at(10).put_bits(&mut b, (1 << 18) | (1 << 4));
    assert_eq!(u16_at(10).get(&b), 1 << 4);
    u32_at(20).put_bits(&mut b, u32::MAX);
    assert_eq!(u32_at(20).get(&b), i64::from(u32::MAX));
}

#[test]
fn logbook_keeps_the_newest_entries_that_fit() {
    let log = Logbook {
        entries: (0..70)
            .map(|i| LogEntry {
                seconds: i,
                code: 1,
            })
            .collect(),
    };
    let Ok(Frame::Logbook(back)) = decode(&encode_logbook(&log, 0), None) else {
        panic!()
    };
    assert_eq!(back.entries.len(), MAX_LOG_ENTRIES);
    assert_eq!(back.entries.last(), log.entries.last());
    // A count larger than what fits never reads past the frame.
    let lying = frame_from(|b| u32_at(6).put(b, 1000), 0x05);
    let Ok(Frame::Logbook(l)) = decode(&lying, None) else {
        panic!()
    };
    assert_eq!(l.entries.len(), MAX_LOG_ENTRIES);
}

#[test]
fn passcodes_are_written_but_never_read_or_shown() {
    let info = DeviceInfo {
        model: "JK-B2A24S20P".into(),
        software_version: "10.07".into(),
        ..DeviceInfo::default()
    };
    let codes = Passcodes {
        connection: "9876".into(),
        settings: "654321".into(),
    };
    let raw = encode_device_info(&info, &codes, 0);
    assert_eq!(&raw.0[62..66], b"9876");
    assert_eq!(&raw.0[118..124], b"654321");
    let decoded = decode(&raw, None).unwrap();
    assert_eq!(decoded, Frame::DeviceInfo(info));
    for shown in [
        format!("{codes:?}"),
        format!("{decoded:?}"),
        format!("{raw:?}"),
    ] {
        assert!(
            !shown.contains("9876") && !shown.contains("654321"),
            "{shown}"
        );
    }
}

#[test]
fn texts_stop_at_the_first_nul_and_hide_control_bytes() {
    let raw = frame_from(
        |b| {
            b[6..22].copy_from_slice(b"JK-PB2A16S20P\0\0\x10");
            b[22..27].copy_from_slice(b"1\x1b[2J");
        },
        0x03,
    );
    let Ok(Frame::DeviceInfo(d)) = decode(&raw, None) else {
        panic!()
    };
    assert_eq!(d.model, "JK-PB2A16S20P");
    assert_eq!(d.hardware_version, "1?[2J");
}

#[test]
fn the_stream_learns_the_layout_and_remembers_jk04() {
    let mut s = FrameStream::new(None);
    assert_eq!(s.layout(), None);
    let info = |v: &str| DeviceInfo {
        software_version: v.into(),
        ..DeviceInfo::default()
    };
    let dev = encode_device_info(&info("14.20"), &Passcodes::default(), 0);
    assert!(matches!(s.accept(&dev), Ok(Frame::DeviceInfo(_))));
    assert_eq!(s.layout(), Some(Layout::S32));
    let cells = frame_from(|_| {}, 0x02);
    // No cells visible: fine with a known layout, undecidable without.
    assert!(matches!(s.accept(&cells), Ok(Frame::CellInfo(c)) if c.layout == Layout::S32));
    assert_eq!(
        FrameStream::new(None).accept(&cells),
        Err(DecodeError::UndecidableLayout)
    );
    let old = encode_device_info(&info("3.3.0"), &Passcodes::default(), 0);
    assert!(s.accept(&old).is_ok());
    assert_eq!(s.layout(), None);
    assert_eq!(s.jk04_version(), Some("3.3.0"));
    assert_eq!(s.accept(&cells), Err(DecodeError::Jk04("3.3.0".into())));
    // The forced layout wins over what device info says, but JK04 is still refused.
    let mut forced = FrameStream::new(Some(Layout::S24));
    forced.accept(&dev).unwrap();
    assert_eq!(forced.layout(), Some(Layout::S24));
    forced.accept(&old).unwrap();
    assert!(matches!(forced.accept(&cells), Err(DecodeError::Jk04(_))));
}

#[test]
fn the_stream_reports_bad_sums_and_decodes_pieces() {
    let mut s = FrameStream::new(None);
    let mut f = encode_logbook(&Logbook::default(), 3);
    let mut got = s.push(&f.0[..100]);
    got.extend(s.push(&f.0[100..]));
    assert_eq!(got, vec![Ok(Frame::Logbook(Logbook::default()))]);
    f.0[20] = 1;
    let got = s.push(&f.0);
    assert!(matches!(
        got[..],
        [Err(StreamError::Frame(FrameError::Checksum { .. }))]
    ));
}
