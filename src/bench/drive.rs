//! The headless driver shared by `run` and `train --check`: an operator (an answers file, or
//! the careful trainee of a scenario) takes the person's place; everything else is the
//! interactive wizard's path — the same engine, the same session journal, the same link.
//!
//! Time is read from tokio's clock through [`super::Clock`], so a test may run a whole commissioning
//! on a paused clock in a fraction of a second, with every stamp consistent.

use std::time::Duration;

use crate::timebase;

use super::Bench;
use crate::bms::link::LinkEvent;
use crate::bms::model::AppAction;
use crate::bms::sim::link::SimControl;
use crate::log::session::{Session, SessionError};
use crate::train::trainee::{Attempt, Trainee};
use crate::wizard::answers::{entry_inputs, Answers, AppStep, StepAnswers, WaitFor};
use crate::wizard::engine::{is_live, Event, Input, Millis, Status};
use crate::wizard::spec::{tr, Check, StepSpec};

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every gate passed (or was overridden by the answers) and the log was signed off.
    SignedOff,
    /// A gate refused: the message names the step, the gate and the reasons.
    Refused(String),
}

/// Who answers the steps of a headless run.
pub trait Operator {
    /// What is done at `step` on attempt `attempt` (0 first, then after each refusal);
    /// `None`: no further attempt, the run stops refused. `sim` is the simulated unit, if any.
    fn attempt(
        &mut self,
        step: &StepSpec,
        attempt: u32,
        sim: Option<&SimControl>,
    ) -> Option<Attempt>;
}

/// An answers file: one attempt per step.
pub struct Scripted<'a>(pub &'a Answers);

impl Operator for Scripted<'_> {
    fn attempt(
        &mut self,
        step: &StepSpec,
        attempt: u32,
        _: Option<&SimControl>,
    ) -> Option<Attempt> {
        (attempt == 0).then(|| Attempt {
            repairs: Vec::new(),
            rewired: Vec::new(),
            answers: self.0.steps.get(&step.id).cloned().unwrap_or_default(),
        })
    }
}

impl Operator for Trainee<'_> {
    fn attempt(
        &mut self,
        step: &StepSpec,
        attempt: u32,
        sim: Option<&SimControl>,
    ) -> Option<Attempt> {
        let unit = sim?.snapshot();
        Trainee::attempt(self, step, attempt, &unit)
    }
}

/// Drives a session with an operator against a bench.
pub struct Runner<'a, 'w> {
    /// The session, its clock and its unit.
    pub bench: Bench<'a, 'w>,
    /// Who answers.
    pub operator: &'a mut dyn Operator,
    /// The language of messages.
    pub lang: &'a str,
    /// How long to wait at a live step for the BMS to show what its gates need.
    pub live_timeout: Duration,
    /// Print refused entries and app actions on stderr.
    pub verbose: bool,
}

impl Runner<'_, '_> {
    /// Walk the steps until sign-off or a refusal with no further attempt.
    pub async fn drive(&mut self) -> Result<Outcome, SessionError> {
        loop {
            self.drain();
            if self.bench.session.state.signed_off.is_some() {
                return Ok(Outcome::SignedOff);
            }
            let index = self.bench.session.state.current;
            let step = self
                .bench
                .session
                .engine
                .current_step(&self.bench.session.state);
            let mut attempt = 0;
            loop {
                let Some(Attempt {
                    repairs,
                    rewired,
                    answers,
                }) = self.operator.attempt(step, attempt, self.bench.sim())
                else {
                    return Ok(Outcome::Refused(self.refusal(index)));
                };
                let started = self.bench.clock.now();
                self.bench.inject(&repairs);
                // Journaled, never a silent change: the bench's stage undoes them on the unit.
                for what in rewired {
                    self.input(Input::Rewire { what })?;
                }
                self.notes();
                if answers.skip && step.optional {
                    self.input(Input::Skip)?;
                    break;
                }
                if self
                    .try_step(step, index, &answers, attempt, started)
                    .await?
                {
                    break;
                }
                attempt += 1;
            }
        }
    }

    /// One attempt at a step; true when it was left (or signed off).
    async fn try_step(
        &mut self,
        step: &StepSpec,
        index: usize,
        given: &StepAnswers,
        attempt: u32,
        started: Millis,
    ) -> Result<bool, SessionError> {
        for input in entry_inputs(step, index, given, &self.bench.session.state) {
            self.input(input)?;
        }
        if step.gates.iter().any(|g| g.check == Check::ProtectionTest) {
            // The engine lets the test start only on settings read since the step was entered.
            self.fresh_settings(index).await;
        }
        self.app_steps(step, given, attempt).await?;
        if step.gates.iter().any(|g| is_live(&g.check)) {
            self.settle(index, started).await;
        }
        self.sim_actions(step)?;
        for o in &given.overrides {
            let now = self.bench.clock.now();
            let failing = self
                .bench
                .session
                .engine
                .evaluate(&self.bench.session.state, index, now)
                .iter()
                .any(|r| r.gate == o.gate && !r.verdict.ok);
            let already = self.bench.session.state.steps[index]
                .overrides
                .iter()
                .any(|x| x.gate == o.gate);
            if failing && !already {
                self.input(Input::Override {
                    gate: o.gate.clone(),
                    reason: o.reason.clone(),
                    role: o.role.clone(),
                    by: o.by.clone(),
                })?;
            }
        }
        let before = self.bench.session.state.current;
        let left = if let Some(sign) = &given.sign {
            self.input(Input::SignOff {
                name: sign.name.clone(),
                role: sign.role.clone(),
            })?;
            self.bench.session.state.signed_off.is_some()
        } else {
            self.input(Input::Next)?;
            self.bench.session.state.current != before
                || self.bench.session.state.steps[before].status() != Status::Current
        };
        Ok(left)
    }

    /// Feed one input to the bench (which stages what entering a step stages).
    fn input(&mut self, input: Input) -> Result<Vec<Event>, SessionError> {
        let events = self.bench.input(input)?;
        for e in &events {
            if let Event::EntryRejected { step, error, .. } = e {
                if self.verbose {
                    let spec = self.bench.session.engine.spec();
                    eprintln!(
                        "{}",
                        crate::wizard::words::say_verbatim(
                            spec,
                            self.lang,
                            "cli.run.step_entry_refused",
                            &[("error", &error.render(spec, self.lang)), ("step", step)],
                        )
                    );
                }
            }
        }
        self.notes();
        Ok(events)
    }

    /// Tell what the simulator refused to stage (headless: there is no trainee to hide it
    /// from).
    fn notes(&mut self) {
        for note in self.bench.take_notes() {
            eprintln!("{}", crate::clean::CleanLines(&note));
        }
    }

    /// Take every link event that has arrived, without waiting.
    fn drain(&mut self) {
        self.bench.timed();
        self.notes();
        while let Some(event) = self.bench.try_link() {
            self.link_event(event);
        }
    }

    fn link_event(&mut self, event: LinkEvent) {
        let input = match super::bms_input(event) {
            Ok(input) => input,
            Err(reason) => {
                if self.verbose {
                    eprintln!("BMS frame refused: {}", crate::clean::Clean(reason));
                }
                return;
            }
        };
        if let Err(e) = self.input(Input::Bms(input)) {
            eprintln!("cannot record BMS data: {e}");
        }
    }

    /// Wait for the next link event, at most `limit` (and no later than the next timed
    /// fault); false when none came.
    async fn wait_event(&mut self, limit: Duration) -> bool {
        let limit = match self.bench.until_due() {
            Some(due) => limit.min(due),
            None => limit,
        };
        // Without a link nothing comes: the timeout is the whole wait, so it does not spin.
        let got = match timebase::timeout(limit, self.bench.next_link()).await {
            Ok(event) => {
                self.link_event(event);
                true
            }
            Err(_) => false,
        };
        self.bench.timed();
        self.notes();
        got
    }

    /// Do the app actions of this attempt not done yet (a resumed run skips those the
    /// journal already has at this step), with their waits.
    async fn app_steps(
        &mut self,
        step: &StepSpec,
        given: &StepAnswers,
        attempt: u32,
    ) -> Result<(), SessionError> {
        let index = self.bench.session.state.current;
        // Actions of this visit only: a step the operator is sent back to is done again.
        let done = if attempt == 0 {
            let record = &self.bench.session.state.steps[index];
            let since = record.visited_at.unwrap_or(0);
            record.actions.iter().filter(|(at, _)| *at >= since).count()
        } else {
            0
        };
        let mut seen = 0;
        for app in &given.app {
            match app {
                AppStep::Do(action) => {
                    seen += 1;
                    if seen <= done {
                        continue;
                    }
                    self.act(&step.id, action)?;
                }
                AppStep::Wait { wait } => {
                    // A wait already followed by a recorded action was met before the crash;
                    // the one right after the last recorded action may not have been.
                    if seen < done {
                        continue;
                    }
                    self.wait_for(*wait).await?;
                }
            }
        }
        Ok(())
    }

    /// Do one thing to the unit: on the simulator through its control API; on a real unit
    /// the operator does it in the phone app, so only the record is made.
    fn act(&mut self, step: &str, action: &AppAction) -> Result<(), SessionError> {
        match self.bench.act(action) {
            Ok(_) => {}
            Err(super::BenchError::Session(e)) => return Err(e),
            Err(e) => {
                let spec = self.bench.session.engine.spec();
                // What was asked, as an answers file names it (a code, as codes stay).
                let asked = serde_json::to_string(action).unwrap_or_default();
                let said = crate::wizard::words::say_verbatim(
                    spec,
                    self.lang,
                    "cli.run.app_refused",
                    &[
                        ("action", &asked),
                        ("error", &e.say().render(spec, self.lang)),
                        ("step", step),
                    ],
                );
                eprintln!("{}", crate::clean::CleanLines(&said));
            }
        }
        self.notes();
        Ok(())
    }

    async fn wait_for(&mut self, what: WaitFor) -> Result<(), SessionError> {
        let deadline = timebase::now() + self.live_timeout;
        let since = self.bench.clock.now();
        let seen = |s: &Session<'_>| match what {
            WaitFor::ChargeCutoff => s.state.live.protection.charge.is_some(),
            WaitFor::DischargeCutoff => s.state.live.protection.discharge.is_some(),
            WaitFor::Settings => false,
            WaitFor::NoAlarm => s.state.live.cells.as_ref().is_some_and(|c| {
                s.state.live.cells_at_ms
                    > s.state.steps[s.state.current].actions.last().map(|a| a.0)
                    && crate::wizard::checks::live::no_alarm(c).ok
            }),
            WaitFor::DischargeRestored => {
                let live = &s.state.live;
                live.cells_at_ms.is_some_and(|at| at > since)
                    && live.cells.as_ref().is_some_and(|c| c.discharging)
            }
        };
        let settings_before = self.bench.session.state.live.settings.clone();
        loop {
            let now = timebase::now();
            if seen(self.bench.session)
                || (what == WaitFor::Settings
                    && self.bench.session.state.live.settings != settings_before)
            {
                return Ok(());
            }
            if now >= deadline {
                if self.verbose {
                    eprintln!(
                        "waited {} s for {what:?} and did not see it",
                        self.live_timeout.as_secs()
                    );
                }
                return Ok(());
            }
            self.wait_event(deadline - now).await;
        }
    }

    /// Ask for the settings and wait (at most the live timeout) until a frame read since the
    /// step was entered has arrived.
    async fn fresh_settings(&mut self, index: usize) {
        self.bench.poke();
        let deadline = timebase::now() + self.live_timeout;
        loop {
            let state = &self.bench.session.state;
            let since = self.bench.session.engine.fresh_since(state, index);
            let fresh = state.live.settings_at_ms.is_some_and(|at| at >= since);
            let now = timebase::now();
            if fresh || now >= deadline {
                return;
            }
            self.wait_event(deadline - now).await;
        }
    }

    /// At a live step: let the BMS data come in until every gate passes or the time is up.
    async fn settle(&mut self, index: usize, started: Millis) {
        let deadline = timebase::now() + self.live_timeout;
        // Ask for settings now: the gates take only data read since the step was entered.
        self.bench.poke();
        // Gates are judged on data that arrived after the last thing the operator did.
        let since = self.bench.session.state.steps[index]
            .actions
            .last()
            .map(|(at, _)| *at)
            .unwrap_or(0)
            .max(started);
        loop {
            let fresh = self
                .bench
                .session
                .state
                .live
                .cells_at_ms
                .is_some_and(|at| at > since);
            let all_ok = self.gates_pass(index);
            let now = timebase::now();
            if (fresh && all_ok) || now >= deadline {
                return;
            }
            self.wait_event(deadline - now).await;
        }
    }

    /// Every gate of step `index` passes now, as the engine judges it.
    fn gates_pass(&self, index: usize) -> bool {
        self.bench
            .session
            .engine
            .evaluate(&self.bench.session.state, index, self.bench.clock.now())
            .iter()
            .all(|r| r.verdict.ok)
    }

    /// On the simulator, play the physical actions a step stands for (plug in, activate).
    fn sim_actions(&mut self, step: &StepSpec) -> Result<(), SessionError> {
        if self.bench.sim().is_none() || step.sim_actions.is_empty() {
            return Ok(());
        }
        let index = self.bench.session.state.current;
        // Only once all the step's other gates pass: the operator confirmed the step.
        let ready = self.gates_pass(index);
        let recorded = &self.bench.session.state.steps[index].actions;
        if !ready
            || step
                .sim_actions
                .iter()
                .all(|a| recorded.iter().any(|(_, r)| r == a))
        {
            return Ok(());
        }
        for action in &step.sim_actions {
            self.act(&step.id, action)?;
        }
        Ok(())
    }

    /// The last refusal at step `index`: the step, each failing gate and its reasons.
    pub fn refusal(&self, index: usize) -> String {
        let spec = self.bench.session.engine.spec();
        let step = &spec.steps[index];
        let record = &self.bench.session.state.steps[index];
        let say = |key: &str, args: &[(&str, &str)]| {
            crate::wizard::words::Say {
                key: key.to_string(),
                args: args
                    .iter()
                    .map(|(k, v)| (k.to_string(), crate::wizard::words::Arg::verbatim(*v)))
                    .collect(),
            }
            .render(spec, self.lang)
        };
        let mut out = say(
            "cli.run.refused",
            &[("id", &step.id), ("title", tr(&step.title, self.lang))],
        );
        if let Some(notice) = &record.notice {
            out.push_str("\n  ");
            out.push_str(&say(
                "cli.run.sent_back",
                &[("notice", &notice.to_string())],
            ));
        }
        for r in record.gates.iter().filter(|r| !r.verdict.ok) {
            let gate = step.gates.iter().find(|g| g.id == r.gate);
            let what = gate.map(|g| tr(&g.text, self.lang)).unwrap_or("");
            let key = if r.safety {
                "cli.run.gate_safety"
            } else {
                "cli.run.gate"
            };
            out.push_str("\n  ");
            out.push_str(&say(key, &[("gate", &r.gate), ("what", what)]));
            for reason in &r.verdict.reasons {
                out.push_str(&format!(
                    "\n    - {}",
                    reason.render(self.bench.session.engine.spec(), self.lang)
                ));
            }
        }
        for (field, (text, error)) in &record.rejected {
            out.push_str("\n  ");
            out.push_str(&say(
                "cli.run.entry_refused",
                &[
                    ("field", field),
                    ("text", text),
                    (
                        "error",
                        &error.render(self.bench.session.engine.spec(), self.lang),
                    ),
                ],
            ));
        }
        out
    }
}
