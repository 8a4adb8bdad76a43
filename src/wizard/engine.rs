//! The step engine: `State` + `Input` → events, and events folded into `State`.
//!
//! Pure: no terminal, no clock, no Bluetooth. Every input carries its time stamp from the edge,
//! so replaying a journal gives the same state, and tests are exact. The engine never moves
//! past a failed gate; a failed gate that is not safety-critical can be passed only with an
//! override that names a reason and a role, and the override is an event of its own.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::bms::model::{AppAction, CellInfo, DeviceInfo, Logbook, Settings};
use crate::units::Volts;
use crate::wizard::checks::{
    self, observe_cutoff, parse_field, CutoffKind, GateContext, LadderInput, LiveData, PackFacts,
    Value, Verdict,
};
use crate::wizard::spec::{Check, InputSpec, ItemSpec, PackField, StepSpec, WizardSpec};
use crate::wizard::words::{Arg, Say};

/// Milliseconds since the Unix epoch, stamped by the edge that received the input.
pub type Millis = i64;

/// The field id of the separately measured pack voltage in the ladder step.
pub const LADDER_PACK_VOLTAGE: &str = "pack_voltage";
/// The field id of the last pin's reading in the ladder step.
pub const LADDER_LAST_PIN: &str = "last_pin";
/// Prefix of the field ids of unused-pin readings in the ladder step (`unused.17`).
pub const LADDER_UNUSED_PREFIX: &str = "unused.";

/// Something the operator did or the BMS said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "input", rename_all = "snake_case")]
pub enum Input {
    /// Tick or untick a checklist item of the current step.
    Check {
        /// Item id.
        item: String,
        /// Ticked.
        checked: bool,
    },
    /// Type a value into a field of the current step (also the ladder's pack voltage,
    /// last pin and unused pins).
    Field {
        /// Field id.
        field: String,
        /// What was typed.
        text: String,
    },
    /// Type the ladder reading of cell `cell` (1-based).
    Reading {
        /// Cell number, 1-based.
        cell: u32,
        /// What was typed.
        text: String,
    },
    /// The operator did this with their hands or in the phone app.
    App(AppAction),
    /// The BMS link reported this.
    Bms(BmsInput),
    /// Try to leave the current step forwards.
    Next,
    /// Go back one step.
    Back,
    /// Skip an optional step.
    Skip,
    /// Pass a failed, non-safety gate of the current step on someone's responsibility.
    Override {
        /// Gate id.
        gate: String,
        /// Why.
        reason: String,
        /// The overriding person's role (trainer, supervisor, …).
        role: String,
        /// The overriding person's name.
        by: String,
    },
    /// Show the wizard in another language from now on (one of the wizard's `languages`).
    Language {
        /// The language code.
        lang: String,
    },
    /// Sign the commissioning off (the last step).
    SignOff {
        /// Who signs.
        name: String,
        /// Their role.
        role: String,
    },
    /// Where the BMS comes from in this run of a front end: `simulator`, `bluetooth ADDR`,
    /// `replay FILE`, `manual`. Recorded when it differs from the last one.
    Source {
        /// The source, in words.
        source: String,
    },
    /// Go to an earlier, finished step to change an entry, keeping the steps after it: leaving
    /// it again re-checks only the later steps whose gates depend on what changed.
    Amend {
        /// Step id.
        step: String,
    },
}

/// What the BMS link reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "bms", rename_all = "snake_case")]
pub enum BmsInput {
    /// Connected.
    Up {
        /// Which unit.
        peer: String,
    },
    /// Disconnected.
    Down {
        /// Why.
        reason: String,
    },
    /// Device info.
    Device(DeviceInfo),
    /// Settings.
    Settings(Settings),
    /// Live cells.
    Cells(CellInfo),
    /// Logbook.
    Logbook(Logbook),
}

/// How a step was left forwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Leave {
    /// Every gate passed.
    Passed,
    /// At least one gate failed and was overridden.
    Overridden,
    /// An optional step skipped.
    Skipped,
    /// The step does not apply (its `when` does not hold).
    NotApplicable,
}

/// One gate's verdict with its id and whether it is safety-critical.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateResult {
    /// Gate id.
    pub gate: String,
    /// Safety-critical.
    pub safety: bool,
    /// The verdict.
    pub verdict: Verdict,
}

/// An override of a failed gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    /// Gate id.
    pub gate: String,
    /// Why.
    pub reason: String,
    /// Role of the person.
    pub role: String,
    /// Name of the person.
    pub by: String,
}

/// Who made a session's entries: the log must not present a script as a person's work.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum EntrySource {
    /// A person at the keys of the interactive wizard.
    #[default]
    Operator,
    /// An answers file (`run --answers`), by its file name and SHA-256.
    AnswersFile {
        /// The file's name.
        file: String,
        /// SHA-256 of its bytes.
        sha256: String,
    },
    /// The built-in simulated trainee of `train --check`, on a scenario.
    SimulatedTrainee {
        /// The scenario's id.
        scenario: String,
    },
}

/// What happened; appended to the journal and folded into [`State`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The commissioning started.
    Started {
        /// When.
        at: Millis,
        /// SHA-256 of the wizard file used.
        wizard_hash: String,
        /// The tool's version.
        tool_version: String,
        /// The language chosen.
        lang: String,
        /// Who makes the entries (journals from before this field: a person at the keys).
        #[serde(default)]
        entries: EntrySource,
        /// The finished session this one is a new attempt after (its folder's name).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous: Option<String>,
    },
    /// The operator switched the language the wizard is shown in; the log records the last.
    LanguageChosen {
        /// When.
        at: Millis,
        /// The language code.
        lang: String,
    },
    /// A session was resumed with its entries made another way than before.
    EntriesFrom {
        /// When.
        at: Millis,
        /// Who makes the entries from now on.
        entries: EntrySource,
    },
    /// A step became current.
    StepEntered {
        /// When.
        at: Millis,
        /// Step id.
        step: String,
    },
    /// A checklist item was ticked or unticked.
    Checked {
        /// When.
        at: Millis,
        /// Step id.
        step: String,
        /// Item id.
        item: String,
        /// Ticked.
        checked: bool,
    },
    /// A field got a valid value.
    FieldSet {
        /// When.
        at: Millis,
        /// Step id.
        step: String,
        /// Field id.
        field: String,
        /// What was typed.
        text: String,
        /// The parsed value.
        value: Value,
    },
    /// A ladder reading was entered.
    ReadingSet {
        /// When.
        at: Millis,
        /// Step id.
        step: String,
        /// Cell, 1-based.
        cell: u32,
        /// What was typed.
        text: String,
        /// The parsed value.
        value: Volts,
    },
    /// An entry was emptied by the operator (a field left blank on purpose).
    FieldCleared {
        /// When.
        at: Millis,
        /// Step id.
        step: String,
        /// The field (or `cell N`).
        field: String,
    },
    /// An entry was refused; what the operator had before stays.
    EntryRejected {
        /// When.
        at: Millis,
        /// Step id.
        step: String,
        /// The field (or `cell N`).
        field: String,
        /// What was typed.
        text: String,
        /// Why, naming the accepted form or range.
        error: String,
    },
    /// The operator did this on the unit or in the app.
    AppAction {
        /// When.
        at: Millis,
        /// Step id.
        step: String,
        /// What.
        action: AppAction,
    },
    /// The link came up.
    LinkUp {
        /// When.
        at: Millis,
        /// Which unit.
        peer: String,
    },
    /// The link went down.
    LinkDown {
        /// When.
        at: Millis,
        /// Why.
        reason: String,
    },
    /// Device info read from the unit.
    Device {
        /// When.
        at: Millis,
        /// The data.
        info: DeviceInfo,
    },
    /// Settings read from the unit.
    Settings {
        /// When.
        at: Millis,
        /// The data.
        settings: Settings,
    },
    /// The unit's logbook.
    Logbook {
        /// When.
        at: Millis,
        /// The data.
        logbook: Logbook,
    },
    /// A live cell frame. Not journaled on its own (one a second); see [`Event::Snapshot`].
    Cells {
        /// When.
        at: Millis,
        /// The data.
        cells: CellInfo,
    },
    /// The cell data a gate decision was based on, journaled with it.
    Snapshot {
        /// When.
        at: Millis,
        /// Step id.
        step: String,
        /// The data.
        cells: CellInfo,
    },
    /// The battery type was chosen (in the app, or seen as a new factory load in the
    /// logbook): the unit reloaded its factory set. Before the settings steps this is simply
    /// recorded; after one of them was passed, the operator is sent back to the first one
    /// it wiped (a [`Event::WentBack`] and [`Event::StepEntered`] follow).
    TypeChosen {
        /// When.
        at: Millis,
        /// The step current when it was seen.
        step: String,
        /// How many battery-type choices are now accounted for.
        choices: usize,
        /// The first settings step this choice wiped, if one was already passed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        wiped: Option<String>,
        /// Why the operator is sent back, for the screen and the log.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A point of the protection test's trace: the highest and lowest cell while the test
    /// runs (journaled, thinned to changes of 5 mV or ten seconds, for the report's plot).
    TestTrace {
        /// When.
        at: Millis,
        /// The highest cell.
        high: Volts,
        /// The lowest cell.
        low: Volts,
    },
    /// The BMS cut off during the protection test.
    CutoffObserved {
        /// When.
        at: Millis,
        /// Charge or discharge.
        charge: bool,
        /// The cell voltage at the cut-off.
        cell_voltage: Volts,
    },
    /// The gates of a step were evaluated on an attempt to leave it.
    Gates {
        /// When.
        at: Millis,
        /// Step id.
        step: String,
        /// Every gate's verdict.
        results: Vec<GateResult>,
    },
    /// A failed gate was overridden.
    Overridden {
        /// When.
        at: Millis,
        /// Step id.
        step: String,
        /// The override.
        #[serde(flatten)]
        over: Override,
    },
    /// The current step was left forwards.
    StepLeft {
        /// When.
        at: Millis,
        /// Step id.
        step: String,
        /// How.
        how: Leave,
    },
    /// The operator went back.
    WentBack {
        /// When.
        at: Millis,
        /// From step id.
        from: String,
        /// To step id.
        to: String,
    },
    /// The commissioning was signed off.
    SignedOff {
        /// When.
        at: Millis,
        /// Who.
        name: String,
        /// Their role.
        role: String,
    },
    /// The BMS is reached another way than before (or for the first time): a session started
    /// on the simulator and resumed on a real unit says so in its journal.
    SourceChosen {
        /// When.
        at: Millis,
        /// The source now (`simulator`, `bluetooth ADDR`, `replay FILE`, `manual`).
        source: String,
        /// The source before, if the session had one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<String>,
    },
    /// The operator went to an earlier, finished step to change it (a [`Event::StepEntered`]
    /// follows); the steps after it keep their verdicts until the amendment is done.
    AmendStarted {
        /// When.
        at: Millis,
        /// The step amended.
        step: String,
        /// The step the operator came from, returned to afterwards.
        back_to: String,
    },
    /// An amended step was left again with its gates passing: what changed, and which later
    /// steps must be passed again because their gates depend on it (the rest keep theirs).
    Amended {
        /// When.
        at: Millis,
        /// The step amended.
        step: String,
        /// The entries that changed (field ids, `cell N`), old and new as typed.
        changed: Vec<Change>,
        /// The later steps to be passed again, in order.
        recheck: Vec<String>,
        /// Where the operator is sent now: the first step to re-check, else where they were.
        back_to: String,
    },
}

/// One entry changed by an amendment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Field id, or `cell N` for a ladder reading.
    pub entry: String,
    /// As typed before (`None`: was empty).
    pub before: Option<String>,
    /// As typed now (`None`: cleared).
    pub after: Option<String>,
}

/// An amendment in progress.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Amending {
    /// The step being amended.
    pub step: usize,
    /// The step to return to.
    pub back_to: usize,
    /// The pack facts before the amendment, to see which later gates it touches.
    pub pack: PackFacts,
    /// The step's entries before (field id or `cell N` → as typed).
    pub entries: BTreeMap<String, String>,
}

impl Event {
    /// Whether this event goes into the journal. Live cell frames arrive every second and
    /// only matter where a gate used them, which [`Event::Snapshot`] records.
    pub fn journaled(&self) -> bool {
        !matches!(self, Event::Cells { .. })
    }

    /// When it happened.
    pub fn at(&self) -> Millis {
        match self {
            Event::Started { at, .. }
            | Event::LanguageChosen { at, .. }
            | Event::EntriesFrom { at, .. }
            | Event::StepEntered { at, .. }
            | Event::Checked { at, .. }
            | Event::FieldSet { at, .. }
            | Event::ReadingSet { at, .. }
            | Event::EntryRejected { at, .. }
            | Event::FieldCleared { at, .. }
            | Event::AppAction { at, .. }
            | Event::LinkUp { at, .. }
            | Event::LinkDown { at, .. }
            | Event::Device { at, .. }
            | Event::Settings { at, .. }
            | Event::Logbook { at, .. }
            | Event::Cells { at, .. }
            | Event::Snapshot { at, .. }
            | Event::TypeChosen { at, .. }
            | Event::CutoffObserved { at, .. }
            | Event::TestTrace { at, .. }
            | Event::Gates { at, .. }
            | Event::Overridden { at, .. }
            | Event::StepLeft { at, .. }
            | Event::WentBack { at, .. }
            | Event::SignedOff { at, .. }
            | Event::AmendStarted { at, .. }
            | Event::SourceChosen { at, .. }
            | Event::Amended { at, .. } => *at,
        }
    }
}

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not reached yet (or to be checked again after going back).
    Pending,
    /// The current step.
    Current,
    /// Left with every gate passing.
    Done,
    /// Left with an override.
    Overridden,
    /// Skipped (an optional step).
    Skipped,
    /// Not applicable: its `when` did not hold.
    NotApplicable,
}

/// Everything recorded for one step.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StepRecord {
    /// Where it stands.
    pub status: Option<Status>,
    /// First entered.
    pub entered_at: Option<Millis>,
    /// Last entered: live data from before this is no evidence for the step's gates.
    #[serde(default)]
    pub visited_at: Option<Millis>,
    /// Why the operator was sent (back) here, shown until the step is left.
    #[serde(default)]
    pub notice: Option<String>,
    /// Last left.
    pub left_at: Option<Millis>,
    /// Ticked items.
    pub checked: BTreeSet<String>,
    /// Valid fields: what was typed and its value.
    pub fields: BTreeMap<String, (String, Value)>,
    /// Ladder readings by cell (1-based): what was typed and its value.
    pub readings: BTreeMap<u32, (String, Volts)>,
    /// The last refused entry, by field: what was typed and why it was refused.
    pub rejected: BTreeMap<String, (String, String)>,
    /// App actions done at this step.
    pub actions: Vec<(Millis, AppAction)>,
    /// The gate verdicts of the last attempt to leave.
    pub gates: Vec<GateResult>,
    /// Overrides in force since the step was last entered.
    pub overrides: Vec<Override>,
    /// Every override ever made here (the log keeps them all).
    pub override_history: Vec<(Millis, Override)>,
}

impl StepRecord {
    /// The step's status, `Pending` when never reached.
    pub fn status(&self) -> Status {
        self.status.unwrap_or(Status::Pending)
    }
}

/// The whole commissioning so far: a fold over the events.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct State {
    /// Started (the first event) with this wizard hash, tool version and language.
    pub started: Option<(Millis, String, String, String)>,
    /// Who made the entries, in order: one source, or more when a session was resumed
    /// another way.
    pub entries: Vec<EntrySource>,
    /// The finished session this one is a new attempt after.
    pub previous: Option<String>,
    /// Index of the current step in the spec.
    pub current: usize,
    /// One record per step of the spec, same order.
    pub steps: Vec<StepRecord>,
    /// Facts about the pack from the answers.
    pub pack: PackFacts,
    /// The latest BMS data.
    pub live: LiveData,
    /// The link's last reason for being down.
    pub link_down_reason: Option<String>,
    /// Every unit a link came up with during the session, in order of first appearance: a
    /// session resumed on another source (a real unit, then the simulator) shows both.
    pub peers: Vec<String>,
    /// Who signed off, and when.
    pub signed_off: Option<(Millis, String, String)>,
    /// An amendment in progress (the operator went to a finished step to change it).
    #[serde(default)]
    pub amending: Option<Amending>,
    /// Every way the BMS was reached, in order (`simulator`, `bluetooth ADDR`, `manual`).
    #[serde(default)]
    pub sources: Vec<String>,
    /// The protection test's trace: (when, highest cell, lowest cell).
    #[serde(default)]
    pub test_trace: Vec<(Millis, Volts, Volts)>,
    /// The protection test's cut-offs as they were seen: (when, charge, cell voltage).
    #[serde(default)]
    pub test_cutoffs: Vec<(Millis, bool, Volts)>,
    /// Every amendment made, in order: when, the step, what changed, what was re-checked.
    #[serde(default)]
    pub amendments: Vec<(Millis, String, Vec<Change>, Vec<String>)>,
}

/// Why an input was not taken. The state is unchanged when this is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The wizard has no steps.
    #[error("the wizard has no steps")]
    NoSteps,
    /// A language the wizard does not list.
    #[error("the wizard has no texts in '{0}'")]
    UnknownLanguage(String),
    /// The commissioning is already signed off.
    #[error("the commissioning is already signed off; start a new session for another pack")]
    Finished,
    /// An item id the current step does not have.
    #[error("step '{step}' has no checklist item '{item}'")]
    UnknownItem {
        /// Step id.
        step: String,
        /// Item id.
        item: String,
    },
    /// A field id the current step does not have.
    #[error("step '{step}' has no field '{field}'")]
    UnknownField {
        /// Step id.
        step: String,
        /// Field id.
        field: String,
    },
    /// A ladder reading outside the current step, or for a cell outside 1..N.
    #[error("{0}")]
    Reading(String),
    /// Back from the first step.
    #[error("this is the first step; there is nothing to go back to")]
    AtStart,
    /// Skip of a step that is not optional.
    #[error("step '{0}' is not optional and cannot be skipped")]
    NotOptional(String),
    /// Override refused.
    #[error("{0}")]
    Override(String),
    /// Sign-off outside the sign-off step, or with gates failing.
    #[error("{0}")]
    SignOff(String),
    /// An amendment of a step that is not an earlier, finished one.
    #[error("{0}")]
    Amend(String),
}

/// The engine: the spec it walks.
#[derive(Debug, Clone, Copy)]
pub struct Engine<'w> {
    spec: &'w WizardSpec,
}

impl<'w> Engine<'w> {
    /// An engine walking `spec`.
    pub fn new(spec: &'w WizardSpec) -> Self {
        Engine { spec }
    }

    /// The spec walked.
    pub fn spec(&self) -> &'w WizardSpec {
        self.spec
    }

    /// The events that open a commissioning.
    pub fn start(
        &self,
        at: Millis,
        wizard_hash: &str,
        tool_version: &str,
        lang: &str,
    ) -> Result<Vec<Event>, EngineError> {
        let first = self.spec.steps.first().ok_or(EngineError::NoSteps)?;
        Ok(vec![
            Event::Started {
                at,
                wizard_hash: wizard_hash.to_string(),
                tool_version: tool_version.to_string(),
                lang: lang.to_string(),
                entries: EntrySource::default(),
                previous: None,
            },
            Event::StepEntered {
                at,
                step: first.id.clone(),
            },
        ])
    }

    /// A state with one record per step, before any event.
    pub fn empty_state(&self) -> State {
        State {
            steps: vec![StepRecord::default(); self.spec.steps.len()],
            ..State::default()
        }
    }

    /// Fold a journal into a state.
    pub fn replay<'e>(&self, events: impl IntoIterator<Item = &'e Event>) -> State {
        let mut state = self.empty_state();
        for e in events {
            self.apply(&mut state, e);
        }
        state
    }

    /// Decide, apply and return the events of one input.
    pub fn step(
        &self,
        state: &mut State,
        input: Input,
        at: Millis,
    ) -> Result<Vec<Event>, EngineError> {
        let events = self.handle(state, input, at)?;
        for e in &events {
            self.apply(state, e);
        }
        Ok(events)
    }

    /// The current step's spec.
    pub fn current_step(&self, state: &State) -> &'w StepSpec {
        &self.spec.steps[state.current.min(self.spec.steps.len() - 1)]
    }

    /// Decide what an input means. Does not change `state`.
    pub fn handle(
        &self,
        state: &State,
        input: Input,
        at: Millis,
    ) -> Result<Vec<Event>, EngineError> {
        if self.spec.steps.is_empty() {
            return Err(EngineError::NoSteps);
        }
        let finished = state.signed_off.is_some();
        let step = self.current_step(state);
        let sid = step.id.clone();
        match input {
            // After sign-off the record is closed: the unit may go on talking, nothing is kept.
            Input::Bms(_) if finished => Ok(Vec::new()),
            Input::Bms(b) => Ok(self.bms_events(state, b, at)),
            _ if finished => Err(EngineError::Finished),
            Input::Check { item, checked } => {
                if !step_items(step, &state.live).iter().any(|i| i.id == item) {
                    return Err(EngineError::UnknownItem { step: sid, item });
                }
                Ok(vec![Event::Checked {
                    at,
                    step: sid,
                    item,
                    checked,
                }])
            }
            Input::Field { field, text } => self.field_events(state, step, field, text, at),
            Input::Reading { cell, text } => self.reading_events(state, step, cell, text, at),
            Input::App(action) => Ok(self.app_events(state, step, action, at)),
            Input::Language { lang } => {
                if !self.spec.languages.contains(&lang) {
                    return Err(EngineError::UnknownLanguage(lang));
                }
                let shown = state.started.as_ref().map(|s| s.3.as_str());
                Ok(if shown == Some(lang.as_str()) {
                    Vec::new()
                } else {
                    vec![Event::LanguageChosen { at, lang }]
                })
            }
            Input::Amend { step } => self.amend_events(state, &step, at),
            Input::Source { source } => Ok(if state.sources.last() == Some(&source) {
                Vec::new()
            } else {
                vec![Event::SourceChosen {
                    at,
                    source,
                    before: state.sources.last().cloned(),
                }]
            }),
            // Leaving an amended step, either way, returns to where the operator was.
            Input::Next | Input::Back if self.amending_here(state) => {
                Ok(self.finish_amend(state, at, None))
            }
            Input::Next => Ok(self.next_events(state, at)),
            Input::Back => self.back_events(state, at),
            Input::Skip if step.optional && self.amending_here(state) => {
                Ok(self.finish_amend(state, at, Some(Leave::Skipped)))
            }
            Input::Skip => {
                if !step.optional {
                    return Err(EngineError::NotOptional(sid));
                }
                let mut ev = vec![Event::StepLeft {
                    at,
                    step: sid,
                    how: Leave::Skipped,
                }];
                ev.extend(self.enter_next(state, state.current, at));
                Ok(ev)
            }
            Input::Override {
                gate,
                reason,
                role,
                by,
            } => self.override_events(state, step, gate, reason, role, by, at),
            Input::SignOff { name, role } => self.signoff_events(state, step, name, role, at),
        }
    }

    fn field_events(
        &self,
        state: &State,
        step: &StepSpec,
        field: String,
        text: String,
        at: Millis,
    ) -> Result<Vec<Event>, EngineError> {
        let sid = step.id.clone();
        let known = step.input.fields().iter().any(|f| f.id == field)
            || (matches!(step.input, InputSpec::Ladder { .. }) && is_ladder_field(&field));
        // An entry emptied on purpose is cleared, not refused: a gate that needs it says so.
        if known && text.trim().is_empty() {
            let had = state.steps[state.current].fields.contains_key(&field);
            return Ok(if had {
                vec![Event::FieldCleared {
                    at,
                    step: sid,
                    field,
                }]
            } else {
                Vec::new()
            });
        }
        let parsed = if let Some(spec) = step.input.fields().iter().find(|f| f.id == field) {
            parse_field(spec, &text).map_err(|e| e.to_string())
        } else if matches!(step.input, InputSpec::Ladder { .. }) && is_ladder_field(&field) {
            Volts::parse(&text)
                .map(|v| Value::Number(v.0))
                .map_err(|e| format!("{field}: {e}"))
        } else {
            return Err(EngineError::UnknownField { step: sid, field });
        };
        Ok(vec![match parsed {
            Ok(value) => Event::FieldSet {
                at,
                step: sid,
                field,
                text,
                value,
            },
            Err(error) => Event::EntryRejected {
                at,
                step: sid,
                field,
                text,
                error,
            },
        }])
    }

    fn reading_events(
        &self,
        state: &State,
        step: &StepSpec,
        cell: u32,
        text: String,
        at: Millis,
    ) -> Result<Vec<Event>, EngineError> {
        if !matches!(step.input, InputSpec::Ladder { .. }) {
            return Err(EngineError::Reading(format!(
                "step '{}' takes no ladder readings",
                step.id
            )));
        }
        let Some(n) = state.pack.cells else {
            return Err(EngineError::Reading(
                "the number of cells is not known yet: enter it in the pack step first".into(),
            ));
        };
        if cell == 0 || cell > n {
            return Err(EngineError::Reading(format!(
                "cell {cell} does not exist: this pack has cells 1 to {n}"
            )));
        }
        if text.trim().is_empty() {
            let had = state.steps[state.current].readings.contains_key(&cell);
            return Ok(if had {
                vec![Event::FieldCleared {
                    at,
                    step: step.id.clone(),
                    field: format!("cell {cell}"),
                }]
            } else {
                Vec::new()
            });
        }
        Ok(vec![match Volts::parse(&text) {
            Ok(value) => Event::ReadingSet {
                at,
                step: step.id.clone(),
                cell,
                text,
                value,
            },
            Err(e) => Event::EntryRejected {
                at,
                step: step.id.clone(),
                field: format!("cell {cell}"),
                text,
                error: format!("cell {cell}: {e}"),
            },
        }])
    }

    fn bms_events(&self, state: &State, input: BmsInput, at: Millis) -> Vec<Event> {
        match input {
            BmsInput::Up { peer } => vec![Event::LinkUp { at, peer }],
            BmsInput::Down { reason } => vec![Event::LinkDown { at, reason }],
            BmsInput::Device(info) if state.live.device.as_ref() != Some(&info) => {
                vec![Event::Device { at, info }]
            }
            // Every settings frame is kept, unchanged or not: its time says it is fresh.
            BmsInput::Settings(settings) => vec![Event::Settings { at, settings }],
            BmsInput::Logbook(logbook) if state.live.logbook.as_ref() != Some(&logbook) => {
                let mut ev = vec![Event::Logbook { at, logbook }];
                let mut after = state.clone();
                self.apply(&mut after, &ev[0]);
                if let (Some(book), Some(baseline)) =
                    (&after.live.logbook, after.live.factory_events_baseline)
                {
                    let choices = factory_events(book).saturating_sub(baseline);
                    if choices > after.live.type_choices {
                        ev.extend(self.type_chosen(&after, choices, at));
                    }
                }
                ev
            }
            BmsInput::Cells(cells) => {
                let mut ev = Vec::new();
                let testing = self
                    .current_step(state)
                    .gates
                    .iter()
                    .any(|g| g.check == Check::ProtectionTest);
                // Only frames of the test count, from after it was let begin.
                let started = state.live.protection.started_at;
                let prev = state
                    .live
                    .cells
                    .as_ref()
                    .filter(|_| started.is_some_and(|s| state.live.cells_at_ms >= Some(s)));
                if let (true, Some(prev)) = (testing, prev) {
                    let cut = observe_cutoff(prev, &cells).filter(|(kind, _)| {
                        let charge = *kind == CutoffKind::Charge;
                        let recorded = if charge {
                            state.live.protection.charge.is_some()
                        } else {
                            state.live.protection.discharge.is_some()
                        };
                        // The first cut-off of each kind is the test's; the operator switching
                        // that FET off afterwards is neither a second one nor a correction.
                        !recorded && !self.switched_off(state, charge)
                    });
                    let cut_now = cut.is_some();
                    if let Some((kind, cut)) = cut {
                        ev.push(Event::CutoffObserved {
                            at,
                            charge: kind == CutoffKind::Charge,
                            cell_voltage: cut.cell_voltage,
                        });
                    }
                    if let Some(point) = trace_point(state, &cells, at, cut_now) {
                        ev.push(point);
                    }
                }
                ev.push(Event::Cells { at, cells });
                ev
            }
            // Unchanged device info, settings or logbook: nothing new to record.
            _ => Vec::new(),
        }
    }

    /// Every gate of step `index` as it stands now.
    pub fn evaluate(&self, state: &State, index: usize, now: Millis) -> Vec<GateResult> {
        let step = &self.spec.steps[index];
        let record = &state.steps[index];
        let fields: BTreeMap<String, Value> = record
            .fields
            .iter()
            .map(|(k, (_, v))| (k.clone(), v.clone()))
            .collect();
        let ladder = self.ladder_input(state, index);
        let ctx = GateContext {
            spec: self.spec,
            step,
            pack: &state.pack,
            checked: &record.checked,
            fields: &fields,
            ladder: &ladder,
            live: &state.live,
            now_ms: now,
            since_ms: self.fresh_since(state, index),
        };
        step.gates
            .iter()
            .map(|g| {
                let mut verdict = checks::evaluate(&g.check, &ctx);
                let only_unreported =
                    !verdict.ok && verdict.reasons.iter().all(|r| r.code == "not_reported");
                if let (true, Some(confirm)) = (only_unreported, &g.confirm) {
                    if record.checked.contains(&confirm_item_id(&g.id)) {
                        verdict = checks::Verdict {
                            by_operator: true,
                            ..checks::Verdict::pass()
                        };
                    } else {
                        for r in &mut verdict.reasons {
                            // The reason says which checklist item takes the operator's word.
                            if let Some(say) = r.say.take() {
                                r.say = Some(Say::new(
                                    "part.tick",
                                    [
                                        ("reason", Arg::say(say)),
                                        ("tick", Arg::Text(confirm.clone())),
                                    ],
                                ));
                            }
                        }
                    }
                }
                GateResult {
                    gate: g.id.clone(),
                    safety: g.safety,
                    verdict,
                }
            })
            .collect()
    }

    /// Live data must be newer than this for step `index`'s gates: the last time the step
    /// was entered, or the operator's last app action there since, whichever is later. A
    /// bench current changes no setting, so it does not make the settings read before it old
    /// (the protection test's settings gates would flicker to "no data" at every change).
    pub fn fresh_since(&self, state: &State, index: usize) -> Millis {
        let record = &state.steps[index];
        let visited = record.visited_at.or(record.entered_at).unwrap_or(0);
        record
            .actions
            .iter()
            .filter(|(_, a)| !matches!(a, AppAction::Current(_)))
            .map(|(at, _)| *at)
            .filter(|at| *at >= visited)
            .max()
            .unwrap_or(visited)
    }

    /// The checklist items of step `index` as the unit on the link makes them: the step's
    /// own, and a confirmation for each gate whose data this unit can never send.
    pub fn items(&self, state: &State, index: usize) -> Vec<ItemSpec> {
        step_items(&self.spec.steps[index], &state.live)
    }

    /// The app events of an action. At the protection test, the first charge or load is
    /// taken only when a settings frame read since the step was entered passes every other
    /// gate of the step: otherwise the verdicts are recorded and the action is not.
    fn app_events(
        &self,
        state: &State,
        step: &StepSpec,
        action: AppAction,
        at: Millis,
    ) -> Vec<Event> {
        if let Some(results) = self.test_refusal(state, &action, at) {
            return vec![Event::Gates {
                at,
                step: step.id.clone(),
                results,
            }];
        }
        let mut ev = vec![Event::AppAction {
            at,
            step: step.id.clone(),
            action: action.clone(),
        }];
        if matches!(action, AppAction::BatteryType(_)) {
            ev.extend(self.type_chosen(state, state.live.type_choices + 1, at));
        }
        ev
    }

    /// Why `action` may not start the protection test now, as the verdicts of the step's
    /// gates that must pass first; `None` when it may (or it does not start a test). Front
    /// ends ask this before letting a simulated charger or load act on the unit.
    pub fn test_refusal(
        &self,
        state: &State,
        action: &AppAction,
        at: Millis,
    ) -> Option<Vec<GateResult>> {
        let idx = state.current;
        let step = &self.spec.steps[idx];
        let starts = matches!(action, AppAction::Current(a) if a.0 != 0.0)
            && state.live.protection.started_at.is_none()
            && step.gates.iter().any(|g| g.check == Check::ProtectionTest);
        if !starts {
            return None;
        }
        let results = self.evaluate(state, idx, at);
        let before: Vec<&GateResult> = step
            .gates
            .iter()
            .zip(&results)
            .filter(|(g, _)| g.check != Check::ProtectionTest)
            .map(|(_, r)| r)
            .collect();
        if before.iter().all(|r| r.verdict.ok) {
            return None;
        }
        Some(results)
    }

    /// The events of a battery-type choice: recorded, and when it wiped a settings step
    /// already passed, the way back to the first such step.
    fn type_chosen(&self, state: &State, choices: usize, at: Millis) -> Vec<Event> {
        let step = self.current_step(state).id.clone();
        let first_type = self.spec.steps.iter().position(|s| {
            s.gates
                .iter()
                .any(|g| g.check == Check::OvpMatchesChemistry)
        });
        let wiped = first_type.and_then(|bt| {
            (bt + 1..self.spec.steps.len()).find(|&i| {
                matches!(state.steps[i].status(), Status::Done | Status::Overridden)
                    && self.spec.steps[i]
                        .gates
                        .iter()
                        .any(|g| reads_settings(&g.check))
            })
        });
        let Some(to) = wiped else {
            return vec![Event::TypeChosen {
                at,
                step,
                choices,
                wiped: None,
                reason: None,
            }];
        };
        let target = &self.spec.steps[to];
        let reason = format!(
            "the battery type was chosen again after the settings were made: the unit reloaded \
             its factory set and every setting from '{}' ({}) on is gone — set them again; each \
             later step is checked again on the way",
            crate::wizard::spec::tr(&target.title, "en"),
            target.id
        );
        vec![
            Event::TypeChosen {
                at,
                step: step.clone(),
                choices,
                wiped: Some(target.id.clone()),
                reason: Some(reason),
            },
            Event::WentBack {
                at,
                from: step,
                to: target.id.clone(),
            },
            Event::StepEntered {
                at,
                step: target.id.clone(),
            },
        ]
    }

    /// Whether the operator turned the charge (or discharge) FET off themselves: the switch
    /// reads off, or their last use of it at this step was to turn it off.
    fn switched_off(&self, state: &State, charge: bool) -> bool {
        let wanted = if charge {
            crate::bms::model::Switch::Charge
        } else {
            crate::bms::model::Switch::Discharge
        };
        let by_settings = state.live.settings.as_ref().is_some_and(|s| {
            !if charge {
                s.charge_switch
            } else {
                s.discharge_switch
            }
        });
        let by_action = state.steps[state.current]
            .actions
            .iter()
            .rev()
            .find_map(|(_, a)| match a {
                AppAction::Switch { switch, on } if *switch == wanted => Some(!on),
                _ => None,
            })
            .unwrap_or(false);
        by_settings || by_action
    }

    /// The ladder as entered at step `index`.
    pub fn ladder_input(&self, state: &State, index: usize) -> LadderInput {
        let record = &state.steps[index];
        let n = state.pack.cells.unwrap_or(0) as usize;
        let volts = |id: &str| match record.fields.get(id) {
            Some((_, Value::Number(v))) => Some(Volts(*v)),
            _ => None,
        };
        LadderInput {
            readings: (1..=n as u32)
                .map(|k| record.readings.get(&k).map(|(_, v)| *v))
                .collect(),
            decimals: (1..=n as u32)
                .map(|k| {
                    record
                        .readings
                        .get(&k)
                        .map(|(t, _)| checks::typed_decimals(t))
                })
                .collect(),
            pack_voltage: volts(LADDER_PACK_VOLTAGE),
            last_pin: volts(LADDER_LAST_PIN),
            unused: record
                .fields
                .iter()
                .filter_map(|(k, (_, v))| {
                    let wire = k.strip_prefix(LADDER_UNUSED_PREFIX)?.parse().ok()?;
                    match v {
                        Value::Number(x) => Some((wire, Volts(*x))),
                        _ => None,
                    }
                })
                .collect(),
        }
    }

    /// Whether step `index` applies, given the answers so far (its `when`).
    pub fn applies(&self, state: &State, index: usize) -> bool {
        let Some(cond) = &self.spec.steps[index].when else {
            return true;
        };
        // `step.id.field`: step ids contain dots, field ids do not.
        let Some((step_id, field)) = cond.field.rsplit_once('.') else {
            return true;
        };
        let found = self.spec.steps.iter().position(|s| s.id == step_id);
        match found.and_then(|i| state.steps[i].fields.get(field)) {
            Some((_, Value::Choice(c))) => cond.is.iter().any(|x| x == c),
            Some((_, Value::Text(t))) => cond.is.iter().any(|x| x == t),
            // Not answered yet: show the step rather than hide a check.
            _ => true,
        }
    }

    /// Judge the current step for leaving it: the cell frame the live gates look at (with
    /// its own time, so a decision never makes old data look fresh), every gate's verdict,
    /// and how the step may be left — `None` when it may not.
    fn judge(&self, state: &State, at: Millis) -> (Vec<Event>, Option<Leave>) {
        let idx = state.current;
        let step = &self.spec.steps[idx];
        let mut ev = Vec::new();
        if step.gates.iter().any(|g| is_live(&g.check)) {
            if let (Some(cells), Some(frame_at)) = (&state.live.cells, state.live.cells_at_ms) {
                ev.push(Event::Snapshot {
                    at: frame_at,
                    step: step.id.clone(),
                    cells: cells.clone(),
                });
            }
        }
        let results = self.evaluate(state, idx, at);
        let leave = leave_verdict(&results, &state.steps[idx].overrides);
        ev.push(Event::Gates {
            at,
            step: step.id.clone(),
            results,
        });
        (ev, leave)
    }

    fn next_events(&self, state: &State, at: Millis) -> Vec<Event> {
        let idx = state.current;
        let step = &self.spec.steps[idx];
        let (mut ev, leave) = self.judge(state, at);
        if let Some(how) = leave {
            if matches!(step.input, InputSpec::SignOff { .. }) {
                // The last step is left by signing, not by Next: its gates were shown.
                return ev;
            }
            ev.push(Event::StepLeft {
                at,
                step: step.id.clone(),
                how,
            });
            ev.extend(self.enter_next(state, idx, at));
        }
        ev
    }

    /// StepLeft(NotApplicable) for skipped steps after `from`, then StepEntered.
    fn enter_next(&self, state: &State, from: usize, at: Millis) -> Vec<Event> {
        let mut ev = Vec::new();
        let mut i = from + 1;
        while i < self.spec.steps.len() {
            let kept = matches!(
                state.steps[i].status(),
                Status::Done | Status::Overridden | Status::Skipped
            );
            if self.applies(state, i) && kept {
                // Passed before and kept by an amendment: not walked again.
                i += 1;
                continue;
            }
            if self.applies(state, i) {
                ev.push(Event::StepEntered {
                    at,
                    step: self.spec.steps[i].id.clone(),
                });
                return ev;
            }
            ev.push(Event::StepLeft {
                at,
                step: self.spec.steps[i].id.clone(),
                how: Leave::NotApplicable,
            });
            i += 1;
        }
        ev
    }

    fn back_events(&self, state: &State, at: Millis) -> Result<Vec<Event>, EngineError> {
        let idx = state.current;
        let to = (0..idx)
            .rev()
            .find(|&i| self.applies(state, i))
            .ok_or(EngineError::AtStart)?;
        Ok(vec![
            Event::WentBack {
                at,
                from: self.spec.steps[idx].id.clone(),
                to: self.spec.steps[to].id.clone(),
            },
            Event::StepEntered {
                at,
                step: self.spec.steps[to].id.clone(),
            },
        ])
    }

    #[allow(clippy::too_many_arguments)]
    fn override_events(
        &self,
        state: &State,
        step: &StepSpec,
        gate: String,
        reason: String,
        role: String,
        by: String,
        at: Millis,
    ) -> Result<Vec<Event>, EngineError> {
        let Some(spec) = step.gates.iter().find(|g| g.id == gate) else {
            return Err(EngineError::Override(format!(
                "step '{}' has no gate '{gate}'",
                step.id
            )));
        };
        if spec.safety {
            return Err(EngineError::Override(format!(
                "gate '{gate}' is safety-critical: it cannot be overridden; fix the cause"
            )));
        }
        if reason.trim().is_empty() || role.trim().is_empty() || by.trim().is_empty() {
            return Err(EngineError::Override(
                "an override needs a reason, the role and the name of the person taking responsibility".into(),
            ));
        }
        let now = self.evaluate(state, state.current, at);
        if now.iter().any(|r| r.gate == gate && r.verdict.ok) {
            return Err(EngineError::Override(format!(
                "gate '{gate}' passes: there is nothing to override"
            )));
        }
        Ok(vec![Event::Overridden {
            at,
            step: step.id.clone(),
            over: Override {
                gate,
                reason: reason.trim().to_string(),
                role: role.trim().to_string(),
                by: by.trim().to_string(),
            },
        }])
    }

    fn signoff_events(
        &self,
        state: &State,
        step: &StepSpec,
        name: String,
        role: String,
        at: Millis,
    ) -> Result<Vec<Event>, EngineError> {
        if !matches!(step.input, InputSpec::SignOff { .. }) {
            return Err(EngineError::SignOff(format!(
                "sign-off belongs to the last step; the current step is '{}'",
                step.id
            )));
        }
        if name.trim().is_empty() || role.trim().is_empty() {
            return Err(EngineError::SignOff(
                "sign-off needs the name and the role of the person signing".into(),
            ));
        }
        let (mut ev, leave) = self.judge(state, at);
        if let Some(how) = leave {
            ev.push(Event::StepLeft {
                at,
                step: step.id.clone(),
                how,
            });
            ev.push(Event::SignedOff {
                at,
                name: name.trim().to_string(),
                role: role.trim().to_string(),
            });
        }
        Ok(ev)
    }

    /// Whether the current step is one being amended.
    fn amending_here(&self, state: &State) -> bool {
        state
            .amending
            .as_ref()
            .is_some_and(|a| a.step == state.current)
    }

    fn amend_events(&self, state: &State, id: &str, at: Millis) -> Result<Vec<Event>, EngineError> {
        let Some(to) = self.spec.steps.iter().position(|s| s.id == id) else {
            return Err(EngineError::Amend(format!("there is no step '{id}'")));
        };
        if let Some(a) = &state.amending {
            return Err(EngineError::Amend(format!(
                "finish amending '{}' first: leave it with its gates passing",
                self.spec.steps[a.step].id
            )));
        }
        let finished = matches!(
            state.steps[to].status(),
            Status::Done | Status::Overridden | Status::Skipped
        );
        if to >= state.current || !finished || !self.applies(state, to) {
            return Err(EngineError::Amend(format!(
                "only an earlier, finished step can be amended; '{id}' is not one"
            )));
        }
        Ok(vec![
            Event::AmendStarted {
                at,
                step: id.to_string(),
                back_to: self.spec.steps[state.current].id.clone(),
            },
            Event::StepEntered {
                at,
                step: id.to_string(),
            },
        ])
    }

    /// Leave the amended step (when its gates pass): what changed, the later steps whose
    /// gates depend on it to pass again, then back to the first of them or where the
    /// operator was.
    fn finish_amend(&self, state: &State, at: Millis, skip: Option<Leave>) -> Vec<Event> {
        let Some(a) = &state.amending else {
            return Vec::new();
        };
        let idx = a.step;
        let (mut ev, leave) = if skip.is_some() {
            (Vec::new(), skip)
        } else {
            self.judge(state, at)
        };
        let Some(how) = leave else {
            return ev;
        };
        let now = step_entries(&state.steps[idx]);
        let keys: BTreeSet<&String> = a.entries.keys().chain(now.keys()).collect();
        let changed: Vec<Change> = keys
            .into_iter()
            .filter(|k| a.entries.get(*k) != now.get(*k))
            .map(|k| Change {
                entry: k.clone(),
                before: a.entries.get(k).cloned(),
                after: now.get(k).cloned(),
            })
            .collect();
        let mut after = state.clone();
        after.amending = None;
        let facts = changed_facts(&a.pack, &state.pack);
        let amended_id = &self.spec.steps[idx].id;
        let mut recheck = Vec::new();
        let mut not_applicable = Vec::new();
        for j in idx + 1..a.back_to {
            let step = &self.spec.steps[j];
            let status = state.steps[j].status();
            let applies = self.applies(&after, j);
            let finished = matches!(status, Status::Done | Status::Overridden | Status::Skipped);
            if !applies {
                if finished {
                    not_applicable.push(step.id.clone());
                }
                continue;
            }
            if !finished {
                // Newly applying (or never passed): it must be passed now.
                recheck.push(step.id.clone());
                continue;
            }
            if status == Status::Skipped || changed.is_empty() {
                continue;
            }
            let depends = step
                .gates
                .iter()
                .any(|g| gate_reads(&g.check).iter().any(|f| facts.contains(f)))
                || step
                    .when
                    .as_ref()
                    .is_some_and(|w| w.field.starts_with(&format!("{amended_id}.")));
            if !depends {
                continue;
            }
            // Live data must be read again at the step; a pure check is judged again here.
            let live = step.gates.iter().any(|g| is_live(&g.check));
            let passes = !live
                && status == Status::Done
                && self.evaluate(&after, j, at).iter().all(|r| r.verdict.ok);
            if !passes {
                recheck.push(step.id.clone());
            }
        }
        let back_to = recheck
            .first()
            .cloned()
            .unwrap_or_else(|| self.spec.steps[a.back_to].id.clone());
        ev.push(Event::Amended {
            at,
            step: amended_id.clone(),
            changed,
            recheck,
            back_to: back_to.clone(),
        });
        ev.push(Event::StepLeft {
            at,
            step: amended_id.clone(),
            how,
        });
        for id in not_applicable {
            ev.push(Event::StepLeft {
                at,
                step: id,
                how: Leave::NotApplicable,
            });
        }
        ev.push(Event::StepEntered { at, step: back_to });
        ev
    }

    /// Fold one event into the state.
    pub fn apply(&self, state: &mut State, event: &Event) {
        if state.steps.len() != self.spec.steps.len() {
            state
                .steps
                .resize(self.spec.steps.len(), StepRecord::default());
        }
        let index_of = |id: &str| self.spec.steps.iter().position(|s| s.id == id);
        match event {
            Event::Started {
                at,
                wizard_hash,
                tool_version,
                lang,
                entries,
                previous,
            } => {
                state.started =
                    Some((*at, wizard_hash.clone(), tool_version.clone(), lang.clone()));
                state.entries = vec![entries.clone()];
                state.previous.clone_from(previous);
            }
            Event::LanguageChosen { lang, .. } => {
                if let Some(started) = &mut state.started {
                    started.3.clone_from(lang);
                }
            }
            Event::EntriesFrom { entries, .. } => {
                if state.entries.last() != Some(entries) {
                    state.entries.push(entries.clone());
                }
            }
            Event::StepEntered { at, step } => {
                if let Some(i) = index_of(step) {
                    if state.current != i && state.steps[state.current].status() == Status::Current
                    {
                        state.steps[state.current].status = Some(Status::Pending);
                    }
                    state.current = i;
                    let r = &mut state.steps[i];
                    r.status = Some(Status::Current);
                    r.entered_at.get_or_insert(*at);
                    r.visited_at = Some(*at);
                    // An override holds for the visit it was given in, not forever.
                    r.overrides.clear();
                    // The battery type is chosen at the first step that checks the chemistry
                    // by OVP: count the factory loads the unit had before it.
                    let chooses_type = self.spec.steps[i]
                        .gates
                        .iter()
                        .any(|g| g.check == Check::OvpMatchesChemistry);
                    if chooses_type && state.live.factory_events_baseline.is_none() {
                        state.live.factory_events_baseline =
                            state.live.logbook.as_ref().map(factory_events);
                    }
                }
            }
            Event::Checked {
                step,
                item,
                checked,
                ..
            } => {
                if let Some(i) = index_of(step) {
                    if *checked {
                        state.steps[i].checked.insert(item.clone());
                    } else {
                        state.steps[i].checked.remove(item);
                    }
                }
            }
            Event::FieldSet {
                step,
                field,
                text,
                value,
                ..
            } => {
                if let Some(i) = index_of(step) {
                    state.steps[i].rejected.remove(field);
                    state.steps[i]
                        .fields
                        .insert(field.clone(), (text.clone(), value.clone()));
                    self.refresh_pack(state);
                }
            }
            Event::ReadingSet {
                step,
                cell,
                text,
                value,
                ..
            } => {
                if let Some(i) = index_of(step) {
                    state.steps[i].rejected.remove(&format!("cell {cell}"));
                    state.steps[i]
                        .readings
                        .insert(*cell, (text.clone(), *value));
                }
            }
            Event::FieldCleared { step, field, .. } => {
                if let Some(i) = index_of(step) {
                    let r = &mut state.steps[i];
                    r.rejected.remove(field);
                    r.fields.remove(field);
                    if let Some(cell) = field.strip_prefix("cell ").and_then(|c| c.parse().ok()) {
                        r.readings.remove(&cell);
                    }
                    self.refresh_pack(state);
                }
            }
            Event::EntryRejected {
                step,
                field,
                text,
                error,
                ..
            } => {
                if let Some(i) = index_of(step) {
                    state.steps[i]
                        .rejected
                        .insert(field.clone(), (text.clone(), error.clone()));
                }
            }
            Event::AppAction { at, step, action } => {
                if let Some(i) = index_of(step) {
                    state.steps[i].actions.push((*at, action.clone()));
                }
                if matches!(action, AppAction::BalanceTrigger(_)) {
                    state.live.balance_trigger_changed = true;
                }
                let at_test = index_of(step).is_some_and(|i| {
                    self.spec.steps[i]
                        .gates
                        .iter()
                        .any(|g| g.check == Check::ProtectionTest)
                });
                if at_test && matches!(action, AppAction::Current(a) if a.0 != 0.0) {
                    state.live.protection.started_at.get_or_insert(*at);
                }
            }
            Event::LinkUp { peer, .. } => {
                state.live.connected = true;
                state.link_down_reason = None;
                if !state.peers.contains(peer) {
                    state.peers.push(peer.clone());
                }
            }
            Event::LinkDown { reason, .. } => {
                state.live.connected = false;
                state.link_down_reason = Some(reason.clone());
                // What the unit said before the drop is not evidence of what it says now: the
                // gates wait for fresh settings and cells, and a cut-off is never inferred by
                // comparing a frame from before the drop with one after it.
                state.live.cells = None;
                state.live.cells_at_ms = None;
                state.live.settings = None;
                state.live.settings_at_ms = None;
            }
            Event::Device { info, .. } => state.live.device = Some(info.clone()),
            Event::Settings { at, settings } => {
                state.live.settings = Some(settings.clone());
                state.live.settings_at_ms = Some(*at);
            }
            Event::Logbook { logbook, .. } => {
                state.live.logbook = Some(logbook.clone());
                // A logbook that arrives only after the battery-type step was entered gives
                // the baseline then (it may already hold the operator's one choice: lenient,
                // never silent).
                let at_or_after_choice = self
                    .spec
                    .steps
                    .iter()
                    .position(|s| {
                        s.gates
                            .iter()
                            .any(|g| g.check == Check::OvpMatchesChemistry)
                    })
                    .is_some_and(|i| state.current >= i);
                if at_or_after_choice && state.live.factory_events_baseline.is_none() {
                    state.live.factory_events_baseline = Some(factory_events(logbook));
                }
            }
            Event::Cells { at, cells } | Event::Snapshot { at, cells, .. } => {
                state.live.cells = Some(cells.clone());
                state.live.cells_at_ms = Some(*at);
            }
            Event::TypeChosen {
                choices,
                wiped,
                reason,
                ..
            } => {
                state.live.type_choices = *choices;
                if let Some(i) = wiped.as_deref().and_then(index_of) {
                    // The test was made on settings that are gone.
                    state.live.protection = checks::ProtectionObs::default();
                    state.test_trace.clear();
                    state.test_cutoffs.clear();
                    state.steps[i].notice = reason.clone();
                    // Every step from there on is passed again, re-checked on the way.
                    for r in &mut state.steps[i + 1..] {
                        if r.status.is_some() {
                            r.status = Some(Status::Pending);
                        }
                    }
                }
            }
            Event::TestTrace { at, high, low } => state.test_trace.push((*at, *high, *low)),
            Event::CutoffObserved {
                at,
                charge,
                cell_voltage,
            } => {
                state.test_cutoffs.push((*at, *charge, *cell_voltage));
                let cut = Some(checks::Cutoff {
                    cell_voltage: *cell_voltage,
                });
                if *charge {
                    state.live.protection.charge = cut;
                } else {
                    state.live.protection.discharge = cut;
                }
            }
            Event::Gates { step, results, .. } => {
                if let Some(i) = index_of(step) {
                    state.steps[i].gates = results.clone();
                }
            }
            Event::Overridden { at, step, over } => {
                if let Some(i) = index_of(step) {
                    state.steps[i].overrides.push(over.clone());
                    state.steps[i].override_history.push((*at, over.clone()));
                }
            }
            Event::StepLeft { at, step, how } => {
                if let Some(i) = index_of(step) {
                    let r = &mut state.steps[i];
                    r.left_at = Some(*at);
                    r.notice = None;
                    r.status = Some(match how {
                        Leave::Passed => Status::Done,
                        Leave::Overridden => Status::Overridden,
                        Leave::Skipped => Status::Skipped,
                        Leave::NotApplicable => Status::NotApplicable,
                    });
                }
            }
            Event::WentBack { from, .. } => {
                // A battery-type choice sent the operator back: that ends an amendment too.
                state.amending = None;
                // Later steps must be passed again: their gates are re-evaluated on the way.
                if let Some(from) = index_of(from) {
                    for r in &mut state.steps[from..] {
                        if r.status.is_some() {
                            r.status = Some(Status::Pending);
                        }
                    }
                }
            }
            Event::SignedOff { at, name, role } => {
                state.signed_off = Some((*at, name.clone(), role.clone()));
            }
            Event::SourceChosen { source, .. } => state.sources.push(source.clone()),
            Event::AmendStarted { step, back_to, .. } => {
                if let (Some(i), Some(b)) = (index_of(step), index_of(back_to)) {
                    state.amending = Some(Amending {
                        step: i,
                        back_to: b,
                        pack: state.pack.clone(),
                        entries: step_entries(&state.steps[i]),
                    });
                }
            }
            Event::Amended {
                at,
                step,
                changed,
                recheck,
                ..
            } => {
                state.amending = None;
                state
                    .amendments
                    .push((*at, step.clone(), changed.clone(), recheck.clone()));
                let title = index_of(step).map_or(step.as_str(), |i| {
                    crate::wizard::spec::tr(&self.spec.steps[i].title, "en")
                });
                for id in recheck {
                    if let Some(i) = index_of(id) {
                        state.steps[i].status = Some(Status::Pending);
                        state.steps[i].notice = Some(format!(
                            "checked again: it depends on \"{title}\", which was amended"
                        ));
                    }
                }
            }
        }
    }

    /// Recompute the pack facts from the answers (the first field with each well-known id).
    fn refresh_pack(&self, state: &mut State) {
        let find = |id: &str| -> Option<&Value> {
            self.spec.steps.iter().zip(&state.steps).find_map(|(s, r)| {
                if s.input.fields().iter().any(|f| f.id == id)
                    || (id == LADDER_PACK_VOLTAGE && matches!(s.input, InputSpec::Ladder { .. }))
                {
                    r.fields.get(id).map(|(_, v)| v)
                } else {
                    None
                }
            })
        };
        let choice = |id: &str| match find(id) {
            Some(Value::Choice(c)) | Some(Value::Text(c)) => Some(c.clone()),
            _ => None,
        };
        let number = |id: &str| match find(id) {
            Some(Value::Number(x)) => Some(*x),
            Some(Value::Integer(x)) => Some(*x as f64),
            _ => None,
        };
        let pack = PackFacts {
            chemistry: choice(PackField::Chemistry.id())
                .and_then(|c| crate::bms::model::Chemistry::from_id(&c)),
            cells: number(PackField::Cells.id()).map(|n| n as u32),
            capacity: number(PackField::Capacity.id()).map(crate::units::AmpHours),
            model: choice(PackField::Model.id()),
            cold_site: choice(PackField::ColdSite.id()).as_deref() == Some("yes"),
            pack_voltage: self
                .spec
                .steps
                .iter()
                .zip(&state.steps)
                .find(|(s, _)| matches!(s.input, InputSpec::Ladder { .. }))
                .and_then(|(_, r)| match r.fields.get(LADDER_PACK_VOLTAGE) {
                    Some((_, Value::Number(v))) => Some(Volts(*v)),
                    _ => None,
                }),
        };
        state.pack = pack;
    }

    /// Whether every step is done and signed off.
    pub fn finished(&self, state: &State) -> bool {
        state.signed_off.is_some()
    }
}

/// Points of the protection test's trace the journal keeps at most.
const TRACE_MAX: usize = 2000;

/// The trace point a cell frame at the running protection test gives, if it says something
/// new: a cut-off, a change of 5 mV in the highest or lowest cell, or ten seconds passed.
fn trace_point(state: &State, cells: &CellInfo, at: Millis, cut: bool) -> Option<Event> {
    if state.test_trace.len() >= TRACE_MAX {
        return None;
    }
    let v: Vec<f64> = cells.connected().map(|(_, v)| v.0).collect();
    if v.is_empty() {
        return None;
    }
    let high = v.iter().copied().fold(f64::MIN, f64::max);
    let low = v.iter().copied().fold(f64::MAX, f64::min);
    let new = match state.test_trace.last() {
        None => true,
        Some((t, h, l)) => {
            cut || (h.0 - high).abs() >= 0.005 || (l.0 - low).abs() >= 0.005 || at - t >= 10_000
        }
    };
    new.then_some(Event::TestTrace {
        at,
        high: Volts(high),
        low: Volts(low),
    })
}

/// A step's entries as typed, by field id or `cell N`.
fn step_entries(r: &StepRecord) -> BTreeMap<String, String> {
    r.fields
        .iter()
        .map(|(k, (t, _))| (k.clone(), t.clone()))
        .chain(
            r.readings
                .iter()
                .map(|(c, (t, _))| (format!("cell {c}"), t.clone())),
        )
        .collect()
}

/// A fact about the pack a gate may read (from [`PackFacts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fact {
    Chemistry,
    Cells,
    Capacity,
    Model,
    ColdSite,
    PackVoltage,
}

/// The facts that differ between two sets of pack facts.
fn changed_facts(a: &PackFacts, b: &PackFacts) -> Vec<Fact> {
    let mut out = Vec::new();
    if a.chemistry != b.chemistry {
        out.push(Fact::Chemistry);
    }
    if a.cells != b.cells {
        out.push(Fact::Cells);
    }
    if a.capacity != b.capacity {
        out.push(Fact::Capacity);
    }
    if a.model != b.model {
        out.push(Fact::Model);
    }
    if a.cold_site != b.cold_site {
        out.push(Fact::ColdSite);
    }
    if a.pack_voltage != b.pack_voltage {
        out.push(Fact::PackVoltage);
    }
    out
}

/// The pack facts a check reads. Generous on purpose: a gate re-checked needlessly costs a
/// look, one wrongly kept would stand on an answer that is gone.
fn gate_reads(check: &Check) -> &'static [Fact] {
    use Fact::*;
    match check {
        Check::AllConfirmed
        | Check::FieldsValid
        | Check::LiveConnected
        | Check::SwitchesOn
        | Check::TempSensorEnabled
        | Check::NoAlarm
        | Check::NoFactoryReset
        | Check::EmergencyOff => &[],
        Check::CapacitySet => &[Capacity],
        Check::ColdSite => &[ColdSite, Chemistry],
        Check::ProbesPresent | Check::ProbeCount | Check::UnitMatchesModel => &[Model, Cells],
        Check::PackVoltageMatches => &[PackVoltage, Cells, Chemistry],
        _ => &[Chemistry, Cells, Model, PackVoltage, Capacity],
    }
}

/// How the step may be left given the verdicts and overrides in force, or `None`: the one
/// rule the engine and every screen use (a safety gate is never passed by an override).
pub fn leave_verdict(results: &[GateResult], overrides: &[Override]) -> Option<Leave> {
    let mut how = Leave::Passed;
    for r in results {
        if r.verdict.ok {
            continue;
        }
        if r.safety || !overrides.iter().any(|o| o.gate == r.gate) {
            return None;
        }
        how = Leave::Overridden;
    }
    Some(how)
}

fn is_ladder_field(field: &str) -> bool {
    field == LADDER_PACK_VOLTAGE
        || field == LADDER_LAST_PIN
        || field
            .strip_prefix(LADDER_UNUSED_PREFIX)
            .is_some_and(|w| w.parse::<u32>().is_ok())
}

/// Whether a check reads the live BMS data.
pub fn is_live(check: &Check) -> bool {
    !matches!(
        check,
        Check::AllConfirmed
            | Check::FieldsValid
            | Check::CellSpread
            | Check::Ladder
            | Check::ChargerVoltage
            | Check::OutputVoltage
    )
}

/// The id of the checklist item that confirms gate `gate` from the app.
pub fn confirm_item_id(gate: &str) -> String {
    format!("confirm.{gate}")
}

/// The checklist items of `step` for the unit described by `live`: the step's own, then one
/// confirmation for each gate whose data the unit can never send (see [`checks::unreadable`]).
pub fn step_items(step: &StepSpec, live: &LiveData) -> Vec<ItemSpec> {
    let mut items = step.input.items().to_vec();
    for g in &step.gates {
        if let (Some(text), Some(_)) = (&g.confirm, checks::unreadable(&g.check, live)) {
            items.push(ItemSpec {
                id: confirm_item_id(&g.id),
                text: text.clone(),
            });
        }
    }
    items
}

/// Whether a check reads the unit's settings (which a battery-type choice resets).
fn reads_settings(check: &Check) -> bool {
    matches!(
        check,
        Check::CellCountSetting
            | Check::CapacitySet
            | Check::BalanceTrigger
            | Check::ColdSite
            | Check::SwitchesOn
            | Check::TempSensorEnabled
    )
}

fn factory_events(log: &Logbook) -> usize {
    log.entries
        .iter()
        .filter(|e| e.factory_reset().is_some())
        .count()
}

#[cfg(test)]
pub(crate) mod tests;
