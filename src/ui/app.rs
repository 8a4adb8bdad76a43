//! The event loop: terminal keys, BMS data and a slow clock in; engine inputs through the
//! session; a redraw out.
//!
//! One tokio task owns the BMS link and sends decoded data over a channel; a thread blocks on
//! the terminal's input and sends keys over another. The loop sleeps until one of them (or the
//! one-second clock that ages the live data, armed only while there is live data, or the moment
//! a scenario's next timed fault is due) wakes it, so a wizard waiting on the operator uses next
//! to no CPU. The terminal is restored on every way out: normal return, error, Ctrl-C, SIGTERM,
//! and panic (ratatui's hook).
//!
//! On a scenario (`--sim FILE`, `train`) the loop stages its later faults on the simulated unit
//! as the headless runner does: every engine event goes through [`Stage::on_event`], the timer
//! through [`Stage::due`]. A training scenario shows only its blind id, and its log gets the
//! training section at sign-off.

use std::io;
use std::path::Path;
use std::time::Duration;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyEventKind};
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;

use crate::bench::{Bench, Clock, Unit};
use crate::bms::link::LinkEvent;
use crate::bms::sim::link::SimControl;
use crate::log::folders;
use crate::log::session::{Session, SessionError};
use crate::log::sign::SigningKey;
use crate::log::signoff::{write_outputs, Outputs};
use crate::train::judge::training_section;
use crate::train::scenario::Scenario;
use crate::ui::action::{Action, Ctx};
use crate::ui::keys::handle_key;
use crate::ui::phone::BenchView;
use crate::ui::state::{rows, Notice, Outcome, Tone, UiState};
use crate::ui::view::{self, AppView, LinkView, Mode, Theme};
use crate::wizard::engine::{BmsInput, Event, Input};

/// How long a Bluetooth scan listens.
const SCAN: Duration = Duration::from_secs(crate::ui::view::chooser::SCAN_SECS);

/// Where the BMS comes from.
pub enum Source {
    /// The built-in simulated unit.
    Sim(SimControl),
    /// Scan for a real unit and let the operator pick one (or fall back).
    Scan,
    /// A real unit at this address.
    Address(String),
    /// A recorded unit: a capture played back.
    Replay(Box<crate::bms::replay::ReplayLink>),
    /// No BMS at all.
    Manual,
}

/// What the loop needs besides the session.
pub struct AppConfig {
    /// Language of the texts.
    pub lang: String,
    /// Where the BMS comes from.
    pub source: Source,
    /// Colours or not (`NO_COLOR`).
    pub theme: Theme,
    /// Shown at the bottom until the first key (resumed session, torn journal).
    pub banner: Option<String>,
    /// The operator's key, to sign the log at sign-off.
    pub key: Option<SigningKey>,
    /// The scenario the simulated unit was built from, if any.
    pub scenario: Option<ScenarioConfig>,
    /// The session folder is the data directory's: a provisional name is replaced by
    /// `<serial>-<date>` once the unit's serial is read. Never for a folder given with `--out`.
    pub name_by_serial: bool,
}

/// A scenario on the simulated unit (`--sim FILE`, `train`): its later faults are staged as
/// the session goes; a training scenario also shows its blind id and marks the log.
pub struct ScenarioConfig {
    /// The scenario (its unit is the one in [`Source::Sim`]).
    pub scenario: Scenario,
    /// The trainer's key: a training log is signed with it too.
    pub trainer_key: Option<SigningKey>,
}

/// How the wizard ended.
#[derive(Debug)]
pub enum Exit {
    /// The operator quit; the session resumes on the next start.
    Quit,
    /// Signed off; the log was written (or writing it failed, with the reason in the screen's
    /// language).
    SignedOff(Result<Box<Outputs>, String>),
}

/// Messages from the link task (`bench::pump`): what the link reported.
type LinkMsg = LinkEvent;

/// Restores the terminal when dropped, whatever way the loop ends.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Run the wizard on `session` until the operator quits.
pub fn run(session: &mut Session<'_>, config: AppConfig) -> io::Result<Exit> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut terminal = ratatui::try_init()?;
    let guard = TerminalGuard;
    let (exit, notes) =
        runtime.block_on(async { App::new(session, config).run(&mut terminal).await })?;
    drop(guard);
    // For the trainer, once the screen is the terminal again.
    for note in notes {
        eprintln!("{note}");
    }
    Ok(exit)
}

struct App<'s, 'w> {
    /// The session, its clock, the unit's link and the scenario's faults still to stage.
    bench: Bench<'s, 'w>,
    lang: String,
    theme: Theme,
    key: Option<SigningKey>,
    source: Option<Source>,
    mode: Mode,
    ui: UiState,
    link: LinkView,
    outputs: Option<Result<Box<Outputs>, String>>,
    quit: bool,
    scenario: Option<ScenarioConfig>,
    /// Rename the session folder after the unit when its serial arrives.
    name_by_serial: bool,
}

impl<'s, 'w> App<'s, 'w> {
    /// A new loop; call inside the runtime (the clock starts here).
    fn new(session: &'s mut Session<'w>, config: AppConfig) -> Self {
        let mut ui = UiState::resumed(session.engine.spec(), &session.state);
        ui.banner = config.banner;
        let bench = Bench::new(
            session,
            Clock::start(),
            config.scenario.as_ref().map(|s| &s.scenario),
        );
        let mut app = App {
            bench,
            lang: config.lang,
            theme: config.theme,
            key: config.key,
            source: Some(config.source),
            mode: Mode::Manual,
            ui,
            link: LinkView::default(),
            outputs: None,
            quit: false,
            scenario: config.scenario,
            name_by_serial: config.name_by_serial,
        };
        // A session resumed in another language says so in its journal, so the log names the
        // language the operator last read (nothing is journaled when it is the same).
        if app.bench.session.state.signed_off.is_none() {
            let lang = app.lang.clone();
            let _ = app.input(Input::Language { lang });
        }
        app
    }

    /// What the simulated meter reads now: the simulated pack through the scenario's wiring
    /// mistakes the trainee has not re-wired yet (none without a simulator).
    fn meter(&self) -> Option<crate::train::meter::MeterReadings> {
        let rewired = &self.bench.session.state.rewired;
        let wiring = self
            .scenario
            .as_ref()
            .map(|s| {
                crate::train::stage::still_miswired(
                    &s.scenario.wiring,
                    rewired.iter().map(|(_, _, what)| what),
                )
            })
            .unwrap_or_default();
        self.bench
            .sim()
            .map(|sim| sim.read(|u| crate::train::meter::measure(u, &wiring)))
    }

    /// The trainee-blind id shown on a training scenario.
    fn training_id(&self) -> Option<String> {
        self.scenario
            .as_ref()
            .filter(|s| s.scenario.training)
            .map(|s| s.scenario.blind_id())
    }

    async fn run(mut self, terminal: &mut DefaultTerminal) -> io::Result<(Exit, Vec<String>)> {
        let (key_tx, mut keys) = mpsc::unbounded_channel();
        // Reading the terminal blocks, so it gets a thread of its own; it ends with the process.
        std::thread::spawn(move || {
            while let Ok(event) = crossterm::event::read() {
                if key_tx.send(event).is_err() {
                    break;
                }
            }
        });
        let source = self.source.take().unwrap_or(Source::Manual);
        let source = match source {
            Source::Scan => match choose(
                terminal,
                &mut keys,
                self.theme,
                self.bench.session.engine.spec(),
                &self.lang,
            )
            .await?
            {
                Some(s) => s,
                None => return Ok((Exit::Quit, self.bench.take_notes())),
            },
            other => other,
        };
        self.start_link(source);
        let mut term_signal = terminate_signal();
        let mut clock = tokio::time::interval(Duration::from_secs(1));
        clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        self.draw(terminal)?;
        while !self.quit {
            let ticking = self.bench.session.state.live.cells_at_ms.is_some();
            let next_fault = self.bench.until_due();
            let mut redraw = true;
            tokio::select! {
                event = keys.recv() => match event {
                    Some(TermEvent::Key(key)) => self.key(key),
                    Some(TermEvent::Resize(_, _)) => {}
                    Some(_) => continue,
                    None => break,
                },
                msg = self.bench.next_link() => {
                    self.link_msg(msg);
                    // Take whatever else arrived with it, then draw once.
                    while let Some(msg) = self.bench.try_link() {
                        self.link_msg(msg);
                    }
                }
                _ = clock.tick(), if ticking => {}
                _ = due(next_fault) => {
                    // What the fault changes arrives as BMS data, and is drawn then.
                    self.bench.timed();
                    redraw = false;
                }
                _ = tokio::signal::ctrl_c() => self.quit = true,
                _ = &mut term_signal => self.quit = true,
            }
            if redraw {
                self.draw(terminal)?;
            }
        }
        let exit = match self.outputs.take() {
            Some(outputs) => Exit::SignedOff(outputs),
            None => Exit::Quit,
        };
        Ok((exit, self.bench.take_notes()))
    }

    /// Feed one input to the bench: journaled, stamped, and what it stages staged.
    fn input(&mut self, input: Input) -> Result<Vec<Event>, SessionError> {
        self.bench.input(input)
    }

    /// Put the unit on the bench and start its link task.
    fn start_link(&mut self, source: Source) {
        let unit = match source {
            Source::Sim(control) => {
                self.mode = Mode::Sim;
                Unit::Sim(control)
            }
            Source::Address(address) => {
                self.mode = Mode::Bluetooth {
                    address: address.clone(),
                };
                Unit::Ble(address)
            }
            Source::Replay(link) => {
                self.mode = Mode::Replay {
                    file: link.name().to_string(),
                };
                Unit::Replay(link)
            }
            Source::Manual | Source::Scan => {
                self.mode = Mode::Manual;
                Unit::None
            }
        };
        // The journal says how the unit was reached, and when that changes on a resume.
        let source = match &self.mode {
            Mode::Sim => "simulator".to_string(),
            Mode::Bluetooth { address } => format!("bluetooth {address}"),
            Mode::Replay { file } => format!("replay {file}"),
            Mode::Manual => "manual".to_string(),
        };
        let before = self.bench.session.state.sources.last().cloned();
        if self.bench.session.state.signed_off.is_none() {
            match self.input(Input::Source {
                source: source.clone(),
            }) {
                Ok(events) if !events.is_empty() && before.is_some() => {
                    let spec = self.bench.session.engine.spec();
                    let (before, now) = (
                        source_words(spec, &self.lang, &before.unwrap_or_default()),
                        source_words(spec, &self.lang, &source),
                    );
                    let text = self.words(
                        "ui.notice.source_changed",
                        &[("before", &before), ("now", &now)],
                    );
                    self.ui.notice = Some(Notice {
                        tone: Tone::Info,
                        text,
                    });
                }
                Ok(_) => {}
                Err(e) => {
                    self.ui.notice = Some(Notice {
                        tone: Tone::Error,
                        text: self.words(
                            "ui.notice.source_not_recorded",
                            &[("error", &e.to_string())],
                        ),
                    })
                }
            }
        }
        self.bench.connect(unit);
    }

    fn link_msg(&mut self, msg: LinkMsg) {
        // Why it went down, in the operator's words (the journal keeps the English).
        let down = match &msg {
            LinkEvent::Down { reason } => Some(
                crate::bench::link::down_say(reason)
                    .render(self.bench.session.engine.spec(), &self.lang),
            ),
            _ => None,
        };
        let input = match crate::bench::bms_input(msg) {
            Ok(input) => input,
            Err(reason) => {
                self.link.note =
                    Some(self.words("ui.notice.frame_refused", &[("reason", &reason)]));
                return;
            }
        };
        match &input {
            BmsInput::Up { peer } => {
                self.link.peer = Some(peer.clone());
                self.link.note = None;
            }
            BmsInput::Down { .. } => self.link.note = down,
            _ => {}
        }
        let serial = match &input {
            BmsInput::Device(d) => Some(d.serial_number.clone()),
            _ => None,
        };
        if let Err(e) = self.input(Input::Bms(input)) {
            self.ui.notice = Some(Notice {
                tone: Tone::Error,
                text: self.words("ui.notice.data_not_recorded", &[("error", &e.to_string())]),
            });
            return;
        }
        if let Some(serial) = serial {
            self.name_after_unit(&serial);
        }
    }

    /// Give a provisional session folder the unit's name, `<serial>-<date>`, once.
    fn name_after_unit(&mut self, serial: &str) {
        if !self.name_by_serial || !folders::is_provisional(self.bench.session.dir()) {
            return;
        }
        let Some(root) = self.bench.session.dir().parent().map(Path::to_path_buf) else {
            return;
        };
        let started = self
            .bench
            .session
            .started_at()
            .unwrap_or_else(|| self.bench.clock.now());
        // A unit with no usable serial leaves the name as it is.
        let Some(target) = folders::by_serial(&root, serial, started) else {
            return;
        };
        self.name_by_serial = false;
        match self.bench.session.move_to(&target) {
            Ok(()) => {
                // Never over a refusal the operator has not read yet.
                if self.ui.notice.is_none() {
                    self.ui.notice = Some(Notice {
                        tone: Tone::Info,
                        text: self.words(
                            "ui.notice.folder_named",
                            &[("dir", &target.display().to_string())],
                        ),
                    });
                }
            }
            Err(e) => {
                self.ui.notice = Some(Notice {
                    tone: Tone::Error,
                    text: self.words(
                        "ui.notice.folder_kept",
                        &[
                            ("error", &e.to_string()),
                            ("dir", &self.bench.session.dir().display().to_string()),
                        ],
                    ),
                })
            }
        }
    }

    fn key(&mut self, key: KeyEvent) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        // After sign-off there is nothing left to do but leave.
        if self.bench.session.state.signed_off.is_some()
            && self.ui.overlay.is_none()
            && matches!(key.code, KeyCode::Char('q') | KeyCode::Esc | KeyCode::Enter)
        {
            self.quit = true;
            return;
        }
        let actions = {
            let state = &self.bench.session.state;
            let engine = self.bench.session.engine;
            let gates = if state.signed_off.is_some() {
                Vec::new()
            } else {
                engine.evaluate(state, state.current, self.bench.clock.now())
            };
            let meter = self.meter();
            let ctx = Ctx {
                spec: engine.spec(),
                state,
                gates: &gates,
                sim: self.bench.sim().is_some(),
                meter: meter.as_ref(),
                lang: &self.lang,
            };
            handle_key(&mut self.ui, &ctx, key)
        };
        for action in actions {
            let outcome = self.execute(&action);
            self.ui.after(
                &action,
                &outcome,
                self.bench.session.engine.spec(),
                &self.lang,
            );
            self.ui
                .sync(self.bench.session.engine.spec(), &self.bench.session.state);
        }
        let state = &self.bench.session.state;
        let n = rows(self.bench.session.engine.spec(), state, state.current).len();
        self.ui.focus = self.ui.focus.min(n.saturating_sub(1));
    }

    fn execute(&mut self, action: &Action) -> Outcome {
        match action {
            Action::Quit => {
                self.quit = true;
                Ok(Vec::new())
            }
            Action::NextLanguage => {
                let langs = &self.bench.session.engine.spec().languages;
                let at = langs.iter().position(|l| *l == self.lang);
                let next = at.map_or(0, |i| (i + 1) % langs.len().max(1));
                let Some(lang) = langs.get(next).cloned() else {
                    return Ok(Vec::new());
                };
                self.lang.clone_from(&lang);
                // A finished session takes no more events; its screen still changes language.
                if self.bench.session.state.signed_off.is_some() {
                    return Ok(Vec::new());
                }
                self.input(Input::Language { lang })
                    .map_err(|e| self.refusal(&e))
            }
            Action::Input(input) | Action::Commit { input, .. } => {
                let mut events = self.input(input.clone()).map_err(|e| self.refusal(&e))?;
                // An amended entry's Enter leaves the step too, once the entry was taken.
                if let Action::Commit { leave: true, .. } = action {
                    if !events
                        .iter()
                        .any(|e| matches!(e, Event::EntryRejected { .. }))
                    {
                        events.extend(self.input(Input::Next).map_err(|e| self.refusal(&e))?);
                    }
                }
                if events.iter().any(|e| matches!(e, Event::SignedOff { .. })) {
                    self.sign_off();
                }
                Ok(events)
            }
            Action::Sim(app_action) => {
                if self.bench.sim().is_none() {
                    return Err(self.words("ui.notice.phone_sim_only", &[]));
                }
                let events = self
                    .bench
                    .act(app_action)
                    .map_err(|e| e.say().render(self.bench.session.engine.spec(), &self.lang))?;
                if !events.iter().any(|e| matches!(e, Event::AppAction { .. })) {
                    // The engine kept the charger off: the gate says why.
                    return Err(self.words("ui.notice.protection_not_yet", &[]));
                }
                self.ui.notice = Some(Notice {
                    tone: Tone::Info,
                    text: self.words(
                        "ui.notice.simulated",
                        &[(
                            "what",
                            &crate::ui::phone::describe(
                                self.bench.session.engine.spec(),
                                &self.lang,
                                app_action,
                            ),
                        )],
                    ),
                });
                Ok(events)
            }
        }
    }

    /// Write the log (with its training section on a training scenario), its signatures and
    /// the report, and say where.
    fn sign_off(&mut self) {
        let training = self.scenario.as_ref().and_then(|s| {
            training_section(
                &s.scenario,
                self.bench.session.events(),
                self.bench.session.engine.spec(),
                crate::log::record::session_language(&self.bench.session.state),
            )
        });
        let trainer_key = self.scenario.as_ref().and_then(|s| s.trainer_key.as_ref());
        let outputs = write_outputs(self.bench.session, self.key.as_ref(), trainer_key, training)
            .map(Box::new)
            .map_err(|e| e.say().render(self.bench.session.engine.spec(), &self.lang));
        self.ui.notice = Some(match &outputs {
            Ok(o) => Notice {
                tone: Tone::Info,
                text: self.words(
                    if o.signature.is_some() {
                        "ui.notice.signed_off"
                    } else {
                        "ui.notice.signed_off_unsigned"
                    },
                    &[
                        ("log", &o.log.display().to_string()),
                        ("report", &o.report.display().to_string()),
                    ],
                ),
            },
            Err(e) => Notice {
                tone: Tone::Error,
                text: self.words("ui.notice.log_not_written", &[("error", e)]),
            },
        });
        self.outputs = Some(outputs);
    }

    /// The screen's words for `key` in the operator's language now (wizard.yaml's `ui:`).
    /// Why an input was not taken, in the screen's language.
    fn refusal(&self, e: &SessionError) -> String {
        e.render(self.bench.session.engine.spec(), &self.lang)
    }

    fn words(&self, key: &str, values: &[(&str, &str)]) -> String {
        crate::ui::text::say_with(self.bench.session.engine.spec(), &self.lang, key, values)
    }

    fn draw<B: ratatui::backend::Backend>(
        &mut self,
        terminal: &mut ratatui::Terminal<B>,
    ) -> io::Result<()> {
        if let Some(sim) = self.bench.sim() {
            self.ui.phone.bench = sim.read(|u| BenchView {
                plugged_in: u.plugged_in(),
                activated: u.activated(),
            });
        }
        let engine = self.bench.session.engine;
        let dir = self.bench.session.dir().display().to_string();
        let mut view = AppView::build(
            &engine,
            &self.bench.session.state,
            &self.ui,
            &self.lang,
            self.bench.clock.now(),
            self.mode.clone(),
            self.link.clone(),
            dir,
            self.theme,
        );
        view.bench = self.bench.sim().map(|_| self.ui.phone.bench);
        // Measured only while the meter is open: a draw comes with every link message.
        view.meter = if matches!(self.ui.overlay, Some(crate::ui::state::Overlay::Meter)) {
            self.meter()
        } else {
            None
        };
        view.training = self.training_id();
        terminal
            .draw(|f| view::draw(f, &view))
            .map_err(|e| io::Error::other(e.to_string()))?;
        Ok(())
    }
}

/// The wizard's loop without a terminal: keys go in as the operator presses them, the link's
/// data and a scenario's timed faults are taken as the loop takes them, and the screen is
/// drawn on ratatui's test backend. For flows tested end to end on tokio's paused clock;
/// create it inside the runtime (the clock starts there).
pub struct Headless<'s, 'w> {
    app: App<'s, 'w>,
    terminal: ratatui::Terminal<ratatui::backend::TestBackend>,
}

impl<'s, 'w> Headless<'s, 'w> {
    /// The loop on `session`, its unit (`config.source`) connected, drawn at `w`×`h`.
    pub fn new(session: &'s mut Session<'w>, mut config: AppConfig, w: u16, h: u16) -> Self {
        let source = std::mem::replace(&mut config.source, Source::Manual);
        let mut app = App::new(session, config);
        app.start_link(source);
        let terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h))
            .expect("a test backend never fails");
        Headless { app, terminal }
    }

    /// One key, as from the terminal.
    pub fn key(&mut self, key: KeyEvent) {
        self.app.key(key);
    }

    /// Let `time` pass on the clock, taking the link's data and staging what falls due, as
    /// the loop does between keys.
    pub async fn wait(&mut self, time: Duration) {
        let until = tokio::time::Instant::now() + time;
        loop {
            let next_fault = self.app.bench.until_due();
            tokio::select! {
                msg = self.app.bench.next_link() => self.app.link_msg(msg),
                _ = due(next_fault) => self.app.bench.timed(),
                _ = tokio::time::sleep_until(until) => break,
            }
        }
    }

    /// The screen as the loop draws it now.
    pub fn screen(&mut self) -> String {
        self.app
            .draw(&mut self.terminal)
            .expect("a test backend never fails");
        self.terminal.backend().to_string()
    }

    /// The commissioning so far.
    pub fn state(&self) -> &crate::wizard::engine::State {
        &self.app.bench.session.state
    }

    /// The UI's own state (focus, overlay, notice).
    pub fn ui(&self) -> &UiState {
        &self.app.ui
    }

    /// The events journaled so far.
    pub fn events(&self) -> &[Event] {
        self.app.bench.session.events()
    }
}

/// Resolves when the next timed fault is due (`until` from now); never without one.
async fn due(until: Option<Duration>) {
    match until {
        // A millisecond late, so a due time rounded through f64 seconds is surely past.
        Some(d) => tokio::time::sleep(d + Duration::from_millis(1)).await,
        None => std::future::pending().await,
    }
}

/// SIGTERM (on Unix) ends the wizard like Ctrl-C: the terminal is restored, the session kept.
/// A journaled BMS source (`simulator`, `bluetooth <address>`, `replay <file>`, `manual`) in
/// the operator's words; the journal keeps the plain id, so a source of another kind shows
/// as it is.
fn source_words(spec: &crate::wizard::spec::WizardSpec, lang: &str, source: &str) -> String {
    let say =
        |key: &str, values: &[(&str, &str)]| crate::ui::text::say_with(spec, lang, key, values);
    match source.split_once(' ') {
        _ if source == "simulator" => say("ui.source.sim", &[]),
        _ if source == "manual" => say("ui.source.manual", &[]),
        Some(("bluetooth", address)) => say("ui.source.bluetooth", &[("address", address)]),
        Some(("replay", file)) => say("ui.source.replay", &[("file", file)]),
        _ => crate::clean::clean(source).into_owned(),
    }
}

fn terminate_signal() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut s) = signal(SignalKind::terminate()) {
            return Box::pin(async move {
                s.recv().await;
            });
        }
    }
    Box::pin(std::future::pending())
}

/// Before the wizard, without --sim: scan for units and let the operator pick one, or fall
/// back to the simulator or manual-only mode when Bluetooth is not there. `None`: quit.
async fn choose(
    terminal: &mut DefaultTerminal,
    keys: &mut mpsc::UnboundedReceiver<TermEvent>,
    theme: Theme,
    spec: &crate::wizard::spec::WizardSpec,
    lang: &str,
) -> io::Result<Option<Source>> {
    use crate::ui::view::chooser::{self, Chooser, Phase};
    let mut state = Chooser {
        phase: Phase::Scanning,
        focus: 0,
        theme,
    };
    loop {
        let (tx, mut rx) = tokio::sync::oneshot::channel();
        if state.phase == Phase::Scanning {
            tokio::spawn(async move {
                let _ = tx.send(crate::bms::ble::scan(SCAN).await);
            });
        }
        loop {
            terminal.draw(|f| chooser::render(f, &state, spec, lang))?;
            tokio::select! {
                found = &mut rx, if state.phase == Phase::Scanning => {
                    state.phase = match found {
                        Ok(Ok(units)) => Phase::Found(
                            units
                                .into_iter()
                                .map(|u| chooser::Unit {
                                    name: u.name,
                                    address: u.address,
                                    rssi: u.rssi,
                                })
                                .collect(),
                        ),
                        Ok(Err(e)) => Phase::Unavailable(crate::bench::link::link_error_say(&e)),
                        Err(_) => Phase::Unavailable(crate::wizard::words::Say::plain(
                            "ui.chooser.scan_stopped",
                        )),
                    };
                    state.focus = 0;
                }
                event = keys.recv() => {
                    let Some(TermEvent::Key(key)) = event else {
                        if event.is_none() {
                            return Ok(None);
                        }
                        continue;
                    };
                    if key.kind == KeyEventKind::Release {
                        continue;
                    }
                    match chooser::key(&mut state, key) {
                        chooser::Choice::Stay => {}
                        chooser::Choice::Quit => return Ok(None),
                        chooser::Choice::Rescan => {
                            state.phase = Phase::Scanning;
                            break;
                        }
                        chooser::Choice::Sim => {
                            return crate::bench::sim_control()
                                .map(|c| Some(Source::Sim(c)))
                                .map_err(|e| io::Error::other(e.to_string()));
                        }
                        chooser::Choice::Manual => return Ok(Some(Source::Manual)),
                        chooser::Choice::Unit(address) => return Ok(Some(Source::Address(address))),
                    }
                }
                _ = tokio::signal::ctrl_c() => return Ok(None),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::drive::{Operator, Runner};
    use crate::bms::model::Alarm;
    use crate::train::scenario::Scenario;
    use crate::train::trainee::{Attempt, Trainee};
    use crate::wizard::spec::{StepSpec, WizardSpec};
    use crossterm::event::KeyModifiers;

    fn config(scenario: Scenario, trainer_key: Option<SigningKey>) -> AppConfig {
        AppConfig {
            lang: "en".into(),
            source: Source::Manual,
            theme: Theme { color: false },
            banner: None,
            key: None,
            scenario: Some(ScenarioConfig {
                scenario,
                trainer_key,
            }),
            name_by_serial: false,
        }
    }

    fn paused() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap()
    }

    fn raised(control: &SimControl, alarm: Alarm) -> bool {
        control.read(|u| u.alarm_bits() & (1 << alarm.bit()) != 0)
    }

    #[test]
    fn the_loop_stages_faults_on_entering_their_step_and_when_they_are_due() {
        let spec = WizardSpec::builtin();
        let text = r"description: t
pack: {chemistry: lifepo4, cells: 16, capacity: 280}
expect: pass
faults:
  - entering: setup.safety
    fault: {raise_alarm: {alarm: coprocessor}}
  - after_s: 3
    fault: {raise_alarm: {alarm: cell_over_voltage}}
";
        let scenario = Scenario::parse(text, "t.yaml", "t", &spec).unwrap();
        let control = crate::bench::scenario_control(&scenario).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (mut session, _) = Session::open(&spec, dir.path(), "h", "en", 0).unwrap();
        paused().block_on(async {
            let mut app = App::new(&mut session, config(scenario, None));
            app.start_link(Source::Sim(control.clone()));
            let fields = [
                ("operator", "Anna"),
                ("role", "technician"),
                ("pack_id", "PK-1"),
                ("chemistry", "lifepo4"),
                ("cells", "16"),
                ("capacity", "280"),
                ("model", "pb2a16s20p"),
                ("cold_site", "no"),
            ];
            for (field, text) in fields {
                app.input(Input::Field {
                    field: field.into(),
                    text: text.into(),
                })
                .unwrap();
            }
            assert!(!raised(&control, Alarm::Coprocessor));
            app.input(Input::Next).unwrap();
            assert_eq!(
                app.bench.session.engine.current_step(&app.bench.session.state).id,
                "setup.safety"
            );
            assert!(raised(&control, Alarm::Coprocessor), "staged on entering");

            // Idle: nothing but the timer wakes the loop, at the moment the fault is due.
            let next = app.bench.until_due();
            assert!(
                next.is_some_and(|d| d <= Duration::from_secs(3) && d > Duration::from_millis(2900)),
                "{next:?}"
            );
            let before = tokio::time::Instant::now();
            due(next).await;
            assert!(app.bench.clock.elapsed() >= Duration::from_secs(3));
            assert!(before.elapsed() > Duration::from_millis(2900));
            assert!(!raised(&control, Alarm::CellOverVoltage));
            app.bench.timed();
            assert!(raised(&control, Alarm::CellOverVoltage), "staged when due");
            assert_eq!(app.bench.until_due(), None);
            let notes = app.bench.take_notes();
            assert!(notes.is_empty(), "{notes:?}");
        });
    }

    /// The careful trainee, up to the sign-off step: there the person at the keyboard signs.
    struct UpToSignOff<'a>(Trainee<'a>);

    impl Operator for UpToSignOff<'_> {
        fn attempt(
            &mut self,
            step: &StepSpec,
            attempt: u32,
            sim: Option<&SimControl>,
        ) -> Option<Attempt> {
            if step.id == "signoff" {
                return None;
            }
            Operator::attempt(&mut self.0, step, attempt, sim)
        }
    }

    #[test]
    fn a_training_session_signed_off_in_the_tui_has_the_training_section_and_the_trainers_signature(
    ) {
        let spec = WizardSpec::builtin();
        let scenario =
            crate::train::shipped::scenario("alarm-error-7-internal-communication", &spec).unwrap();
        let keys = tempfile::tempdir().unwrap();
        let key_path = keys.path().join("trainer");
        crate::log::sign::generate_key(&key_path, "trainer@class").unwrap();
        let trainer_key = crate::log::sign::load_signing_key(&key_path).unwrap();
        let dir = tempfile::tempdir().unwrap();
        paused().block_on(async {
            let clock = Clock::start();
            let (mut session, _) =
                Session::open(&spec, dir.path(), spec.wizard_hash(), "en", clock.now()).unwrap();
            let control = crate::bench::scenario_control(&scenario).unwrap();
            let unit = control.clone();
            let mut bench = Bench::new(&mut session, clock, Some(&scenario));
            bench.connect(Unit::Sim(control));
            let mut trainee = UpToSignOff(Trainee::new(&spec, &scenario));
            Runner {
                bench,
                operator: &mut trainee,
                lang: "en",
                live_timeout: Duration::from_secs(30),
                verbose: false,
            }
            .drive()
            .await
            .unwrap();
            assert_eq!(session.engine.current_step(&session.state).id, "signoff");
            // What the link delivers once sign-off is entered: its gates take only that.
            let now = unit.snapshot();
            for input in [
                BmsInput::Settings(now.settings().clone()),
                BmsInput::Cells(now.cell_info(0)),
            ] {
                session.input(Input::Bms(input), clock.now()).unwrap();
            }

            let mut app = App::new(&mut session, config(scenario.clone(), Some(trainer_key)));
            app.bench.clock = clock;
            // Name, role (from the pack step), the two confirmations, Sign.
            for _ in 0..5 {
                app.key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
            }
            let outputs = match app.outputs.take() {
                Some(Ok(o)) => o,
                other => panic!("not signed off: {other:?}; notice {:?}", app.ui.notice),
            };
            let training = outputs
                .record
                .training
                .as_ref()
                .expect("a training section");
            assert_eq!(training.scenario, "alarm-error-7-internal-communication");
            assert_eq!(training.result, "caught_all");
            assert_eq!(
                training.faults[0].caught_at.as_deref(),
                Some("config.control")
            );
            let text = std::fs::read_to_string(&outputs.log).unwrap();
            assert!(text.contains("\ntraining:\n"), "{text}");
            let sig = outputs
                .trainer_signature
                .as_ref()
                .expect("the trainer signed");
            assert_eq!(
                sig,
                &dir.path().join(crate::log::session::TRAINER_SIGNATURE)
            );
        });
    }

    fn device(serial: &str) -> LinkMsg {
        LinkEvent::DeviceInfo(crate::bms::model::DeviceInfo {
            serial_number: serial.into(),
            ..Default::default()
        })
    }

    fn plain(name_by_serial: bool) -> AppConfig {
        AppConfig {
            lang: "en".into(),
            source: Source::Manual,
            theme: Theme { color: false },
            banner: None,
            key: None,
            scenario: None,
            name_by_serial,
        }
    }

    #[test]
    fn a_provisional_session_folder_takes_the_units_serial_and_date_once() {
        let spec = crate::wizard::engine::tests::mini();
        let root = tempfile::tempdir().unwrap();
        // 2026-03-01 12:00 UTC.
        let started = 1_772_366_400_000;
        let dir = folders::provisional(root.path(), started);
        let (mut session, _) = Session::open(&spec, &dir, "h", "en", started).unwrap();
        paused().block_on(async {
            let mut app = App::new(&mut session, plain(true));
            app.link_msg(device(""));
            assert_eq!(app.bench.session.dir(), dir, "no serial: the name stays");
            app.link_msg(device("2104-A1"));
            let named = root.path().join("2104-A1-2026-03-01");
            assert_eq!(app.bench.session.dir(), named);
            assert!(named.join(crate::log::session::JOURNAL).is_file());
            assert!(!dir.exists());
            // Once only: another unit later does not move it again.
            app.link_msg(device("9999"));
            assert_eq!(app.bench.session.dir(), named);
        });
        // Resuming finds it under its new name.
        assert_eq!(
            folders::newest_unfinished(root.path()),
            Some(session.dir().to_path_buf())
        );
    }

    #[test]
    fn an_out_folder_and_a_named_folder_are_never_renamed() {
        let spec = crate::wizard::engine::tests::mini();
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("2026-03-01-1-unknown-unit");
        let (mut session, _) = Session::open(&spec, &out, "h", "en", 0).unwrap();
        paused().block_on(async {
            // --out: the operator's folder, whatever it is called.
            let mut app = App::new(&mut session, plain(false));
            app.link_msg(device("2104-A1"));
            assert_eq!(app.bench.session.dir(), out);
        });
        let named = root.path().join("2104-A1-2026-03-01");
        let (mut session, _) = Session::open(&spec, &named, "h", "en", 0).unwrap();
        paused().block_on(async {
            // A resumed session already named after its unit keeps its name.
            let mut app = App::new(&mut session, plain(true));
            app.link_msg(device("5555"));
            assert_eq!(app.bench.session.dir(), named);
        });
    }

    #[test]
    fn a_changed_source_is_named_in_the_operators_language() {
        let spec = WizardSpec::builtin();
        assert_eq!(
            source_words(&spec, "pl", "bluetooth C8:47:8C:00:11:22"),
            "BMS C8:47:8C:00:11:22 (Bluetooth)"
        );
        assert_eq!(source_words(&spec, "de", "simulator"), "Simulator");
        assert_eq!(
            source_words(&spec, "hu", "replay a.jkcap"),
            "a.jkcap visszajátszása"
        );
        assert_eq!(
            source_words(&spec, "cs", "manual"),
            "ruční zadávání, bez BMS"
        );
        // A source of a kind this build does not know shows as it is, cleaned.
        assert_eq!(source_words(&spec, "da", "serial\u{1b}[8m"), "serial␛[8m");
        let said = crate::ui::text::say_with(
            &spec,
            "de",
            "ui.notice.source_changed",
            &[("before", "Simulator"), ("now", "BMS x (Bluetooth)")],
        );
        assert!(said.starts_with("Die BMS-Quelle"), "{said}");
        assert!(!said.contains('{'), "{said}");
    }
}
