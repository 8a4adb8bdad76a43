//! The unit's side of the radio, pure: 20-byte commands in, BLE notifications out. Frames are
//! built by the codec's encoders, then cut the way real modules cut them, with the
//! acknowledgement and the module's stray `AT\r\n` in between (also between the pieces of a
//! frame: the reassembler drops both whole), so whoever reassembles them
//! meets what it will meet on a real unit.

use crate::bms::decode::{encode_cell_info, encode_device_info, encode_logbook, encode_settings};
use crate::bms::frame::{
    checksum, RawFrame, AT_NOTIFICATION, CMD_CELL_INFO, CMD_DEVICE_INFO, CMD_LOGBOOK,
    COMMAND_HEADER, COMMAND_LEN,
};
use crate::bms::sim::rng::XorShift;
use crate::bms::sim::unit::SimUnit;

/// The unit's 20-byte acknowledgement of a command (`AA 55 90 EB C8 01 01 00 … 44`).
pub fn acknowledgement() -> [u8; COMMAND_LEN] {
    let mut ack = [0u8; COMMAND_LEN];
    ack[..4].copy_from_slice(&COMMAND_HEADER);
    ack[4] = 0xC8;
    ack[5] = 0x01;
    ack[6] = 0x01;
    ack[COMMAND_LEN - 1] = checksum(&ack[..COMMAND_LEN - 1]);
    ack
}

/// Whether `bytes` is a well-formed command: 20 bytes, the header, and a matching sum.
pub fn command_is_valid(bytes: &[u8]) -> bool {
    bytes.len() == COMMAND_LEN
        && bytes[..4] == COMMAND_HEADER
        && bytes[COMMAND_LEN - 1] == checksum(&bytes[..COMMAND_LEN - 1])
}

/// How a frame is cut into notifications; the responder cycles through these so every
/// reassembly path is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunking {
    /// 128 + 22 + 150 bytes (a common Android MTU).
    Split128,
    /// 20-byte notifications (the default ATT MTU of 23).
    Small20,
    /// The whole frame plus 20 trailing bytes in one 320-byte notification.
    Padded320,
}

impl Chunking {
    const CYCLE: [Chunking; 3] = [Chunking::Split128, Chunking::Small20, Chunking::Padded320];

    /// The notifications carrying `frame`.
    pub fn cut(self, frame: &RawFrame) -> Vec<Vec<u8>> {
        let bytes = &frame.0;
        match self {
            Chunking::Split128 => vec![
                bytes[..128].to_vec(),
                bytes[128..150].to_vec(),
                bytes[150..].to_vec(),
            ],
            Chunking::Small20 => bytes.chunks(20).map(<[u8]>::to_vec).collect(),
            Chunking::Padded320 => {
                let mut v = bytes.to_vec();
                // Real modules pad to their buffer size; the padding carries no header.
                v.extend_from_slice(&[0u8; 20]);
                vec![v]
            }
        }
    }
}

/// Per-connection state of the unit's radio: frame counters, whether the live stream runs,
/// and how the next frame is cut.
#[derive(Debug, Clone)]
pub struct Responder {
    settings_counter: u8,
    cell_counter: u8,
    device_counter: u8,
    logbook_counter: u8,
    frames_sent: usize,
    streaming: bool,
    corrupt_next: bool,
    rng: XorShift,
}

impl Responder {
    /// A fresh connection; `seed` varies the stray `AT\r\n` and the stream's pace.
    pub fn new(seed: u64) -> Self {
        Self {
            settings_counter: 0,
            cell_counter: 0,
            device_counter: 0,
            logbook_counter: 0,
            frames_sent: 0,
            streaming: false,
            corrupt_next: false,
            rng: XorShift::new(seed),
        }
    }

    /// Whether the live cell-info stream runs (after 0x96).
    pub fn streaming(&self) -> bool {
        self.streaming
    }

    /// Stop the live stream until the next 0x96 (a stall).
    pub fn stop_stream(&mut self) {
        self.streaming = false;
    }

    /// Change one byte of the next frame sent, so its checksum fails.
    pub fn corrupt_next(&mut self) {
        self.corrupt_next = true;
    }

    /// The pause before the next live frame: 0.5–1.0 s, like real units.
    pub fn stream_interval_ms(&mut self) -> u64 {
        500 + self.rng.below(501)
    }

    /// A command arrived; the notifications the unit answers with, in order. Malformed
    /// commands are ignored (real units do not answer them); unknown ones only acknowledged.
    pub fn on_command(&mut self, unit: &SimUnit, bytes: &[u8]) -> Vec<Vec<u8>> {
        if !command_is_valid(bytes) {
            return Vec::new();
        }
        let mut out = vec![acknowledgement().to_vec()];
        let frame = match bytes[4] {
            CMD_DEVICE_INFO => {
                let counter = bump(&mut self.device_counter);
                encode_device_info(&unit.device_info(), unit.passcodes(), counter)
            }
            CMD_CELL_INFO => {
                self.streaming = true;
                let counter = bump(&mut self.settings_counter);
                encode_settings(unit.settings(), counter)
            }
            CMD_LOGBOOK => {
                let counter = bump(&mut self.logbook_counter);
                encode_logbook(unit.logbook(), counter)
            }
            _ => return out,
        };
        out.extend(self.cut(&frame));
        out
    }

    /// The next live cell-info frame as notifications (call only while streaming).
    pub fn cell_info(&mut self, unit: &SimUnit) -> Vec<Vec<u8>> {
        let counter = bump(&mut self.cell_counter);
        let frame = encode_cell_info(&unit.cell_info(counter));
        self.cut(&frame)
    }

    fn cut(&mut self, frame: &RawFrame) -> Vec<Vec<u8>> {
        let chunking = Chunking::CYCLE[self.frames_sent % Chunking::CYCLE.len()];
        self.frames_sent += 1;
        let mut out = if std::mem::take(&mut self.corrupt_next) {
            let mut noisy = frame.clone();
            noisy.0[150] ^= 0x5A;
            chunking.cut(&noisy)
        } else {
            chunking.cut(frame)
        };
        // About one frame in five carries the module's stray AT, before it or, when the frame
        // comes in pieces, between two of them.
        if self.rng.below(5) == 0 {
            let at = self.rng.below(out.len() as u64) as usize;
            out.insert(at, AT_NOTIFICATION.to_vec());
        }
        out
    }
}

/// The counter value to send, advancing it for the next frame.
fn bump(counter: &mut u8) -> u8 {
    let now = *counter;
    *counter = counter.wrapping_add(1);
    now
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bms::frame::{command, FRAME_LEN};

    #[test]
    fn acknowledgement_matches_the_captured_one() {
        let ack = acknowledgement();
        assert_eq!(&ack[..8], &[0xAA, 0x55, 0x90, 0xEB, 0xC8, 0x01, 0x01, 0x00]);
        assert_eq!(ack[19], 0x44);
        assert!(command_is_valid(&ack));
    }

    #[test]
    fn commands_are_checked_like_a_unit_does() {
        let mut good = [0u8; COMMAND_LEN];
        good[..4].copy_from_slice(&COMMAND_HEADER);
        good[4] = 0x97;
        good[19] = 0x11;
        assert!(command_is_valid(&good));
        let mut bad_sum = good;
        bad_sum[19] = 0x12;
        assert!(!command_is_valid(&bad_sum));
        assert!(!command_is_valid(&good[..19]));
        let mut bad_header = good;
        bad_header[0] = 0x55;
        bad_header[19] = bad_header[19].wrapping_sub(0x55);
        assert!(!command_is_valid(&bad_header));
        // The codec's commands are accepted.
        assert!(command_is_valid(&command(0x96, &[])));
    }

    #[test]
    fn every_chunking_carries_the_whole_frame() {
        let mut body = [0u8; FRAME_LEN];
        for (i, b) in body.iter_mut().enumerate() {
            *b = i as u8;
        }
        let frame = RawFrame(body);
        for c in Chunking::CYCLE {
            let pieces = c.cut(&frame);
            let joined: Vec<u8> = pieces.concat();
            assert_eq!(&joined[..FRAME_LEN], &frame.0[..], "{c:?}");
            match c {
                Chunking::Split128 => {
                    assert_eq!(
                        pieces.iter().map(Vec::len).collect::<Vec<_>>(),
                        [128, 22, 150]
                    )
                }
                Chunking::Small20 => assert!(pieces.iter().all(|p| p.len() == 20)),
                Chunking::Padded320 => assert_eq!(pieces[0].len(), 320),
            }
        }
    }
}
