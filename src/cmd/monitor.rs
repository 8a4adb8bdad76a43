//! The `monitor` subcommand: the live decoded data of a unit (or of the simulator), as a plain
//! table redrawn per frame or as one JSON object per frame (the contract of `decode`).
//!
//! `--sim` is the program-wide flag of [`crate::cmd::WizardArgs`] (clap does not allow a second
//! `--sim` on the subcommand); here it starts the built-in unit plugged in, activated and
//! configured. Both links go through the same generic [`monitor`].

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

/// Which unit `monitor` watches.
enum Watched {
    Sim,
    Ble(String),
    Replay(Box<ReplayLink>),
}

/// Run `monitor`; `sim` and `replay` are the program-wide `--sim` and `--replay` flags.
pub fn run(args: Args, sim: Option<Option<PathBuf>>, replay: Option<PathBuf>) -> Result<ExitCode> {
    if let Some(path) = &replay {
        if sim.is_some() || args.address.is_some() {
            bail!("choose one unit: --replay, --sim or --address");
        }
        let link = super::load_replay(path)?;
        return watch(&args, Watched::Replay(Box::new(link)));
    }
    let use_sim = match (&sim, &args.address) {
        (Some(Some(scenario)), _) => bail!(
            "monitor runs the built-in simulated BMS only; '{}' is a scenario for the wizard and train",
            scenario.display()
        ),
        (Some(None), Some(_)) => bail!("choose one unit: --sim or --address, not both"),
        (Some(None), None) => true,
        (None, Some(_)) => false,
        (None, None) => bail!(
            "say which unit to monitor: --address ADDR (find it with `jk-commission scan`), \
             or --sim for the built-in simulated BMS"
        ),
    };
    let unit = if use_sim {
        Watched::Sim
    } else {
        Watched::Ble(args.address.clone().unwrap_or_default())
    };
    watch(&args, unit)
}

/// Watch `unit` as `args` say, recorded if asked.
fn watch(args: &Args, unit: Watched) -> Result<ExitCode> {
    if args.timeout == 0 {
        bail!("--timeout must be at least 1 second");
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
        .map_err(|e| eyre!("cannot start the async runtime: {e}"))?;
    let timeout = Duration::from_secs(args.timeout);
    let replayed = matches!(unit, Watched::Replay(_));
    let result = runtime.block_on(async {
        let work = async {
            let mut stdout = io::stdout().lock();
            let result = match unit {
                Watched::Sim => {
                    let control = SimControl::from_config(SimConfig::ready())
                        .map_err(|e| eyre!("the simulated unit: {e}"))?;
                    let link = SimLink::new(control);
                    recorded(link, "simulator", args, output, timeout, &mut stdout).await?
                }
                Watched::Ble(address) => {
                    let link = BleLink::new(address.clone(), timeout);
                    recorded(link, &address, args, output, timeout, &mut stdout).await?
                }
                Watched::Replay(link) => {
                    let source = ReplayLink::peer(link.name());
                    recorded(*link, &source, args, output, timeout, &mut stdout).await?
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
        Err(e) => Err(eyre!("{e}")),
    }
}

/// [`monitor`] on `link`, recorded into `--record FILE` when given.
async fn recorded<L: BmsLink>(
    link: L,
    source: &str,
    args: &Args,
    output: Output,
    timeout: Duration,
    out: &mut impl Write,
) -> Result<Result<(), MonitorError>> {
    let Some(path) = &args.record else {
        let mut link = link;
        return Ok(monitor(&mut link, output, args.frames, timeout, out).await);
    };
    let tap = Tap::create(path, source)
        .map_err(|e| eyre!("cannot write the capture {}: {e}", path.display()))?;
    let mut link = Recorder::new(link, tap.clone());
    let result = monitor(&mut link, output, args.frames, timeout, out).await;
    if let Err(e) = tap.seal() {
        eprintln!("{e}");
    }
    eprintln!("capture written to {}", crate::clean::Clean(path.display()));
    Ok(result)
}

/// Connect and show frames until `frames` were shown (or forever), on any [`BmsLink`]. Link
/// news (up, down, refused frames) goes to stderr so stdout stays one kind of output.
pub async fn monitor<L: BmsLink>(
    link: &mut L,
    output: Output,
    frames: Option<u64>,
    timeout: Duration,
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
                let peer = crate::clean::clean(&peer).into_owned();
                eprintln!("link up: {peer}");
                view.status = format!("up ({peer})");
                continue;
            }
            LinkEvent::Down { reason } => {
                let reason = crate::clean::clean(&reason.to_string()).into_owned();
                eprintln!("link down: {reason}");
                view.status = format!("down: {reason}");
                continue;
            }
            LinkEvent::Rejected { reason } => {
                eprintln!("frame refused: {}", crate::clean::Clean(reason));
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
                writeln!(out, "{}", view.render())?;
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
    /// The link's state in a few words.
    pub status: String,
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

    /// The table as text.
    pub fn render(&self) -> String {
        let mut t = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_table(&mut t);
        t
    }

    fn write_table(&self, t: &mut String) -> std::fmt::Result {
        match &self.device {
            Some(d) => writeln!(
                t,
                "Device    {}  hw {}  sw {}  serial {}  up {}  power-ons {}",
                d.model,
                d.hardware_version,
                d.software_version,
                d.serial_number,
                hms(d.uptime_s),
                d.power_on_count
            )?,
            None => writeln!(t, "Device    (waiting for device info)")?,
        }
        if !self.status.is_empty() {
            writeln!(t, "Link      {}", self.status)?;
        }
        match &self.settings {
            Some(s) => write_settings(t, s)?,
            None => writeln!(t, "Settings  (waiting for settings)")?,
        }
        match &self.cells {
            Some(c) => self.write_cells(t, c)?,
            None => writeln!(t, "Cells     (waiting for live data)")?,
        }
        if let Some(n) = self.logbook_entries {
            writeln!(t, "Logbook   {n} entries")?;
        }
        Ok(())
    }

    fn write_cells(&self, t: &mut String, c: &CellInfo) -> std::fmt::Result {
        let highest = c.connected().map(|(i, _)| i + 1).max().unwrap_or(0);
        let expected = self.settings.as_ref().map_or(0, |s| s.cell_count as usize);
        let shown = highest.max(expected).min(c.cell_voltages.len());
        writeln!(
            t,
            "Cells     {} connected of {} slots ({}), frame {}",
            c.connected_count(),
            c.cell_voltages.len(),
            c.layout,
            c.counter
        )?;
        for row in (0..shown).collect::<Vec<_>>().chunks(4) {
            t.push_str("         ");
            for &i in row {
                let connected = i < 32 && c.enabled_mask & (1 << i) != 0;
                if connected {
                    write!(t, "  #{:<2} {:.3} V", i + 1, c.cell_voltages[i].0)?;
                } else {
                    write!(t, "  #{:<2} missing", i + 1)?;
                }
            }
            t.push('\n');
        }
        if c.connected_count() > 0 {
            let at = |i: u8| {
                c.cell_voltages
                    .get(usize::from(i))
                    .copied()
                    .unwrap_or_default()
            };
            writeln!(
                t,
                "          min {} (#{})  max {} (#{})  delta {}  average {}",
                at(c.min_cell),
                u32::from(c.min_cell) + 1,
                at(c.max_cell),
                u32::from(c.max_cell) + 1,
                c.delta_voltage,
                c.average_voltage
            )?;
        }
        writeln!(
            t,
            "Pack      {}  current {}  SOC {} %  remaining {} of {}  cycles {}",
            c.pack_voltage, c.current, c.soc, c.remaining_capacity, c.full_capacity, c.cycle_count
        )?;
        match c.mos_temperature {
            Some(temp) => write!(t, "Temps     MOS {temp}")?,
            None => write!(t, "Temps     MOS none")?,
        }
        for (i, p) in c.probes.iter().enumerate() {
            match p {
                Some(temp) => write!(t, "  T{} {}", i + 1, temp)?,
                None => write!(t, "  T{} none", i + 1)?,
            }
        }
        t.push('\n');
        writeln!(
            t,
            "MOSFETs   charge {}  discharge {}  balancer {}",
            on_off(c.charging),
            on_off(c.discharging),
            match c.balancing_action {
                BalancingAction::Off => "idle".to_string(),
                BalancingAction::Charging => format!("charging a cell at {}", c.balancing_current),
                BalancingAction::Discharging => {
                    format!("discharging a cell at {}", c.balancing_current)
                }
            }
        )?;
        let alarms = c.alarms();
        if alarms.is_empty() && crate::bms::model::unknown_alarm_bits(c.alarm_bits) == 0 {
            writeln!(t, "Alarms    none")?;
        } else {
            writeln!(t, "Alarms")?;
            for a in alarms {
                match a.manual_error() {
                    Some(m) => writeln!(t, "          {} — manual {m}", a.text())?,
                    None => writeln!(t, "          {}", a.text())?,
                }
            }
            let unknown = crate::bms::model::unknown_alarm_bits(c.alarm_bits);
            if unknown != 0 {
                writeln!(t, "          unknown alarm bits {unknown:#010x}")?;
            }
        }
        Ok(())
    }
}

fn write_settings(t: &mut String, s: &Settings) -> std::fmt::Result {
    writeln!(
        t,
        "Settings  cell count {}  capacity {}  balance trigger {}  balance start {}",
        s.cell_count, s.capacity, s.balance_trigger, s.balance_start_voltage
    )?;
    writeln!(
        t,
        "          cell OVP {} (recovery {})  UVP {} (recovery {})  power-off {}",
        s.cell_ovp, s.cell_ovpr, s.cell_uvp, s.cell_uvpr, s.power_off_voltage
    )?;
    writeln!(
        t,
        "          max charge {}  max discharge {}  charge OTP {}  UTP {}  UTPR {}",
        s.max_charge_current, s.max_discharge_current, s.charge_otp, s.charge_utp, s.charge_utpr
    )?;
    write!(
        t,
        "          switches: charge {}  discharge {}  balance {}",
        on_off(s.charge_switch),
        on_off(s.discharge_switch),
        on_off(s.balance_switch)
    )?;
    if let Some(c) = s.control {
        write!(
            t,
            "  temp sensors {}",
            if c.disable_temp_sensors {
                "DISABLED"
            } else {
                "enabled"
            }
        )?;
    }
    t.push('\n');
    Ok(())
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "OFF"
    }
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
        let text = view_of(&unit).render();
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
        let text = view_of(&unit).render();
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
        assert!(view_of(&unit).render().contains("temp sensors DISABLED"));
    }

    #[test]
    fn an_absent_mos_sensor_shows_none_not_minus_200() {
        let unit = SimUnit::new(SimConfig::ready()).unwrap();
        let mut view = view_of(&unit);
        assert!(
            view.render().contains("Temps     MOS 2"),
            "{}",
            view.render()
        );
        if let Some(c) = view.cells.as_mut() {
            c.mos_temperature = None;
        }
        let text = view.render();
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
            &mut Vec::new(),
        )
        .await
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the BMS does not answer: balance plug out or not activated"
        );
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
            &mut Vec::new(),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, MonitorError::Timeout(8)), "{err}");
    }
}
