//! The integration tests, one binary: a module per area, shared helpers beside them.

#[path = "../common/vectors.rs"]
mod vectors;

mod common;

mod archive_cli;
mod ble_no_adapter;
mod bluez_emulated;
mod capture_replay;
mod captured_vectors;
mod check_wizard_cli;
mod clean_cli;
mod cli_help;
mod cli_numbers;
mod codec_props;
mod decode_cli;
mod glossary_terms;
mod journal_crash;
mod ladder_cli;
mod lang_cli;
mod lang_more_cli;
mod loader_fuzz;
mod monitor_cli;
mod procedure_cli;
mod report_browser;
mod run_cli;
mod safety_wiring;
mod sign_cli;
mod sim_link;
mod train_cli;
mod train_record;
mod train_scenarios;
mod train_sim;
mod tui_flow;
mod tui_pty;
mod tui_snapshots;
mod tui_tmux;
mod yaml_mistakes;
