//! The `train` subcommand.

use std::process::ExitCode;

use super::WizardArgs;

/// Arguments of `train`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `train`.
pub fn run(_args: Args, _wizard: WizardArgs) -> color_eyre::Result<ExitCode> {
    color_eyre::eyre::bail!("'train' is not built yet")
}
