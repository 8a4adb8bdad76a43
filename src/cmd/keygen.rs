//! The `keygen` subcommand: make the operator's ed25519 signing key and say how others can
//! trust it.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use color_eyre::eyre::{eyre, WrapErr};

use crate::log::{allowed_signers, sign};

/// Arguments of `keygen`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the private key; the public key goes beside it with `.pub` added
    /// [default: <data dir>/jk-commission/operator_ed25519].
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
    /// Comment stored in the key, usually who you are [default: user@host].
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,
    /// Add the new key to the workshop's allowed signers (the file `verify` trusts by
    /// default, in the platform's config directory) without asking.
    #[arg(long, conflicts_with = "no_trust")]
    pub trust: bool,
    /// Do not add the key to the workshop's allowed signers, and do not ask.
    #[arg(long)]
    pub no_trust: bool,
}

/// Run `keygen`.
pub fn run(args: Args) -> color_eyre::Result<ExitCode> {
    let path = match args.file {
        Some(p) => p,
        None => sign::default_key_path().ok_or_else(|| {
            eyre!("this system has no data folder for the key; choose a place with --file PATH")
        })?,
    };
    let comment = args.comment.unwrap_or_else(default_comment);
    let info = sign::generate_key(&path, &comment).wrap_err("no key was created")?;

    let (principal, placeholder) = match principal_from(&comment) {
        Some(p) => (p, false),
        None => ("operator".to_string(), true),
    };
    println!("Created an ed25519 operator key for signing commissioning logs.");
    println!(
        "  private key: {}  (keep it secret)",
        info.private_path.display()
    );
    println!("  public key:  {}", info.public_path.display());
    println!("  fingerprint: {}", info.fingerprint);
    println!();
    println!("Whoever checks your logs adds this line to their allowed_signers file:");
    println!("  {}", info.allowed_signers_line(&principal));
    if placeholder {
        println!("  (replace \"operator\" by your name or e-mail address, without spaces)");
    }
    println!("and then runs: jk-commission verify log.yaml --allowed-signers allowed_signers");

    let Some(workshop) = allowed_signers::default_path() else {
        return Ok(ExitCode::SUCCESS);
    };
    let add = if args.trust {
        true
    } else if args.no_trust || !std::io::stdin().is_terminal() {
        false
    } else {
        print!(
            "Add it to this workshop's allowed signers ({}), so `verify` here trusts it? [y/N] ",
            workshop.display()
        );
        std::io::stdout().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        matches!(answer.trim(), "y" | "Y" | "yes")
    };
    if add {
        let line = info.allowed_signers_line(&principal);
        let changed = allowed_signers::add(&workshop, &line).wrap_err_with(|| {
            format!("the key was made but not added to {}", workshop.display())
        })?;
        if changed {
            println!(
                "Added to the workshop's allowed signers: {}",
                workshop.display()
            );
        } else {
            println!(
                "Already in the workshop's allowed signers: {}",
                workshop.display()
            );
        }
    } else {
        println!(
            "Not added to the workshop's allowed signers ({}); `keygen --trust` adds a new key.",
            workshop.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `user@host`, as ssh-keygen would put it.
fn default_comment() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.trim().is_empty());
    let host = ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty());
    match (user, host) {
        (Some(u), Some(h)) => format!("{u}@{h}"),
        (Some(u), None) => u,
        _ => "jk-commission operator".to_string(),
    }
}

/// The comment as an allowed-signers principal, when it is one word without quotes or commas.
fn principal_from(comment: &str) -> Option<String> {
    let ok = !comment.is_empty()
        && !comment
            .chars()
            .any(|c| c.is_whitespace() || c == ',' || c == '"' || c == '#');
    ok.then(|| comment.to_string())
}
