//! The `check-wizard` subcommand: load a wizard file and list every mistake in it.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::wizard::spec::{WizardSpec, BUILTIN_ORIGIN, BUILTIN_YAML};
use crate::wizard::words::say_verbatim;

/// `cli.check.<key>` in `lang`, from the built-in wizard (the file being checked may not even
/// load), its values filled in as they are.
fn say(lang: &str, key: &str, values: &[(&str, &str)]) -> String {
    say_verbatim(
        crate::wizard::words::builtin(),
        lang,
        &format!("cli.check.{key}"),
        values,
    )
}

/// Arguments of `check-wizard`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The wizard file to check; without it, the one built into this program.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The language of the summary lines (the mistakes keep the loader's words).
    #[command(flatten)]
    pub lang: super::LangArg,
}

/// Run `check-wizard`: exit 0 when the file is sound, 1 when it has mistakes (one per line on
/// stdout, each as file:line:column: path: message), 2 when it cannot be read. The summary
/// lines are in the chosen language; each mistake is as the loader words it, at its place.
pub fn run(args: Args) -> color_eyre::Result<ExitCode> {
    let lang = args.lang.pick();
    let (text, origin) = match &args.file {
        None => (BUILTIN_YAML.to_string(), BUILTIN_ORIGIN.to_string()),
        Some(path) => match crate::yaml::read_file(path) {
            Ok(text) => (text, path.display().to_string()),
            // Not read at all (missing, unreadable, too large): nothing in it to point at.
            // As the loader says it, in English (like the mistakes below).
            Err(errors) if errors.0.iter().all(|e| e.line.is_none()) => {
                eprintln!("jk-commission: {errors}");
                return Ok(ExitCode::from(2));
            }
            Err(errors) => return Ok(report(&lang, &path.display().to_string(), &errors)),
        },
    };
    let counts = WizardSpec::text_counts(&text, &origin).unwrap_or_default();
    match WizardSpec::from_str(&text, &origin) {
        Ok(spec) => {
            println!(
                "{}",
                say(
                    &lang,
                    "ok",
                    &[
                        ("languages", &spec.languages.join(", ")),
                        ("steps", &spec.steps.len().to_string()),
                    ]
                )
            );
            println!("sha256 {}", spec.wizard_hash());
            print_counts(&lang, &counts);
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            let code = report(&lang, &origin, &errors);
            print_counts(&lang, &counts);
            Ok(code)
        }
    }
}

/// One line per listed language on stderr (stdout holds the mistakes, one a line): the texts
/// it has, and the ones it lacks.
fn print_counts(lang: &str, counts: &std::collections::BTreeMap<String, (usize, usize)>) {
    for (of, (given, missing)) in counts {
        eprintln!(
            "{}",
            say(
                lang,
                "texts",
                &[
                    ("given", &given.to_string()),
                    ("lang", of),
                    ("missing", &missing.to_string()),
                ]
            )
        );
    }
}

/// Print every mistake, one a line, and a count; exit code 1.
fn report(lang: &str, origin: &str, errors: &crate::yaml::Errors) -> ExitCode {
    // The mistakes stay in the loader's English, each at its file:line:column: they are for
    // the wizard's authors, who write its `en:` texts too (and search for them as written).
    for e in &errors.0 {
        println!("{e}");
    }
    let n = errors.0.len();
    let key = if n == 1 { "one_mistake" } else { "mistakes" };
    eprintln!(
        "{}",
        say(lang, key, &[("n", &n.to_string()), ("origin", origin)])
    );
    ExitCode::from(1)
}
