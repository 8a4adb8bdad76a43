//! The `scan` subcommand.

use std::process::ExitCode;

/// Arguments of `scan`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `scan`.
pub fn run(_args: Args) -> color_eyre::Result<ExitCode> {
    color_eyre::eyre::bail!("'scan' is not built yet")
}
