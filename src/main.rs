//! The `jk-commission` binary: parses the command line and dispatches. Nothing else lives here.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use jk_commission::cmd;

/// Guided, gated commissioning of a lithium pack with a JK SMART BMS.
#[derive(Debug, Parser)]
#[command(
    name = "jk-commission",
    version,
    about,
    long_about = None,
    // The wizard's options belong to the wizard: a subcommand takes its own after its name.
    args_conflicts_with_subcommands = true
)]
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
    Monitor {
        #[command(flatten)]
        args: cmd::monitor::Args,
        #[command(flatten)]
        sim: cmd::SimArg,
        #[command(flatten)]
        replay: cmd::ReplayArg,
    },
    /// Decode captured BLE notifications (hex, one per line) into JSON, one object per frame.
    Decode(cmd::decode::Args),
    /// Check a wizard file and report every mistake in it.
    CheckWizard(cmd::check_wizard::Args),
    /// Check multimeter readings of the balance plug (the pin ladder of wiring step 5).
    Ladder {
        #[command(flatten)]
        args: cmd::ladder::Args,
        #[command(flatten)]
        wizard: cmd::WordedArgs,
    },
    /// Print the whole procedure for one pack (every step, check and limit) as a handout.
    Procedure {
        #[command(flatten)]
        args: cmd::procedure::Args,
        #[command(flatten)]
        wizard: cmd::WordedArgs,
    },
    /// Run a commissioning headless, from an answers file.
    Run {
        #[command(flatten)]
        args: cmd::run::Args,
        #[command(flatten)]
        session: cmd::WizardArgs,
    },
    /// Create an ed25519 operator key for signing commissioning logs.
    Keygen(cmd::keygen::Args),
    /// Verify a signed commissioning log.
    Verify {
        #[command(flatten)]
        args: cmd::verify::Args,
        #[command(flatten)]
        wizard: cmd::WordedArgs,
    },
    /// Training: stage a fault scenario on the simulator, or check one headless.
    Train {
        #[command(flatten)]
        args: cmd::train::Args,
        #[command(flatten)]
        session: cmd::WizardArgs,
    },
    /// The workshop archive of verified sessions: add, list, search, show, export.
    Archive {
        #[command(flatten)]
        args: cmd::archive::Args,
        #[command(flatten)]
        wizard: cmd::WordedArgs,
    },
}

/// The session options of a subcommand that takes only `--wizard` and `--lang`.
fn worded(w: cmd::WordedArgs) -> cmd::WizardArgs {
    cmd::WizardArgs {
        wizard: w.wizard,
        lang: w.lang,
        ..cmd::WizardArgs::default()
    }
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
        Some(Command::Monitor { args, sim, replay }) => {
            cmd::monitor::run(args, sim.sim, replay.replay)
        }
        Some(Command::Decode(a)) => cmd::decode::run(a),
        Some(Command::CheckWizard(a)) => cmd::check_wizard::run(a),
        Some(Command::Ladder { args, wizard }) => cmd::ladder::run(args, worded(wizard)),
        Some(Command::Procedure { args, wizard }) => cmd::procedure::run(args, worded(wizard)),
        Some(Command::Archive { args, wizard }) => cmd::archive::run(args, &worded(wizard)),
        Some(Command::Run { args, session }) => cmd::run::run(args, session),
        Some(Command::Keygen(a)) => cmd::keygen::run(a),
        Some(Command::Verify { args, wizard }) => cmd::verify::run(args, &worded(wizard)),
        Some(Command::Train { args, session }) => cmd::train::run(args, session),
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
