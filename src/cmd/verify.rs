//! The `verify` subcommand: check a signed commissioning log.
//!
//! Exit status: 0 when the signature is good, 1 when it is not (the reason is printed), 2 when
//! an input cannot be read at all.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use color_eyre::eyre::WrapErr;

use crate::clean::Clean;
use crate::log::record::{inconsistencies, CommissioningLog};
use crate::log::sign;

/// Arguments of `verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The signed log (log.yaml).
    #[arg(value_name = "LOG")]
    pub log: PathBuf,
    /// The signature file [default: LOG.sig].
    #[arg(long, value_name = "SIG")]
    pub signature: Option<PathBuf>,
    /// An OpenSSH allowed_signers file naming trusted keys; without it the signer is not
    /// authenticated, only the signature's integrity is checked.
    #[arg(long, value_name = "FILE")]
    pub allowed_signers: Option<PathBuf>,
}

/// Run `verify`.
pub fn run(args: Args) -> color_eyre::Result<ExitCode> {
    let sig_path = args
        .signature
        .clone()
        .unwrap_or_else(|| sig_path_for(&args.log));
    let message =
        std::fs::read(&args.log).wrap_err_with(|| format!("cannot read {}", args.log.display()))?;
    let armored = std::fs::read_to_string(&sig_path)
        .wrap_err_with(|| format!("cannot read the signature {}", sig_path.display()))?;
    let allowed = match &args.allowed_signers {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .wrap_err_with(|| format!("cannot read the allowed signers {}", p.display()))?,
        ),
        None => None,
    };

    match sign::verify(&message, &armored, allowed.as_deref()) {
        Ok(signer) => {
            // A good signature over a log that contradicts itself is still not evidence.
            let problems = consistency(&args.log, &message);
            if !problems.is_empty() {
                eprintln!(
                    "jk-commission: the signature is good but {} is not consistent:",
                    Clean(args.log.display())
                );
                for p in &problems {
                    eprintln!("  - {}", Clean(p));
                }
                return Ok(ExitCode::from(1));
            }
            println!("Good signature on {}", Clean(args.log.display()));
            if let Ok(log) = serde_yaml::from_slice::<CommissioningLog>(&message) {
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
                    println!(
                        "  SIMULATED BMS: the readings come from the built-in simulator, not a \
                         real unit"
                    );
                }
            }
            println!("  signature: {}", Clean(sig_path.display()));
            match &signer.principal {
                Some(principal) => {
                    println!("  signed by: {}", Clean(principal));
                    if let (Some(file), Some(comment)) = (&args.allowed_signers, &signer.comment) {
                        println!(
                            "  listed in: {} ({})",
                            Clean(file.display()),
                            Clean(comment)
                        );
                    } else if let Some(file) = &args.allowed_signers {
                        println!("  listed in: {}", Clean(file.display()));
                    }
                }
                None => {
                    println!("  signed by: unlisted key (not authenticated)");
                    println!(
                        "  note: the log matches the key inside the signature, but nothing says \
                         whose key that is; pass --allowed-signers FILE to check the signer"
                    );
                }
            }
            println!("  key:       {}", signer.fingerprint);
            Ok(training(&args, &message, allowed.as_deref()))
        }
        Err(reason) => {
            eprintln!(
                "jk-commission: verification FAILED for {}: {}",
                Clean(args.log.display()),
                Clean(reason)
            );
            Ok(ExitCode::from(1))
        }
    }
}

/// A training log says so, with what became of its staged faults; the trainer's signature
/// beside it (`log.yaml.trainer.sig`) is checked like the trainee's. Exit 1 when it is bad.
fn training(args: &Args, message: &[u8], allowed: Option<&str>) -> ExitCode {
    let Ok(log) = serde_yaml::from_slice::<CommissioningLog>(message) else {
        return ExitCode::SUCCESS;
    };
    let Some(t) = &log.training else {
        return ExitCode::SUCCESS;
    };
    let caught = t.faults.iter().filter(|f| f.result == "caught").count();
    println!(
        "  TRAINING:  scenario {} — {} (a training session, not a commissioning)",
        Clean(&t.scenario),
        Clean(&t.description)
    );
    println!("  staged:    {caught} of {} faults caught", t.faults.len());
    let mut trainer = args.log.as_os_str().to_owned();
    trainer.push(".trainer.sig");
    let trainer = PathBuf::from(trainer);
    let Ok(armored) = std::fs::read_to_string(&trainer) else {
        println!(
            "  trainer:   not signed ({} absent)",
            Clean(trainer.display())
        );
        return ExitCode::SUCCESS;
    };
    match sign::verify(message, &armored, allowed) {
        Ok(signer) => {
            let who = signer
                .principal
                .unwrap_or_else(|| "unlisted key (not authenticated)".to_string());
            println!(
                "  trainer:   good signature by {}, key {}",
                Clean(who),
                signer.fingerprint
            );
            ExitCode::SUCCESS
        }
        Err(reason) => {
            eprintln!(
                "jk-commission: the trainer's signature {} FAILED: {}",
                Clean(trainer.display()),
                Clean(reason)
            );
            ExitCode::from(1)
        }
    }
}

/// `log.yaml` → `log.yaml.sig`.
pub fn sig_path_for(log: &Path) -> PathBuf {
    let mut s = log.as_os_str().to_owned();
    s.push(".sig");
    PathBuf::from(s)
}

/// What is wrong inside the log itself, and against the journal beside it when there is one.
fn consistency(log_path: &Path, bytes: &[u8]) -> Vec<String> {
    let log: CommissioningLog = match serde_yaml::from_slice(bytes) {
        Ok(log) => log,
        Err(e) => return vec![format!("it is not a jk-commission log: {e}")],
    };
    let mut problems = inconsistencies(&log);
    let journal = log_path.with_file_name(crate::log::session::JOURNAL);
    if let Ok(journal_bytes) = std::fs::read(&journal) {
        let hash = crate::wizard::spec::sha256_hex(&journal_bytes);
        if hash != log.journal_sha256 {
            problems.push(format!(
                "the journal beside it ({}) does not match the hash the log records",
                Clean(journal.display())
            ));
        }
    }
    problems
}
