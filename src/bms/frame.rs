//! Commands, checksums and the reassembly of BLE notifications into 300-byte frames (pure).
//!
//! OWNER: codec helper. The signatures below are the contract the simulator and the BLE link
//! use; bodies to be written.

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

/// Build a 20-byte command (`AA 55 90 EB cmd len value… sum`).
pub fn command(cmd: u8, value: &[u8]) -> [u8; COMMAND_LEN] {
    let _ = (cmd, value);
    todo!("codec helper")
}

/// Collects notification pieces and hands out complete, checked frames.
#[derive(Debug, Default)]
pub struct Reassembler {
    buf: Vec<u8>,
}

impl Reassembler {
    /// Feed one notification; returns every frame it completed (or refused), in order.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Result<RawFrame, FrameError>> {
        let _ = (bytes, &self.buf);
        todo!("codec helper")
    }
}

impl RawFrame {
    /// The frame's type byte.
    pub fn frame_type(&self) -> FrameType {
        todo!("codec helper")
    }

    /// The frame's counter byte.
    pub fn counter(&self) -> u8 {
        self.0[5]
    }

    /// A frame from a payload: writes the header, type, counter and checksum around `body`
    /// (bytes 6..299). Used by the simulator so its frames are built by the same codec.
    pub fn build(frame_type: u8, counter: u8, body: &[u8; FRAME_LEN]) -> RawFrame {
        let _ = (frame_type, counter, body);
        todo!("codec helper")
    }
}
