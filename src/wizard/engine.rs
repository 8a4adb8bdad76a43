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
use crate::wizard::checks::fields::quantity_refused;
use crate::wizard::checks::{
    self, observe_cutoff, parse_field, CutoffKind, GateContext, LadderInput, LiveData, PackFacts,
    Value, Verdict,
};
use crate::wizard::spec::{Check, InputSpec, ItemSpec, PackField, StepSpec, Unit, WizardSpec};
use crate::wizard::words::{Arg, Say};

/// Milliseconds since the Unix epoch, stamped by the edge that received the input.
pub type Millis = i64;

/// The field id of the separately measured pack voltage in the ladder step.
pub const LADDER_PACK_VOLTAGE: &str = "pack_voltage";
/// The field id of the last pin's reading in the ladder step.
pub const LADDER_LAST_PIN: &str = "last_pin";
/// Prefix of the field ids of unused-pin readings in the ladder step (`unused.17`).
pub const LADDER_UNUSED_PREFIX: &str = "unused.";

mod amend;
mod event;
mod fold;
mod state;

use amend::*;
pub use event::*;
pub use state::*;

/// Why an input was not taken. The state is unchanged when this is returned. Its words are
/// [`EngineError::say`] (`engine.*` in wizard.yaml's `reasons:`), in English as its `Display`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    /// The wizard has no steps.
    #[error("{}", self.english())]
    NoSteps,
    /// A language the wizard does not list.
    #[error("{}", self.english())]
    UnknownLanguage(String),
    /// The commissioning is already signed off.
    #[error("{}", self.english())]
    Finished,
    /// An item id the current step does not have.
    #[error("{}", self.english())]
    UnknownItem {
        /// Step id.
        step: String,
        /// Item id.
        item: String,
    },
    /// A field id the current step does not have.
    #[error("{}", self.english())]
    UnknownField {
        /// Step id.
        step: String,
        /// Field id.
        field: String,
    },
    /// A ladder reading outside the current step, or for a cell outside 1..N: why.
    #[error("{}", self.english())]
    Reading(Say),
    /// Back from the first step.
    #[error("{}", self.english())]
    AtStart,
    /// Skip of a step that is not optional.
    #[error("{}", self.english())]
    NotOptional(String),
    /// Override refused: why.
    #[error("{}", self.english())]
    Override(Say),
    /// Sign-off outside the sign-off step, or with gates failing: why.
    #[error("{}", self.english())]
    SignOff(Say),
    /// An amendment of a step that is not an earlier, finished one: why.
    #[error("{}", self.english())]
    Amend(Say),
    /// A balance lead re-wired away from the ladder check, where it would be measured again.
    #[error("{}", self.english())]
    RewireHere(String),
    /// A re-wired lead the pack does not have.
    #[error("{}", self.english())]
    NoSuchLead {
        /// The lead named.
        cell: u32,
        /// The pack's cells.
        cells: u32,
    },
    /// A re-wired probe the unit does not have.
    #[error("{}", self.english())]
    NoSuchProbe {
        /// The probe named.
        probe: u32,
        /// The model's probes.
        probes: u32,
    },
}

impl EngineError {
    /// Why, as a sentence with its values, for the front end to word in its language.
    pub fn say(&self) -> Say {
        let v = Arg::verbatim;
        match self {
            EngineError::NoSteps => Say::plain("engine.no_steps"),
            EngineError::UnknownLanguage(lang) => {
                Say::new("engine.unknown_language", [("lang", v(lang))])
            }
            EngineError::Finished => Say::plain("engine.finished"),
            EngineError::UnknownItem { step, item } => Say::new(
                "engine.unknown_item",
                [("item", v(item)), ("step", v(step))],
            ),
            EngineError::UnknownField { step, field } => Say::new(
                "engine.unknown_field",
                [("field", v(field)), ("step", v(step))],
            ),
            EngineError::AtStart => Say::plain("engine.at_start"),
            EngineError::NotOptional(step) => Say::new("engine.not_optional", [("step", v(step))]),
            EngineError::RewireHere(step) => Say::new("engine.rewire_here", [("step", v(step))]),
            EngineError::NoSuchLead { cell, cells } => Say::new(
                "engine.no_such_lead",
                [("cell", Arg::int(*cell)), ("cells", Arg::int(*cells))],
            ),
            EngineError::NoSuchProbe { probe, probes } => Say::new(
                "engine.no_such_probe",
                [("probe", Arg::int(*probe)), ("probes", Arg::int(*probes))],
            ),
            EngineError::Reading(say)
            | EngineError::Override(say)
            | EngineError::SignOff(say)
            | EngineError::Amend(say) => say.clone(),
        }
    }

    /// The words in `lang`.
    pub fn render(&self, spec: &WizardSpec, lang: &str) -> String {
        self.say().render(spec, lang)
    }

    fn english(&self) -> String {
        self.say().english()
    }
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
            Input::Rewire { what } => self.rewire_events(state, step, what, at),
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

    /// A re-wiring of a lead, pin or probe the pack has. A lead or the last pin only at the
    /// ladder check, whose readings it makes stale (they are taken again there); a probe at
    /// any step, its gates reading the unit afresh anyway.
    fn rewire_events(
        &self,
        state: &State,
        step: &StepSpec,
        what: Rewire,
        at: Millis,
    ) -> Result<Vec<Event>, EngineError> {
        let ladder = matches!(step.input, InputSpec::Ladder { .. });
        if !ladder && !matches!(what, Rewire::Probe { .. }) {
            return Err(EngineError::RewireHere(step.id.clone()));
        }
        let cells = state.pack.cells.unwrap_or(0);
        match what {
            Rewire::Lead { cell } if cell == 0 || cell > cells => {
                return Err(EngineError::NoSuchLead { cell, cells });
            }
            Rewire::Probe { probe } => {
                let probes = state
                    .pack
                    .model
                    .as_deref()
                    .and_then(|id| self.spec.models.iter().find(|m| m.id == id))
                    .map_or(0, |m| m.probes);
                if probe == 0 || probe > probes {
                    return Err(EngineError::NoSuchProbe { probe, probes });
                }
            }
            _ => {}
        }
        Ok(vec![Event::Rewired {
            at,
            step: step.id.clone(),
            what,
        }])
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
            parse_field(spec, &text).map_err(|e| e.say())
        } else if matches!(step.input, InputSpec::Ladder { .. }) && is_ladder_field(&field) {
            Volts::parse(&text)
                .map(|v| Value::Number(v.0))
                .map_err(|e| quantity_refused(Arg::verbatim(&field), Unit::V, &e))
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
            return Err(EngineError::Reading(Say::new(
                "engine.no_ladder_here",
                [("step", Arg::verbatim(&step.id))],
            )));
        }
        let Some(n) = state.pack.cells else {
            return Err(EngineError::Reading(Say::plain("engine.cells_unknown")));
        };
        if cell == 0 || cell > n {
            return Err(EngineError::Reading(Say::new(
                "engine.no_such_cell",
                [("cell", Arg::int(cell)), ("n", Arg::int(n))],
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
                error: quantity_refused(
                    Arg::say(Say::new("entry.cell", [("cell", Arg::int(cell))])),
                    Unit::V,
                    &e,
                ),
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
            return Err(EngineError::Override(Say::new(
                "engine.no_such_gate",
                [
                    ("gate", Arg::verbatim(&gate)),
                    ("step", Arg::verbatim(&step.id)),
                ],
            )));
        };
        if spec.safety {
            return Err(EngineError::Override(Say::new(
                "engine.safety_gate",
                [("gate", Arg::verbatim(&gate))],
            )));
        }
        if reason.trim().is_empty() || role.trim().is_empty() || by.trim().is_empty() {
            return Err(EngineError::Override(Say::plain(
                "engine.override_incomplete",
            )));
        }
        let now = self.evaluate(state, state.current, at);
        if now.iter().any(|r| r.gate == gate && r.verdict.ok) {
            return Err(EngineError::Override(Say::new(
                "engine.gate_passes",
                [("gate", Arg::verbatim(&gate))],
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
            return Err(EngineError::SignOff(Say::new(
                "engine.signoff_elsewhere",
                [("step", Arg::verbatim(&step.id))],
            )));
        }
        if name.trim().is_empty() || role.trim().is_empty() {
            return Err(EngineError::SignOff(Say::plain(
                "engine.signoff_incomplete",
            )));
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
