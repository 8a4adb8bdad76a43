//! Amending a finished step: going back to it, and on leaving it, what changed and which
//! later steps must be passed again.

use super::*;

impl Engine<'_> {
    /// Whether the current step is one being amended.
    pub(super) fn amending_here(&self, state: &State) -> bool {
        state
            .amending
            .as_ref()
            .is_some_and(|a| a.step == state.current)
    }

    pub(super) fn amend_events(
        &self,
        state: &State,
        id: &str,
        at: Millis,
    ) -> Result<Vec<Event>, EngineError> {
        let Some(to) = self.spec.steps.iter().position(|s| s.id == id) else {
            return Err(EngineError::Amend(Say::new(
                "engine.no_such_step",
                [("step", Arg::verbatim(id))],
            )));
        };
        if let Some(a) = &state.amending {
            return Err(EngineError::Amend(Say::new(
                "engine.finish_amending",
                [("step", Arg::verbatim(&self.spec.steps[a.step].id))],
            )));
        }
        let finished = matches!(
            state.steps[to].status(),
            Status::Done | Status::Overridden | Status::Skipped
        );
        if to >= state.current || !finished || !self.applies(state, to) {
            return Err(EngineError::Amend(Say::new(
                "engine.not_amendable",
                [("step", Arg::verbatim(id))],
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
    pub(super) fn finish_amend(
        &self,
        state: &State,
        at: Millis,
        skip: Option<Leave>,
    ) -> Vec<Event> {
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
}

/// A step's entries as typed, by field id or `cell N`.
pub(super) fn step_entries(r: &StepRecord) -> BTreeMap<String, String> {
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
pub(super) enum Fact {
    Chemistry,
    Cells,
    Capacity,
    Model,
    ColdSite,
    PackVoltage,
}

/// The facts that differ between two sets of pack facts.
pub(super) fn changed_facts(a: &PackFacts, b: &PackFacts) -> Vec<Fact> {
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
pub(super) fn gate_reads(check: &Check) -> &'static [Fact] {
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
