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

/// Run `verify`. `wizard` gives `--wizard FILE` for a log made with another wizard file.
pub fn run(args: Args, wizard: &WizardArgs) -> color_eyre::Result<ExitCode> {
    let sig_path = args
        .signature
        .clone()
        .unwrap_or_else(|| sig_path_for(&args.log));
    let message =
        std::fs::read(&args.log).wrap_err_with(|| format!("cannot read {}", args.log.display()))?;
    let armored = match std::fs::read_to_string(&sig_path) {
        Ok(a) => a,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "jk-commission: {} is NOT signed: there is no signature {} beside it. A log \
                 signs itself at sign-off when an operator key exists (`jk-commission keygen`)",
                Clean(args.log.display()),
                Clean(sig_path.display())
            );
            return Ok(Outcome::NotSigned.into());
        }
        Err(e) => {
            return Err(eyre!(e))
                .wrap_err(format!("cannot read the signature {}", sig_path.display()))
        }
    };
    let anchor = match &args.allowed_signers {
        Some(p) => Some(p.clone()),
        None => allowed_signers::default_path().filter(|p| p.exists()),
    };
    let allowed = match &anchor {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .wrap_err_with(|| format!("cannot read the allowed signers {}", p.display()))?,
        ),
        None => None,
    };

    let (spec, _) = super::load_wizard(wizard)?;
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
                "jk-commission: verification FAILED for {}: {}",
                Clean(args.log.display()),
                Clean(reason)
            );
            return Ok(Outcome::Failed.into());
        }
        Err(Refusal::NotALog(e)) => {
            eprintln!(
                "jk-commission: verification FAILED: the signature is good but {} is not a \
                 jk-commission log: {}",
                Clean(args.log.display()),
                Clean(e)
            );
            return Ok(Outcome::Failed.into());
        }
        Err(Refusal::Untrustworthy(problems)) => {
            eprintln!(
                "jk-commission: verification FAILED: the signature is good but {} cannot be trusted:",
                Clean(args.log.display())
            );
            for p in &problems {
                eprintln!("  - {}", Clean(p));
            }
            return Ok(Outcome::Failed.into());
        }
    };

    println!("Good signature on {}", Clean(args.log.display()));
    println!(
        "  commissioning: pack {} ({} {}S), signed off {} by {} ({}), verdict {:?}",
        Clean(&log.pack.id),
        Clean(&log.pack.chemistry),
        log.pack.series_cells,
        Clean(&log.signed_off_at),
        Clean(&log.signed_off_by.name),
        Clean(&log.signed_off_by.role),
        log.verdict
    );
    if log.simulated {
        println!("  SIMULATED BMS: the readings come from the built-in simulator, not a real unit");
    }
    if log.replayed {
        println!(
            "  REPLAYED:  the BMS was a recorded capture played back (--replay), not a live \
             unit: the readings are a recording's"
        );
    }
    match &capture {
        CaptureCheck::NotNamed => {}
        CaptureCheck::Matches(c) => {
            println!(
                "  capture:   {} (sha256 {}, matches)",
                Clean(&c.file),
                c.sha256
            )
        }
        CaptureCheck::Missing(c) => println!(
            "  capture:   {} NOT CHECKED: the file is not beside the log (sha256 {})",
            Clean(&c.file),
            c.sha256
        ),
        CaptureCheck::NotChecked(c) => println!(
            "  capture:   {} NOT CHECKED (--log-only; sha256 {})",
            Clean(&c.file),
            c.sha256
        ),
    }
    println!(
        "  entries:   {}",
        Clean(crate::log::record::describe_entries(&log.entries_made_by))
    );
    println!("  signature: {}", Clean(sig_path.display()));
    match (&signer.principal, &anchor) {
        (Some(principal), Some(file)) => {
            println!("  signed by: {}", Clean(principal));
            match &signer.comment {
                Some(comment) => println!(
                    "  listed in: {} ({})",
                    Clean(file.display()),
                    Clean(comment)
                ),
                None => println!("  listed in: {}", Clean(file.display())),
            }
        }
        _ => println!("  signed by: unlisted key (not authenticated)"),
    }
    println!("  key:       {}", signer.fingerprint);
    if args.log_only {
        println!(
            "  NOT CHECKED: the journal. --log-only was given, so the log was not replayed \
             from its journal: its verdicts, overrides, simulated flag, link sources and \
             readings are only what the log itself says"
        );
    } else {
        println!("  journal:   replayed; the log is exactly what it yields");
    }
    if training(&log, trainer) == Outcome::Failed {
        return Ok(Outcome::Failed.into());
    }
    if signer.is_authenticated() {
        Ok(Outcome::Verified.into())
    } else {
        println!(
            "RESULT: intact, signer NOT authenticated: the log matches the key inside the \
             signature, but no allowed-signers file says whose key that is (anyone can make \
             such a signature). Pass --allowed-signers FILE, or add the operator's key to {}",
            allowed_signers::default_path()
                .map(|p| Clean(p.display()).to_string())
                .unwrap_or_else(|| "the workshop's allowed signers".into())
        );
        Ok(Outcome::Unauthenticated.into())
    }
}

/// A training log says so, with what became of its staged faults; the trainer's signature
/// beside it (`log.yaml.trainer.sig`) was checked like the trainee's.
fn training(log: &CommissioningLog, trainer: Option<TrainerSignature>) -> Outcome {
    let Some(t) = &log.training else {
        return Outcome::Verified;
    };
    let caught = t.faults.iter().filter(|f| f.result == "caught").count();
    println!(
        "  TRAINING:  scenario {} — {} (a training session, not a commissioning)",
        Clean(&t.scenario),
        Clean(&t.description)
    );
    println!("  staged:    {caught} of {} faults caught", t.faults.len());
    match trainer {
        None => Outcome::Verified,
        Some(TrainerSignature::Absent(path)) => {
            println!("  trainer:   not signed ({} absent)", Clean(path.display()));
            Outcome::Verified
        }
        Some(TrainerSignature::Good(signer)) => {
            let who = signer
                .principal
                .unwrap_or_else(|| "unlisted key (not authenticated)".to_string());
            println!(
                "  trainer:   good signature by {}, key {}",
                Clean(who),
                signer.fingerprint
            );
            Outcome::Verified
        }
        Some(TrainerSignature::Failed(path, reason)) => {
            eprintln!(
                "jk-commission: the trainer's signature {} FAILED: {}",
                Clean(path.display()),
                Clean(reason)
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
