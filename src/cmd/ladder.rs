//! The `ladder` subcommand.

use std::process::ExitCode;

/// Arguments of `ladder`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `ladder`.
pub fn run(_args: Args) -> color_eyre::Result<ExitCode> {
    color_eyre::eyre::bail!("'ladder' is not built yet")
}
