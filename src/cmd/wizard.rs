//! The interactive wizard (no subcommand): pick the session folder, open or resume the
//! session, start the terminal UI, and say afterwards where everything is.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use color_eyre::eyre::{bail, eyre, WrapErr};

use super::{now_ms, WizardArgs};
use crate::log::session::{Session, JOURNAL, LOG};
use crate::log::sign::load_signing_key;
use crate::ui::app::{self, AppConfig, Exit, ScenarioConfig, Source};
use crate::ui::view::Theme;
use crate::wizard::spec::tr;

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
    let key = match &args.key {
        Some(path) => Some(load_signing_key(path)?),
        None => None,
    };
    let scenario = match (scenario, &args.sim) {
        (Some(s), _) => Some(s),
        (None, Some(Some(path))) => Some(ScenarioConfig {
            scenario: super::load_scenario(path, &spec)?,
            trainer_key: None,
        }),
        (None, _) => None,
    };
    let source = match (&scenario, &args.sim) {
        (Some(s), _) => Source::Sim(super::scenario_control(&s.scenario)?),
        (None, Some(_)) => Source::Sim(super::sim_control(None)?),
        (None, None) => Source::Scan,
    };
    let training = scenario
        .as_ref()
        .filter(|s| s.scenario.training)
        .map(|s| s.scenario.blind_id());
    let (dir, found) = match &args.out {
        Some(dir) => (dir.clone(), false),
        None => default_session_dir()?,
    };
    let (mut session, torn) = Session::open(&spec, &dir, spec.wizard_hash(), &lang, now_ms())
        .wrap_err_with(|| format!("cannot open the session in {}", dir.display()))?;
    let mut banner = Vec::new();
    if let Some(id) = &training {
        banner.push(format!(
            "Training session {id} on a simulated unit: work as on a real pack."
        ));
    }
    if session.resumed() || found {
        let step = session.engine.current_step(&session.state);
        banner.push(format!(
            "Resumed the unfinished session in {} at “{}”.",
            dir.display(),
            tr(&step.title, &lang)
        ));
    } else {
        banner.push(format!("New session in {}.", dir.display()));
    }
    if let Some(torn) = torn {
        banner.push(torn.to_string());
    }
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
        },
    )
    .map_err(|e| eyre!("the terminal failed: {e}"))?;
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
/// the data directory, or a new `<YYYY-MM-DD>-<n>`. The flag says whether one was found.
fn default_session_dir() -> color_eyre::Result<(PathBuf, bool)> {
    let Some(data) = dirs::data_dir() else {
        bail!("this system has no data directory for the sessions; pass --out DIR");
    };
    let root = data.join("jk-commission").join("sessions");
    if let Some(dir) = newest_unfinished(&root) {
        return Ok((dir, true));
    }
    let today = date(now_ms());
    for n in 1.. {
        let dir = root.join(format!("{today}-{n}"));
        if !dir.exists() {
            return Ok((dir, false));
        }
    }
    unreachable!("some n is free")
}

/// The unfinished session under `root` whose journal changed last.
pub fn newest_unfinished(root: &Path) -> Option<PathBuf> {
    std::fs::read_dir(root)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|d| d.join(JOURNAL).is_file() && !d.join(LOG).exists())
        .filter_map(|d| {
            let changed = std::fs::metadata(d.join(JOURNAL)).ok()?.modified().ok()?;
            Some((changed, d))
        })
        .max()
        .map(|(_, d)| d)
}

/// The UTC calendar date of a time stamp, `YYYY-MM-DD`.
pub fn date(ms: i64) -> String {
    // Howard Hinnant's days-to-civil algorithm.
    let z = ms.div_euclid(86_400_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(951_782_400_000), "2000-02-29");
        assert_eq!(date(1_767_225_599_000), "2025-12-31");
    }

    #[test]
    fn the_newest_unfinished_session_is_resumed_and_finished_ones_are_not() {
        let root = tempfile::tempdir().unwrap();
        let done = root.path().join("2026-01-01-1");
        let open = root.path().join("2026-01-02-1");
        for d in [&done, &open] {
            std::fs::create_dir_all(d).unwrap();
            std::fs::write(d.join(JOURNAL), "{}\n").unwrap();
        }
        std::fs::write(done.join(LOG), "x").unwrap();
        assert_eq!(newest_unfinished(root.path()), Some(open));
        assert_eq!(newest_unfinished(&root.path().join("none")), None);
    }
}
