//! One module per subcommand: each parses its own arguments (clap) and does its I/O, calling
//! the pure core for every decision. Errors are wrapped with color-eyre only here.

pub mod check_wizard;
pub mod decode;
pub mod drive;
pub mod keygen;
pub mod ladder;
pub mod monitor;
pub mod run;
pub mod scan;
pub mod train;
pub mod verify;
pub mod wizard;

use std::path::PathBuf;

/// Options shared by the interactive wizard, `run` and `train`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct WizardArgs {
    /// Use the built-in simulated BMS, optionally with a scenario file.
    #[arg(long, global = true, num_args = 0..=1, value_name = "SCENARIO")]
    pub sim: Option<Option<PathBuf>>,
    /// Use this wizard file instead of the built-in one.
    #[arg(long, global = true, value_name = "FILE")]
    pub wizard: Option<PathBuf>,
    /// Language of the wizard's texts (en, pl, …); defaults from LANG.
    #[arg(long, global = true, value_name = "LANG")]
    pub lang: Option<String>,
    /// The session folder (default: a new one under the platform's data directory).
    #[arg(long, global = true, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The operator's ed25519 SSH key for signing the log.
    #[arg(long, global = true, value_name = "FILE")]
    pub key: Option<PathBuf>,
}

/// Now, in ms since the epoch: the edges stamp inputs; the engine never reads a clock.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The wizard to walk (`--wizard FILE` or the built-in one) and the language to show.
pub fn load_wizard(
    args: &WizardArgs,
) -> color_eyre::Result<(crate::wizard::spec::WizardSpec, String)> {
    use crate::wizard::spec::{pick_language, WizardSpec};
    let spec = match &args.wizard {
        Some(path) => WizardSpec::load(path).map_err(|e| color_eyre::eyre::eyre!("{e}"))?,
        None => WizardSpec::builtin(),
    };
    let env_lang = std::env::var("LANG").ok();
    let lang = pick_language(args.lang.as_deref(), env_lang.as_deref(), &spec);
    Ok((spec, lang))
}

/// How much faster than real time the simulated pack charges and discharges in the wizard:
/// the protection test (charge until the BMS cuts off, then discharge until it cuts off again)
/// takes hours on a real bench and seconds here.
pub const SIM_BENCH_SPEED: f64 = 2000.0;

/// The simulated unit for a bare `--sim`: a fresh unit from the box. A scenario's unit comes
/// from [`scenario_control`], its later faults from [`crate::train::stage::Stage`].
pub fn sim_control() -> color_eyre::Result<crate::bms::sim::link::SimControl> {
    use crate::bms::sim::link::SimControl;
    use crate::bms::sim::unit::SimConfig;
    SimControl::from_config(SimConfig::fresh().with_bench_speed(SIM_BENCH_SPEED))
        .map_err(|e| color_eyre::eyre::eyre!("{e}"))
}

/// Read a scenario file for the wizard `spec`; every mistake is in the error, with its place.
pub fn load_scenario(
    path: &std::path::Path,
    spec: &crate::wizard::spec::WizardSpec,
) -> color_eyre::Result<crate::train::scenario::Scenario> {
    crate::train::scenario::Scenario::load(path, spec).map_err(|e| color_eyre::eyre::eyre!("{e}"))
}

/// The simulated unit of a loaded scenario, at the wizard's bench speed.
pub fn scenario_control(
    scenario: &crate::train::scenario::Scenario,
) -> color_eyre::Result<crate::bms::sim::link::SimControl> {
    let unit = scenario
        .build_unit(SIM_BENCH_SPEED)
        .map_err(|e| color_eyre::eyre::eyre!("{}: {e}", scenario.origin))?;
    Ok(crate::bms::sim::link::SimControl::new(unit))
}

/// Put a new simulated unit where the journal says the operator left the old one: do again,
/// in order, what was done to it in the app, and stage again what its steps staged (`stage`
/// takes those faults off its list). A resumed session meets a new unit, in every front end.
pub fn restore_sim(
    control: &crate::bms::sim::link::SimControl,
    mut stage: Option<&mut crate::train::stage::Stage>,
    journal: &[crate::wizard::engine::Event],
) {
    use crate::wizard::engine::Event;
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

/// What a link reported, as the engine's input; `Err` with the reason for a refused frame,
/// which is shown but not recorded.
pub fn bms_input(
    event: crate::bms::link::LinkEvent,
) -> Result<crate::wizard::engine::BmsInput, String> {
    use crate::bms::link::LinkEvent;
    use crate::wizard::engine::BmsInput;
    Ok(match event {
        LinkEvent::Up { peer } => BmsInput::Up { peer },
        LinkEvent::Down { reason } => BmsInput::Down { reason },
        LinkEvent::DeviceInfo(d) => BmsInput::Device(d),
        LinkEvent::Settings(s) => BmsInput::Settings(s),
        LinkEvent::CellInfo(c) => BmsInput::Cells(c),
        LinkEvent::Logbook(l) => BmsInput::Logbook(l),
        LinkEvent::Rejected { reason } => return Err(reason),
    })
}

/// How long to wait before trying again to reach a unit that did not answer.
const CONNECT_RETRY: std::time::Duration = std::time::Duration::from_secs(1);

/// Own a link on its own task: forward its events, and ask it to refresh when told (while
/// it is not connected yet, a request means "try to connect now"). Every front end runs its
/// link through this.
pub async fn pump<L: crate::bms::link::BmsLink>(
    mut link: L,
    events: tokio::sync::mpsc::UnboundedSender<crate::bms::link::LinkEvent>,
    mut refresh: tokio::sync::mpsc::UnboundedReceiver<()>,
) {
    use crate::bms::link::{LinkError, LinkEvent};
    // A unit that does not answer yet (plug out, not activated, out of range) is tried again
    // until it does; a machine without Bluetooth is told once.
    let mut last_reason = None;
    loop {
        match link.connect().await {
            Ok(()) => break,
            Err(e) => {
                let fatal = matches!(
                    e,
                    LinkError::NoDbus(_) | LinkError::NoAdapter | LinkError::Permission(_)
                );
                let reason = e.to_string();
                if last_reason.as_ref() != Some(&reason)
                    && events
                        .send(LinkEvent::Down {
                            reason: reason.clone(),
                        })
                        .is_err()
                {
                    return;
                }
                if fatal {
                    return;
                }
                last_reason = Some(reason);
                // A poke (the operator just plugged in or activated the unit) tries at once.
                tokio::select! {
                    _ = tokio::time::sleep(CONNECT_RETRY) => {}
                    asked = refresh.recv() => if asked.is_none() { return },
                }
            }
        }
    }
    loop {
        tokio::select! {
            event = link.next_event() => match event {
                Some(event) => {
                    if events.send(event).is_err() {
                        return;
                    }
                }
                None => return,
            },
            asked = refresh.recv() => {
                if asked.is_none() {
                    return;
                }
                if let Err(e) = link.refresh().await {
                    let _ = events.send(LinkEvent::Down { reason: e.to_string() });
                }
            }
        }
    }
}
