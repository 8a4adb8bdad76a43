//! The interactive wizard (no subcommand).

use std::process::ExitCode;

use super::WizardArgs;

/// Start the interactive wizard.
pub fn run(_args: WizardArgs) -> color_eyre::Result<ExitCode> {
    color_eyre::eyre::bail!("the interactive wizard is not built yet")
}
