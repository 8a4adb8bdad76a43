//! The `check_wizard` subcommand.

use std::process::ExitCode;

/// Arguments of `check_wizard`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `check_wizard`.
pub fn run(_args: Args) -> color_eyre::Result<ExitCode> {
    color_eyre::eyre::bail!("'check_wizard' is not built yet")
}
