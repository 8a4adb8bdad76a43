//! Commands, checksums and the reassembly of BLE notifications into 300-byte frames (pure).
//!
//! The unit answers in 300-byte frames that the BLE stack delivers in pieces (128+22+150,
//! 20-byte chunks, or one long notification with a few extra bytes after the frame), mixed with
//! short acknowledgements and the module's `AT\r\n`. [`Reassembler`] turns that into complete
//! frames whose checksum holds, or a [`FrameError`] for a complete frame whose sum is wrong.

use std::fmt;

/// Length of a response frame.
pub const FRAME_LEN: usize = 300;
/// Length of a command.
pub const COMMAND_LEN: usize = 20;
/// Command: device info.
pub const CMD_DEVICE_INFO: u8 = 0x97;
/// Command: settings, then the live cell-info stream.
pub const CMD_CELL_INFO: u8 = 0x96;
/// Command: logbook (newer firmware).
pub const CMD_LOGBOOK: u8 = 0xA1;

/// The first four bytes of every response frame.
pub const FRAME_HEADER: [u8; 4] = [0x55, 0xAA, 0xEB, 0x90];
/// The first four bytes of every command (and of the unit's acknowledgements).
pub const COMMAND_HEADER: [u8; 4] = [0xAA, 0x55, 0x90, 0xEB];
/// What the BLE module sometimes sends on its own; never part of a frame.
pub const AT_NOTIFICATION: &[u8] = b"AT\r\n";
/// Index of the checksum byte of a response frame.
pub const CHECKSUM_AT: usize = FRAME_LEN - 1;

/// The type byte of a response frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameType {
    /// 0x01.
    Settings,
    /// 0x02.
    CellInfo,
    /// 0x03.
    DeviceInfo,
    /// 0x05.
    Logbook,
    /// Anything else.
    Unknown(u8),
}

impl FrameType {
    /// The type of a type byte.
    pub fn from_byte(byte: u8) -> FrameType {
        match byte {
            0x01 => FrameType::Settings,
            0x02 => FrameType::CellInfo,
            0x03 => FrameType::DeviceInfo,
            0x05 => FrameType::Logbook,
            other => FrameType::Unknown(other),
        }
    }

    /// The type byte of this type.
    pub fn byte(self) -> u8 {
        match self {
            FrameType::Settings => 0x01,
            FrameType::CellInfo => 0x02,
            FrameType::DeviceInfo => 0x03,
            FrameType::Logbook => 0x05,
            FrameType::Unknown(b) => b,
        }
    }
}

/// A complete 300-byte frame whose checksum was verified.
#[derive(Clone, PartialEq, Eq)]
pub struct RawFrame(pub [u8; FRAME_LEN]);

/// Why a complete frame was refused by the reassembler.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The sum at byte 299 does not match.
    #[error("checksum mismatch: frame says {found:#04x}, bytes add up to {computed:#04x}")]
    Checksum {
        /// Byte 299.
        found: u8,
        /// What the bytes add up to.
        computed: u8,
    },
}

/// The low byte of the sum of `bytes`: the checksum of commands and frames alike.
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |sum, b| sum.wrapping_add(*b))
}

/// Build a 20-byte command (`AA 55 90 EB cmd len value… sum`).
///
/// At most 4 value bytes fit; a longer value is cut to 4 and `len` says 4, so a command can
/// never spill over its checksum.
pub fn command(cmd: u8, value: &[u8]) -> [u8; COMMAND_LEN] {
    let mut out = [0u8; COMMAND_LEN];
    out[..4].copy_from_slice(&COMMAND_HEADER);
    out[4] = cmd;
    let value = &value[..value.len().min(4)];
    out[5] = value.len() as u8;
    out[6..6 + value.len()].copy_from_slice(value);
    out[COMMAND_LEN - 1] = checksum(&out[..COMMAND_LEN - 1]);
    out
}

/// Whether a notification is the unit's short acknowledgement of a command.
pub fn is_acknowledgement(notification: &[u8]) -> bool {
    notification.len() == COMMAND_LEN && notification.starts_with(&COMMAND_HEADER)
}

/// Collects notification pieces and hands out complete, checked frames.
///
/// Rules, in the order they apply to each notification:
/// - an acknowledgement (20 bytes, `AA 55 90 EB …`) or `AT\r\n` is ignored entirely, even
///   between the pieces of a frame;
/// - bytes before a `55 AA EB 90` header are dropped (a header split across two notifications
///   is still found);
/// - a header inside the frame being collected starts a new frame and the old one is dropped
///   quietly: it lost a piece, and its sum must not get a chance to match by luck;
/// - at 300 bytes the sum at 299 is checked: the frame or a [`FrameError::Checksum`] comes
///   out, and the bytes after it are dropped up to the next header.
///
/// The buffer never holds more than one notification beyond 300 bytes: the "discard past
/// ~400 bytes" rule of the protocol notes is met by deciding every frame at 300.
#[derive(Default)]
pub struct Reassembler {
    buf: Vec<u8>,
    /// Positions `1..scanned` of `buf` are known not to start a header.
    scanned: usize,
}

// Hand-written so a device-info frame in the buffer (it carries the passcodes) never reaches a
// log through `{:?}`.
impl fmt::Debug for Reassembler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reassembler")
            .field("buffered", &self.buf.len())
            .finish()
    }
}

/// Where the first frame header starts in `bytes`, at `from` or later.
fn find_header(bytes: &[u8], from: usize) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(FRAME_HEADER.len())
        .position(|w| w == FRAME_HEADER)
        .map(|p| p + from)
}

/// The length of the longest end of `bytes` that could be the start of a header split
/// across notifications.
fn header_prefix_at_end(bytes: &[u8]) -> usize {
    (1..FRAME_HEADER.len())
        .rev()
        .find(|&n| n <= bytes.len() && bytes[bytes.len() - n..] == FRAME_HEADER[..n])
        .unwrap_or(0)
}

impl Reassembler {
    /// An empty reassembler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed one notification; returns every frame it completed (or refused), in order.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Result<RawFrame, FrameError>> {
        let mut out = Vec::new();
        self.push_each(bytes, |r| out.push(r));
        out
    }

    /// [`Reassembler::push`] handing each result to `each` instead of collecting them: no
    /// allocation per notification, for `decode`'s long captures.
    pub fn push_each(&mut self, bytes: &[u8], mut each: impl FnMut(Result<RawFrame, FrameError>)) {
        if bytes == AT_NOTIFICATION || is_acknowledgement(bytes) {
            return;
        }
        self.buf.extend_from_slice(bytes);
        loop {
            if !self.buf.starts_with(&FRAME_HEADER) {
                match find_header(&self.buf, 0) {
                    Some(p) => self.restart_at(p),
                    None => {
                        // Keep only what could be the first bytes of a header cut in two.
                        let keep = header_prefix_at_end(&self.buf);
                        self.restart_at(self.buf.len() - keep);
                        break;
                    }
                }
                continue;
            }
            let window = &self.buf[..self.buf.len().min(FRAME_LEN)];
            if let Some(p) = find_header(window, self.scanned.max(1)) {
                self.restart_at(p);
                continue;
            }
            self.scanned = window.len().saturating_sub(FRAME_HEADER.len() - 1);
            if self.buf.len() < FRAME_LEN {
                break;
            }
            let computed = checksum(&self.buf[..CHECKSUM_AT]);
            let found = self.buf[CHECKSUM_AT];
            if computed == found {
                let mut frame = [0u8; FRAME_LEN];
                frame.copy_from_slice(&self.buf[..FRAME_LEN]);
                each(Ok(RawFrame(frame)));
            } else {
                each(Err(FrameError::Checksum { found, computed }));
            }
            self.restart_at(FRAME_LEN);
        }
    }

    /// Drop the first `at` bytes of the buffer.
    fn restart_at(&mut self, at: usize) {
        self.buf.drain(..at);
        self.scanned = 0;
    }

    /// How many bytes are waiting for the rest of their frame.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Forget everything buffered (after a reconnect).
    pub fn clear(&mut self) {
        // Everything, including where the header scan had got to: a stale offset could skip
        // the header check of the next connection's first piece.
        *self = Self::default();
    }
}

impl RawFrame {
    /// The frame's type byte.
    pub fn frame_type(&self) -> FrameType {
        FrameType::from_byte(self.0[4])
    }

    /// The frame's counter byte.
    pub fn counter(&self) -> u8 {
        self.0[5]
    }

    /// The bytes of the frame.
    pub fn bytes(&self) -> &[u8; FRAME_LEN] {
        &self.0
    }

    /// Whether the sum at byte 299 matches the bytes before it.
    pub fn checksum_ok(&self) -> bool {
        checksum(&self.0[..CHECKSUM_AT]) == self.0[CHECKSUM_AT]
    }

    /// A frame from a payload: writes the header, type, counter and checksum around `body`
    /// (bytes 6..299). Used by the simulator so its frames are built by the same codec.
    pub fn build(frame_type: u8, counter: u8, body: &[u8; FRAME_LEN]) -> RawFrame {
        let mut bytes = *body;
        bytes[..4].copy_from_slice(&FRAME_HEADER);
        bytes[4] = frame_type;
        bytes[5] = counter;
        bytes[CHECKSUM_AT] = checksum(&bytes[..CHECKSUM_AT]);
        RawFrame(bytes)
    }
}

// Hand-written: a device-info frame carries the unit's passcodes in clear, so its payload is
// never printed; other frames show their bytes in hex to make test failures readable.
impl fmt::Debug for RawFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("RawFrame");
        s.field("type", &self.frame_type())
            .field("counter", &self.counter());
        if self.frame_type() == FrameType::DeviceInfo {
            s.finish_non_exhaustive()
        } else {
            let hex: String = self.0.iter().map(|b| format!("{b:02x}")).collect();
            s.field("hex", &hex).finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(frame_type: u8, counter: u8, fill: u8) -> RawFrame {
        let mut body = [fill; FRAME_LEN];
        body[100] = 0x42;
        RawFrame::build(frame_type, counter, &body)
    }

    fn only_frames(results: Vec<Result<RawFrame, FrameError>>) -> Vec<RawFrame> {
        results
            .into_iter()
            .map(|r| r.expect("a valid frame"))
            .collect()
    }

    #[test]
    fn commands_are_twenty_bytes_with_their_sum_last() {
        let c = command(CMD_DEVICE_INFO, &[]);
        let mut expected = [0u8; 20];
        expected[..6].copy_from_slice(&[0xAA, 0x55, 0x90, 0xEB, 0x97, 0x00]);
        expected[19] = 0x11;
        assert_eq!(c, expected);
        assert_eq!(command(CMD_CELL_INFO, &[])[19], 0x10);
        let w = command(0x1D, &[0x01, 0x02]);
        assert_eq!(&w[4..9], &[0x1D, 0x02, 0x01, 0x02, 0x00]);
        assert_eq!(w[19], checksum(&w[..19]));
        // Too long a value cannot overwrite the checksum.
        let long = command(0x10, &[1, 2, 3, 4, 5, 6]);
        assert_eq!(long[5], 4);
        assert_eq!(long[10], 0);
    }

    #[test]
    fn build_writes_header_type_counter_and_sum() {
        let f = frame(0x02, 7, 0xFF);
        assert_eq!(&f.0[..6], &[0x55, 0xAA, 0xEB, 0x90, 0x02, 7]);
        assert_eq!(f.frame_type(), FrameType::CellInfo);
        assert_eq!(f.counter(), 7);
        assert!(f.checksum_ok());
        assert_eq!(frame(0x07, 0, 0).frame_type(), FrameType::Unknown(7));
        for t in [1u8, 2, 3, 5, 9] {
            assert_eq!(FrameType::from_byte(t).byte(), t);
        }
    }

    #[test]
    fn a_whole_frame_in_one_notification() {
        let f = frame(0x02, 1, 3);
        let mut r = Reassembler::new();
        assert_eq!(only_frames(r.push(&f.0)), vec![f]);
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn pieces_of_any_size_are_joined() {
        let f = frame(0x01, 9, 0x11);
        for sizes in [&[128usize, 22, 150][..], &[20; 15][..], &[1, 298, 1][..]] {
            let mut r = Reassembler::new();
            let mut at = 0;
            let mut got = Vec::new();
            for s in sizes {
                got.extend(only_frames(r.push(&f.0[at..at + s])));
                at += s;
            }
            assert_eq!(got, vec![f.clone()], "{sizes:?}");
        }
    }

    #[test]
    fn a_header_split_across_notifications_is_found() {
        let f = frame(0x02, 1, 0);
        for cut in 1..4 {
            let mut r = Reassembler::new();
            assert!(r.push(&f.0[..cut]).is_empty());
            assert_eq!(
                only_frames(r.push(&f.0[cut..])),
                vec![f.clone()],
                "cut {cut}"
            );
        }
    }

    #[test]
    fn garbage_before_a_header_is_dropped() {
        let f = frame(0x03, 2, 0x20);
        let mut r = Reassembler::new();
        assert!(r.push(&[1, 2, 3, 0x55, 0xAA]).is_empty());
        let mut n = vec![9u8, 9, 9];
        n.extend_from_slice(&f.0[..150]);
        assert!(r.push(&n).is_empty());
        assert_eq!(only_frames(r.push(&f.0[150..])), vec![f]);
    }

    #[test]
    fn acknowledgements_and_at_are_ignored_between_pieces() {
        let f = frame(0x02, 5, 0x33);
        let mut ack = [0u8; 20];
        ack[..8].copy_from_slice(&[0xAA, 0x55, 0x90, 0xEB, 0xC8, 0x01, 0x01, 0x00]);
        ack[19] = 0x44;
        let mut r = Reassembler::new();
        assert!(r.push(&ack).is_empty());
        assert!(r.push(&f.0[..2]).is_empty());
        assert!(r.push(b"AT\r\n").is_empty());
        assert!(r.push(&ack).is_empty());
        assert!(r.push(&f.0[2..200]).is_empty());
        assert!(r.push(b"AT\r\n").is_empty());
        assert_eq!(only_frames(r.push(&f.0[200..])), vec![f]);
    }

    #[test]
    fn a_header_in_the_middle_of_a_notification_starts_a_new_frame() {
        let a = frame(0x02, 1, 0x44);
        let b = frame(0x02, 2, 0x55);
        let mut r = Reassembler::new();
        // a's tail is lost: its 100 first bytes are followed directly by b.
        assert!(r.push(&a.0[..100]).is_empty());
        let mut n = a.0[100..120].to_vec();
        n.extend_from_slice(&b.0[..180]);
        assert!(r.push(&n).is_empty());
        assert_eq!(only_frames(r.push(&b.0[180..])), vec![b]);
    }

    #[test]
    fn two_frames_glued_in_one_notification() {
        let a = frame(0x01, 1, 1);
        let b = frame(0x02, 2, 2);
        let mut n = a.0.to_vec();
        n.extend_from_slice(&[0xEE; 7]);
        n.extend_from_slice(&b.0);
        let mut r = Reassembler::new();
        assert_eq!(only_frames(r.push(&n)), vec![a, b]);
    }

    #[test]
    fn a_torn_frame_followed_by_the_next_is_never_checked_by_luck() {
        // Whatever the bytes of the torn frame add up to, it is dropped at the new header
        // rather than checked: an 8-bit sum would let 1 in 256 torn frames through.
        let b = frame(0x02, 2, 0x55);
        for fill in 0..=255u8 {
            let a = frame(0x02, 1, fill);
            let mut r = Reassembler::new();
            assert!(r.push(&a.0[..160]).is_empty());
            let mut got = only_frames(r.push(&b.0[..150]));
            got.extend(only_frames(r.push(&b.0[150..])));
            assert_eq!(got, vec![b.clone()], "fill {fill}");
        }
    }

    #[test]
    fn header_bytes_inside_a_payload_lose_that_frame_quietly() {
        let mut body = [0x10u8; FRAME_LEN];
        body[120..124].copy_from_slice(&FRAME_HEADER);
        let f = RawFrame::build(0x02, 3, &body);
        let g = frame(0x02, 4, 0x10);
        let mut r = Reassembler::new();
        let mut got = Vec::new();
        for piece in f.0.chunks(20).chain(g.0.chunks(20)) {
            got.extend(only_frames(r.push(piece)));
        }
        assert_eq!(got, vec![g]);
    }

    #[test]
    fn extra_bytes_after_a_frame_are_dropped() {
        let f = frame(0x02, 8, 0x21);
        let mut n = f.0.to_vec();
        n.extend_from_slice(&[0x77; 20]);
        let mut r = Reassembler::new();
        assert_eq!(only_frames(r.push(&n)), vec![f.clone()]);
        assert_eq!(r.pending(), 0);
        // Extra bytes in a notification of their own are dropped too.
        assert!(r.push(&[0x77; 20]).is_empty());
        assert_eq!(only_frames(r.push(&f.0)), vec![f]);
    }

    #[test]
    fn a_wrong_sum_is_reported_once_with_both_values() {
        let mut f = frame(0x02, 4, 0x66);
        let good = f.0[CHECKSUM_AT];
        f.0[50] ^= 0x01;
        let mut r = Reassembler::new();
        let got = r.push(&f.0);
        assert_eq!(got.len(), 1);
        let computed = checksum(&f.0[..CHECKSUM_AT]);
        assert_eq!(
            got[0],
            Err(FrameError::Checksum {
                found: good,
                computed
            })
        );
        assert_ne!(good, computed);
        assert_eq!(r.pending(), 0);
        // The next good frame still comes through.
        let g = frame(0x02, 5, 0x66);
        assert_eq!(only_frames(r.push(&g.0)), vec![g]);
    }

    #[test]
    fn a_header_followed_by_endless_garbage_is_discarded() {
        let mut r = Reassembler::new();
        let mut errors = 0;
        assert!(r.push(&FRAME_HEADER).is_empty());
        for _ in 0..25 {
            for res in r.push(&[0x01; 20]) {
                assert!(res.is_err());
                errors += 1;
            }
            assert!(r.pending() < 400, "buffer kept growing: {}", r.pending());
        }
        assert_eq!(errors, 1);
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn debug_never_shows_a_device_info_payload() {
        let mut body = [0u8; FRAME_LEN];
        body[62..66].copy_from_slice(b"1234");
        let f = RawFrame::build(0x03, 0, &body);
        let shown = format!("{f:?}");
        assert!(
            !shown.contains("31323334") && !shown.contains("1234"),
            "{shown}"
        );
        let mut r = Reassembler::new();
        r.push(&f.0[..200]);
        let shown = format!("{r:?}");
        assert!(
            !shown.contains("1234") && !shown.contains("31, 32"),
            "{shown}"
        );
        assert!(shown.contains("200"));
    }
}
