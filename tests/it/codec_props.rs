//! Properties of the codec over arbitrary input: whatever arrives over the air, nothing panics
//! and no frame with a wrong sum gets through; good frames survive any fragmentation; and the
//! encoders invert the decoder on any frame it accepts.

use jk_commission::bms::decode::{
    decode, encode_cell_info, encode_device_info, encode_logbook, encode_settings, FrameStream,
    Passcodes,
};
use jk_commission::bms::frame::{RawFrame, Reassembler, FRAME_LEN};
use jk_commission::bms::model::{Frame, Layout};
use proptest::prelude::*;

/// The sum check, written again here so the property does not trust the code under test.
fn sum_holds(frame: &[u8; FRAME_LEN]) -> bool {
    let sum = frame[..FRAME_LEN - 1]
        .iter()
        .map(|&b| u32::from(b))
        .sum::<u32>();
    (sum & 0xFF) as u8 == frame[FRAME_LEN - 1]
}

/// Cut `bytes` at the given positions (taken modulo its length, in order).
fn cut(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.push(0);
    points.push(bytes.len());
    points.sort_unstable();
    points.dedup();
    points
        .windows(2)
        .map(|w| bytes[w[0]..w[1]].to_vec())
        .collect()
}

/// Arbitrary bytes with real headers sprinkled in, so the reassembler's frame paths run too.
fn noisy_stream() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            8 => prop::collection::vec(any::<u8>(), 0..64),
            1 => Just(vec![0x55, 0xAA, 0xEB, 0x90]),
            1 => Just(vec![0x55, 0xAA]),
            1 => Just(vec![0xAA, 0x55, 0x90, 0xEB, 0xC8, 0x01, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x44]),
            1 => Just(b"AT\r\n".to_vec()),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

/// A frame body whose bytes avoid 0x55, so it holds no header by accident.
fn clean_frame() -> impl Strategy<Value = RawFrame> {
    (
        prop::sample::select(vec![1u8, 2, 3, 5, 7]),
        0u8..0x55,
        prop::collection::vec(0u8..0x55, FRAME_LEN),
    )
        .prop_map(|(t, counter, body)| {
            let body: [u8; FRAME_LEN] = body.try_into().unwrap();
            RawFrame::build(t, counter, &body)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_input_never_panics_nor_passes_a_wrong_sum(
        data in noisy_stream(),
        cuts in prop::collection::vec(any::<usize>(), 0..30),
    ) {
        let mut r = Reassembler::new();
        let mut s = FrameStream::new(None);
        for piece in cut(&data, &cuts) {
            for frame in r.push(&piece).into_iter().flatten() {
                prop_assert!(sum_holds(&frame.0), "accepted a frame with a wrong sum");
                prop_assert_eq!(&frame.0[..4], &[0x55, 0xAA, 0xEB, 0x90]);
            }
            prop_assert!(r.pending() < FRAME_LEN, "buffer at {}", r.pending());
            let _ = s.push(&piece);
            prop_assert!(s.pending() < FRAME_LEN);
        }
    }

    #[test]
    fn frames_with_noise_between_survive_any_fragmentation(
        frames in prop::collection::vec(clean_frame(), 1..5),
        noise in prop::collection::vec(prop::collection::vec(0u8..0x55, 0..30), 5),
        cuts in prop::collection::vec(any::<usize>(), 0..40),
        acks_at in prop::collection::vec(any::<usize>(), 0..6),
    ) {
        let mut stream = Vec::new();
        for (i, f) in frames.iter().enumerate() {
            stream.extend_from_slice(&noise[i]);
            stream.extend_from_slice(&f.0);
        }
        let mut pieces = cut(&stream, &cuts);
        for a in acks_at {
            let at = a % (pieces.len() + 1);
            let filler = if a % 2 == 0 {
                b"AT\r\n".to_vec()
            } else {
                jk_commission::bms::frame::command(0xC8, &[1]).to_vec()
            };
            pieces.insert(at, filler);
        }
        let mut r = Reassembler::new();
        let mut got = Vec::new();
        for p in &pieces {
            for res in r.push(p) {
                got.push(res.expect("a clean frame refused"));
            }
        }
        prop_assert_eq!(got, frames);
    }

    #[test]
    fn any_accepted_frame_re_encodes_to_the_same_model(
        t in prop::sample::select(vec![1u8, 2, 3, 5]),
        body in prop::collection::vec(any::<u8>(), FRAME_LEN),
        layout in prop::sample::select(vec![None, Some(Layout::S24), Some(Layout::S32)]),
    ) {
        let body: [u8; FRAME_LEN] = body.try_into().unwrap();
        let raw = RawFrame::build(t, 0, &body);
        if let Ok(frame) = decode(&raw, layout) {
            let again = match &frame {
                Frame::DeviceInfo(d) => encode_device_info(d, &Passcodes::default(), 0),
                Frame::Settings(s) => encode_settings(s, 0),
                Frame::CellInfo(c) => encode_cell_info(c),
                Frame::Logbook(l) => encode_logbook(l, 0),
            };
            prop_assert_eq!(decode(&again, layout), Ok(frame));
        }
    }
}
