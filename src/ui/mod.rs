//! The terminal UI: the event loop ([`app`]), the pure key handling ([`keys`], answering with
//! an [`action::Action`]) over the UI's own state ([`state`]), the simulated phone app's model
//! ([`phone`]), and one render function per panel ([`view`]).
//!
//! The UI is a function of state: keys and BMS data become engine inputs through the session,
//! the engine's state comes back, and the views draw it. Nothing here decides whether a step
//! may be left or a reading is right; the engine and the checks do, and the views show it.

pub mod action;
pub mod app;
pub mod keys;
pub mod phone;
pub mod state;
pub mod text;
pub mod view;
