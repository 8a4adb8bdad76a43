//! The simulated JK BMS: a unit with a pack behind it that answers the real commands with real
//! frames. OWNER: simulator helper.
//!
//! - [`unit`]: the unit and its pack as plain data and pure logic ([`SimUnit`], [`SimConfig`],
//!   the control API [`SimUnit::apply`] and the training [`Fault`]s);
//! - [`factory`]: chemistry voltage curves and the factory parameter sets;
//! - [`responder`]: the unit's radio, command bytes in, notifications out (pure);
//! - [`link`]: [`SimLink`] (the [`crate::bms::link::BmsLink`] on a tokio task) and the
//!   cloneable [`SimControl`] handle.

pub mod factory;
pub mod link;
pub mod responder;
pub mod rng;
pub mod unit;

pub use link::{SimControl, SimLink};
pub use unit::{Fault, SimConfig, SimError, SimUnit};
