//! The `decode` subcommand.

use std::process::ExitCode;

/// Arguments of `decode`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `decode`.
pub fn run(_args: Args) -> color_eyre::Result<ExitCode> {
    color_eyre::eyre::bail!("'decode' is not built yet")
}
