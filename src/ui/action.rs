//! What a key asks the event loop to do, and what the key handlers may look at. Its own file
//! so that the key handling ([`crate::ui::keys`]), the UI state ([`crate::ui::state`]) and the
//! phone panel ([`crate::ui::phone`]) need not import one another in a circle.

use crate::bms::model::AppAction;
use crate::wizard::engine::{GateResult, Input, State};
use crate::wizard::spec::WizardSpec;

/// What the event loop must do after a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Feed this input to the engine (through the session, so it is journaled first).
    Input(Input),
    /// Feed typed text: on acceptance the buffer `key` is cleared and, if `advance`, the focus
    /// moves down; a refused entry stays in the buffer to be corrected.
    Commit {
        /// The input (a field or a ladder reading).
        input: Input,
        /// The row's buffer key.
        key: String,
        /// Move the focus to the next row when accepted.
        advance: bool,
        /// Leave the step (`Input::Next`) once the entry was accepted: an amended entry's
        /// Enter saves it and goes back; a refused one stays to be corrected.
        leave: bool,
    },
    /// Do this on the simulated unit; when it takes, record it as `Input::App`.
    Sim(AppAction),
    /// Leave the program (the session is already on disk).
    Quit,
    /// Show the wizard in its next language (journaled while the session is open).
    NextLanguage,
}

/// What the key handler may look at besides the UI state.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The wizard.
    pub spec: &'a WizardSpec,
    /// The commissioning so far.
    pub state: &'a State,
    /// The live verdicts of the current step's gates (from the engine).
    pub gates: &'a [GateResult],
    /// Simulator mode: the phone app and the steps' simulated hand actions exist.
    pub sim: bool,
    /// What the simulated multimeter reads now (simulator mode only).
    pub meter: Option<&'a crate::train::meter::MeterReadings>,
    /// The language the screen speaks (for refusals worded by the keys).
    pub lang: &'a str,
}
