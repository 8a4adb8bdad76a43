//! The `run` subcommand.

use std::process::ExitCode;

use super::WizardArgs;

/// Arguments of `run`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `run`.
pub fn run(_args: Args, _wizard: WizardArgs) -> color_eyre::Result<ExitCode> {
    color_eyre::eyre::bail!("'run' is not built yet")
}
