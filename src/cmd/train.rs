//! The `train` subcommand: a trainer stages a fault scenario on the simulated BMS for a
//! trainee, or checks scenarios headless.
//!
//! `train --check FILE…` plays each scenario's careful trainee through the same engine, session
//! and simulator as `run`, and exits 0 only when every staged fault was caught where the
//! scenario says (or the clean pack signed off), 1 otherwise with what happened, 2 when a
//! scenario file is wrong. A check runs on a virtual clock unless `--real-time` is given.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use color_eyre::eyre::{bail, eyre, WrapErr};

use super::WizardArgs;
use crate::bench::drive::Runner;
use crate::bench::{self, Bench, Clock, Unit};
use crate::clean::{clean, Clean, CleanLines};
use crate::log::session::Session;
use crate::log::sign::{load_signing_key, SigningKey};
use crate::log::signoff::{write_outputs, Outputs};
use crate::train::judge::{
    ending, judge, rewired_log, training_log, verdict, CatchReport, Ending, Outcome,
};
use crate::train::scenario::{Expect, Scenario};
use crate::train::shipped;
use crate::train::trainee::Trainee;
use crate::ui::app::ScenarioConfig;
use crate::wizard::spec::WizardSpec;
use crate::wizard::words::say_verbatim as say;

/// Arguments of `train`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Check scenario files headless: each staged fault must be caught where the scenario
    /// says (or the clean pack must pass). Exit 0 all good, 1 one was not, 2 a bad file.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub check: Vec<PathBuf>,
    /// Choose from the scenarios in this folder instead of the ones built into the program.
    #[arg(long, value_name = "DIR")]
    pub scenarios: Option<PathBuf>,
    /// The trainer's ed25519 SSH key: the training log is signed with it too
    /// (log.yaml.trainer.sig), beside the trainee's signature.
    #[arg(long, value_name = "FILE")]
    pub trainer_key: Option<PathBuf>,
    /// Seconds a headless check waits at a live step for the BMS to show what its gates need.
    #[arg(long, default_value_t = 30, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub live_timeout: u64,
    /// Run a check at the simulator's own pace instead of on a virtual clock. Everything in a
    /// check is simulated, so the verdict is the same; only the waiting differs.
    #[arg(long)]
    pub real_time: bool,
}

/// Run `train`.
pub fn run(args: Args, wizard: WizardArgs) -> color_eyre::Result<ExitCode> {
    let (spec, lang) = super::load_wizard(&wizard)?;
    let trainer_key = match &args.trainer_key {
        Some(path) => {
            Some(load_signing_key(path).map_err(|e| super::refusal(&spec, &lang, &e.say()))?)
        }
        None => None,
    };
    if wizard.replay.is_some() {
        if !args.check.is_empty() {
            bail!("{}", say(&spec, &lang, "cli.train.check_or_replay", &[]));
        }
        // A real unit's recorded fault, shown to a class: the wizard on the replayed capture,
        // its log marked replayed.
        return super::wizard::run(wizard, None);
    }
    if !args.check.is_empty() {
        return check_files(&args, &wizard, &spec, &lang, trainer_key.as_ref());
    }
    interactive(&args, wizard, &spec, &lang, trainer_key)
}

/// What a headless check needs besides the scenario.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions<'a> {
    /// The language of messages.
    pub lang: &'a str,
    /// How long to wait at a live step.
    pub live_timeout: Duration,
    /// The trainee's signing key (a check usually has none).
    pub key: Option<&'a SigningKey>,
    /// The trainer's signing key.
    pub trainer_key: Option<&'a SigningKey>,
}

/// What a headless check of one scenario showed.
#[derive(Debug)]
pub struct CheckResult {
    /// Each staged fault and what became of it.
    pub reports: Vec<CatchReport>,
    /// How the run ended.
    pub ending: Ending,
    /// Ok when the scenario's expectation held; otherwise what happened instead.
    pub verdict: Result<(), Vec<crate::wizard::words::Say>>,
    /// The files written at sign-off, if the run got there.
    pub outputs: Option<Outputs>,
}

/// Play `scenario`'s careful trainee through a whole session in `dir` (a new folder) and
/// judge it. Call inside a tokio runtime; a paused clock runs it in virtual time.
pub async fn check_scenario(
    spec: &WizardSpec,
    scenario: &Scenario,
    dir: &Path,
    opts: CheckOptions<'_>,
) -> color_eyre::Result<CheckResult> {
    let words = |key: &str, values: &[(&str, &str)]| say(spec, opts.lang, key, values);
    let shown = dir.display().to_string();
    let Some(expect) = &scenario.expect else {
        bail!(
            "{}",
            words(
                "cli.train.nothing_to_check",
                &[("origin", &scenario.origin)]
            )
        );
    };
    if dir.join(crate::log::session::JOURNAL).exists() {
        bail!("{}", words("cli.train.holds_session", &[("dir", &shown)]));
    }
    let clock = Clock::start();
    let trainee = crate::wizard::engine::EntrySource::SimulatedTrainee {
        scenario: scenario.id.clone(),
    };
    let (mut session, _) = Session::open_as(
        spec,
        dir,
        spec.wizard_hash(),
        opts.lang,
        clock.now(),
        trainee,
    )
    .map_err(|e| super::cannot_open(spec, opts.lang, dir, &e))?;
    let mut bench = Bench::new(&mut session, clock, Some(scenario));
    bench.connect(Unit::Sim(bench::scenario_control(scenario)?));
    let mut trainee = Trainee::new(spec, scenario);
    Runner {
        bench,
        operator: &mut trainee,
        lang: opts.lang,
        live_timeout: opts.live_timeout,
        verbose: false,
    }
    .drive()
    .await
    .map_err(|e| eyre!("{}", e.render(spec, opts.lang)))?;
    let reports = judge(scenario.catches(), session.events());
    let end = ending(session.events());
    let outputs = if end == Ending::SignedOff {
        let training = crate::log::record::TrainingLog {
            rewired: rewired_log(scenario, session.events()),
            ..training_log(scenario, &reports, spec, opts.lang)
        };
        Some(
            write_outputs(&session, opts.key, opts.trainer_key, Some(training))
                .map_err(|e| super::refusal(spec, opts.lang, &e.say()))?,
        )
    } else {
        None
    };
    Ok(CheckResult {
        verdict: verdict(expect, &reports, &end),
        reports,
        ending: end,
        outputs,
    })
}

fn check_files(
    args: &Args,
    wizard: &WizardArgs,
    spec: &WizardSpec,
    lang: &str,
    trainer_key: Option<&SigningKey>,
) -> color_eyre::Result<ExitCode> {
    // Everything in a check is simulated, so it may run on a paused clock that jumps to the
    // next thing due: a whole commissioning then takes well under a second.
    let runtime = bench::runtime(!args.real_time)?;
    let (mut bad, mut failed) = (false, false);
    let temp = tempdir(spec, lang)?;
    for (i, path) in args.check.iter().enumerate() {
        let scenario = match Scenario::load(path, spec) {
            Ok(s) => s,
            // The loader's mistakes, at file:line:column, stay in English: they are for the
            // scenario's author, as check-wizard's are for the wizard's.
            Err(e) => {
                eprintln!("{}", CleanLines(e));
                bad = true;
                continue;
            }
        };
        let dir = match &wizard.out {
            Some(out) if args.check.len() == 1 => out.clone(),
            Some(out) => out.join(&scenario.id),
            None => temp.join(format!("{i}-{}", scenario.id)),
        };
        let shown = path.display().to_string();
        println!(
            "{}",
            Clean(say(
                spec,
                lang,
                "cli.train.scenario",
                &[
                    ("id", &scenario.id),
                    ("path", &shown),
                    ("description", &scenario.description)
                ]
            ))
        );
        let opts = CheckOptions {
            lang,
            live_timeout: Duration::from_secs(args.live_timeout),
            key: None,
            trainer_key,
        };
        let result = runtime.block_on(check_scenario(spec, &scenario, &dir, opts));
        let result = match result {
            Ok(r) => r,
            Err(e) => {
                let error = format!("{e:#}");
                eprintln!(
                    "{}",
                    CleanLines(say(
                        spec,
                        lang,
                        "cli.train.cannot_check",
                        &[("error", &error)]
                    ))
                );
                bad = true;
                continue;
            }
        };
        print_result(spec, lang, &scenario, &result);
        if result.verdict.is_err() {
            failed = true;
        }
        if wizard.out.is_some() {
            let dir = dir.display().to_string();
            println!("{}", say(spec, lang, "cli.train.session", &[("dir", &dir)]));
        }
    }
    let _ = std::fs::remove_dir_all(&temp);
    Ok(if bad {
        ExitCode::from(2)
    } else if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_result(spec: &WizardSpec, lang: &str, scenario: &Scenario, result: &CheckResult) {
    // The scenario's own texts (fault names, step ids) and the judge's reasons are shown
    // cleaned inside these words.
    let line = |key: &str, values: &[(&str, &str)]| {
        println!("{}", Clean(say(spec, lang, key, values)));
    };
    for r in &result.reports {
        match &r.outcome {
            Outcome::Caught { reason, .. } => line(
                "cli.train.caught",
                &[
                    ("fault", &r.catch.fault_text()),
                    ("step", &r.catch.step),
                    ("gate", &r.catch.gate),
                    ("reason", &reason.render(spec, lang)),
                ],
            ),
            Outcome::Missed(why) => line(
                "cli.train.missed",
                &[
                    ("fault", &r.catch.fault_text()),
                    ("why", &why.render(spec, lang)),
                ],
            ),
        }
    }
    match &result.ending {
        Ending::SignedOff => line("cli.train.signed_off", &[]),
        Ending::Refused { step, .. } => line("cli.train.refused_at", &[("step", step)]),
        Ending::Open => line("cli.train.open", &[]),
    }
    match &result.verdict {
        Ok(()) if scenario.expect == Some(Expect::Pass) => line("cli.train.pass_pack", &[]),
        Ok(()) => line("cli.train.pass_caught", &[]),
        Err(problems) => {
            for p in problems {
                println!("  {}", Clean(p.render(spec, lang)));
            }
            line("cli.train.fail", &[]);
        }
    }
}

fn tempdir(spec: &WizardSpec, lang: &str) -> color_eyre::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "jk-commission-train-{}-{}",
        std::process::id(),
        bench::now_ms()
    ));
    std::fs::create_dir_all(&dir).wrap_err_with(|| {
        say(
            spec,
            lang,
            "cli.train.cannot_create",
            &[("dir", &dir.display().to_string())],
        )
    })?;
    Ok(dir)
}

/// The trainer picks a scenario; the trainee then works through the wizard on it, blind: the
/// screen shows only the scenario's blind id, its faults are staged as the session goes, and
/// the log gets the training section and the trainer's signature at sign-off.
fn interactive(
    args: &Args,
    wizard: WizardArgs,
    spec: &WizardSpec,
    lang: &str,
    trainer_key: Option<SigningKey>,
) -> color_eyre::Result<ExitCode> {
    let scenario = match &wizard.sim {
        Some(Some(path)) => super::load_scenario(path, spec)?,
        _ => pick(args, spec, lang)?,
    };
    if !scenario.training {
        bail!(
            "{}",
            say(
                spec,
                lang,
                "cli.train.not_training",
                &[("origin", &scenario.origin)]
            )
        );
    }
    // Clear the trainer's list before the trainee takes the keyboard.
    print!("\x1b[2J\x1b[H");
    let _ = std::io::stdout().flush();
    super::wizard::run(
        wizard,
        Some(ScenarioConfig {
            scenario,
            trainer_key,
        }),
    )
}

/// List the scenarios with their descriptions and read the trainer's choice. The built-in ones
/// are read from the program itself; nothing is written.
fn pick(args: &Args, spec: &WizardSpec, lang: &str) -> color_eyre::Result<Scenario> {
    let words = |key: &str, values: &[(&str, &str)]| say(spec, lang, key, values);
    let choices: Vec<Scenario> = match &args.scenarios {
        Some(dir) => {
            let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
                .wrap_err_with(|| {
                    words(
                        "cli.train.cannot_list",
                        &[("dir", &dir.display().to_string())],
                    )
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
                .collect();
            files.sort();
            let mut out = Vec::new();
            for f in files {
                match Scenario::load(&f, spec) {
                    Ok(s) if s.training => out.push(s),
                    Ok(_) => {}
                    // The frame in the trainer's words; the loader's mistake as it says it
                    // (English, file:line:column, for the scenario's author).
                    Err(e) => eprintln!(
                        "{}",
                        CleanLines(words("cli.train.skipped", &[("error", &e.to_string())]))
                    ),
                }
            }
            out
        }
        // A built-in scenario that does not load is the program's own mistake: the loader's
        // words (file:line:column) stay in English, as they are for the scenarios' authors.
        None => shipped::SCENARIOS
            .iter()
            .map(|(name, _)| shipped::scenario(name, spec).map_err(|e| eyre!("{e}")))
            .collect::<color_eyre::Result<_>>()?,
    };
    if choices.is_empty() {
        bail!("{}", words("cli.train.none_to_choose", &[]));
    }
    println!("{}", words("cli.train.list", &[]));
    for (i, s) in choices.iter().enumerate() {
        println!(
            "{:>3}. {:<34} {}",
            i + 1,
            clean(&s.id),
            Clean(&s.description)
        );
    }
    print!(
        "{} ",
        words("cli.train.which", &[("n", &choices.len().to_string())])
    );
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let n: usize = line.trim().parse().map_err(|_| {
        eyre!(
            "{}",
            words("cli.train.not_a_number", &[("text", line.trim())])
        )
    })?;
    choices.into_iter().nth(n.wrapping_sub(1)).ok_or_else(|| {
        eyre!(
            "{}",
            words("cli.train.not_listed", &[("n", &n.to_string())])
        )
    })
}
