//! One module per subcommand: each parses its own arguments (clap) and does its I/O, calling
//! the pure core for every decision. Errors are wrapped with color-eyre only here.

pub mod check_wizard;
pub mod decode;
pub mod keygen;
pub mod ladder;
pub mod monitor;
pub mod run;
pub mod scan;
pub mod train;
pub mod verify;
pub mod wizard;

use std::path::PathBuf;

/// Options shared by the interactive wizard, `run` and `train`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct WizardArgs {
    /// Use the built-in simulated BMS, optionally with a scenario file.
    #[arg(long, global = true, num_args = 0..=1, value_name = "SCENARIO")]
    pub sim: Option<Option<PathBuf>>,
    /// Use this wizard file instead of the built-in one.
    #[arg(long, global = true, value_name = "FILE")]
    pub wizard: Option<PathBuf>,
    /// Language of the wizard's texts (en, pl, …); defaults from LANG.
    #[arg(long, global = true, value_name = "LANG")]
    pub lang: Option<String>,
    /// Session folder root (default: the platform's data directory).
    #[arg(long, global = true, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The operator's ed25519 SSH key for signing the log.
    #[arg(long, global = true, value_name = "FILE")]
    pub key: Option<PathBuf>,
}
