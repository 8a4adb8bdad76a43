//! The one seam between the program and a BMS: a small async trait with two implementations,
//! the simulated unit (`sim`) and Bluetooth LE (`ble`).
//!
//! Everything above this trait sees decoded values only; the wizard never knows whether the
//! bytes came over the air or from the simulator.

use std::future::Future;

use crate::bms::capture::Tap;
use crate::bms::model::{CellInfo, DeviceInfo, Logbook, Settings};

/// The peer name of the built-in simulated unit in [`LinkEvent::Up`]: a record that saw it is a
/// simulated one, whoever reads it.
pub const SIMULATOR_PEER: &str = "simulator";

/// How the peer name of a replayed capture starts (`replay:<file>`): a record that saw it was
/// made from a recording, never from a live unit.
pub const REPLAY_PEER_PREFIX: &str = "replay:";

/// What a link reports, in the order it happens.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkEvent {
    /// The unit is connected and subscribed; `peer` names it (address, or "simulator").
    Up {
        /// Which unit.
        peer: String,
    },
    /// The connection is gone (for now); the link keeps trying to come back.
    Down {
        /// Why (its English words are its `Display`; the front ends word it themselves).
        reason: DownReason,
    },
    /// Device info arrived.
    DeviceInfo(DeviceInfo),
    /// Settings arrived.
    Settings(Settings),
    /// A live cell-info frame arrived.
    CellInfo(CellInfo),
    /// The logbook arrived.
    Logbook(Logbook),
    /// A complete frame arrived that could not be used (bad sum, JK04, unknown layout).
    Rejected {
        /// Why, in a sentence.
        reason: String,
    },
}

impl LinkEvent {
    /// Note this event in a capture: up and down are recorded, frames are not (their bytes
    /// are, where they cross the radio).
    pub fn record_in(&self, tap: &Tap) {
        match self {
            LinkEvent::Up { peer } => tap.up(peer),
            LinkEvent::Down { reason } => tap.down(&reason.to_string()),
            _ => {}
        }
    }
}

/// Why the connection went down: a code with its values, so every front end can word it in
/// the operator's language (`link.down.*` in wizard.yaml); `Display` gives the English words,
/// which the journal and a capture keep.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DownReason {
    /// The unit does not answer: its balance plug is out or it is not activated (simulator).
    #[error("the BMS does not answer: balance plug out or not activated")]
    NotAnswering,
    /// The unit is out of radio range (the simulator's link drop).
    #[error("the BMS is out of radio range (simulated link drop)")]
    OutOfRange,
    /// Nothing came from the unit for `secs` seconds; the link connects again.
    #[error("no data from the BMS for {secs} s; reconnecting")]
    Silent {
        /// How long nothing came.
        secs: u64,
    },
    /// The unit dropped the Bluetooth connection.
    #[error("the unit dropped the Bluetooth connection")]
    Dropped,
    /// The link to the unit at `address` is down and connecting again.
    #[error("the link to {0} is down; reconnecting")]
    Reconnecting(String),
    /// A request could not be sent: what the Bluetooth stack said, as it said it.
    #[error("sending a request to the unit failed: {0}")]
    SendFailed(String),
    /// The link could not be opened or used.
    #[error("{0}")]
    Link(LinkError),
    /// A recorded capture says the link went down here: its words, as recorded.
    #[error("(recorded) {0}")]
    Recorded(String),
    /// The replayed capture ends: the unit sends nothing more.
    #[error(
        "the capture {name} ends here (after {secs:.1} s): the replayed unit sends nothing more"
    )]
    ReplayEnded {
        /// The capture's name.
        name: String,
        /// Its length in seconds.
        secs: f64,
    },
}

/// Why a link could not be opened or used. Each message is a sentence for the operator.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LinkError {
    /// No system D-Bus to reach BlueZ through.
    #[error("cannot reach the system D-Bus, so Bluetooth is unavailable here ({0}); use --sim to work with the built-in simulated BMS")]
    NoDbus(String),
    /// No Bluetooth adapter present or powered.
    #[error("no Bluetooth adapter found on this machine; use --sim to work with the built-in simulated BMS")]
    NoAdapter,
    /// Bluetooth access was denied.
    #[error("permission to use Bluetooth was denied ({0}); run as a user allowed to use Bluetooth, or use --sim")]
    Permission(String),
    /// No unit with that address answered the scan.
    #[error("no BMS with address {0} was found within {1} s; check it is powered and activated, and in range")]
    NotFound(String, u64),
    /// The unit lacks the JK service or characteristics.
    #[error("the device {0} does not offer the JK BMS service (FFE0/FFE1): {1}")]
    NotJk(String, String),
    /// The connection attempt failed or timed out.
    #[error("could not connect to {0}: {1}")]
    Connect(String, String),
    /// The unit cannot answer now (simulator: plug out or not activated; a link that is down).
    #[error("{0}")]
    Unavailable(Box<DownReason>),
    /// A replayed capture does not hold what the session asked for.
    #[error("{0}")]
    NotInCapture(String),
    /// The link was closed.
    #[error("the link is closed")]
    Closed,
    /// Anything else from the Bluetooth stack.
    #[error("Bluetooth error: {0}")]
    Other(String),
}

/// A connection to one BMS.
pub trait BmsLink: Send {
    /// Connect, subscribe and start the handshake (device info, then settings and live data).
    fn connect(&mut self) -> impl Future<Output = Result<(), LinkError>> + Send;

    /// The next event; `None` once the link is closed for good.
    fn next_event(&mut self) -> impl Future<Output = Option<LinkEvent>> + Send;

    /// Ask the unit again for its settings and live stream (after an app change, or a stall).
    fn refresh(&mut self) -> impl Future<Output = Result<(), LinkError>> + Send;

    /// Report the raw traffic (every notification, every command, up and down) to `tap`
    /// from now on; see [`crate::bms::recorder::Recorder`]. Call before `connect`.
    fn set_tap(&mut self, tap: Tap);
}
