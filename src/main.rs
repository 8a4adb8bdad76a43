//! The `jk-commission` binary: parses the command line and dispatches. Nothing else lives here.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use jk_commission::cmd;

/// Guided, gated commissioning of a lithium pack with a JK SMART BMS.
#[derive(Debug, Parser)]
#[command(name = "jk-commission", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    wizard: cmd::WizardArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List JK units in Bluetooth range (name, address, signal strength).
    Scan(cmd::scan::Args),
    /// Show the live decoded data of a unit (or of the simulator).
    Monitor(cmd::monitor::Args),
    /// Decode captured BLE notifications (hex, one per line) into JSON, one object per frame.
    Decode(cmd::decode::Args),
    /// Check a wizard file and report every mistake in it.
    CheckWizard(cmd::check_wizard::Args),
    /// Check multimeter readings of the balance plug (the pin ladder of wiring step 5).
    Ladder(cmd::ladder::Args),
    /// Print the whole procedure for one pack (every step, check and limit) as a handout.
    Procedure(cmd::procedure::Args),
    /// Run a commissioning headless, from an answers file.
    Run(cmd::run::Args),
    /// Create an ed25519 operator key for signing commissioning logs.
    Keygen(cmd::keygen::Args),
    /// Verify a signed commissioning log.
    Verify(cmd::verify::Args),
    /// Training: stage a fault scenario on the simulator, or check one headless.
    Train(cmd::train::Args),
    /// The workshop archive of verified sessions: add, list, search, show, export.
    Archive(cmd::archive::Args),
}

fn main() -> ExitCode {
    // Errors an operator can cause are printed as sentences, never with a backtrace, so an
    // error report need not capture one: with RUST_BACKTRACE=1 in the environment the capture
    // and its symbolisation cost seconds per error. Panics still honour RUST_BACKTRACE.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        std::env::set_var("RUST_LIB_BACKTRACE", "0");
    }
    if let Err(e) = color_eyre::install() {
        eprintln!("jk-commission: {e}");
    }
    let cli = Cli::parse();
    let result = match cli.command {
        None => cmd::wizard::run(cli.wizard, None),
        Some(Command::Scan(a)) => cmd::scan::run(a),
        Some(Command::Monitor(a)) => cmd::monitor::run(a, cli.wizard.sim, cli.wizard.replay),
        Some(Command::Decode(a)) => cmd::decode::run(a),
        Some(Command::CheckWizard(a)) => cmd::check_wizard::run(a),
        Some(Command::Ladder(a)) => cmd::ladder::run(a, cli.wizard),
        Some(Command::Procedure(a)) => cmd::procedure::run(a, cli.wizard),
        Some(Command::Run(a)) => cmd::run::run(a, cli.wizard),
        Some(Command::Keygen(a)) => cmd::keygen::run(a),
        Some(Command::Verify(a)) => cmd::verify::run(a, &cli.wizard),
        Some(Command::Train(a)) => cmd::train::run(a, cli.wizard),
        Some(Command::Archive(a)) => cmd::archive::run(a, &cli.wizard),
    };
    match result {
        Ok(code) => code,
        Err(report) => {
            // Errors a user can cause are sentences; print the chain without a backtrace dump.
            eprintln!(
                "jk-commission: {}",
                jk_commission::clean::clean_lines(&format!("{report:#}"))
            );
            ExitCode::from(2)
        }
    }
}
