//! Folding one event into the state: the only place the state changes.

use super::*;

impl Engine<'_> {
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
            Event::Rewired { at, step, what } => {
                state.rewired.push((*at, step.clone(), *what));
                // Readings taken before describe the old wiring: they are taken again.
                if let Some(i) = index_of(step) {
                    if matches!(self.spec.steps[i].input, InputSpec::Ladder { .. }) {
                        let r = &mut state.steps[i];
                        r.readings.clear();
                        r.fields.retain(|k, _| !is_ladder_field(k));
                        r.rejected.clear();
                        r.gates.clear();
                    }
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
    pub(super) fn refresh_pack(&self, state: &mut State) {
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
}
