//! The bench: the runtime every front end shares. It owns the session being commissioned, the
//! clock that stamps its inputs, the unit's link task, the simulated unit (put back where the
//! journal left it) and a scenario's faults still to stage. The TUI, `run` and `train` are
//! thin front ends over it: they decide where the inputs come from, the bench does the rest.
//!
//! Below the front ends: nothing here imports `cmd` or `ui`.

pub mod clock;
pub mod drive;
pub mod link;

use std::time::Duration;

use tokio::sync::mpsc;

use crate::bms::capture::{Tap, CAPTURE_FILE};
use crate::bms::link::{BmsLink, LinkEvent};
use crate::bms::model::AppAction;
use crate::bms::recorder::Recorder;
use crate::bms::replay::ReplayLink;
use crate::bms::sim::link::{SimControl, SimLink};
use crate::bms::sim::unit::{Fault, SimConfig, SimError};
use crate::log::session::{Session, SessionError};
use crate::train::scenario::Scenario;
use crate::train::stage::Stage;
use crate::wizard::engine::{Event, Input};

pub use crate::timebase::runtime;
pub use clock::{now_ms, Clock};
pub use link::{bms_input, pump};

/// How much faster than real time the simulated pack charges and discharges in the wizard:
/// the protection test (charge until the BMS cuts off, then discharge until it cuts off again)
/// takes hours on a real bench and seconds here.
pub const SIM_BENCH_SPEED: f64 = 2000.0;

/// How long a Bluetooth link waits for a unit to connect.
const BLE_CONNECT: Duration = Duration::from_secs(20);

/// Why the bench could not do something.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The simulated unit could not be built.
    #[error("the simulated unit: {0}")]
    Sim(#[from] SimError),
    /// A scenario's unit could not be built.
    #[error("{origin}: {error}")]
    Scenario {
        /// The scenario file.
        origin: String,
        /// Why.
        error: String,
    },
    /// The simulated unit refused an app action.
    #[error("the simulated unit refused: {0}")]
    Refused(SimError),
    /// The session could not record an input.
    #[error(transparent)]
    Session(#[from] SessionError),
}

impl BenchError {
    /// In the operator's words (a scenario's mistake stays as its loader says it).
    pub fn say(&self) -> crate::wizard::words::Say {
        use crate::wizard::words::{Arg, Say};
        match self {
            BenchError::Sim(e) => Say::new("bench.sim", [("error", Arg::say(sim_say(e)))]),
            BenchError::Scenario { origin, error } => Say::new(
                "bench.scenario",
                [
                    ("origin", Arg::verbatim(origin.as_str())),
                    ("error", Arg::verbatim(error.as_str())),
                ],
            ),
            BenchError::Refused(e) => Say::new("bench.refused", [("error", Arg::say(sim_say(e)))]),
            BenchError::Session(e) => e.say(),
        }
    }
}

/// Why the simulated unit refused, in the operator's words: the app's labels, values and
/// ranges carried as they are (the simulator itself knows no words).
pub fn sim_say(e: &SimError) -> crate::wizard::words::Say {
    use crate::wizard::words::{Arg, Say, Unit};
    match e {
        SimError::NotAnswering(_) => Say::plain("sim.not_answering"),
        SimError::NoPower => Say::plain("sim.no_power"),
        SimError::OutOfRange { what, value, range } => Say::new(
            "sim.out_of_range",
            [
                ("what", Arg::verbatim(*what)),
                ("value", Arg::verbatim(value.as_str())),
                ("range", Arg::verbatim(range.as_str())),
            ],
        ),
        SimError::NoSuchCell { cell, cells } => Say::new(
            "sim.no_such_cell",
            [("cell", Arg::int(*cell)), ("cells", Arg::int(*cells))],
        ),
        SimError::NoSuchProbe { probe, probes } => Say::new(
            "sim.no_such_probe",
            [("probe", Arg::int(*probe)), ("probes", Arg::int(*probes))],
        ),
        SimError::NoCurrent(a) => Say::new(
            "sim.no_current",
            [("current", Arg::quantity(a.0, Unit::A, 1))],
        ),
        SimError::Unsupported(switch) => Say::new(
            "sim.unsupported",
            [("switch", Arg::verbatim(switch.app_label()))],
        ),
    }
}

/// The unit on the bench.
pub enum Unit {
    /// The built-in simulated unit (bare, or a scenario's).
    Sim(SimControl),
    /// A real unit over Bluetooth at this address.
    Ble(String),
    /// A recorded unit: a capture played back (`--replay FILE`).
    Replay(Box<ReplayLink>),
    /// None: live gates wait and then refuse with "not connected".
    None,
}

/// The simulated unit for a bare `--sim`: a fresh unit from the box. A scenario's unit comes
/// from [`scenario_control`], its later faults from [`Stage`].
pub fn sim_control() -> Result<SimControl, BenchError> {
    Ok(SimControl::from_config(
        SimConfig::fresh().with_bench_speed(SIM_BENCH_SPEED),
    )?)
}

/// The simulated unit of a loaded scenario, at the wizard's bench speed.
pub fn scenario_control(scenario: &Scenario) -> Result<SimControl, BenchError> {
    let unit = scenario
        .build_unit(SIM_BENCH_SPEED)
        .map_err(|error| BenchError::Scenario {
            origin: scenario.origin.clone(),
            error,
        })?;
    Ok(SimControl::new(unit))
}

/// Put a new simulated unit where the journal says the operator left the old one: do again,
/// in order, what was done to it in the app, and stage again what its steps staged (`stage`
/// takes those faults off its list). A resumed session meets a new unit, in every front end.
pub fn restore_sim(control: &SimControl, mut stage: Option<&mut Stage>, journal: &[Event]) {
    for e in journal {
        if let Event::AppAction { action, .. } = e {
            let _ = control.apply(action);
        }
        if let Some(stage) = stage.as_deref_mut() {
            for f in stage.on_event(e) {
                let _ = control.inject(&f);
            }
        }
    }
}

/// One staged session: the session, its clock, the unit's link and the faults still to stage.
pub struct Bench<'a, 'w> {
    /// The session being commissioned.
    pub session: &'a mut Session<'w>,
    /// Stamps every input; its start is time zero of a scenario's timed faults.
    pub clock: Clock,
    events: Option<mpsc::UnboundedReceiver<LinkEvent>>,
    refresh: Option<mpsc::UnboundedSender<()>>,
    sim: Option<SimControl>,
    stage: Option<Stage>,
    notes: Vec<String>,
    capture: Option<Tap>,
}

impl<'a, 'w> Bench<'a, 'w> {
    /// A bench for `session` with no unit yet; `scenario`: the faults to stage as it goes.
    pub fn new(session: &'a mut Session<'w>, clock: Clock, scenario: Option<&Scenario>) -> Self {
        // A resumed session's new stamps come after its journal's, even when it ran on a
        // virtual clock ahead of this one.
        let clock = match session.events().iter().map(Event::at).max() {
            Some(last) if last > clock.now() => clock.not_before(last),
            _ => clock,
        };
        Bench {
            session,
            clock,
            events: None,
            refresh: None,
            sim: None,
            stage: scenario.map(Stage::new),
            notes: Vec::new(),
            capture: None,
        }
    }

    /// Put `unit` on the bench and start its link task (call inside the runtime). A simulated
    /// unit is first put back where the journal says the operator left the last one.
    pub fn connect(&mut self, unit: Unit) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (refresh_tx, refresh_rx) = mpsc::unbounded_channel();
        match unit {
            Unit::Sim(control) => {
                restore_sim(&control, self.stage.as_mut(), self.session.events());
                self.spawn(SimLink::new(control.clone()), "simulator", tx, refresh_rx);
                self.sim = Some(control);
            }
            Unit::Ble(address) => {
                let link = crate::bms::ble::BleLink::new(address.clone(), BLE_CONNECT);
                self.spawn(link, &address, tx, refresh_rx);
            }
            Unit::Replay(link) => {
                let source = ReplayLink::peer(link.name());
                self.spawn(*link, &source, tx, refresh_rx);
            }
            Unit::None => return,
        }
        self.events = Some(rx);
        self.refresh = Some(refresh_tx);
    }

    /// Run `link` on its task, recorded into the session folder's capture (a new segment of
    /// it for a resumed session). A capture that cannot be opened is noted, and the session
    /// goes on unrecorded: the capture is for support, no gate depends on it.
    fn spawn<L: BmsLink + 'static>(
        &mut self,
        link: L,
        source: &str,
        tx: mpsc::UnboundedSender<LinkEvent>,
        refresh_rx: mpsc::UnboundedReceiver<()>,
    ) {
        let path = self.session.dir().join(CAPTURE_FILE);
        match Tap::create(&path, source) {
            Ok(tap) => {
                self.capture = Some(tap.clone());
                tokio::spawn(pump(Recorder::new(link, tap), tx, refresh_rx));
            }
            Err(e) => {
                self.notes.push(format!(
                    "the link is not recorded: cannot write {}: {e}",
                    path.display()
                ));
                tokio::spawn(pump(link, tx, refresh_rx));
            }
        }
    }

    /// Stop the recording, so the capture the log names is the one hashed at sign-off.
    fn seal_capture(&mut self) {
        if let Some(tap) = self.capture.take() {
            if let Err(e) = tap.seal() {
                self.notes.push(e);
            }
        }
    }

    /// The simulated unit, if that is what is on the bench.
    pub fn sim(&self) -> Option<&SimControl> {
        self.sim.as_ref()
    }

    /// Feed one input to the session, stamped now, and stage what it stages (a step entered).
    pub fn input(&mut self, input: Input) -> Result<Vec<Event>, SessionError> {
        let events = self.session.input(input, self.clock.now())?;
        if events.iter().any(|e| matches!(e, Event::SignedOff { .. })) {
            self.seal_capture();
        }
        // A step's live gates take only data read since it was entered: ask for it now.
        if events
            .iter()
            .any(|e| matches!(e, Event::StepEntered { .. }))
        {
            self.poke();
        }
        if let Some(stage) = self.stage.as_mut() {
            let due: Vec<Fault> = events.iter().flat_map(|e| stage.on_event(e)).collect();
            self.inject(&due);
        }
        Ok(events)
    }

    /// Stage faults on the simulated unit, and ask the link for fresh data at once. What the
    /// simulator would not take is noted (see [`Bench::take_notes`]), not shown: on a
    /// training scenario it would tell the trainee what was staged.
    pub fn inject(&mut self, faults: &[Fault]) {
        let Some(sim) = &self.sim else { return };
        if faults.is_empty() {
            return;
        }
        let step = &self.session.engine.current_step(&self.session.state).id;
        for fault in faults {
            if let Err(e) = sim.inject(fault) {
                self.notes.push(format!(
                    "step {step}: the simulator refused to stage the scenario's fault {fault:?}: {e}"
                ));
            }
        }
        self.poke();
    }

    /// Stage the timed faults that are due.
    pub fn timed(&mut self) {
        let Some(stage) = self.stage.as_mut() else {
            return;
        };
        let due = stage.due(self.clock.elapsed());
        self.inject(&due);
    }

    /// How long until the next timed fault is due; `None` without one.
    pub fn until_due(&self) -> Option<Duration> {
        let due = self.stage.as_ref().and_then(Stage::next_due)?;
        Some(due.saturating_sub(self.clock.elapsed()))
    }

    /// Do one app action: on the simulator through its control API, then record it; on a real
    /// unit the operator does it in JK's app, so only the record is made.
    /// At the protection test the engine may refuse to let a charger or load start (its
    /// settings gates fail or are not fresh): then only its verdicts are recorded and the
    /// unit is left alone.
    pub fn act(&mut self, action: &AppAction) -> Result<Vec<Event>, BenchError> {
        let now = self.clock.now();
        let engine = self.session.engine;
        if engine
            .test_refusal(&self.session.state, action, now)
            .is_some()
        {
            return Ok(self.input(Input::App(action.clone()))?);
        }
        if let Some(sim) = &self.sim {
            sim.apply(action).map_err(BenchError::Refused)?;
        }
        let events = self.input(Input::App(action.clone()))?;
        self.poke();
        Ok(events)
    }

    /// Ask the link for fresh data now (or, while it is not connected, to try at once).
    pub fn poke(&self) {
        if let Some(refresh) = &self.refresh {
            let _ = refresh.send(());
        }
    }

    /// The next link event; never resolves without a link (or once its task has ended).
    pub async fn next_link(&mut self) -> LinkEvent {
        if let Some(rx) = self.events.as_mut() {
            if let Some(event) = rx.recv().await {
                return event;
            }
            self.events = None;
        }
        std::future::pending().await
    }

    /// A link event that has already arrived, without waiting.
    pub fn try_link(&mut self) -> Option<LinkEvent> {
        self.events.as_mut()?.try_recv().ok()
    }

    /// What the simulator refused to stage since the last call (for the trainer, not the
    /// trainee's screen).
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bms::model::{AppAction, Switch};
    use crate::units::Amps;
    use crate::wizard::words::builtin;

    #[test]
    fn why_the_simulated_unit_refused_is_worded_in_every_language() {
        let spec = builtin();
        let all = [
            SimError::NotAnswering(crate::bms::sim::unit::NOT_ANSWERING),
            SimError::NoPower,
            SimError::OutOfRange {
                what: "Cell Count",
                value: "40".into(),
                range: "7 to 32".into(),
            },
            SimError::NoSuchCell {
                cell: 17,
                cells: 16,
            },
            SimError::NoSuchProbe {
                probe: 3,
                probes: 2,
            },
            SimError::NoCurrent(Amps(2.5)),
            SimError::Unsupported(Switch::Emergency),
        ];
        for why in &all {
            crate::wizard::words::assert_worded_everywhere(&sim_say(why), &why.to_string(), false);
        }
        let pl = |why: &SimError| sim_say(why).render(spec, "pl");
        assert_eq!(pl(&all[3]), "nie ma ogniwa 17: pakiet ma ogniwa od 1 do 16");
        assert!(pl(&all[5]).contains("płynie 2,5"), "{}", pl(&all[5]));
        assert!(
            pl(&all[6]).contains("włącznika Emergency"),
            "{}",
            pl(&all[6])
        );
    }

    #[test]
    fn activating_with_the_plug_out_is_refused_in_the_operators_words() {
        let spec = builtin();
        let control = sim_control().unwrap();
        let refused = control.apply(&AppAction::Activate).unwrap_err();
        let said = BenchError::Refused(refused).say().render(spec, "de");
        assert_eq!(
            said,
            "das simulierte Gerät hat abgelehnt: nichts geschieht: der Stecker ist gezogen, \
             das BMS hat also keinen Strom zum Aktivieren"
        );
    }
}
