//! The `check-wizard` subcommand: load a wizard file and list every mistake in it.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::wizard::spec::{WizardSpec, BUILTIN_ORIGIN, BUILTIN_YAML};

/// Arguments of `check-wizard`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The wizard file to check; without it, the one built into this program.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// Run `check-wizard`: exit 0 when the file is sound, 1 when it has mistakes (one per line on
/// stdout, each as file:line:column: path: message), 2 when it cannot be read.
pub fn run(args: Args) -> color_eyre::Result<ExitCode> {
    let (text, origin) = match &args.file {
        None => (BUILTIN_YAML.to_string(), BUILTIN_ORIGIN.to_string()),
        Some(path) => match crate::yaml::read_file(path) {
            Ok(text) => (text, path.display().to_string()),
            // Not read at all (missing, unreadable, too large): nothing in it to point at.
            Err(errors) if errors.0.iter().all(|e| e.line.is_none()) => {
                eprintln!("jk-commission: {errors}");
                return Ok(ExitCode::from(2));
            }
            Err(errors) => return Ok(report(&path.display().to_string(), &errors)),
        },
    };
    let counts = WizardSpec::text_counts(&text, &origin).unwrap_or_default();
    match WizardSpec::from_str(&text, &origin) {
        Ok(spec) => {
            println!(
                "ok: {} steps, languages {}",
                spec.steps.len(),
                crate::clean::clean(&spec.languages.join(", "))
            );
            println!("sha256 {}", spec.wizard_hash());
            print_counts(&counts);
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            let code = report(&origin, &errors);
            print_counts(&counts);
            Ok(code)
        }
    }
}

/// One line per listed language on stderr (stdout holds the mistakes, one a line): the texts
/// it has, and the ones it lacks.
fn print_counts(counts: &std::collections::BTreeMap<String, (usize, usize)>) {
    for (lang, (given, missing)) in counts {
        eprintln!(
            "texts {}: {given} given, {missing} missing",
            crate::clean::clean(lang)
        );
    }
}

/// Print every mistake, one a line, and a count; exit code 1.
fn report(origin: &str, errors: &crate::yaml::Errors) -> ExitCode {
    for e in &errors.0 {
        println!("{e}");
    }
    let n = errors.0.len();
    eprintln!(
        "{origin}: {n} mistake{} found",
        if n == 1 { "" } else { "s" }
    );
    ExitCode::from(1)
}
