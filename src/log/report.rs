//! The printable report: a standalone HTML page beside the log (no network assets), rendered
//! from the log itself so the two cannot disagree.

use crate::log::record::CommissioningLog;

const TEMPLATE: &str = include_str!("../../templates/report.html");

/// Render the report of `log`; `log_text` is log.yaml's exact text (its hash is shown), and
/// `fingerprint` the signer's key, when signed.
pub fn render(log: &CommissioningLog, log_text: &str, fingerprint: Option<&str>) -> String {
    let mut env = minijinja::Environment::new();
    // HTML-escape everything the operator typed: a pack id is not markup.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    let ctx = minijinja::context! {
        log => minijinja::Value::from_serialize(log),
        log_sha256 => crate::wizard::spec::sha256_hex(log_text.as_bytes()),
        fingerprint => fingerprint,
        entries => crate::log::record::describe_entries(&log.entries_made_by),
        scripted => crate::log::record::is_scripted(&log.entries_made_by),
    };
    env.render_str(TEMPLATE, ctx)
        .unwrap_or_else(|e| format!("<!DOCTYPE html><p>report could not be rendered: {e}</p>"))
}
