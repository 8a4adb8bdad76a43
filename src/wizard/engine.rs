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
    /// Sign the commissioning off (the last step).
    SignOff {
        /// Who signs.
        name: String,
        /// Their role.
        role: String,
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
            | Event::EntriesFrom { at, .. }
            | Event::StepEntered { at, .. }
            | Event::Checked { at, .. }
            | Event::FieldSet { at, .. }
            | Event::ReadingSet { at, .. }
            | Event::EntryRejected { at, .. }
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
            | Event::Gates { at, .. }
            | Event::Overridden { at, .. }
            | Event::StepLeft { at, .. }
            | Event::WentBack { at, .. }
            | Event::SignedOff { at, .. } => *at,
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
}

/// Why an input was not taken. The state is unchanged when this is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The wizard has no steps.
    #[error("the wizard has no steps")]
    NoSteps,
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
            Input::Field { field, text } => self.field_events(step, field, text, at),
            Input::Reading { cell, text } => self.reading_events(state, step, cell, text, at),
            Input::App(action) => Ok(self.app_events(state, step, action, at)),
            Input::Next => Ok(self.next_events(state, at)),
            Input::Back => self.back_events(state, at),
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
        step: &StepSpec,
        field: String,
        text: String,
        at: Millis,
    ) -> Result<Vec<Event>, EngineError> {
        let sid = step.id.clone();
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
                    if let Some((kind, cut)) = cut {
                        ev.push(Event::CutoffObserved {
                            at,
                            charge: kind == CutoffKind::Charge,
                            cell_voltage: cut.cell_voltage,
                        });
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
                if only_unreported && g.confirm.is_some() {
                    if record.checked.contains(&confirm_item_id(&g.id)) {
                        verdict = checks::Verdict {
                            by_operator: true,
                            ..checks::Verdict::pass()
                        };
                    } else if let Some(text) = &g.confirm {
                        for r in &mut verdict.reasons {
                            r.text = format!(
                                "{}; then tick \"{}\"",
                                r.text,
                                crate::wizard::spec::tr(text, "en")
                            );
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
                    state.steps[i].notice = reason.clone();
                    // Every step from there on is passed again, re-checked on the way.
                    for r in &mut state.steps[i + 1..] {
                        if r.status.is_some() {
                            r.status = Some(Status::Pending);
                        }
                    }
                }
            }
            Event::CutoffObserved {
                charge,
                cell_voltage,
                ..
            } => {
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
pub(crate) mod tests {
    use super::*;

    /// A small wizard with every kind of input and gate the engine treats differently.
    pub(crate) const MINI: &str = r#"
languages: [en]
chemistries:
  lifepo4:
    name: {en: LiFePO4}
    ladder_step: {min: 2.5, max: 3.6}
    cell_plausible: {min: 2.5, max: 3.65}
    cell_ovp: 3.6
    max_charge_voltage: 3.65
    min_discharge_voltage: 2.5
    ovp_window: {min: 3.45, max: 3.65}
    uvp_window: {min: 2.5, max: 3.0}
models:
  - {id: m16, name: {en: sixteen}, min_cells: 8, max_cells: 16, max_input_voltage: 70, plugs: [9, 8]}
limits:
  cell_spread: 0.1
  charger_margin: 5
  output_tolerance: 0.5
  pack_tolerance: 0.3
  unused_pin_max: 0.5
  meter_digit: 0.01
  balance_trigger: 0.01
  cold_utpr: 5
  cold_utp: [1, 2]
  probe_plausible: [-30, 80]
  protection_tolerance: 0.05
  live_max_age_s: 5
errors: {1: {en: one}, 2: {en: two}, 3: {en: three}, 4: {en: four}, 5: {en: five},
         6: {en: six}, 7: {en: seven}, 8: {en: eight}, 9: {en: nine}}
steps:
  - id: setup.pack
    section: setup
    title: {en: Pack}
    instructions: [{en: Describe the pack.}]
    input:
      kind: form
      fields:
        - {id: chemistry, label: {en: Chemistry}, type: choice, options: [{id: lifepo4, text: {en: LiFePO4}}]}
        - {id: cells, label: {en: Cells}, type: integer, min: 1, max: 16}
        - {id: model, label: {en: Model}, type: choice, options: [{id: m16, text: {en: sixteen}}]}
    gates:
      - {id: filled, check: fields_valid, safety: true, text: {en: All filled}}
  - id: wiring.1
    section: wiring
    number: 1
    title: {en: Safety}
    instructions: [{en: Confirm.}]
    input:
      kind: checklist
      items: [{id: a, text: {en: A}}, {id: b, text: {en: B}}]
    gates:
      - {id: confirmed, check: all_confirmed, safety: true, text: {en: Both confirmed}}
  - id: wiring.9
    section: wiring
    number: 9
    title: {en: Accessories}
    instructions: [{en: Optional things.}]
    optional: true
    input:
      kind: checklist
      items: [{id: fitted, text: {en: Fitted}}]
    gates:
      - {id: fitted, check: all_confirmed, text: {en: Fitted}}
  - id: wiring.11
    section: wiring
    number: 11
    title: {en: Tidy}
    instructions: [{en: Confirm tidy.}]
    input:
      kind: checklist
      items: [{id: tidy, text: {en: Tidy}}]
    gates:
      - {id: tidy, check: all_confirmed, text: {en: Tidy bench}}
  - id: signoff
    section: signoff
    title: {en: Sign}
    instructions: [{en: Sign.}]
    input:
      kind: sign_off
      items: [{id: done, text: {en: Done}}]
    gates:
      - {id: done, check: all_confirmed, safety: true, text: {en: Done}}
"#;

    pub(crate) fn mini() -> WizardSpec {
        serde_yaml::from_str(MINI).expect("mini wizard parses")
    }

    fn started(engine: &Engine<'_>) -> (State, Vec<Event>) {
        let mut state = engine.empty_state();
        let ev = engine.start(0, "hash", "0", "en").unwrap();
        for e in &ev {
            engine.apply(&mut state, e);
        }
        (state, ev)
    }

    fn field(f: &str, t: &str) -> Input {
        Input::Field {
            field: f.into(),
            text: t.into(),
        }
    }

    fn check(i: &str) -> Input {
        Input::Check {
            item: i.into(),
            checked: true,
        }
    }

    fn fill_pack(engine: &Engine<'_>, state: &mut State) {
        for i in [
            field("chemistry", "lifepo4"),
            field("cells", "16"),
            field("model", "m16"),
        ] {
            engine.step(state, i, 1).unwrap();
        }
    }

    #[test]
    fn refuses_to_leave_a_failed_gate_and_says_why() {
        let spec = mini();
        let engine = Engine::new(&spec);
        let (mut state, _) = started(&engine);
        let ev = engine.step(&mut state, Input::Next, 5).unwrap();
        assert_eq!(state.current, 0);
        assert!(!ev.iter().any(|e| matches!(e, Event::StepLeft { .. })));
        let Some(Event::Gates { results, .. }) = ev.last() else {
            panic!("no verdicts: {ev:?}")
        };
        assert!(!results[0].verdict.ok);
        assert!(!results[0].verdict.reasons.is_empty());
        fill_pack(&engine, &mut state);
        engine.step(&mut state, Input::Next, 6).unwrap();
        assert_eq!(engine.current_step(&state).id, "wiring.1");
        assert_eq!(state.pack.cells, Some(16));
        assert_eq!(state.steps[0].status(), Status::Done);
    }

    #[test]
    fn every_source_a_session_was_connected_to_is_remembered_and_a_drop_forgets_the_data() {
        let spec = mini();
        let engine = Engine::new(&spec);
        let (mut state, _) = started(&engine);
        let up = |peer: &str| {
            Input::Bms(BmsInput::Up {
                peer: peer.to_string(),
            })
        };
        engine.step(&mut state, up("C8:47:8C:10:00:01"), 1).unwrap();
        engine
            .step(
                &mut state,
                Input::Bms(BmsInput::Settings(Settings::default())),
                2,
            )
            .unwrap();
        assert!(state.live.settings.is_some());
        engine
            .step(
                &mut state,
                Input::Bms(BmsInput::Down {
                    reason: "gone".into(),
                }),
                3,
            )
            .unwrap();
        assert!(!state.live.connected);
        assert!(
            state.live.settings.is_none(),
            "old settings must not pass a gate"
        );
        engine.step(&mut state, up("simulator"), 4).unwrap();
        engine.step(&mut state, up("C8:47:8C:10:00:01"), 5).unwrap();
        assert_eq!(state.peers, ["C8:47:8C:10:00:01", "simulator"]);
    }

    #[test]
    fn a_bad_entry_is_refused_and_the_earlier_value_kept() {
        let spec = mini();
        let engine = Engine::new(&spec);
        let (mut state, _) = started(&engine);
        engine.step(&mut state, field("cells", "16"), 1).unwrap();
        let ev = engine
            .step(&mut state, field("cells", "sixteen"), 2)
            .unwrap();
        assert!(matches!(&ev[0], Event::EntryRejected { field, .. } if field == "cells"));
        assert_eq!(state.pack.cells, Some(16));
        assert_eq!(state.steps[0].fields["cells"].0, "16");
        assert!(state.steps[0].rejected.contains_key("cells"));
        let err = engine
            .step(&mut state, field("colour", "red"), 3)
            .unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");
    }

    #[test]
    fn safety_gates_cannot_be_overridden_others_need_reason_and_role() {
        let spec = mini();
        let engine = Engine::new(&spec);
        let (mut state, _) = started(&engine);
        fill_pack(&engine, &mut state);
        engine.step(&mut state, Input::Next, 2).unwrap();
        // wiring.1: safety gate.
        let err = engine
            .step(
                &mut state,
                Input::Override {
                    gate: "confirmed".into(),
                    reason: "in a hurry".into(),
                    role: "trainer".into(),
                    by: "Ewa".into(),
                },
                3,
            )
            .unwrap_err();
        assert!(err.to_string().contains("safety-critical"), "{err}");
        engine.step(&mut state, check("a"), 4).unwrap();
        engine.step(&mut state, check("b"), 4).unwrap();
        engine.step(&mut state, Input::Next, 5).unwrap();
        // wiring.9 is optional: skip it.
        assert_eq!(engine.current_step(&state).id, "wiring.9");
        engine.step(&mut state, Input::Skip, 6).unwrap();
        assert_eq!(state.steps[2].status(), Status::Skipped);
        // wiring.11: a non-safety gate; an override needs reason, role and name.
        let no_reason = Input::Override {
            gate: "tidy".into(),
            reason: " ".into(),
            role: "trainer".into(),
            by: "Ewa".into(),
        };
        assert!(engine.step(&mut state, no_reason, 7).is_err());
        let ok = Input::Override {
            gate: "tidy".into(),
            reason: "bench shared with class".into(),
            role: "trainer".into(),
            by: "Ewa".into(),
        };
        let ev = engine.step(&mut state, ok, 8).unwrap();
        assert!(matches!(&ev[0], Event::Overridden { over, .. } if over.role == "trainer"));
        engine.step(&mut state, Input::Next, 9).unwrap();
        assert_eq!(state.steps[3].status(), Status::Overridden);
        assert_eq!(engine.current_step(&state).id, "signoff");
    }

    #[test]
    fn going_back_keeps_answers_and_later_gates_are_checked_again() {
        let spec = mini();
        let engine = Engine::new(&spec);
        let (mut state, _) = started(&engine);
        fill_pack(&engine, &mut state);
        engine.step(&mut state, Input::Next, 2).unwrap();
        engine.step(&mut state, check("a"), 3).unwrap();
        engine.step(&mut state, check("b"), 3).unwrap();
        engine.step(&mut state, Input::Next, 4).unwrap();
        engine.step(&mut state, Input::Back, 5).unwrap();
        assert_eq!(engine.current_step(&state).id, "wiring.1");
        engine.step(&mut state, Input::Back, 6).unwrap();
        assert_eq!(state.current, 0);
        assert_eq!(state.steps[1].status(), Status::Pending);
        assert!(state.steps[1].checked.contains("a"), "answers are kept");
        assert!(engine.step(&mut state, Input::Back, 7).is_err());
        engine.step(&mut state, Input::Next, 8).unwrap();
        engine
            .step(
                &mut state,
                Input::Check {
                    item: "b".into(),
                    checked: false,
                },
                9,
            )
            .unwrap();
        let ev = engine.step(&mut state, Input::Next, 10).unwrap();
        assert!(
            !ev.iter().any(|e| matches!(e, Event::StepLeft { .. })),
            "re-evaluated: {ev:?}"
        );
    }

    #[test]
    fn signing_off_needs_the_last_step_and_its_gates() {
        let spec = mini();
        let engine = Engine::new(&spec);
        let (mut state, _) = started(&engine);
        let sign = || Input::SignOff {
            name: "Anna".into(),
            role: "assembler".into(),
        };
        assert!(engine.step(&mut state, sign(), 1).is_err());
        fill_pack(&engine, &mut state);
        engine.step(&mut state, Input::Next, 2).unwrap();
        engine.step(&mut state, check("a"), 3).unwrap();
        engine.step(&mut state, check("b"), 3).unwrap();
        engine.step(&mut state, Input::Next, 4).unwrap();
        engine.step(&mut state, Input::Skip, 5).unwrap();
        engine.step(&mut state, check("tidy"), 6).unwrap();
        engine.step(&mut state, Input::Next, 7).unwrap();
        engine.step(&mut state, sign(), 8).unwrap();
        assert!(
            state.signed_off.is_none(),
            "the sign-off checklist is not ticked"
        );
        engine.step(&mut state, check("done"), 9).unwrap();
        engine.step(&mut state, sign(), 10).unwrap();
        assert_eq!(
            state.signed_off.as_ref().map(|s| s.1.as_str()),
            Some("Anna")
        );
        assert_eq!(
            engine.step(&mut state, Input::Next, 11),
            Err(EngineError::Finished)
        );
    }

    #[test]
    fn the_state_is_a_fold_over_the_journaled_events() {
        let spec = mini();
        let engine = Engine::new(&spec);
        let (mut state, mut journal) = started(&engine);
        let inputs = vec![
            field("chemistry", "lifepo4"),
            field("cells", "x"),
            field("cells", "16"),
            field("model", "m16"),
            Input::Next,
            check("a"),
            Input::Back,
            Input::Next,
            check("b"),
            Input::Next,
        ];
        for (t, i) in inputs.into_iter().enumerate() {
            journal.extend(engine.step(&mut state, i, t as i64).unwrap());
        }
        let replayed = engine.replay(journal.iter().filter(|e| e.journaled()));
        assert_eq!(replayed, state);
        // Events survive a round trip through JSON, as the journal stores them.
        let json: Vec<String> = journal
            .iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect();
        let back: Vec<Event> = json
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(back, journal);
    }

    /// Configuration and test steps with live gates, as wizard.yaml has them.
    pub(crate) const LIVE: &str = r#"
languages: [en]
chemistries:
  lifepo4:
    name: {en: LiFePO4}
    ladder_step: {min: 2.5, max: 3.6}
    cell_plausible: {min: 2.5, max: 3.65}
    cell_ovp: 3.6
    max_charge_voltage: 3.65
    min_discharge_voltage: 2.5
    ovp_window: {min: 3.45, max: 3.65}
    uvp_window: {min: 2.5, max: 3.0}
  li-ion:
    name: {en: Li-ion}
    ladder_step: {min: 3.0, max: 4.2}
    cell_plausible: {min: 2.5, max: 4.3}
    cell_ovp: 4.2
    max_charge_voltage: 4.25
    min_discharge_voltage: 2.5
    ovp_window: {min: 4.0, max: 4.25}
    uvp_window: {min: 2.5, max: 3.2}
models:
  - {id: m16, name: {en: sixteen}, min_cells: 8, max_cells: 16, max_input_voltage: 70, plugs: [9, 8]}
limits:
  cell_spread: 0.1
  charger_margin: 5
  output_tolerance: 0.5
  pack_tolerance: 0.3
  unused_pin_max: 0.5
  meter_digit: 0.01
  balance_trigger: 0.01
  cold_utpr: 5
  cold_utp: [1, 2]
  probe_plausible: [-30, 80]
  protection_tolerance: 0.05
  live_max_age_s: 5
errors: {1: {en: one}, 2: {en: two}, 3: {en: three}, 4: {en: four}, 5: {en: five},
         6: {en: six}, 7: {en: seven}, 8: {en: eight}, 9: {en: nine}}
steps:
  - id: setup.pack
    section: setup
    title: {en: Pack}
    instructions: [{en: Describe the pack.}]
    input:
      kind: form
      fields:
        - {id: chemistry, label: {en: Chemistry}, type: choice, options: [{id: lifepo4, text: {en: LiFePO4}}, {id: li-ion, text: {en: Li-ion}}]}
        - {id: cells, label: {en: Cells}, type: integer, min: 1, max: 16}
        - {id: capacity, label: {en: Capacity}, type: number, unit: Ah, min: 1, max: 1000}
        - {id: model, label: {en: Model}, type: choice, options: [{id: m16, text: {en: sixteen}}]}
    gates:
      - {id: filled, check: fields_valid, safety: true, text: {en: All filled}}
  - id: config.battery_type
    section: configuration
    number: 3
    title: {en: Battery type}
    instructions: [{en: Choose it once.}]
    input: {kind: live}
    gates:
      - {id: ovp, check: ovp_matches_chemistry, safety: true, text: {en: OVP}}
  - id: config.cells
    section: configuration
    number: 4
    title: {en: Cell count and capacity}
    instructions: [{en: Set them.}]
    input: {kind: live}
    gates:
      - {id: cell_count, check: cell_count_setting, safety: true, text: {en: Cell count}}
      - {id: capacity, check: capacity_set, text: {en: Capacity}}
  - id: config.control
    section: configuration
    number: 8
    title: {en: Control}
    instructions: [{en: Switches.}]
    input: {kind: live}
    gates:
      - {id: switches, check: switches_on, text: {en: Switches on}}
      - id: temp_sensor
        check: temp_sensor_enabled
        safety: true
        text: {en: Temp sensor on}
        confirm: {en: Disable Temp. Sensor is OFF in the app}
      - id: no_reset
        check: no_factory_reset
        safety: true
        text: {en: No reset}
        confirm: {en: I chose the battery type once}
      - {id: no_alarm, check: no_alarm, safety: true, text: {en: No alarm}}
  - id: protection.test
    section: protection
    title: {en: Test}
    instructions: [{en: Test it.}]
    input: {kind: live}
    gates:
      - {id: before_ovp, check: ovp_matches_chemistry, safety: true, text: {en: OVP before}}
      - {id: test, check: protection_test, safety: true, text: {en: Test}}
  - id: signoff
    section: signoff
    title: {en: Sign}
    instructions: [{en: Sign.}]
    input:
      kind: sign_off
      items: [{id: done, text: {en: Done}}]
    gates:
      - {id: done, check: all_confirmed, safety: true, text: {en: Done}}
      - {id: cell_count, check: cell_count_setting, safety: true, text: {en: Cell count}}
"#;

    pub(crate) fn live_spec() -> WizardSpec {
        serde_yaml::from_str(LIVE).expect("live wizard parses")
    }

    mod live_flow {
        use super::*;
        use crate::bms::model::{Chemistry, LogEntry, Switch};
        use crate::units::Amps;
        use crate::wizard::checks::testkit::{cell_info, device, pack_cells, settings_lifepo4};

        fn bms(b: BmsInput) -> Input {
            Input::Bms(b)
        }

        fn factory_book(n: usize) -> Logbook {
            Logbook {
                entries: (0..n)
                    .map(|k| LogEntry {
                        seconds: 10 + k as u32,
                        code: LogEntry::factory_code(Chemistry::LiFePo4),
                    })
                    .collect(),
            }
        }

        /// A session on the live wizard, connected to a new-firmware unit whose logbook was
        /// read, at the battery-type step.
        fn at_battery_type(engine: &Engine<'_>) -> State {
            let (mut state, _) = started(engine);
            let ins = [
                bms(BmsInput::Up { peer: "sim".into() }),
                bms(BmsInput::Device(device("11.61"))),
                bms(BmsInput::Logbook(Logbook::default())),
                field("chemistry", "lifepo4"),
                field("cells", "16"),
                field("capacity", "280"),
                field("model", "m16"),
                Input::Next,
            ];
            for i in ins {
                engine.step(&mut state, i, 100).unwrap();
            }
            assert_eq!(engine.current_step(&state).id, "config.battery_type");
            state
        }

        /// Fresh settings and cells at `at`, then Next a little later.
        fn pass_live_step(engine: &Engine<'_>, state: &mut State, at: Millis) -> Vec<Event> {
            engine
                .step(state, bms(BmsInput::Settings(settings_lifepo4())), at)
                .unwrap();
            engine
                .step(
                    state,
                    bms(BmsInput::Cells(cell_info(&pack_cells(16, 3.3)))),
                    at,
                )
                .unwrap();
            engine.step(state, Input::Next, at + 5).unwrap()
        }

        fn verdict<'s>(state: &'s State, step: usize, gate: &str) -> &'s GateResult {
            state.steps[step]
                .gates
                .iter()
                .find(|g| g.gate == gate)
                .unwrap_or_else(|| panic!("no verdict for {gate}: {:?}", state.steps[step]))
        }

        fn codes(r: &GateResult) -> Vec<&str> {
            r.verdict.reasons.iter().map(|x| x.code.as_str()).collect()
        }

        #[test]
        fn a_battery_type_slip_corrected_at_its_step_is_simply_recorded() {
            let spec = live_spec();
            let engine = Engine::new(&spec);
            let mut state = at_battery_type(&engine);
            for (t, chem) in [(200, Chemistry::LiIon), (210, Chemistry::LiFePo4)] {
                engine
                    .step(&mut state, Input::App(AppAction::BatteryType(chem)), t)
                    .unwrap();
            }
            engine
                .step(&mut state, bms(BmsInput::Logbook(factory_book(2))), 220)
                .unwrap();
            assert_eq!(state.live.type_choices, 2);
            pass_live_step(&engine, &mut state, 300);
            assert_eq!(engine.current_step(&state).id, "config.cells");
            pass_live_step(&engine, &mut state, 400);
            assert_eq!(engine.current_step(&state).id, "config.control");
            pass_live_step(&engine, &mut state, 500);
            let no_reset = verdict(&state, 3, "no_reset");
            assert!(no_reset.verdict.ok, "{no_reset:?}");
            assert_eq!(engine.current_step(&state).id, "protection.test");
        }

        #[test]
        fn a_battery_type_chosen_after_the_settings_sends_back_to_the_first_wiped_step() {
            let spec = live_spec();
            let engine = Engine::new(&spec);
            let mut state = at_battery_type(&engine);
            engine
                .step(
                    &mut state,
                    Input::App(AppAction::BatteryType(Chemistry::LiFePo4)),
                    200,
                )
                .unwrap();
            pass_live_step(&engine, &mut state, 300);
            pass_live_step(&engine, &mut state, 400);
            assert_eq!(engine.current_step(&state).id, "config.control");
            let ev = engine
                .step(
                    &mut state,
                    Input::App(AppAction::BatteryType(Chemistry::LiFePo4)),
                    450,
                )
                .unwrap();
            assert!(
                ev.iter().any(
                    |e| matches!(e, Event::TypeChosen { wiped: Some(w), .. } if w == "config.cells")
                ),
                "{ev:?}"
            );
            assert_eq!(engine.current_step(&state).id, "config.cells");
            let notice = state.steps[2].notice.as_deref().unwrap_or("");
            assert!(
                notice.contains("chosen again") && notice.contains("config.cells"),
                "{notice}"
            );
            assert_eq!(
                state.steps[3].status(),
                Status::Pending,
                "control is checked again"
            );
            // The logbook then shows the second load: already accounted for, nothing more.
            let ev = engine
                .step(&mut state, bms(BmsInput::Logbook(factory_book(2))), 460)
                .unwrap();
            assert!(
                !ev.iter().any(|e| matches!(e, Event::TypeChosen { .. })),
                "{ev:?}"
            );
            // Redone, every later step passes on the way, and the notice is gone.
            pass_live_step(&engine, &mut state, 500);
            assert!(state.steps[2].notice.is_none());
            pass_live_step(&engine, &mut state, 600);
            assert_eq!(engine.current_step(&state).id, "protection.test");
        }

        #[test]
        fn a_second_factory_load_seen_only_in_the_logbook_also_sends_back() {
            let spec = live_spec();
            let engine = Engine::new(&spec);
            let mut state = at_battery_type(&engine);
            // A real unit: the choice is seen only as a factory load in the logbook.
            engine
                .step(&mut state, bms(BmsInput::Logbook(factory_book(1))), 200)
                .unwrap();
            pass_live_step(&engine, &mut state, 300);
            pass_live_step(&engine, &mut state, 400);
            engine
                .step(&mut state, bms(BmsInput::Logbook(factory_book(2))), 450)
                .unwrap();
            assert_eq!(engine.current_step(&state).id, "config.cells");
            assert_eq!(state.live.type_choices, 2);
        }

        #[test]
        fn live_gates_wait_for_data_read_since_the_step_was_entered() {
            let spec = live_spec();
            let engine = Engine::new(&spec);
            let mut state = at_battery_type(&engine);
            // Settings from before the step was entered (stamp 100) prove nothing here.
            engine
                .step(&mut state, bms(BmsInput::Settings(settings_lifepo4())), 99)
                .unwrap();
            let mut state2 = state.clone();
            engine.step(&mut state2, Input::Next, 150).unwrap();
            let ovp = verdict(&state2, 1, "ovp");
            assert!(!ovp.verdict.ok);
            assert_eq!(codes(ovp), ["no_data"]);
            assert!(
                ovp.verdict.reasons[0].text.contains("waiting for"),
                "{ovp:?}"
            );
            // The same settings read again after the step was entered pass.
            engine
                .step(&mut state, bms(BmsInput::Settings(settings_lifepo4())), 100)
                .unwrap();
            engine.step(&mut state, Input::Next, 150).unwrap();
            assert_eq!(engine.current_step(&state).id, "config.cells");
            // An app action makes earlier data stale again.
            engine
                .step(&mut state, bms(BmsInput::Settings(settings_lifepo4())), 160)
                .unwrap();
            engine
                .step(&mut state, Input::App(AppAction::CellCount(16)), 170)
                .unwrap();
            engine.step(&mut state, Input::Next, 180).unwrap();
            assert_eq!(codes(verdict(&state, 2, "cell_count")), ["no_data"]);
            // A non-safety gate without data refuses as well, and only an override passes it.
            let capacity = verdict(&state, 2, "capacity");
            assert!(!capacity.verdict.ok && !capacity.safety);
        }

        #[test]
        fn the_factory_reset_gate_needs_device_info_and_the_logbook_it_keeps() {
            let spec = live_spec();
            let engine = Engine::new(&spec);
            let mut state = engine.empty_state();
            state.current = 3;
            state.steps[3].visited_at = Some(0);
            state.live.connected = true;
            state.live.settings = Some(settings_lifepo4());
            state.live.settings_at_ms = Some(10);
            let gate = |state: &State| {
                engine
                    .evaluate(state, 3, 20)
                    .into_iter()
                    .find(|g| g.gate == "no_reset")
                    .unwrap()
            };
            assert_eq!(codes(&gate(&state)), ["no_data"], "no device info");
            state.live.device = Some(device("11.61"));
            let v = gate(&state);
            assert_eq!(codes(&v), ["no_data"], "no logbook");
            assert!(v.verdict.reasons[0].text.contains("logbook"), "{v:?}");
            state.live.logbook = Some(factory_book(1));
            assert!(gate(&state).verdict.ok);
            // Old firmware keeps no logbook: the operator confirms instead, and says so.
            state.live.logbook = None;
            state.live.device = Some(device("10.07"));
            let v = gate(&state);
            assert_eq!(codes(&v), ["not_reported"]);
            let items: Vec<String> = engine.items(&state, 3).into_iter().map(|i| i.id).collect();
            assert_eq!(items, ["confirm.no_reset"]);
            state.steps[3].checked.insert("confirm.no_reset".into());
            let v = gate(&state);
            assert!(v.verdict.ok && v.verdict.by_operator, "{v:?}");
        }

        #[test]
        fn a_24s_unit_that_sends_no_control_word_needs_the_operators_confirmation() {
            let spec = live_spec();
            let engine = Engine::new(&spec);
            let mut state = at_battery_type(&engine);
            let mut s = settings_lifepo4();
            s.control = None;
            let gate = |state: &State| {
                engine
                    .evaluate(state, 3, 1_000)
                    .into_iter()
                    .find(|g| g.gate == "temp_sensor")
                    .unwrap()
            };
            state.current = 3;
            state.steps[3].visited_at = Some(900);
            engine
                .step(&mut state, bms(BmsInput::Settings(s)), 950)
                .unwrap();
            let v = gate(&state);
            assert!(!v.verdict.ok, "nothing read is no pass: {v:?}");
            assert_eq!(codes(&v), ["not_reported"]);
            assert!(v.verdict.reasons[0]
                .text
                .contains("Disable Temp. Sensor is OFF in the app"));
            assert!(engine
                .step(&mut state, check("confirm.temp_sensor"), 960)
                .is_ok());
            let v = gate(&state);
            assert!(v.verdict.ok && v.verdict.by_operator, "{v:?}");
            // On a unit that does send the switch, there is nothing to confirm.
            engine
                .step(&mut state, bms(BmsInput::Settings(settings_lifepo4())), 970)
                .unwrap();
            assert!(engine.items(&state, 3).is_empty());
            assert!(!gate(&state).verdict.by_operator);
        }

        /// At the protection test with the configuration done on these settings.
        fn at_test(engine: &Engine<'_>) -> State {
            let mut state = at_battery_type(engine);
            engine
                .step(
                    &mut state,
                    Input::App(AppAction::BatteryType(Chemistry::LiFePo4)),
                    200,
                )
                .unwrap();
            pass_live_step(engine, &mut state, 300);
            pass_live_step(engine, &mut state, 400);
            pass_live_step(engine, &mut state, 500);
            assert_eq!(engine.current_step(&state).id, "protection.test");
            state
        }

        #[test]
        fn the_test_does_not_start_on_an_ovp_raised_after_its_step() {
            let spec = live_spec();
            let engine = Engine::new(&spec);
            let mut state = at_test(&engine);
            let charge = Input::App(AppAction::Current(Amps(45.0)));
            // Only settings from before the step: not fresh, the charger stays off.
            let ev = engine.step(&mut state, charge.clone(), 600).unwrap();
            assert!(
                !ev.iter().any(|e| matches!(e, Event::AppAction { .. })),
                "{ev:?}"
            );
            assert_eq!(codes(verdict(&state, 4, "before_ovp")), ["no_data"]);
            let mut raised = settings_lifepo4();
            raised.cell_ovp = crate::units::Volts(3.9);
            engine
                .step(&mut state, bms(BmsInput::Settings(raised)), 610)
                .unwrap();
            let ev = engine.step(&mut state, charge.clone(), 620).unwrap();
            assert!(
                !ev.iter().any(|e| matches!(e, Event::AppAction { .. })),
                "{ev:?}"
            );
            assert_eq!(
                codes(verdict(&state, 4, "before_ovp")),
                ["ovp_matches_chemistry"]
            );
            assert_eq!(state.live.protection.started_at, None);
            // Put right and read again: the test starts.
            engine
                .step(&mut state, bms(BmsInput::Settings(settings_lifepo4())), 630)
                .unwrap();
            let ev = engine.step(&mut state, charge, 640).unwrap();
            assert!(
                ev.iter().any(|e| matches!(e, Event::AppAction { .. })),
                "{ev:?}"
            );
            assert_eq!(state.live.protection.started_at, Some(640));
        }

        #[test]
        fn switching_charge_off_after_the_cutoff_is_no_second_cutoff() {
            let spec = live_spec();
            let engine = Engine::new(&spec);
            let mut state = at_test(&engine);
            engine
                .step(&mut state, bms(BmsInput::Settings(settings_lifepo4())), 600)
                .unwrap();
            engine
                .step(&mut state, Input::App(AppAction::Current(Amps(45.0))), 610)
                .unwrap();
            let frame = |v: f64, charging: bool, amps: f64| {
                let mut c = cell_info(&pack_cells(16, 3.3));
                c.cell_voltages[4] = crate::units::Volts(v);
                c.charging = charging;
                c.current = Amps(amps);
                c
            };
            let mut cutoffs = 0;
            let frames = [
                (3.59, true, 45.0),
                (3.61, false, 0.0), // the BMS cuts off at 3.61
                (3.45, true, 45.0), // recovered: the charger pushes again
            ];
            for (k, (v, on, a)) in frames.into_iter().enumerate() {
                let ev = engine
                    .step(
                        &mut state,
                        bms(BmsInput::Cells(frame(v, on, a))),
                        700 + k as i64,
                    )
                    .unwrap();
                cutoffs += ev
                    .iter()
                    .filter(|e| matches!(e, Event::CutoffObserved { .. }))
                    .count();
            }
            assert_eq!(cutoffs, 1);
            engine
                .step(
                    &mut state,
                    Input::App(AppAction::Switch {
                        switch: Switch::Charge,
                        on: false,
                    }),
                    720,
                )
                .unwrap();
            let ev = engine
                .step(
                    &mut state,
                    bms(BmsInput::Cells(frame(3.46, false, 45.0))),
                    730,
                )
                .unwrap();
            assert!(
                !ev.iter().any(|e| matches!(e, Event::CutoffObserved { .. })),
                "{ev:?}"
            );
            let cut = state.live.protection.charge.unwrap();
            assert_eq!(cut.cell_voltage, crate::units::Volts(3.61));
        }
    }

    mod no_pass_without_data {
        use super::*;
        use crate::bms::model::{Chemistry, LogEntry};
        use crate::units::Amps;
        use crate::wizard::checks::testkit::{cell_info, device, pack_cells, settings_lifepo4};
        use proptest::prelude::*;

        /// What may happen at the bench, in any order.
        fn op(k: u8) -> Input {
            let bms = Input::Bms;
            match k % 16 {
                0 => bms(BmsInput::Up { peer: "u".into() }),
                1 => bms(BmsInput::Down {
                    reason: "gone".into(),
                }),
                2 => bms(BmsInput::Device(device("11.61"))),
                3 => bms(BmsInput::Device(device("10.07"))),
                4 => bms(BmsInput::Settings(settings_lifepo4())),
                5 => {
                    let mut s = settings_lifepo4();
                    s.control = None;
                    bms(BmsInput::Settings(s))
                }
                6 => bms(BmsInput::Cells(cell_info(&pack_cells(16, 3.3)))),
                7 => bms(BmsInput::Logbook(Logbook {
                    entries: vec![LogEntry {
                        seconds: 1,
                        code: LogEntry::factory_code(Chemistry::LiFePo4),
                    }],
                })),
                8 | 9 => Input::Next,
                10 => Input::Back,
                11 => Input::App(AppAction::BatteryType(Chemistry::LiFePo4)),
                12 => Input::App(AppAction::Current(Amps(45.0))),
                13 => Input::App(AppAction::CellCount(16)),
                14 => check("confirm.temp_sensor"),
                _ => check("confirm.no_reset"),
            }
        }

        /// Whether the data `gate` judges was there, and read since the step was entered or
        /// the app last used, in `state` at `now` — or, where the unit can never send it,
        /// confirmed by the operator.
        fn had_data(
            engine: &Engine<'_>,
            state: &State,
            idx: usize,
            gate: &crate::wizard::spec::GateSpec,
            verdict: &checks::Verdict,
            now: Millis,
        ) -> bool {
            let live = &state.live;
            let since = engine.fresh_since(state, idx);
            let settings_fresh =
                live.settings.is_some() && live.settings_at_ms.is_some_and(|at| at >= since);
            let cells_fresh = live.cells.is_some()
                && live.cells_at_ms.is_some_and(|at| {
                    at >= since && (now - at) as f64 <= engine.spec().limits.live_max_age_s * 1000.0
                });
            let confirmed = verdict.by_operator
                && state.steps[idx]
                    .checked
                    .contains(&confirm_item_id(&gate.id));
            live.connected
                && match gate.check {
                    Check::NoAlarm => cells_fresh,
                    Check::TempSensorEnabled => {
                        settings_fresh
                            && (live.settings.as_ref().is_some_and(|s| s.control.is_some())
                                || confirmed)
                    }
                    Check::NoFactoryReset => match &live.device {
                        Some(d) if d.keeps_logbook() => live.logbook.is_some(),
                        Some(_) => confirmed,
                        None => false,
                    },
                    _ => settings_fresh,
                }
        }

        proptest! {
            #[test]
            fn no_safety_gate_passes_on_absent_or_stale_data(
                ops in prop::collection::vec((any::<u8>(), 0i64..8_000), 0..80)
            ) {
                let spec = live_spec();
                let engine = Engine::new(&spec);
                let (mut state, _) = started(&engine);
                let mut t = 1;
                for i in [
                    field("chemistry", "lifepo4"),
                    field("cells", "16"),
                    field("capacity", "280"),
                    field("model", "m16"),
                ] {
                    engine.step(&mut state, i, t).unwrap();
                }
                for (k, dt) in ops {
                    t += dt;
                    let before = state.clone();
                    let Ok(ev) = engine.step(&mut state, op(k), t) else { continue };
                    for e in &ev {
                        let Event::Gates { step, results, .. } = e else { continue };
                        let idx = spec.steps.iter().position(|s| &s.id == step).unwrap();
                        for (gate, r) in spec.steps[idx].gates.iter().zip(results) {
                            if !(r.safety && r.verdict.ok && is_live(&gate.check)) {
                                continue;
                            }
                            prop_assert!(
                                had_data(&engine, &before, idx, gate, &r.verdict, t),
                                "{} / {} passed without fresh data at {t}: {:?}",
                                step, gate.id, before.live
                            );
                        }
                    }
                }
            }
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn any_input() -> impl Strategy<Value = Input> {
            prop_oneof![
                Just(Input::Next),
                Just(Input::Back),
                Just(Input::Skip),
                prop::sample::select(vec!["a", "b", "fitted", "tidy", "done", "zzz"])
                    .prop_flat_map(|i| any::<bool>().prop_map(move |c| Input::Check {
                        item: i.to_string(),
                        checked: c
                    })),
                prop::sample::select(vec![
                    ("chemistry", "lifepo4"),
                    ("cells", "16"),
                    ("cells", "40"),
                    ("cells", "1,5"),
                    ("model", "m16"),
                ])
                .prop_map(|(f, t)| field(f, t)),
                prop::sample::select(vec!["filled", "confirmed", "fitted", "tidy", "done"])
                    .prop_map(|g| Input::Override {
                        gate: g.into(),
                        reason: "r".into(),
                        role: "trainer".into(),
                        by: "T".into()
                    }),
                Just(Input::SignOff {
                    name: "N".into(),
                    role: "R".into()
                }),
            ]
        }

        proptest! {
            #[test]
            fn no_sequence_of_inputs_passes_a_failed_safety_gate(
                inputs in prop::collection::vec(any_input(), 0..60)
            ) {
                let spec = mini();
                let engine = Engine::new(&spec);
                let (mut state, _) = started(&engine);
                for (t, input) in inputs.into_iter().enumerate() {
                    let Ok(ev) = engine.step(&mut state, input, t as i64) else { continue };
                    let mut last_gates: Option<&Vec<GateResult>> = None;
                    for e in &ev {
                        match e {
                            Event::Gates { results, .. } => last_gates = Some(results),
                            Event::StepLeft { how: Leave::Passed | Leave::Overridden, step, .. } => {
                                let results = last_gates.expect("leaving without verdicts");
                                for r in results {
                                    prop_assert!(
                                        r.verdict.ok || !r.safety,
                                        "left {step} with safety gate {} failing", r.gate
                                    );
                                }
                            }
                            Event::StepLeft { how: Leave::Skipped, step, .. } => {
                                let i = spec.steps.iter().position(|s| &s.id == step).unwrap();
                                prop_assert!(spec.steps[i].optional);
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
    }
}
