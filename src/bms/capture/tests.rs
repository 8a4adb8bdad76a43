use super::*;
use crate::bms::decode::{encode_device_info, FrameStream, Passcodes};
use crate::bms::frame::{checksum, command, CMD_DEVICE_INFO, FRAME_LEN};
use crate::bms::model::{DeviceInfo, Frame};

fn device_frame() -> (DeviceInfo, Vec<u8>) {
    let info = DeviceInfo {
        model: "JK_B2A24S20P".into(),
        hardware_version: "10.XW".into(),
        software_version: "10.07".into(),
        uptime_s: 1234,
        power_on_count: 7,
        device_name: "JK_B2A24S20P".into(),
        manufacturing_date: "220407".into(),
        serial_number: "2022040701".into(),
    };
    let passcodes = Passcodes {
        connection: "1234".into(),
        settings: "123456".into(),
    };
    let raw = encode_device_info(&info, &passcodes, 1);
    (info, raw.0.to_vec())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn passcodes_are_zeroed_however_the_frame_is_cut_and_it_still_decodes() {
    let (info, frame) = device_frame();
    assert!(contains(&frame, b"123456"));
    // Cut at every place, the header itself too, with an acknowledgement between pieces.
    for cut in [1, 2, 3, 5, 63, 70, 118, 130, 299] {
        let mut masker = Masker::default();
        let mut first = frame[..cut].to_vec();
        let mut ack = command(CMD_DEVICE_INFO, &[]).to_vec();
        let mut second = frame[cut..].to_vec();
        masker.mask(&mut first);
        masker.mask(&mut ack);
        masker.mask(&mut second);
        assert_eq!(
            ack,
            command(CMD_DEVICE_INFO, &[]).to_vec(),
            "an ack is left alone"
        );
        let joined = [first.clone(), second.clone()].concat();
        assert_eq!(joined.len(), FRAME_LEN);
        assert!(!contains(&joined, b"1234"), "cut at {cut}");
        assert!(!contains(&joined, b"123456"), "cut at {cut}");
        assert!(!to_hex(&joined).contains("31323334"), "cut at {cut}");
        assert_eq!(checksum(&joined[..CHECKSUM_AT]), joined[CHECKSUM_AT]);
        let mut stream = FrameStream::new(None);
        stream.push(&first);
        let got = stream.push(&second);
        assert_eq!(
            got,
            vec![Ok(Frame::DeviceInfo(info.clone()))],
            "cut at {cut}"
        );
    }
}

#[test]
fn other_frames_and_a_broken_sum_are_kept_as_they_came() {
    let (_, mut frame) = device_frame();
    frame[CHECKSUM_AT] = frame[CHECKSUM_AT].wrapping_add(1);
    let mut masked = frame.clone();
    Masker::default().mask(&mut masked);
    // Still wrong by the same amount: the capture does not repair what the unit sent.
    let sum = checksum(&masked[..CHECKSUM_AT]);
    assert_eq!(masked[CHECKSUM_AT], sum.wrapping_add(1));
    // A settings frame (type 0x01) with the same bytes at 62.. is not touched.
    let (_, mut other) = device_frame();
    other[4] = 0x01;
    let before = other.clone();
    Masker::default().mask(&mut other);
    assert_eq!(other, before);
}

#[test]
fn a_recording_reads_back_line_for_line() {
    let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let tap = Tap::to_writer(Box::new(Shared(buf.clone())), "C8:47:8C:00:00:01").unwrap();
    tap.up("C8:47:8C:00:00:01");
    tap.command(&command(CMD_DEVICE_INFO, &[]));
    let (_, frame) = device_frame();
    tap.notification(&frame[..128]);
    tap.notification(&frame[128..]);
    tap.down("gone for now");
    tap.seal().unwrap();
    tap.command(&command(CMD_DEVICE_INFO, &[]));
    let text = String::from_utf8(buf.lock().unwrap().clone()).unwrap();
    assert!(
        text.starts_with("jkcap/1 source=C8:47:8C:00:00:01 start=20"),
        "{text}"
    );
    assert!(!text.contains("31323334"), "{text}");
    let capture = parse(&text, "t").unwrap();
    let e = &capture.segments[0].entries;
    let dirs: Vec<_> = e.iter().map(|e| e.direction).collect();
    assert_eq!(
        dirs,
        [
            Direction::Up,
            Direction::Out,
            Direction::In,
            Direction::In,
            Direction::Down
        ],
        "nothing after the seal"
    );
    assert_eq!(e[0].text(), "C8:47:8C:00:00:01");
    assert_eq!(e[4].text(), "gone for now");
    assert_eq!(e[1].payload, command(CMD_DEVICE_INFO, &[]).to_vec());
}

#[test]
fn mistakes_are_named_by_line() {
    let err = |text: &str| parse(text, "c.jkcap").unwrap_err().to_string();
    assert!(
        err("0 in 55aa\n").contains("not a capture"),
        "{}",
        err("0 in 55aa")
    );
    let h = "jkcap/1 source=simulator start=2026-01-01T00:00:00Z\n";
    assert_eq!(
        err(&format!("{h}0 in 55a\n")),
        "c.jkcap:2: the payload has an odd number of hex digits (3)"
    );
    assert_eq!(
        err(&format!("{h}# note\n\n10 sideways 00\n")),
        "c.jkcap:4: 'sideways' is not a direction (in, out, up, down)"
    );
    assert_eq!(
        err(&format!("{h}10 in 00\n9 in 00\n")),
        "c.jkcap:3: time 9 ms is earlier than the line before (10 ms): a capture's clock only goes forward"
    );
    assert_eq!(
        err(&format!("{h}1 out\n")),
        "c.jkcap:2: an 'out' line needs its bytes in hex"
    );
    assert!(err("jkcap/2 source=x start=y\n").contains("version 2"));
    assert!(err(h).contains("holds no traffic"));
    assert!(err("jkcap/1 start=y\n").contains("no source="));
    // A later segment's clock starts again.
    let two = format!("{h}5 in 00\n{h}1 in 00\n");
    assert_eq!(parse(&two, "c").unwrap().segments.len(), 2);
}

#[test]
fn a_source_with_spaces_stays_one_word() {
    let line = header_line("replay:my capture\x1b.jkcap");
    let h = parse_header(line.trim()).unwrap();
    assert_eq!(h.source, "replay:my_capture_.jkcap");
}
