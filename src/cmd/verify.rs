//! The `verify` subcommand: check a signed commissioning log against a trust anchor and
//! against the journal it was folded from.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use color_eyre::eyre::{eyre, WrapErr};

use super::WizardArgs;
use crate::clean::Clean;
use crate::log::allowed_signers;
use crate::log::audit::{self, CaptureCheck, Refusal, TrainerSignature, Verified};
use crate::log::record::CommissioningLog;
use crate::wizard::engine::EntrySource;
use crate::wizard::spec::WizardSpec;
use crate::wizard::words::{say_verbatim, Say};

/// The exit statuses, for `--help` and the README.
pub const EXIT_CODES: &str = "Exit status:
  0  verified: the signature is good and made by a key in the allowed signers, the log agrees
     with itself and is exactly what its journal yields
  1  FAILED: a changed log, signature or journal, a missing journal, a signer not in the
     allowed signers, a log that contradicts itself (the reason is printed)
  2  an input could not be read at all (no such log, unreadable allowed-signers file)
  3  intact, signer NOT authenticated: everything checks, but no allowed-signers file was
     given or found, so nothing says whose key signed
  4  not signed: there is no signature beside the log

Trust anchor: --allowed-signers FILE, else the workshop's default file
(<config dir>/jk-commission/allowed_signers; `keygen --trust` adds a key to it).";

/// Arguments of `verify`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_CODES)]
pub struct Args {
    /// The signed log (log.yaml).
    #[arg(value_name = "LOG")]
    pub log: PathBuf,
    /// The signature file [default: LOG.sig].
    #[arg(long, value_name = "SIG")]
    pub signature: Option<PathBuf>,
    /// An OpenSSH allowed_signers file naming trusted keys [default: the workshop's file in the
    /// platform's config directory, when it exists]. Without one the signer is not
    /// authenticated (exit 3).
    #[arg(long, value_name = "FILE")]
    pub allowed_signers: Option<PathBuf>,
    /// Check the log and its signature only, not the journal beside it (for a log sent
    /// without its folder); the output says what was not checked.
    #[arg(long)]
    pub log_only: bool,
}

/// What `verify` concluded, in order of precedence (a failure outranks a missing anchor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Verified = 0,
    Failed = 1,
    Unauthenticated = 3,
    NotSigned = 4,
}

impl From<Outcome> for ExitCode {
    fn from(o: Outcome) -> Self {
        ExitCode::from(o as u8)
    }
}

/// Run `verify`; its words in the language `wizard` picks (`--lang`, else the environment's),
/// the codes, hashes and key fingerprints as they are. `wizard` also gives `--wizard FILE`
/// for a log made with another wizard file.
pub fn run(args: Args, wizard: &WizardArgs) -> color_eyre::Result<ExitCode> {
    let (spec, lang) = super::load_wizard(wizard)?;
    // Every value is filled in as one cleaned line (a path, a name, a reason from the file).
    let say = |key: &str, values: &[(&str, &str)]| say_verbatim(&spec, &lang, key, values);
    let shown = |p: &Path| p.display().to_string();
    let sig_path = args
        .signature
        .clone()
        .unwrap_or_else(|| sig_path_for(&args.log));
    let log_path = shown(&args.log);
    let message = std::fs::read(&args.log)
        .wrap_err_with(|| say("cli.verify.cannot_read", &[("path", &log_path)]))?;
    let armored = match std::fs::read_to_string(&sig_path) {
        Ok(a) => a,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "{}",
                say(
                    "cli.verify.not_signed",
                    &[("log", &log_path), ("sig", &shown(&sig_path))]
                )
            );
            return Ok(Outcome::NotSigned.into());
        }
        Err(e) => {
            return Err(eyre!(e)).wrap_err(say(
                "cli.verify.cannot_read_signature",
                &[("path", &shown(&sig_path))],
            ))
        }
    };
    let anchor = match &args.allowed_signers {
        Some(p) => Some(p.clone()),
        None => allowed_signers::default_path().filter(|p| p.exists()),
    };
    let allowed = match &anchor {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .wrap_err_with(|| say("cli.verify.cannot_read_signers", &[("path", &shown(p))]))?,
        ),
        None => None,
    };

    let checked = audit::verify_signed(
        &args.log,
        &message,
        &armored,
        allowed.as_deref(),
        &spec,
        args.log_only,
    );
    let Verified {
        log,
        signer,
        capture,
        trainer,
        ..
    } = match checked {
        Ok(v) => v,
        Err(Refusal::Signature(reason)) => {
            eprintln!(
                "{}",
                say(
                    "cli.verify.failed",
                    &[("log", &log_path), ("reason", &reason.to_string())]
                )
            );
            return Ok(Outcome::Failed.into());
        }
        Err(Refusal::NotALog(e)) => {
            eprintln!(
                "{}",
                say(
                    "cli.verify.not_a_log",
                    &[("error", &e.to_string()), ("log", &log_path)]
                )
            );
            return Ok(Outcome::Failed.into());
        }
        Err(Refusal::Untrustworthy(problems)) => {
            eprintln!("{}", say("cli.verify.untrustworthy", &[("log", &log_path)]));
            for p in &problems {
                eprintln!("  - {}", Clean(p));
            }
            return Ok(Outcome::Failed.into());
        }
    };

    println!("{}", say("cli.verify.good", &[("log", &log_path)]));
    println!(
        "{}",
        say(
            "cli.verify.commissioning",
            &[
                ("by", &log.signed_off_by.name),
                ("cells", &log.pack.series_cells.to_string()),
                ("chemistry", &log.pack.chemistry),
                ("pack", &log.pack.id),
                ("role", &log.signed_off_by.role),
                ("signed_at", &log.signed_off_at),
                ("verdict", &format!("{:?}", log.verdict)),
            ]
        )
    );
    if log.simulated {
        println!("{}", say("cli.verify.simulated", &[]));
    }
    if log.replayed {
        println!("{}", say("cli.verify.replayed", &[]));
    }
    let capture_line = |key: &str, c: &crate::log::record::CaptureRef| {
        println!("{}", say(key, &[("file", &c.file), ("sha256", &c.sha256)]));
    };
    match &capture {
        CaptureCheck::NotNamed => {}
        CaptureCheck::Matches(c) => capture_line("cli.verify.capture_matches", c),
        CaptureCheck::Missing(c) => capture_line("cli.verify.capture_missing", c),
        CaptureCheck::NotChecked(c) => capture_line("cli.verify.capture_not_checked", c),
    }
    println!(
        "{}",
        say(
            "cli.verify.entries",
            &[("entries", &entries(&spec, &lang, &log.entries_made_by))]
        )
    );
    println!(
        "{}",
        say("cli.verify.signature", &[("path", &shown(&sig_path))])
    );
    match (&signer.principal, &anchor) {
        (Some(principal), Some(file)) => {
            println!(
                "{}",
                say("cli.verify.signed_by", &[("principal", principal)])
            );
            match &signer.comment {
                Some(comment) => println!(
                    "{}",
                    say(
                        "cli.verify.listed_in_comment",
                        &[("comment", comment), ("file", &shown(file))]
                    )
                ),
                None => println!("{}", say("cli.verify.listed_in", &[("file", &shown(file))])),
            }
        }
        _ => println!(
            "{}",
            say(
                "cli.verify.signed_by",
                &[("principal", &say("cli.verify.unlisted", &[]))]
            )
        ),
    }
    println!(
        "{}",
        say("cli.verify.key", &[("fingerprint", &signer.fingerprint)])
    );
    if args.log_only {
        println!("{}", say("cli.verify.journal_not_checked", &[]));
    } else {
        println!("{}", say("cli.verify.journal_replayed", &[]));
    }
    if training(&spec, &lang, &log, trainer) == Outcome::Failed {
        return Ok(Outcome::Failed.into());
    }
    if signer.is_authenticated() {
        Ok(Outcome::Verified.into())
    } else {
        let file = allowed_signers::default_path()
            .map(|p| shown(&p))
            .unwrap_or_else(|| say("cli.verify.workshop_signers", &[]));
        println!("{}", say("cli.verify.unauthenticated", &[("file", &file)]));
        Ok(Outcome::Unauthenticated.into())
    }
}

/// Who made the entries, in words: `a person at the keys, then the answers file …`.
fn entries(spec: &WizardSpec, lang: &str, made_by: &[EntrySource]) -> String {
    let say = |key: &str, values: &[(&str, &str)]| say_verbatim(spec, lang, key, values);
    let one = |e: &EntrySource| match e {
        EntrySource::Operator => say("cli.verify.entry.operator", &[]),
        EntrySource::AnswersFile { file, sha256 } => say(
            "cli.verify.entry.answers",
            &[("file", file), ("sha256", sha256)],
        ),
        EntrySource::SimulatedTrainee { scenario } => {
            say("cli.verify.entry.trainee", &[("scenario", scenario)])
        }
    };
    let mut all = made_by.iter().map(one);
    match all.next() {
        None => say("cli.verify.entry.none", &[]),
        Some(first) => all.fold(first, |so_far, next| {
            say(
                "cli.verify.entry.then",
                &[("first", &so_far), ("next", &next)],
            )
        }),
    }
}

/// A training log says so, with what became of each staged fault (its sentence rendered in
/// the chosen language from the code and values the log keeps); the trainer's signature
/// beside it (`log.yaml.trainer.sig`) was checked like the trainee's.
fn training(
    spec: &WizardSpec,
    lang: &str,
    log: &CommissioningLog,
    trainer: Option<TrainerSignature>,
) -> Outcome {
    let say = |key: &str, values: &[(&str, &str)]| say_verbatim(spec, lang, key, values);
    let Some(t) = &log.training else {
        return Outcome::Verified;
    };
    let caught = t.faults.iter().filter(|f| f.result == "caught").count();
    println!(
        "{}",
        say(
            "cli.verify.training",
            &[("description", &t.description), ("scenario", &t.scenario)]
        )
    );
    println!(
        "{}",
        say(
            "cli.verify.staged",
            &[
                ("caught", &caught.to_string()),
                ("total", &t.faults.len().to_string())
            ]
        )
    );
    for f in &t.faults {
        // A log from before training details had codes holds only its words.
        let detail = match &f.key {
            Some(key) => Say {
                key: key.clone(),
                args: f.args.clone(),
            }
            .render(spec, lang),
            None => f.detail.clone(),
        };
        let key = if f.result == "caught" {
            "cli.verify.fault_caught"
        } else {
            "cli.verify.fault_missed"
        };
        println!(
            "{}",
            say(
                key,
                &[
                    ("code", f.code.as_deref().unwrap_or("-")),
                    ("detail", &detail),
                    ("fault", &f.fault)
                ]
            )
        );
    }
    match trainer {
        None => Outcome::Verified,
        Some(TrainerSignature::Absent(path)) => {
            println!(
                "{}",
                say(
                    "cli.verify.trainer_absent",
                    &[("path", &path.display().to_string())]
                )
            );
            Outcome::Verified
        }
        Some(TrainerSignature::Good(signer)) => {
            let who = signer
                .principal
                .unwrap_or_else(|| say("cli.verify.unlisted", &[]));
            println!(
                "{}",
                say(
                    "cli.verify.trainer_good",
                    &[("fingerprint", &signer.fingerprint), ("who", &who)]
                )
            );
            Outcome::Verified
        }
        Some(TrainerSignature::Failed(path, reason)) => {
            eprintln!(
                "{}",
                say(
                    "cli.verify.trainer_failed",
                    &[
                        ("path", &path.display().to_string()),
                        ("reason", &reason.to_string())
                    ]
                )
            );
            Outcome::Failed
        }
    }
}

/// `log.yaml` → `log.yaml.sig`.
pub fn sig_path_for(log: &Path) -> PathBuf {
    let mut s = log.as_os_str().to_owned();
    s.push(".sig");
    PathBuf::from(s)
}
