//! Bytes to model and model to bytes: one table of offsets per frame type and layout (pure).
//!
//! OWNER: codec helper. The signatures below are the contract; bodies to be written.

use crate::bms::frame::RawFrame;
use crate::bms::model::{CellInfo, DeviceInfo, Frame, Layout, Logbook, Settings};

/// Why a checked frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// An old JK04 unit (firmware < 6): not supported.
    #[error("this is an old JK04 unit (software {0}): its protocol is not supported")]
    Jk04(String),
    /// The layout cannot be decided.
    #[error("cannot tell whether this cell-info frame uses the 24S or the 32S layout")]
    UndecidableLayout,
    /// A frame type we do not know.
    #[error("unknown frame type {0:#04x}")]
    UnknownType(u8),
}

/// The layout a unit with this software version uses; JK04 firmware is refused by name.
pub fn layout_for_version(software_version: &str) -> Result<Layout, DecodeError> {
    let _ = software_version;
    todo!("codec helper")
}

/// Decode a checked frame. `layout` comes from device info when known; without it the
/// enabled-cell mask decides, and an undecidable frame is refused, not guessed.
pub fn decode(frame: &RawFrame, layout: Option<Layout>) -> Result<Frame, DecodeError> {
    let _ = (frame, layout);
    todo!("codec helper")
}

/// The passcodes a device-info frame carries; only the simulator writes them.
#[derive(Debug, Clone, Default)]
pub struct Passcodes {
    /// The app's connection passcode.
    pub connection: String,
    /// The settings passcode.
    pub settings: String,
}

/// Build a device-info frame.
pub fn encode_device_info(info: &DeviceInfo, passcodes: &Passcodes, counter: u8) -> RawFrame {
    let _ = (info, passcodes, counter);
    todo!("codec helper")
}

/// Build a settings frame.
pub fn encode_settings(settings: &Settings, counter: u8) -> RawFrame {
    let _ = (settings, counter);
    todo!("codec helper")
}

/// Build a cell-info frame in `cells.layout`.
pub fn encode_cell_info(cells: &CellInfo) -> RawFrame {
    let _ = cells;
    todo!("codec helper")
}

/// Build a logbook frame.
pub fn encode_logbook(log: &Logbook, counter: u8) -> RawFrame {
    let _ = (log, counter);
    todo!("codec helper")
}

/// Why a notification stream produced no usable frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// A complete frame with a bad checksum.
    #[error(transparent)]
    Frame(#[from] crate::bms::frame::FrameError),
    /// A checked frame that could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

/// Notifications in, decoded frames out: reassembly plus the layout remembered from device
/// info. The live links and `decode` all use this, so they cannot disagree.
#[derive(Debug, Default)]
pub struct FrameStream {
    forced: Option<Layout>,
}

impl FrameStream {
    /// A stream; `forced` pins the layout (`--variant 24s|32s`), `None` decides it.
    pub fn new(forced: Option<Layout>) -> Self {
        Self { forced }
    }

    /// Feed one notification; every frame it completed, decoded or refused, in order.
    pub fn push(&mut self, notification: &[u8]) -> Vec<Result<Frame, StreamError>> {
        let _ = (notification, self.forced);
        todo!("codec helper")
    }

    /// The layout in force, once known.
    pub fn layout(&self) -> Option<Layout> {
        todo!("codec helper")
    }
}
