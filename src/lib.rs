//! jk-commission: a guided, gated commissioning of a lithium pack with a JK SMART BMS.
//!
//! See ARCHITECTURE.md for the map. The pure core (units, bms model and codec, wizard) has no
//! terminal, clock or Bluetooth inside; the edges (cmd, ui, bms::ble, bms::sim's task) do I/O.

// Public items get a one-line doc (the benches and tests, whose macros make undocumented
// public functions, are not held to it).
#![warn(missing_docs)]

pub mod archive;
pub mod bench;
pub mod bms;
pub mod clean;
pub mod cmd;
pub mod log;
pub mod timebase;
pub mod train;
pub mod ui;
pub mod units;
pub mod wizard;
pub mod yaml;
