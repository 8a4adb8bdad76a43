//! The `monitor` subcommand.

use std::process::ExitCode;

/// Arguments of `monitor`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `monitor`.
pub fn run(_args: Args) -> color_eyre::Result<ExitCode> {
    color_eyre::eyre::bail!("'monitor' is not built yet")
}
