//! The interactive wizard (no subcommand): pick the session folder, open or resume the
//! session, start the terminal UI, and say afterwards where everything is.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use color_eyre::eyre::{bail, eyre, WrapErr};

use super::WizardArgs;
use crate::bench::{self, now_ms};
use crate::log::folders;
use crate::log::session::Session;
use crate::log::sign::choose_key;
use crate::ui::app::{self, AppConfig, Exit, ScenarioConfig, Source};
use crate::ui::view::Theme;
use crate::wizard::spec::tr;
use crate::wizard::words::say_verbatim as say;

/// Start the interactive wizard. `scenario`: a scenario already chosen (by `train`), with the
/// trainer's key; otherwise `--sim FILE` names one, or there is none.
pub fn run(args: WizardArgs, scenario: Option<ScenarioConfig>) -> color_eyre::Result<ExitCode> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        bail!(
            "the interactive wizard needs a terminal; for a scripted commissioning use \
             `jk-commission run --answers FILE --out DIR`"
        );
    }
    let (spec, lang) = super::load_wizard(&args)?;
    let (key, signing) =
        choose_key(args.key.as_deref()).map_err(|e| super::refusal(&spec, &lang, &e.say()))?;
    let scenario = match (scenario, &args.sim) {
        (Some(s), _) => Some(s),
        (None, Some(Some(path))) => Some(ScenarioConfig {
            scenario: super::load_scenario(path, &spec)?,
            trainer_key: None,
        }),
        (None, _) => None,
    };
    let source = match (&scenario, &args.sim) {
        (Some(s), _) => Source::Sim(bench::scenario_control(&s.scenario)?),
        (None, Some(_)) => Source::Sim(bench::sim_control()?),
        (None, None) => match &args.replay {
            Some(path) => Source::Replay(Box::new(super::load_replay(path)?)),
            None => Source::Scan,
        },
    };
    let training = scenario
        .as_ref()
        .filter(|s| s.scenario.training)
        .map(|s| s.scenario.blind_id());
    let (dir, found) = match &args.out {
        Some(dir) => (dir.clone(), false),
        None => default_session_dir()?,
    };
    let mut banner = Vec::new();
    // A finished session stays as it is (read-only); the pack gets a new attempt beside it.
    let (mut session, torn) = if Session::is_finished(&dir) {
        banner.push(crate::log::signoff::finished_summary(&dir, &spec, &lang));
        let s = Session::open_attempt(&spec, &dir, spec.wizard_hash(), &lang, now_ms())?;
        (s, None)
    } else {
        Session::open(&spec, &dir, spec.wizard_hash(), &lang, now_ms())
            .wrap_err_with(|| format!("cannot open the session in {}", dir.display()))?
    };
    if let Some(id) = &training {
        banner.push(say(&spec, &lang, "cli.start.training", &[("id", id)]));
    }
    // Honest modes: a session that ran on the simulator goes on on the simulator unless the
    // operator chose otherwise on the command line; it is never resumed silently without one.
    let on_sim = session.state.sources.last().map(String::as_str) == Some("simulator")
        || (session.state.sources.is_empty()
            && session.state.peers.last().map(String::as_str) == Some("simulator"));
    let source = match source {
        Source::Scan if session.resumed() && on_sim => {
            banner.push(say(&spec, &lang, "cli.start.stays_on_sim", &[]));
            Source::Sim(bench::sim_control()?)
        }
        other => other,
    };
    if session.resumed() || found {
        let step = session.engine.current_step(&session.state);
        let dir = dir.display().to_string();
        let step = tr(&step.title, &lang);
        banner.push(say(
            &spec,
            &lang,
            "cli.start.resumed",
            &[("dir", &dir), ("step", step)],
        ));
    } else {
        let dir = dir.display().to_string();
        banner.push(say(&spec, &lang, "cli.start.new", &[("dir", &dir)]));
    }
    if let Some(torn) = torn {
        banner.push(torn.say().render(&spec, &lang));
    }
    banner.push(signing.render(&spec, &lang));
    let theme = Theme {
        color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let exit = app::run(
        &mut session,
        AppConfig {
            lang,
            source,
            theme,
            banner: Some(banner.join(" ")),
            key,
            scenario,
            name_by_serial: args.out.is_none(),
        },
    )
    .map_err(|e| eyre!("the terminal failed: {e}"))?;
    // Named after the unit by now, perhaps.
    let dir = session.dir().to_path_buf();
    match exit {
        Exit::Quit => {
            println!(
                "Session saved in {}; start jk-commission again (with the same options) to go on.",
                dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Exit::SignedOff(Ok(outputs)) => {
            println!("Signed off. Log: {}", outputs.log.display());
            match &outputs.signature {
                Some(sig) => println!("Signature: {}", sig.display()),
                None => println!(
                    "Signature: none — the log is NOT signed (make a key with `jk-commission keygen`, pass it with --key)"
                ),
            }
            if let Some(sig) = &outputs.trainer_signature {
                println!("Trainer's signature: {}", sig.display());
            }
            println!("Report: {}", outputs.report.display());
            if let Some(t) = &outputs.record.training {
                let caught = t.faults.iter().filter(|f| f.result == "caught").count();
                println!(
                    "Training {}: {caught} of {} staged faults caught ({}).",
                    training.as_deref().unwrap_or(""),
                    t.faults.len(),
                    t.description
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Exit::SignedOff(Err(e)) => {
            bail!(
                "signed off, but the log could not be written in {}: {e}",
                dir.display()
            )
        }
    }
}

/// The default session folder: the newest unfinished session (a journal and no log) under
/// the data directory, whatever it is called, or a new provisional one
/// (`<YYYY-MM-DD>-<n>-unknown-unit`, named after the unit once its serial is read). The flag
/// says whether one was found.
fn default_session_dir() -> color_eyre::Result<(PathBuf, bool)> {
    let Some(data) = dirs::data_dir() else {
        bail!("this system has no data directory for the sessions; pass --out DIR");
    };
    let root = data.join("jk-commission").join("sessions");
    if let Some(dir) = folders::newest_unfinished(&root) {
        return Ok((dir, true));
    }
    Ok((folders::provisional(&root, now_ms()), false))
}
