//! The `keygen` subcommand.

use std::process::ExitCode;

/// Arguments of `keygen`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `keygen`.
pub fn run(_args: Args) -> color_eyre::Result<ExitCode> {
    color_eyre::eyre::bail!("'keygen' is not built yet")
}
