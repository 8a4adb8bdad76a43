//! The JSON contract of `decode` and `monitor --json` (one object per frame).
//!
//! OWNER: codec helper.

use crate::bms::model::Frame;

/// The frame as the JSON object of the contract.
pub fn frame_to_json(frame: &Frame) -> serde_json::Value {
    let _ = frame;
    todo!("codec helper")
}
