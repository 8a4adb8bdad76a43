//! The `run` subcommand: a whole commissioning, headless, from an answers file.
//!
//! The answers take the operator's place; everything else is the interactive wizard's path:
//! the same engine, the same session journal, the same link. A refused gate stops the run
//! with the step, the gate and the reason.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use color_eyre::eyre::{bail, WrapErr};

use super::drive::{Bench, Clock, Outcome, Runner, Scripted};
use super::WizardArgs;
use crate::log::session::Session;
use crate::log::sign::load_signing_key;
use crate::log::signoff::write_outputs;
use crate::train::judge::training_section;
use crate::train::stage::Stage;
use crate::wizard::answers::Answers;
use crate::wizard::spec::tr;

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
    let scenario = match &wizard.sim {
        Some(Some(path)) => Some(super::load_scenario(path, &spec)?),
        _ => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let clock = Clock::start();
        let (mut session, torn) =
            Session::open(&spec, &out, spec.wizard_hash(), &lang, clock.now())
                .wrap_err_with(|| format!("cannot open the session in {}", out.display()))?;
        if let Some(torn) = torn {
            eprintln!("note: {}", crate::clean::CleanLines(torn));
        }
        if session.resumed() {
            let step = session.engine.current_step(&session.state);
            eprintln!(
                "resuming the session in {} at step {} ({})",
                out.display(),
                crate::clean::clean(&step.id),
                crate::clean::clean(tr(&step.title, &lang))
            );
        }
        let sim = match (&wizard.sim, &scenario) {
            (None, _) => None,
            (Some(_), Some(s)) => Some(super::scenario_control(s)?),
            (Some(_), None) => Some(super::sim_control()?),
        };
        let stage = scenario.as_ref().map(Stage::new);
        let bench = Bench::start(sim, stage, args.address.as_deref(), session.events());
        let mut operator = Scripted(&answers);
        let outcome = Runner {
            session: &mut session,
            operator: &mut operator,
            bench,
            lang: &lang,
            live_timeout: Duration::from_secs(args.live_timeout),
            clock,
            verbose: true,
        }
        .drive()
        .await?;
        match outcome {
            Outcome::SignedOff => {
                // A session on a training scenario is marked so: it is no commissioning.
                let training = scenario
                    .as_ref()
                    .and_then(|s| training_section(s, session.events()));
                let outputs = write_outputs(&session, key.as_ref(), None, training)?;
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
                eprintln!("{}", crate::clean::clean_lines(&message));
                Ok(ExitCode::from(1))
            }
        }
    })
}
