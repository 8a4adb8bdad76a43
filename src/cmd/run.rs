//! The `run` subcommand: a whole commissioning, headless, from an answers file.
//!
//! The answers take the operator's place; everything else is the interactive wizard's path:
//! the same engine, the same session journal, the same link. A refused gate stops the run
//! with the step, the gate and the reason.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use color_eyre::eyre::{bail, eyre, WrapErr};
use tokio::sync::mpsc;

use super::{now_ms, WizardArgs};
use crate::bms::link::LinkEvent;
use crate::bms::model::AppAction;
use crate::bms::sim::link::SimControl;
use crate::log::session::Session;
use crate::log::sign::load_signing_key;
use crate::log::signoff::write_outputs;
use crate::wizard::answers::{entry_inputs, Answers, AppStep, StepAnswers, WaitFor};
use crate::wizard::engine::{is_live, BmsInput, Event, Input, Status};
use crate::wizard::spec::{tr, StepSpec};

/// Arguments of `run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The answers file: the operator's inputs keyed by step id.
    #[arg(long, value_name = "FILE")]
    pub answers: PathBuf,
    /// A real unit's Bluetooth address (instead of --sim).
    #[arg(long, value_name = "ADDR", conflicts_with = "sim")]
    pub address: Option<String>,
    /// Seconds to wait at a live step for the BMS to show what its gates need.
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    pub live_timeout: u64,
}

/// Run `run`.
pub fn run(args: Args, wizard: WizardArgs) -> color_eyre::Result<ExitCode> {
    let (spec, lang) = super::load_wizard(&wizard)?;
    let text = std::fs::read_to_string(&args.answers)
        .wrap_err_with(|| format!("cannot read the answers file {}", args.answers.display()))?;
    let answers = Answers::parse(&text, &args.answers.display().to_string(), &spec)?;
    // Load the key before any work, so a wrong --key is known before the commissioning.
    let key = match &wizard.key {
        Some(path) => Some(load_signing_key(path)?),
        None => None,
    };
    let Some(out) = wizard.out.clone() else {
        bail!("run needs --out DIR: the folder where the session's journal and log are written");
    };
    let (mut session, torn) = Session::open(&spec, &out, spec.wizard_hash(), &lang, now_ms())
        .wrap_err_with(|| format!("cannot open the session in {}", out.display()))?;
    if let Some(torn) = torn {
        eprintln!("note: {torn}");
    }
    if session.resumed() {
        let step = session.engine.current_step(&session.state);
        eprintln!(
            "resuming the session in {} at step {} ({})",
            out.display(),
            step.id,
            tr(&step.title, &lang)
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let bench = runtime.block_on(Bench::start(&wizard, args.address.as_deref(), &session))?;
    let mut runner = Runner {
        session: &mut session,
        answers: &answers,
        bench,
        lang: &lang,
        live_timeout: Duration::from_secs(args.live_timeout),
    };
    let outcome = runtime.block_on(runner.drive())?;
    match outcome {
        Outcome::SignedOff => {
            let outputs = write_outputs(&session, key.as_ref())?;
            println!(
                "commissioning signed off: verdict {:?}",
                outputs.record.verdict
            );
            println!("  log:       {}", outputs.log.display());
            match &outputs.signature {
                Some(sig) => println!("  signature: {}", sig.display()),
                None => println!(
                    "  signature: none — the log is NOT signed. Make an operator key with \
                     `jk-commission keygen` and pass it with --key to sign"
                ),
            }
            println!("  report:    {}", outputs.report.display());
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Refused(message) => {
            eprintln!("{message}");
            Ok(ExitCode::from(1))
        }
    }
}

/// How a run ended.
enum Outcome {
    /// Every gate passed (or was overridden by the answers) and the log was signed off.
    SignedOff,
    /// A gate refused: the message names the step, the gate and the reasons.
    Refused(String),
}

/// The unit on the bench, reached through its link task.
struct Bench {
    events: mpsc::UnboundedReceiver<LinkEvent>,
    refresh: Option<mpsc::UnboundedSender<()>>,
    sim: Option<SimControl>,
}

impl Bench {
    /// Start the link task: the simulator (replaying what the journal says was done to it),
    /// a real unit, or none (then live gates refuse with "not connected").
    async fn start(
        wizard: &WizardArgs,
        address: Option<&str>,
        session: &Session<'_>,
    ) -> color_eyre::Result<Bench> {
        let (tx, events) = mpsc::unbounded_channel();
        let (refresh_tx, refresh_rx) = mpsc::unbounded_channel();
        if let Some(scenario) = &wizard.sim {
            let control = super::sim_control(scenario.as_deref())?;
            // A resumed run starts a new simulated unit: put it back where the operator left
            // it by doing again, in order, what the journal says was done to it.
            for e in session.events() {
                if let Event::AppAction { action, .. } = e {
                    let _ = control.apply(action);
                }
            }
            let link = crate::bms::sim::link::SimLink::new(control.clone());
            tokio::spawn(super::pump(link, tx, refresh_rx));
            return Ok(Bench {
                events,
                refresh: Some(refresh_tx),
                sim: Some(control),
            });
        }
        if let Some(address) = address {
            let link = crate::bms::ble::BleLink::new(address, Duration::from_secs(20));
            tokio::spawn(super::pump(link, tx, refresh_rx));
            return Ok(Bench {
                events,
                refresh: Some(refresh_tx),
                sim: None,
            });
        }
        drop(tx);
        Ok(Bench {
            events,
            refresh: None,
            sim: None,
        })
    }
}

struct Runner<'a, 'w> {
    session: &'a mut Session<'w>,
    answers: &'a Answers,
    bench: Bench,
    lang: &'a str,
    live_timeout: Duration,
}

impl Runner<'_, '_> {
    async fn drive(&mut self) -> color_eyre::Result<Outcome> {
        loop {
            self.drain();
            if self.session.state.signed_off.is_some() {
                return Ok(Outcome::SignedOff);
            }
            let index = self.session.state.current;
            let step = self.session.engine.current_step(&self.session.state);
            let empty = StepAnswers::default();
            let given = self.answers.steps.get(&step.id).unwrap_or(&empty);
            if given.skip && step.optional {
                self.input(Input::Skip)?;
                continue;
            }
            for input in entry_inputs(step, index, given, &self.session.state) {
                self.input(input)?;
            }
            self.app_steps(step, given).await?;
            if step.gates.iter().any(|g| is_live(&g.check)) {
                self.settle(index).await;
            }
            self.sim_actions(step)?;
            for o in &given.overrides {
                let failing = self
                    .session
                    .engine
                    .evaluate(&self.session.state, index, now_ms())
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
            if !left {
                return Ok(Outcome::Refused(self.refusal(index)));
            }
        }
    }

    /// Feed one input to the session; an entry the engine refused is reported, and the run
    /// goes on to the gate, which then names what is missing.
    fn input(&mut self, input: Input) -> color_eyre::Result<Vec<Event>> {
        let events = self
            .session
            .input(input, now_ms())
            .map_err(|e| eyre!("{e}"))?;
        for e in &events {
            if let Event::EntryRejected { step, error, .. } = e {
                eprintln!("step {step}: entry refused: {error}");
            }
        }
        Ok(events)
    }

    /// Take every link event that has arrived, without waiting.
    fn drain(&mut self) {
        while let Ok(event) = self.bench.events.try_recv() {
            self.link_event(event);
        }
    }

    fn link_event(&mut self, event: LinkEvent) {
        let input = match event {
            LinkEvent::Up { peer } => BmsInput::Up { peer },
            LinkEvent::Down { reason } => BmsInput::Down { reason },
            LinkEvent::DeviceInfo(d) => BmsInput::Device(d),
            LinkEvent::Settings(s) => BmsInput::Settings(s),
            LinkEvent::CellInfo(c) => BmsInput::Cells(c),
            LinkEvent::Logbook(l) => BmsInput::Logbook(l),
            LinkEvent::Rejected { reason } => {
                eprintln!("BMS frame refused: {reason}");
                return;
            }
        };
        if let Err(e) = self.session.input(Input::Bms(input), now_ms()) {
            eprintln!("cannot record BMS data: {e}");
        }
    }

    /// Wait for the next link event, at most `limit`; false when none came.
    async fn wait_event(&mut self, limit: Duration) -> bool {
        match tokio::time::timeout(limit, self.bench.events.recv()).await {
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
        }
    }

    /// Do the app actions of this step not done yet (a resumed run skips those the journal
    /// already has), with their waits.
    async fn app_steps(&mut self, step: &StepSpec, given: &StepAnswers) -> color_eyre::Result<()> {
        let index = self.session.state.current;
        let done = self.session.state.steps[index].actions.len();
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
        let deadline = tokio::time::Instant::now() + self.live_timeout;
        let seen = |s: &Session<'_>| match what {
            WaitFor::ChargeCutoff => s.state.live.protection.charge.is_some(),
            WaitFor::DischargeCutoff => s.state.live.protection.discharge.is_some(),
            WaitFor::Settings => false,
            WaitFor::NoAlarm => s.state.live.cells.as_ref().is_some_and(|c| {
                s.state.live.cells_at_ms
                    > s.state.steps[s.state.current].actions.last().map(|a| a.0)
                    && c.alarms().iter().all(|a| !a.is_fault())
            }),
        };
        let settings_before = self.session.state.live.settings.clone();
        loop {
            let now = tokio::time::Instant::now();
            if seen(self.session)
                || (what == WaitFor::Settings
                    && self.session.state.live.settings != settings_before)
            {
                return Ok(());
            }
            if now >= deadline {
                eprintln!(
                    "waited {} s for {what:?} and did not see it",
                    self.live_timeout.as_secs()
                );
                return Ok(());
            }
            self.wait_event(deadline - now).await;
        }
    }

    /// At a live step: let the BMS data come in until every gate passes or the time is up.
    async fn settle(&mut self, index: usize) {
        let deadline = tokio::time::Instant::now() + self.live_timeout;
        // Gates are judged on data that arrived after the last thing the operator did.
        let since = self.session.state.steps[index]
            .actions
            .last()
            .map(|(at, _)| *at)
            .unwrap_or(0);
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
                .evaluate(&self.session.state, index, now_ms())
                .iter()
                .all(|r| r.verdict.ok);
            let now = tokio::time::Instant::now();
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
            .evaluate(&self.session.state, index, now_ms())
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

    fn refusal(&self, index: usize) -> String {
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
