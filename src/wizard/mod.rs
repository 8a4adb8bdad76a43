//! The procedure: wizard.yaml as types, the checks, and the pure step engine.

pub mod answers;
pub mod checks;
pub mod engine;
pub mod spec;
pub mod words;
