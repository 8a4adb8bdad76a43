//! The interactive wizard (no subcommand): pick the session folder, open or resume the
//! session, start the terminal UI, and say afterwards where everything is.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use color_eyre::eyre::{bail, eyre};

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
    let (spec, lang) = super::load_wizard(&args)?;
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        bail!("{}", say(&spec, &lang, "cli.start.needs_terminal", &[]));
    }
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
        None => default_session_dir()
            .ok_or_else(|| eyre!("{}", say(&spec, &lang, "cli.start.no_data_dir", &[])))?,
    };
    let mut banner = Vec::new();
    // A finished session stays as it is (read-only); the pack gets a new attempt beside it.
    let (mut session, torn) = if Session::is_finished(&dir) {
        banner.push(crate::log::signoff::finished_summary(&dir, &spec, &lang));
        let s = Session::open_attempt(&spec, &dir, spec.wizard_hash(), &lang, now_ms())
            .map_err(|e| super::cannot_open(&spec, &lang, &dir, &e))?;
        (s, None)
    } else {
        Session::open(&spec, &dir, spec.wizard_hash(), &lang, now_ms())
            .map_err(|e| super::cannot_open(&spec, &lang, &dir, &e))?
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
    // The screen's language may change with F2; what is said after it is in the one chosen
    // here.
    let exit = app::run(
        &mut session,
        AppConfig {
            lang: lang.clone(),
            source,
            theme,
            banner: Some(banner.join(" ")),
            key,
            scenario,
            name_by_serial: args.out.is_none(),
        },
    )
    .map_err(|e| {
        let error = e.to_string();
        eyre!(
            "{}",
            say(
                &spec,
                &lang,
                "cli.start.terminal_failed",
                &[("error", &error)]
            )
        )
    })?;
    // Named after the unit by now, perhaps.
    let dir = session.dir().to_path_buf();
    let shown = dir.display().to_string();
    match exit {
        Exit::Quit => {
            // The words may come from another wizard file (--wizard): cleaned like any text.
            println!(
                "{}",
                crate::clean::CleanLines(&say(&spec, &lang, "cli.start.saved", &[("dir", &shown)]))
            );
            Ok(ExitCode::SUCCESS)
        }
        Exit::SignedOff(Ok(outputs)) => {
            for line in super::signed_off_lines(&spec, &lang, &outputs, training.as_deref()) {
                println!("{}", crate::clean::CleanLines(&line));
            }
            Ok(ExitCode::SUCCESS)
        }
        Exit::SignedOff(Err(error)) => bail!(
            "{}",
            say(
                &spec,
                &lang,
                "cli.start.not_written",
                &[("dir", &shown), ("error", &error)]
            )
        ),
    }
}

/// The default session folder: the newest unfinished session (a journal and no log) under
/// the data directory, whatever it is called, or a new provisional one
/// (`<YYYY-MM-DD>-<n>-unknown-unit`, named after the unit once its serial is read). The flag
/// says whether one was found; `None` when the system has no data directory.
fn default_session_dir() -> Option<(PathBuf, bool)> {
    let root = dirs::data_dir()?.join("jk-commission").join("sessions");
    if let Some(dir) = folders::newest_unfinished(&root) {
        return Some((dir, true));
    }
    Some((folders::provisional(&root, now_ms()), false))
}
