//! The `keygen` subcommand: make the operator's ed25519 signing key and say how others can
//! trust it.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use color_eyre::eyre::{eyre, WrapErr};

use crate::log::{allowed_signers, sign};
use crate::wizard::words::{say_verbatim, Arg, Say};

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
    /// The language of what keygen says.
    #[command(flatten)]
    pub lang: super::LangArg,
}

/// Run `keygen`; what it says is in the chosen language (`cli.keygen.*`), the allowed-signers
/// line and the fingerprint as they are.
pub fn run(args: Args) -> color_eyre::Result<ExitCode> {
    let spec = crate::wizard::words::builtin();
    let lang = args.lang.pick();
    let say = |key: &str, values: &[(&str, &str)]| {
        say_verbatim(spec, &lang, &format!("cli.keygen.{key}"), values)
    };
    let shown = |p: &std::path::Path| p.display().to_string();
    let path = match args.file {
        Some(p) => p,
        None => sign::default_key_path().ok_or_else(|| eyre!(say("no_data_dir", &[])))?,
    };
    let comment = args.comment.unwrap_or_else(default_comment);
    // Why not, in the operator's words: a file already there, a folder that cannot be made,
    // with what the system said as it said it.
    let info = sign::generate_key(&path, &comment).map_err(|e| {
        let why = Say::new("cli.keygen.not_created", [("reason", Arg::say(e.say()))]);
        eyre!("{}", why.render(spec, &lang))
    })?;

    let (principal, placeholder) = match principal_from(&comment) {
        Some(p) => (p, false),
        None => ("operator".to_string(), true),
    };
    println!("{}", say("created", &[]));
    println!(
        "  {}",
        say("private", &[("path", &shown(&info.private_path))])
    );
    println!(
        "  {}",
        say("public", &[("path", &shown(&info.public_path))])
    );
    println!(
        "  {}",
        say("fingerprint", &[("fingerprint", &info.fingerprint)])
    );
    println!();
    println!("{}", say("whoever", &[]));
    println!("  {}", info.allowed_signers_line(&principal));
    if placeholder {
        println!(
            "  {}",
            say("replace_operator", &[("principal", &principal)])
        );
    }
    println!("{}", say("then_runs", &[]));

    let Some(workshop) = allowed_signers::default_path() else {
        return Ok(ExitCode::SUCCESS);
    };
    let file = shown(&workshop);
    let add = if args.trust {
        true
    } else if args.no_trust || !std::io::stdin().is_terminal() {
        false
    } else {
        print!("{} ", say("ask", &[("path", &file)]));
        std::io::stdout().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        is_yes(&answer, &say("yes_words", &[]))
    };
    if add {
        let line = info.allowed_signers_line(&principal);
        let changed = allowed_signers::add(&workshop, &line)
            .wrap_err_with(|| say("not_added_to", &[("path", &file)]))?;
        let key = if changed { "added" } else { "already" };
        println!("{}", say(key, &[("path", &file)]));
    } else {
        println!("{}", say("not_added", &[("path", &file)]));
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether `answer` says yes: `y` or `yes` in any language, or one of the language's own
/// words (`yes_words`, comma-separated), case aside. Anything else, an empty line too, is no.
fn is_yes(answer: &str, yes_words: &str) -> bool {
    let answer = answer.trim().to_lowercase();
    !answer.is_empty()
        && ["y", "yes"]
            .into_iter()
            .map(str::to_string)
            .chain(yes_words.split(',').map(|w| w.trim().to_lowercase()))
            .any(|w| w == answer)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_is_y_yes_or_the_languages_own_word_and_nothing_else() {
        for (answer, words, want) in [
            ("y\n", "", true),
            ("YES", "", true),
            ("t\n", "t, tak", true),
            ("Tak", "t, tak", true),
            ("ja", "j, ja", true),
            ("", "t, tak", false),
            ("n", "t, tak", false),
            ("nie", "t, tak", false),
            ("yess", "", false),
            // An empty word in the list is not an empty answer's yes.
            ("", "t, ", false),
        ] {
            assert_eq!(is_yes(answer, words), want, "{answer:?} with {words:?}");
        }
    }
}
