//! The `verify` subcommand: check a signed commissioning log.
//!
//! Exit status: 0 when the signature is good, 1 when it is not (the reason is printed), 2 when
//! an input cannot be read at all.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use color_eyre::eyre::WrapErr;

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
            println!("Good signature on {}", args.log.display());
            println!("  signature: {}", sig_path.display());
            match &signer.principal {
                Some(principal) => {
                    println!("  signed by: {principal}");
                    if let (Some(file), Some(comment)) = (&args.allowed_signers, &signer.comment) {
                        println!("  listed in: {} ({comment})", file.display());
                    } else if let Some(file) = &args.allowed_signers {
                        println!("  listed in: {}", file.display());
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
            Ok(ExitCode::SUCCESS)
        }
        Err(reason) => {
            eprintln!(
                "jk-commission: verification FAILED for {}: {reason}",
                args.log.display()
            );
            Ok(ExitCode::from(1))
        }
    }
}

/// `log.yaml` → `log.yaml.sig`.
pub fn sig_path_for(log: &Path) -> PathBuf {
    let mut s = log.as_os_str().to_owned();
    s.push(".sig");
    PathBuf::from(s)
}
