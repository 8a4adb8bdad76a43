//! The `monitor` subcommand: the live decoded data of a unit (or of the simulator), as a plain
//! table redrawn per frame or as one JSON object per frame (the contract of `decode`).
//!
//! `--sim` is the program-wide flag of [`crate::cmd::WizardArgs`] (clap does not allow a second
//! `--sim` on the subcommand); here it starts the built-in unit plugged in, activated and
//! configured. Both links go through the same generic [`monitor`]. The table and the messages
//! are in the chosen language (`cli.monitor.*`); the JSON is data and stays as it is.

use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use color_eyre::eyre::{bail, eyre, Result};

use crate::bms::ble::BleLink;
use crate::bms::capture::Tap;
use crate::bms::json::write_frame;
use crate::bms::link::{BmsLink, LinkError, LinkEvent};
use crate::bms::model::{BalancingAction, CellInfo, DeviceInfo, Frame, Settings};
use crate::bms::recorder::Recorder;
use crate::bms::replay::ReplayLink;
use crate::bms::sim::{SimConfig, SimControl, SimLink};
use crate::wizard::spec::WizardSpec;
use crate::wizard::words::{render_arg, say_verbatim, Arg, Unit};

/// Arguments of `monitor` (with the global `--sim`).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Bluetooth address of the unit (see `jk-commission scan`); or use --sim.
    #[arg(long, value_name = "ADDR")]
    pub address: Option<String>,
    /// Print one JSON object per frame (the contract of `decode`) instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Stop after this many frames (of any type).
    #[arg(long, value_name = "N")]
    pub frames: Option<u64>,
    /// Seconds to wait for the unit: to find and connect to it, and between two frames.
    #[arg(long, value_name = "SECS", default_value_t = 20,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Record the raw traffic (every notification and command, passcodes masked) into this
    /// capture file, for support or a later `--replay` (appended to if it exists).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// The language of the table and the messages.
    #[command(flatten)]
    pub lang: super::LangArg,
}

/// How the frames are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The readable table, redrawn per frame.
    Table {
        /// Clear the terminal before each redraw (stdout is a terminal).
        clear: bool,
    },
    /// One JSON object per line.
    Json,
}

/// Why monitoring stopped early.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// The link could not be opened.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// Nothing came for too long.
    #[error(
        "no frame from the BMS within {0} s; check that it is powered, activated and in range"
    )]
    Timeout(u64),
    /// The link closed for good.
    #[error("the link to the BMS closed")]
    Closed,
    /// Writing the output failed (a closed pipe, a full disk).
    #[error("cannot write the output: {0}")]
    Io(#[from] io::Error),
}

/// The words `monitor` speaks: wizard.yaml's `cli.monitor.*` in one language.
#[derive(Debug, Clone, Copy)]
pub struct Words<'a> {
    spec: &'a WizardSpec,
    lang: &'a str,
}

impl<'a> Words<'a> {
    /// `monitor`'s words in `lang`, from `spec` (the built-in wizard fills any gap).
    pub fn new(spec: &'a WizardSpec, lang: &'a str) -> Self {
        Words { spec, lang }
    }

    /// `cli.monitor.<key>` with these values filled in as they are (each one cleaned).
    fn say(&self, key: &str, values: &[(&str, &str)]) -> String {
        say_verbatim(self.spec, self.lang, &format!("cli.monitor.{key}"), values)
    }

    /// A quantity, its decimals the language's way (3,650 V in Polish).
    fn q(&self, value: f64, unit: Unit, decimals: u8) -> String {
        render_arg(self.spec, self.lang, &Arg::quantity(value, unit, decimals))
    }

    fn volts(&self, v: crate::units::Volts) -> String {
        self.q(v.value(), Unit::V, 3)
    }

    fn amps(&self, a: crate::units::Amps) -> String {
        self.q(a.value(), Unit::A, 3)
    }

    fn amp_hours(&self, ah: crate::units::AmpHours) -> String {
        self.q(ah.value(), Unit::Ah, 1)
    }

    fn celsius(&self, c: crate::units::Celsius) -> String {
        self.q(c.value(), Unit::Celsius, 1)
    }

    fn on_off(&self, on: bool) -> String {
        self.say(if on { "on" } else { "off" }, &[])
    }

    /// Why monitoring stopped, as a sentence (what the Bluetooth stack, the simulator or the
    /// capture said carried along as it is).
    pub fn error(&self, e: &MonitorError) -> String {
        match e {
            MonitorError::Link(e) => {
                crate::bench::link::link_error_say(e).render(self.spec, self.lang)
            }
            MonitorError::Timeout(s) => self.say("timeout", &[("seconds", &s.to_string())]),
            MonitorError::Closed => self.say("closed", &[]),
            MonitorError::Io(e) => self.say("cannot_write", &[("error", &e.to_string())]),
        }
    }
}

/// Which unit `monitor` watches.
enum Watched {
    Sim,
    Ble(String),
    Replay(Box<ReplayLink>),
}

/// Run `monitor`; `sim` and `replay` are the program-wide `--sim` and `--replay` flags.
pub fn run(args: Args, sim: Option<Option<PathBuf>>, replay: Option<PathBuf>) -> Result<ExitCode> {
    let spec = crate::wizard::words::builtin();
    let lang = args.lang.pick();
    let w = Words::new(spec, &lang);
    if let Some(path) = &replay {
        if sim.is_some() || args.address.is_some() {
            bail!(w.say("choose_replay", &[]));
        }
        let link = super::load_replay(path)?;
        return watch(&args, Watched::Replay(Box::new(link)), w);
    }
    let use_sim = match (&sim, &args.address) {
        (Some(Some(scenario)), _) => {
            bail!(w.say("sim_only", &[("path", &scenario.display().to_string())]))
        }
        (Some(None), Some(_)) => bail!(w.say("sim_or_address", &[])),
        (Some(None), None) => true,
        (None, Some(_)) => false,
        (None, None) => bail!(w.say("which_unit", &[])),
    };
    let unit = if use_sim {
        Watched::Sim
    } else {
        Watched::Ble(args.address.clone().unwrap_or_default())
    };
    watch(&args, unit, w)
}

/// Watch `unit` as `args` say, recorded if asked.
fn watch(args: &Args, unit: Watched, w: Words<'_>) -> Result<ExitCode> {
    if args.timeout == 0 {
        bail!(w.say("timeout_zero", &[]));
    }
    let output = if args.json {
        Output::Json
    } else {
        Output::Table {
            clear: io::stdout().is_terminal(),
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| eyre!(w.say("no_runtime", &[("error", &e.to_string())])))?;
    let timeout = Duration::from_secs(args.timeout);
    let replayed = matches!(unit, Watched::Replay(_));
    let result = runtime.block_on(async {
        let work = async {
            let mut stdout = io::stdout().lock();
            let result = match unit {
                Watched::Sim => {
                    let control = SimControl::from_config(SimConfig::ready()).map_err(|e| {
                        let why = crate::bench::sim_say(&e).render(w.spec, w.lang);
                        eyre!(w.say("sim_failed", &[("error", &why)]))
                    })?;
                    let link = SimLink::new(control);
                    recorded(link, "simulator", args, output, timeout, w, &mut stdout).await?
                }
                Watched::Ble(address) => {
                    let link = BleLink::new(address.clone(), timeout);
                    recorded(link, &address, args, output, timeout, w, &mut stdout).await?
                }
                Watched::Replay(link) => {
                    let source = ReplayLink::peer(link.name());
                    recorded(*link, &source, args, output, timeout, w, &mut stdout).await?
                }
            };
            Result::<_>::Ok(result)
        };
        tokio::select! {
            r = work => r,
            // Ctrl-C is how a person stops watching: not an error.
            _ = tokio::signal::ctrl_c() => Ok(Ok(())),
        }
    })?;
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        // A capture played to its end is done, not a lost unit.
        Err(MonitorError::Closed) if replayed => Ok(ExitCode::SUCCESS),
        // A closed pipe (`| head`) is how a reader says it has seen enough.
        Err(MonitorError::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(eyre!(w.error(&e))),
    }
}

/// [`monitor`] on `link`, recorded into `--record FILE` when given.
async fn recorded<L: BmsLink>(
    link: L,
    source: &str,
    args: &Args,
    output: Output,
    timeout: Duration,
    w: Words<'_>,
    out: &mut impl Write,
) -> Result<Result<(), MonitorError>> {
    let Some(path) = &args.record else {
        let mut link = link;
        return Ok(monitor(&mut link, output, args.frames, timeout, w, out).await);
    };
    let shown = path.display().to_string();
    let tap = Tap::create(path, source).map_err(|e| {
        eyre!(w.say(
            "cannot_record",
            &[("error", &e.to_string()), ("path", &shown)]
        ))
    })?;
    let mut link = Recorder::new(link, tap.clone());
    let result = monitor(&mut link, output, args.frames, timeout, w, out).await;
    if let Err(e) = tap.seal() {
        eprintln!("{e}");
    }
    eprintln!("{}", w.say("recorded", &[("path", &shown)]));
    Ok(result)
}

/// Connect and show frames until `frames` were shown (or forever), on any [`BmsLink`]. Link
/// news (up, down, refused frames) goes to stderr so stdout stays one kind of output.
pub async fn monitor<L: BmsLink>(
    link: &mut L,
    output: Output,
    frames: Option<u64>,
    timeout: Duration,
    w: Words<'_>,
    out: &mut impl Write,
) -> Result<(), MonitorError> {
    link.connect().await?;
    let mut view = View::default();
    let mut shown = 0u64;
    while frames.is_none_or(|n| shown < n) {
        let event = tokio::time::timeout(timeout, link.next_event())
            .await
            .map_err(|_| MonitorError::Timeout(timeout.as_secs()))?
            .ok_or(MonitorError::Closed)?;
        let frame = match event {
            LinkEvent::Up { peer } => {
                eprintln!("{}", w.say("news_up", &[("peer", &peer)]));
                view.status = w.say("link_up", &[("peer", &peer)]);
                continue;
            }
            LinkEvent::Down { reason } => {
                // Why, in the operator's words (what the stack said carried along as it is).
                let reason = crate::bench::link::down_say(&reason).render(w.spec, w.lang);
                eprintln!("{}", w.say("news_down", &[("reason", &reason)]));
                view.status = w.say("link_down", &[("reason", &reason)]);
                continue;
            }
            LinkEvent::Rejected { reason } => {
                eprintln!("{}", w.say("news_refused", &[("reason", &reason)]));
                continue;
            }
            LinkEvent::DeviceInfo(d) => Frame::DeviceInfo(d),
            LinkEvent::Settings(s) => Frame::Settings(s),
            LinkEvent::CellInfo(c) => Frame::CellInfo(c),
            LinkEvent::Logbook(l) => Frame::Logbook(l),
        };
        match output {
            Output::Json => write_frame(out, &frame)?,
            Output::Table { clear } => {
                view.update(frame);
                if clear {
                    write!(out, "\x1b[H\x1b[2J")?;
                }
                writeln!(out, "{}", view.render(w))?;
            }
        }
        out.flush()?;
        shown += 1;
    }
    Ok(())
}

/// What the table shows: the latest frame of each kind and the link's state.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// Device info, once received.
    pub device: Option<DeviceInfo>,
    /// Settings, once received.
    pub settings: Option<Settings>,
    /// The latest live data.
    pub cells: Option<CellInfo>,
    /// Entries in the latest logbook, if one came.
    pub logbook_entries: Option<usize>,
    /// The link's state in a few words (already in the table's language).
    pub status: String,
}

/// The rows of the table, by their key under `cli.monitor.row.`.
const ROWS: [&str; 9] = [
    "device", "link", "settings", "cells", "logbook", "pack", "temps", "mosfets", "alarms",
];

/// The table being written: its words and the width its row labels are padded to.
struct Table<'w, 't> {
    w: Words<'w>,
    t: &'t mut String,
    /// The widest row label in this language, plus two spaces.
    width: usize,
}

impl Table<'_, '_> {
    /// A row: its label padded, then `body`.
    fn row(&mut self, row: &str, body: &str) -> std::fmt::Result {
        let label = self.w.say(&format!("row.{row}"), &[]);
        if body.is_empty() {
            return writeln!(self.t, "{label}");
        }
        writeln!(self.t, "{label:<0$}{body}", self.width)
    }

    /// A line under the row before, indented to the bodies.
    fn more(&mut self, body: &str) -> std::fmt::Result {
        writeln!(self.t, "{:1$}{body}", "", self.width)
    }
}

impl View {
    /// Take in a frame.
    pub fn update(&mut self, frame: Frame) {
        match frame {
            Frame::DeviceInfo(d) => self.device = Some(d),
            Frame::Settings(s) => self.settings = Some(s),
            Frame::CellInfo(c) => self.cells = Some(c),
            Frame::Logbook(l) => self.logbook_entries = Some(l.entries.len()),
        }
    }

    /// The table as text, in the words of `w`.
    pub fn render(&self, w: Words<'_>) -> String {
        let mut t = String::new();
        let width = ROWS
            .iter()
            .map(|r| w.say(&format!("row.{r}"), &[]).chars().count())
            .max()
            .unwrap_or(8)
            + 2;
        // Writing to a String cannot fail.
        let _ = self.write_table(&mut Table {
            w,
            t: &mut t,
            width,
        });
        t
    }

    fn write_table(&self, t: &mut Table<'_, '_>) -> std::fmt::Result {
        let w = t.w;
        match &self.device {
            Some(d) => t.row(
                "device",
                &w.say(
                    "device",
                    &[
                        ("hardware", &d.hardware_version),
                        ("model", &d.model),
                        ("power_ons", &d.power_on_count.to_string()),
                        ("serial", &d.serial_number),
                        ("software", &d.software_version),
                        ("uptime", &hms(d.uptime_s)),
                    ],
                ),
            )?,
            None => t.row("device", &w.say("waiting_device", &[]))?,
        }
        if !self.status.is_empty() {
            t.row("link", &self.status)?;
        }
        match &self.settings {
            Some(s) => write_settings(t, s)?,
            None => t.row("settings", &w.say("waiting_settings", &[]))?,
        }
        match &self.cells {
            Some(c) => self.write_cells(t, c)?,
            None => t.row("cells", &w.say("waiting_cells", &[]))?,
        }
        if let Some(n) = self.logbook_entries {
            t.row("logbook", &w.say("logbook", &[("n", &n.to_string())]))?;
        }
        Ok(())
    }

    fn write_cells(&self, t: &mut Table<'_, '_>, c: &CellInfo) -> std::fmt::Result {
        let w = t.w;
        let highest = c.connected().map(|(i, _)| i + 1).max().unwrap_or(0);
        let expected = self.settings.as_ref().map_or(0, |s| s.cell_count as usize);
        let shown = highest.max(expected).min(c.cell_voltages.len());
        t.row(
            "cells",
            &w.say(
                "cells",
                &[
                    ("connected", &c.connected_count().to_string()),
                    ("frame", &c.counter.to_string()),
                    ("layout", c.layout.name()),
                    ("slots", &c.cell_voltages.len().to_string()),
                ],
            ),
        )?;
        let missing = w.say("cell_missing", &[]);
        for row in (0..shown).collect::<Vec<_>>().chunks(4) {
            // One column to the left of the bodies, so `#1` lines up under the text.
            let mut line = " ".repeat(t.width - 1);
            for &i in row {
                let connected = i < 32 && c.enabled_mask & (1 << i) != 0;
                if connected {
                    write!(line, "  #{:<2} {}", i + 1, w.volts(c.cell_voltages[i]))?;
                } else {
                    write!(line, "  #{:<2} {missing}", i + 1)?;
                }
            }
            writeln!(t.t, "{line}")?;
        }
        if c.connected_count() > 0 {
            let at = |i: u8| {
                c.cell_voltages
                    .get(usize::from(i))
                    .copied()
                    .unwrap_or_default()
            };
            t.more(&w.say(
                "cell_stats",
                &[
                    ("average", &w.volts(c.average_voltage)),
                    ("delta", &w.volts(c.delta_voltage)),
                    ("max", &w.volts(at(c.max_cell))),
                    ("max_cell", &(u32::from(c.max_cell) + 1).to_string()),
                    ("min", &w.volts(at(c.min_cell))),
                    ("min_cell", &(u32::from(c.min_cell) + 1).to_string()),
                ],
            ))?;
        }
        t.row(
            "pack",
            &w.say(
                "pack",
                &[
                    ("current", &w.amps(c.current)),
                    ("cycles", &c.cycle_count.to_string()),
                    ("full", &w.amp_hours(c.full_capacity)),
                    ("remaining", &w.amp_hours(c.remaining_capacity)),
                    ("soc", &c.soc.to_string()),
                    ("voltage", &w.volts(c.pack_voltage)),
                ],
            ),
        )?;
        let none = w.say("none", &[]);
        let temp = |t: Option<crate::units::Celsius>| t.map_or(none.clone(), |t| w.celsius(t));
        let mut temps = w.say("mos", &[("temp", &temp(c.mos_temperature))]);
        for (i, p) in c.probes.iter().enumerate() {
            write!(temps, "  T{} {}", i + 1, temp(*p))?;
        }
        t.row("temps", &temps)?;
        let current = w.amps(c.balancing_current);
        let balancer = match c.balancing_action {
            BalancingAction::Off => w.say("balancer_idle", &[]),
            BalancingAction::Charging => w.say("balancer_charging", &[("current", &current)]),
            BalancingAction::Discharging => w.say("balancer_discharging", &[("current", &current)]),
        };
        t.row(
            "mosfets",
            &w.say(
                "mosfets",
                &[
                    ("balancer", &balancer),
                    ("charge", &w.on_off(c.charging)),
                    ("discharge", &w.on_off(c.discharging)),
                ],
            ),
        )?;
        let alarms = c.alarms();
        let unknown = crate::bms::model::unknown_alarm_bits(c.alarm_bits);
        if alarms.is_empty() && unknown == 0 {
            t.row("alarms", &none)?;
        } else {
            t.row("alarms", "")?;
            for a in alarms {
                let name = crate::wizard::checks::live::alarm_name(a).render(w.spec, w.lang);
                match a.manual_error() {
                    Some(m) => {
                        let error = crate::wizard::checks::live::error_text(m);
                        t.more(&w.say(
                            "alarm_manual",
                            &[
                                ("alarm", &name),
                                ("error", &error.render(w.spec, w.lang)),
                                ("n", &m.0.to_string()),
                            ],
                        ))?
                    }
                    None => t.more(&name)?,
                }
            }
            if unknown != 0 {
                t.more(&w.say("unknown_bits", &[("bits", &format!("{unknown:#010x}"))]))?;
            }
        }
        Ok(())
    }
}

fn write_settings(t: &mut Table<'_, '_>, s: &Settings) -> std::fmt::Result {
    let w = t.w;
    t.row(
        "settings",
        &w.say(
            "settings",
            &[
                ("balance_start", &w.volts(s.balance_start_voltage)),
                ("balance_trigger", &w.volts(s.balance_trigger)),
                ("capacity", &w.amp_hours(s.capacity)),
                ("cells", &s.cell_count.to_string()),
            ],
        ),
    )?;
    t.more(&w.say(
        "cell_limits",
        &[
            ("ovp", &w.volts(s.cell_ovp)),
            ("ovpr", &w.volts(s.cell_ovpr)),
            ("power_off", &w.volts(s.power_off_voltage)),
            ("uvp", &w.volts(s.cell_uvp)),
            ("uvpr", &w.volts(s.cell_uvpr)),
        ],
    ))?;
    t.more(&w.say(
        "currents",
        &[
            ("charge", &w.amps(s.max_charge_current)),
            ("discharge", &w.amps(s.max_discharge_current)),
            ("otp", &w.celsius(s.charge_otp)),
            ("utp", &w.celsius(s.charge_utp)),
            ("utpr", &w.celsius(s.charge_utpr)),
        ],
    ))?;
    let mut switches = w.say(
        "switches",
        &[
            ("balance", &w.on_off(s.balance_switch)),
            ("charge", &w.on_off(s.charge_switch)),
            ("discharge", &w.on_off(s.discharge_switch)),
        ],
    );
    if let Some(c) = s.control {
        let key = if c.disable_temp_sensors {
            "sensors_disabled"
        } else {
            "sensors_enabled"
        };
        switches.push_str("  ");
        switches.push_str(&w.say(key, &[]));
    }
    t.more(&switches)
}

fn hms(seconds: u32) -> String {
    format!(
        "{}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bms::model::AppAction;
    use crate::bms::sim::{Fault, SimUnit};

    fn en() -> Words<'static> {
        Words::new(crate::wizard::words::builtin(), "en")
    }

    fn view_of(unit: &SimUnit) -> View {
        let mut view = View::default();
        view.update(Frame::DeviceInfo(unit.device_info()));
        view.update(Frame::Settings(unit.settings().clone()));
        view.update(Frame::CellInfo(unit.cell_info(7)));
        view
    }

    #[test]
    fn the_table_shows_every_cell_and_the_pack() {
        let unit = SimUnit::new(SimConfig::ready()).unwrap();
        let text = view_of(&unit).render(en());
        assert!(text.contains("JK_B2A24S20P"), "{text}");
        assert!(text.contains("cell count 16"), "{text}");
        assert!(text.contains("cell OVP 3.600 V"), "{text}");
        for n in 1..=16 {
            assert!(text.contains(&format!("#{n:<2} 3.")), "cell {n} in\n{text}");
        }
        assert!(!text.contains("#17"), "{text}");
        assert!(text.contains("Alarms    none"), "{text}");
        assert!(text.contains("T1 22."), "{text}");
        assert!(text.contains("T3 none"), "{text}");
    }

    #[test]
    fn missing_cells_and_alarms_are_named_with_the_manual_error() {
        let mut unit = SimUnit::new(SimConfig::fresh().plugged_in(true).activated(true)).unwrap();
        unit.inject(&Fault::OpenTap { cell: 5 }).unwrap();
        let text = view_of(&unit).render(en());
        assert!(text.contains("#5  missing"), "{text}");
        // Cell count 24 on a 16-cell pack: the slots up to 24 are shown as missing.
        assert!(text.contains("#24 missing"), "{text}");
        assert!(
            text.contains("Connected cells differ from the Cell Count setting — manual error 9"),
            "{text}"
        );
        unit.apply(&AppAction::Switch {
            switch: crate::bms::model::Switch::DisableTempSensor,
            on: true,
        })
        .unwrap();
        assert!(view_of(&unit)
            .render(en())
            .contains("temp sensors DISABLED"));
    }

    #[test]
    fn in_polish_the_table_names_alarms_and_writes_decimal_commas_under_its_own_labels() {
        let mut unit = SimUnit::new(SimConfig::fresh().plugged_in(true).activated(true)).unwrap();
        unit.inject(&Fault::OpenTap { cell: 5 }).unwrap();
        let text = view_of(&unit).render(Words::new(crate::wizard::words::builtin(), "pl"));
        assert!(
            text.contains("Podłączone ogniwa nie zgadzają się z ustawieniem Cell Count — błąd 9"),
            "{text}"
        );
        assert!(
            text.contains("#5  brak") && text.contains("#24 brak"),
            "{text}"
        );
        assert!(text.contains("T3 brak"), "{text}");
        assert!(
            !text.contains("missing") && !text.contains("none"),
            "{text}"
        );
        // "Temperatury" is the widest label: every body starts two columns after it.
        let body = "Temperatury  ".chars().count();
        for line in text.lines() {
            let label: String = line.chars().take(body).collect();
            let rest: String = line.chars().skip(body).collect();
            assert!(
                !rest.starts_with(' ') || label.trim().is_empty(),
                "{line:?} out of line in\n{text}"
            );
        }
        let pack = text.lines().find(|l| l.starts_with("Pakiet ")).unwrap();
        // Volts, amperes and ampere-hours, each with a decimal comma and never a point.
        assert!(
            pack.contains(" V  prąd ") && pack.contains(" Ah z "),
            "{pack}"
        );
        assert!(pack.contains(',') && !pack.contains('.'), "{pack}");
    }

    #[test]
    fn an_absent_mos_sensor_shows_none_not_minus_200() {
        let unit = SimUnit::new(SimConfig::ready()).unwrap();
        let mut view = view_of(&unit);
        assert!(
            view.render(en()).contains("Temps     MOS 2"),
            "{}",
            view.render(en())
        );
        if let Some(c) = view.cells.as_mut() {
            c.mos_temperature = None;
        }
        let text = view.render(en());
        assert!(text.contains("Temps     MOS none  T1 22."), "{text}");
        assert!(!text.contains("-200"), "{text}");
    }

    #[tokio::test(start_paused = true)]
    async fn json_mode_prints_one_object_per_frame() {
        let mut link = SimLink::new(SimControl::from_config(SimConfig::ready()).unwrap());
        let mut out = Vec::new();
        monitor(
            &mut link,
            Output::Json,
            Some(4),
            Duration::from_secs(5),
            en(),
            &mut out,
        )
        .await
        .unwrap();
        let lines: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let types: Vec<&str> = lines.iter().map(|v| v["type"].as_str().unwrap()).collect();
        // 11.x firmware keeps a logbook: it is read after the settings.
        assert_eq!(types, ["device_info", "settings", "logbook", "cell_info"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_unit_that_does_not_answer_is_an_error_sentence() {
        let mut link = SimLink::new(SimControl::from_config(SimConfig::fresh()).unwrap());
        let err = monitor(
            &mut link,
            Output::Json,
            Some(1),
            Duration::from_secs(5),
            en(),
            &mut Vec::new(),
        )
        .await
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the BMS does not answer: balance plug out or not activated"
        );
    }

    #[test]
    fn why_monitoring_stopped_is_said_in_the_language() {
        let pl = Words::new(crate::wizard::words::builtin(), "pl");
        for (e, english) in [
            (MonitorError::Timeout(8), "no frame from the BMS within 8 s"),
            (MonitorError::Closed, "the link to the BMS closed"),
            (
                MonitorError::Link(LinkError::NoAdapter),
                "no Bluetooth adapter found",
            ),
            (
                MonitorError::Link(LinkError::NotFound("C8:47:80:00:00:01".into(), 20)),
                "no BMS with address",
            ),
        ] {
            assert!(en().error(&e).contains(english), "{}", en().error(&e));
            let said = pl.error(&e);
            assert!(!said.contains(english) && !said.contains('{'), "{said}");
        }
        let not_found = MonitorError::Link(LinkError::NotFound("C8:47:80:00:00:01".into(), 20));
        let said = pl.error(&not_found);
        assert!(
            said.contains("C8:47:80:00:00:01") && said.contains("20"),
            "{said}"
        );
        assert!(pl.error(&MonitorError::Timeout(8)).contains("8 s"));
    }

    #[tokio::test(start_paused = true)]
    async fn silence_longer_than_the_timeout_stops_with_a_sentence() {
        let control = SimControl::from_config(SimConfig::ready()).unwrap();
        control.inject(&Fault::Silence { seconds: 600.0 }).unwrap();
        let mut link = SimLink::new(control);
        let err = monitor(
            &mut link,
            Output::Json,
            None,
            Duration::from_secs(8),
            en(),
            &mut Vec::new(),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, MonitorError::Timeout(8)), "{err}");
    }
}
