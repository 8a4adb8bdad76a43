//! The headless driver shared by `run` and `train --check`: an operator (an answers file, or
//! the careful trainee of a scenario) takes the person's place; everything else is the
//! interactive wizard's path — the same engine, the same session journal, the same link.
//!
//! Time is read from tokio's clock through [`Clock`], so a test may run a whole commissioning
//! on a paused clock in a fraction of a second, with every stamp consistent.

use std::time::Duration;

use color_eyre::eyre::eyre;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::bms::link::LinkEvent;
use crate::bms::model::AppAction;
use crate::bms::sim::link::{SimControl, SimLink};
use crate::bms::sim::unit::Fault;
use crate::log::session::Session;
use crate::train::stage::Stage;
use crate::train::trainee::{Attempt, Trainee};
use crate::wizard::answers::{entry_inputs, Answers, AppStep, StepAnswers, WaitFor};
use crate::wizard::engine::{is_live, Event, Input, Millis, Status};
use crate::wizard::spec::{tr, StepSpec};

/// Milliseconds since the epoch, advancing with tokio's clock: wall time on a real runtime,
/// virtual time on a paused one.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    base_ms: Millis,
    base: Instant,
}

impl Clock {
    /// Start now (call inside the runtime).
    pub fn start() -> Self {
        Clock {
            base_ms: super::now_ms(),
            base: Instant::now(),
        }
    }

    /// Now.
    pub fn now(&self) -> Millis {
        self.base_ms + self.base.elapsed().as_millis() as Millis
    }

    /// Time since the start.
    pub fn elapsed(&self) -> Duration {
        self.base.elapsed()
    }
}

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

/// The unit on the bench, reached through its link task, and the faults still to stage.
pub struct Bench {
    events: mpsc::UnboundedReceiver<LinkEvent>,
    refresh: Option<mpsc::UnboundedSender<()>>,
    sim: Option<SimControl>,
    stage: Option<Stage>,
}

impl Bench {
    /// Start the link task: the simulator (put back where the journal says the operator left
    /// it), a real unit, or none (then live gates refuse with "not connected").
    pub fn start(
        sim: Option<SimControl>,
        stage: Option<Stage>,
        address: Option<&str>,
        journal: &[Event],
    ) -> Bench {
        let (tx, events) = mpsc::unbounded_channel();
        let (refresh_tx, refresh_rx) = mpsc::unbounded_channel();
        let mut bench = Bench {
            events,
            refresh: None,
            sim: None,
            stage,
        };
        if let Some(control) = sim {
            super::restore_sim(&control, bench.stage.as_mut(), journal);
            let link = SimLink::new(control.clone());
            tokio::spawn(super::pump(link, tx, refresh_rx));
            bench.refresh = Some(refresh_tx);
            bench.sim = Some(control);
        } else if let Some(address) = address {
            let link = crate::bms::ble::BleLink::new(address, Duration::from_secs(20));
            tokio::spawn(super::pump(link, tx, refresh_rx));
            bench.refresh = Some(refresh_tx);
        }
        bench
    }

    /// The simulated unit, if that is what is on the bench.
    pub fn sim(&self) -> Option<&SimControl> {
        self.sim.as_ref()
    }
}

/// Drives a session with an operator against a bench.
pub struct Runner<'a, 'w> {
    /// The session.
    pub session: &'a mut Session<'w>,
    /// Who answers.
    pub operator: &'a mut dyn Operator,
    /// The unit.
    pub bench: Bench,
    /// The language of messages.
    pub lang: &'a str,
    /// How long to wait at a live step for the BMS to show what its gates need.
    pub live_timeout: Duration,
    /// The clock that stamps every input.
    pub clock: Clock,
    /// Print refused entries and app actions on stderr.
    pub verbose: bool,
}

impl Runner<'_, '_> {
    /// Walk the steps until sign-off or a refusal with no further attempt.
    pub async fn drive(&mut self) -> color_eyre::Result<Outcome> {
        loop {
            self.drain();
            if self.session.state.signed_off.is_some() {
                return Ok(Outcome::SignedOff);
            }
            let index = self.session.state.current;
            let step = self.session.engine.current_step(&self.session.state);
            let mut attempt = 0;
            loop {
                let Some(Attempt { repairs, answers }) =
                    self.operator
                        .attempt(step, attempt, self.bench.sim.as_ref())
                else {
                    return Ok(Outcome::Refused(self.refusal(index)));
                };
                let started = self.clock.now();
                self.inject_all(repairs);
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
    ) -> color_eyre::Result<bool> {
        for input in entry_inputs(step, index, given, &self.session.state) {
            self.input(input)?;
        }
        self.app_steps(step, given, attempt).await?;
        if step.gates.iter().any(|g| is_live(&g.check)) {
            self.settle(index, started).await;
        }
        self.sim_actions(step)?;
        for o in &given.overrides {
            let now = self.clock.now();
            let failing = self
                .session
                .engine
                .evaluate(&self.session.state, index, now)
                .iter()
                .any(|r| r.gate == o.gate && !r.verdict.ok);
            let already = self.session.state.steps[index]
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
        let before = self.session.state.current;
        let left = if let Some(sign) = &given.sign {
            self.input(Input::SignOff {
                name: sign.name.clone(),
                role: sign.role.clone(),
            })?;
            self.session.state.signed_off.is_some()
        } else {
            self.input(Input::Next)?;
            self.session.state.current != before
                || self.session.state.steps[before].status() != Status::Current
        };
        Ok(left)
    }

    /// Feed one input to the session, and stage what entering a step stages.
    fn input(&mut self, input: Input) -> color_eyre::Result<Vec<Event>> {
        let events = self
            .session
            .input(input, self.clock.now())
            .map_err(|e| eyre!("{e}"))?;
        for e in &events {
            if let Event::EntryRejected { step, error, .. } = e {
                if self.verbose {
                    eprintln!(
                        "step {}: entry refused: {}",
                        crate::clean::clean(step),
                        crate::clean::Clean(error)
                    );
                }
            }
            let due = match self.bench.stage.as_mut() {
                Some(stage) => stage.on_event(e),
                None => Vec::new(),
            };
            self.inject_all(due);
        }
        Ok(events)
    }

    /// Stage faults on the simulated unit.
    fn inject_all(&mut self, faults: Vec<Fault>) {
        let Some(sim) = &self.bench.sim else { return };
        let step = &self.session.engine.current_step(&self.session.state).id;
        for fault in faults {
            if let Err(e) = sim.inject(&fault) {
                eprintln!("step {step}: the simulator refused the fault {fault:?}: {e}");
            }
            if let Some(refresh) = &self.bench.refresh {
                let _ = refresh.send(());
            }
        }
    }

    /// Stage the timed faults that are due.
    fn timed(&mut self) {
        let elapsed = self.clock.elapsed();
        let due = match self.bench.stage.as_mut() {
            Some(stage) => stage.due(elapsed),
            None => return,
        };
        self.inject_all(due);
    }

    /// Take every link event that has arrived, without waiting.
    fn drain(&mut self) {
        self.timed();
        while let Ok(event) = self.bench.events.try_recv() {
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
        let limit = match self.bench.stage.as_ref().and_then(Stage::next_due) {
            Some(due) => limit.min(due.saturating_sub(self.clock.elapsed())),
            None => limit,
        };
        let got = match tokio::time::timeout(limit, self.bench.events.recv()).await {
            Ok(Some(event)) => {
                self.link_event(event);
                true
            }
            Ok(None) => {
                // No link at all: nothing will come; do not spin.
                tokio::time::sleep(limit).await;
                false
            }
            Err(_) => false,
        };
        self.timed();
        got
    }

    /// Do the app actions of this attempt not done yet (a resumed run skips those the
    /// journal already has at this step), with their waits.
    async fn app_steps(
        &mut self,
        step: &StepSpec,
        given: &StepAnswers,
        attempt: u32,
    ) -> color_eyre::Result<()> {
        let index = self.session.state.current;
        let done = if attempt == 0 {
            self.session.state.steps[index].actions.len()
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
    fn act(&mut self, step: &str, action: &AppAction) -> color_eyre::Result<()> {
        if let Some(sim) = &self.bench.sim {
            if let Err(e) = sim.apply(action) {
                eprintln!("step {step}: the app refused {action:?}: {e}");
                return Ok(());
            }
        }
        self.input(Input::App(action.clone()))?;
        if let Some(refresh) = &self.bench.refresh {
            let _ = refresh.send(());
        }
        Ok(())
    }

    async fn wait_for(&mut self, what: WaitFor) -> color_eyre::Result<()> {
        let deadline = Instant::now() + self.live_timeout;
        let since = self.clock.now();
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
        let settings_before = self.session.state.live.settings.clone();
        loop {
            let now = Instant::now();
            if seen(self.session)
                || (what == WaitFor::Settings
                    && self.session.state.live.settings != settings_before)
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

    /// At a live step: let the BMS data come in until every gate passes or the time is up.
    async fn settle(&mut self, index: usize, started: Millis) {
        let deadline = Instant::now() + self.live_timeout;
        // Gates are judged on data that arrived after the last thing the operator did.
        let since = self.session.state.steps[index]
            .actions
            .last()
            .map(|(at, _)| *at)
            .unwrap_or(0)
            .max(started);
        loop {
            let fresh = self
                .session
                .state
                .live
                .cells_at_ms
                .is_some_and(|at| at > since);
            let all_ok = self
                .session
                .engine
                .evaluate(&self.session.state, index, self.clock.now())
                .iter()
                .all(|r| r.verdict.ok);
            let now = Instant::now();
            if (fresh && all_ok) || now >= deadline {
                return;
            }
            self.wait_event(deadline - now).await;
        }
    }

    /// On the simulator, play the physical actions a step stands for (plug in, activate).
    fn sim_actions(&mut self, step: &StepSpec) -> color_eyre::Result<()> {
        if self.bench.sim.is_none() || step.sim_actions.is_empty() {
            return Ok(());
        }
        let index = self.session.state.current;
        // Only once all the step's other gates pass: the operator confirmed the step.
        let ready = self
            .session
            .engine
            .evaluate(&self.session.state, index, self.clock.now())
            .iter()
            .all(|r| r.verdict.ok);
        let recorded = &self.session.state.steps[index].actions;
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
        let step = &self.session.engine.spec().steps[index];
        let record = &self.session.state.steps[index];
        let mut out = format!(
            "refused at step {} ({}):",
            step.id,
            tr(&step.title, self.lang)
        );
        for r in record.gates.iter().filter(|r| !r.verdict.ok) {
            let gate = step.gates.iter().find(|g| g.id == r.gate);
            let what = gate.map(|g| tr(&g.text, self.lang)).unwrap_or("");
            let safety = if r.safety { " [safety]" } else { "" };
            out.push_str(&format!("\n  gate {}{safety}: {what}", r.gate));
            for reason in &r.verdict.reasons {
                out.push_str(&format!("\n    - {}", reason.text));
            }
        }
        for (field, (text, error)) in &record.rejected {
            out.push_str(&format!(
                "\n  entry {field} = '{text}' was refused: {error}"
            ));
        }
        out
    }
}
