//! The conversation with a unit as a pure state machine: what to send after connecting, when
//! the live stream stalled, and when to give up and reconnect. Time is passed in, so the BLE
//! link and the simulator share it and tests need no clock. OWNER: simulator helper.

use std::time::Duration;

use crate::bms::frame::COMMAND_LEN;
use crate::bms::model::Frame;

/// What the link must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionAction {
    /// Write this command to the unit.
    Send([u8; COMMAND_LEN]),
    /// The unit is silent for too long: drop the connection and connect again.
    Reconnect,
}

/// Handshake and watchdog state of one connection.
#[derive(Debug, Default)]
pub struct Session {}

impl Session {
    /// A session before connecting.
    pub fn new() -> Self {
        Self {}
    }

    /// Subscribed to notifications at `now`: start the handshake.
    pub fn on_connected(&mut self, now: Duration) -> Vec<SessionAction> {
        let _ = now;
        todo!("simulator helper")
    }

    /// A frame was decoded at `now`.
    pub fn on_frame(&mut self, frame: &Frame, now: Duration) -> Vec<SessionAction> {
        let _ = (frame, now);
        todo!("simulator helper")
    }

    /// Time passed; call about once a second.
    pub fn on_tick(&mut self, now: Duration) -> Vec<SessionAction> {
        let _ = now;
        todo!("simulator helper")
    }
}
