//! The `run` subcommand: a whole commissioning, headless, from an answers file.
//!
//! The answers take the operator's place; everything else is the interactive wizard's path:
//! the same engine, the same session journal, the same link. A refused gate stops the run
//! with the step, the gate and the reason.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use color_eyre::eyre::{bail, eyre};

use super::{cannot_open, WizardArgs};
use crate::bench::drive::{Outcome, Runner, Scripted};
use crate::bench::{self, Bench, Clock, Unit};
use crate::log::session::Session;
use crate::log::sign::choose_key;
use crate::log::signoff::write_outputs;
use crate::train::judge::training_section;
use crate::wizard::answers::Answers;
use crate::wizard::engine::EntrySource;
use crate::wizard::spec::tr;
use crate::wizard::words::say_verbatim as say;

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
    #[arg(long, default_value_t = 30, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub live_timeout: u64,
    /// With --sim or --replay: run at the simulator's (the capture's) own pace instead of on a virtual clock. Everything
    /// is simulated, so the outcome is the same; only the waiting differs.
    #[arg(long)]
    pub real_time: bool,
}

/// Run `run`.
pub fn run(args: Args, wizard: WizardArgs) -> color_eyre::Result<ExitCode> {
    let (spec, lang) = super::load_wizard(&wizard)?;
    // Unreadable, oversized or non-UTF-8 files are refused with the file's name and position.
    let text = crate::yaml::read_file(&args.answers)?;
    let answers = Answers::parse(&text, &args.answers.display().to_string(), &spec)?;
    // Load the key before any work, so a wrong --key is known before the commissioning.
    let (key, signing) =
        choose_key(wizard.key.as_deref()).map_err(|e| super::refusal(&spec, &lang, &e.say()))?;
    eprintln!("{}", crate::clean::clean(&signing.render(&spec, &lang)));
    let entries = EntrySource::AnswersFile {
        file: args
            .answers
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        sha256: crate::wizard::spec::sha256_hex(text.as_bytes()),
    };
    let Some(out) = wizard.out.clone() else {
        bail!("{}", say(&spec, &lang, "cli.run.needs_out", &[]));
    };
    if wizard.replay.is_some() && args.address.is_some() {
        bail!("{}", say(&spec, &lang, "cli.run.one_unit", &[]));
    }
    let mut replay = match &wizard.replay {
        Some(path) => Some(super::load_replay(path)?),
        None => None,
    };
    let scenario = match &wizard.sim {
        Some(Some(path)) => Some(super::load_scenario(path, &spec)?),
        _ => None,
    };
    // On the simulator nothing needs the wall clock: a virtual one that jumps to the next
    // thing due runs the same commissioning in a fraction of the time. A real unit keeps
    // its own pace.
    // A replay is a recording: it plays at its own pace on the virtual clock just as well.
    let recorded = wizard.sim.is_some() || replay.is_some();
    let runtime = bench::runtime(recorded && !args.real_time)?;
    runtime.block_on(async {
        let clock = Clock::start();
        let (mut session, torn) =
            Session::open_as(&spec, &out, spec.wizard_hash(), &lang, clock.now(), entries)
                .map_err(|e| cannot_open(&spec, &lang, &out, &e))?;
        if let Some(torn) = torn {
            let note = say(
                &spec,
                &lang,
                "cli.note",
                &[("note", &torn.say().render(&spec, &lang))],
            );
            eprintln!("{}", crate::clean::clean_lines(&note));
        }
        let clock = clock.not_before(session.last_at().unwrap_or(0));
        if session.resumed() {
            let step = session.engine.current_step(&session.state);
            let dir = out.display().to_string();
            eprintln!(
                "{}",
                crate::clean::clean(&say(
                    &spec,
                    &lang,
                    "cli.run.resuming",
                    &[
                        ("dir", &dir),
                        ("id", &step.id),
                        ("title", tr(&step.title, &lang))
                    ],
                ))
            );
        }
        let unit = match (&wizard.sim, &scenario, &args.address) {
            _ if replay.is_some() => Unit::Replay(Box::new(replay.take().expect("checked"))),
            (Some(_), Some(s), _) => Unit::Sim(bench::scenario_control(s)?),
            (Some(_), None, _) => Unit::Sim(bench::sim_control()?),
            (None, _, Some(address)) => Unit::Ble(address.clone()),
            (None, _, None) => Unit::None,
        };
        let mut bench = Bench::new(&mut session, clock, scenario.as_ref());
        bench.connect(unit);
        let mut operator = Scripted(&answers);
        let outcome = Runner {
            bench,
            operator: &mut operator,
            lang: &lang,
            live_timeout: Duration::from_secs(args.live_timeout),
            verbose: true,
        }
        .drive()
        .await
        .map_err(|e| eyre!("{}", e.render(&spec, &lang)))?;
        match outcome {
            Outcome::SignedOff => {
                // A session on a training scenario is marked so: it is no commissioning.
                let training = scenario.as_ref().and_then(|s| {
                    training_section(
                        s,
                        session.events(),
                        &spec,
                        crate::log::record::session_language(&session.state),
                    )
                });
                let outputs = write_outputs(&session, key.as_ref(), None, training)
                    .map_err(|e| super::refusal(&spec, &lang, &e.say()))?;
                let blind = scenario
                    .as_ref()
                    .filter(|s| s.training)
                    .map(|s| s.blind_id());
                for line in super::signed_off_lines(&spec, &lang, &outputs, blind.as_deref()) {
                    println!("{}", crate::clean::CleanLines(&line));
                }
                Ok(ExitCode::SUCCESS)
            }
            Outcome::Refused(message) => {
                eprintln!("{}", crate::clean::clean_lines(&message));
                Ok(ExitCode::from(1))
            }
        }
    })
}
