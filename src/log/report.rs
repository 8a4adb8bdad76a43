//! The printable report: a standalone HTML page beside the log (no network assets), rendered
//! from the log itself so the two cannot disagree.

use crate::log::record::CommissioningLog;
use crate::wizard::spec::{tr, WizardSpec};
use crate::wizard::words;

const TEMPLATE: &str = include_str!("../../templates/report.html");

/// The settings under the names JK's app gives them (the manual's wording, quoted in the
/// glossary); the release voltages and the discharge current are not named in the manual:
/// their labels follow the app's pattern and are our wording.
const APP_LABELS: &[(&str, &str)] = &[
    ("cell_count", "Cell Count"),
    ("capacity", "Battery Capacity(AH)"),
    ("cell_ovp", "Cell OVP(V)"),
    ("cell_ovpr", "Cell OVPR(V)"),
    ("cell_uvp", "Cell UVP(V)"),
    ("cell_uvpr", "Cell UVPR(V)"),
    ("balance_trigger", "Balance Trig.Volt(V)"),
    ("max_charge_current", "Constant Charge Current(A)"),
    ("max_discharge_current", "Max Discharge Current(A)"),
    ("charge_utp", "Charge UTP(C)"),
    ("charge_utpr", "Charge UTPR(C)"),
    ("charge_switch", "CONTROL: Charge"),
    ("discharge_switch", "CONTROL: Discharge"),
    ("balance_switch", "CONTROL: Balance"),
    ("disable_temp_sensor", "CONTROL: Disable Temp. Sensor"),
];

/// The app's label of a setting key of the log (the key itself when it has none).
pub fn app_label(key: &str) -> &str {
    APP_LABELS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(key, |(_, l)| l)
}

/// The first number in a text ("3.650 V" → 3.65).
fn number(text: &str) -> Option<f64> {
    let start = text.find(|c: char| c.is_ascii_digit() || c == '-')?;
    let rest = &text[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Whether a setting's value meets what is expected of it: a window `a–b`, a bound `< x` or
/// `> x`, a number, or a word (on/off). Anything unreadable does not meet it.
pub fn meets(value: &str, expected: &str) -> bool {
    let v = number(value);
    if let Some(bound) = expected.strip_prefix("< ") {
        return matches!((v, number(bound)), (Some(v), Some(b)) if v < b);
    }
    if let Some(bound) = expected.strip_prefix("> ") {
        return matches!((v, number(bound)), (Some(v), Some(b)) if v > b);
    }
    if let Some((lo, hi)) = expected.split_once('–') {
        return matches!((v, number(lo), number(hi)), (Some(v), Some(a), Some(b))
            if v >= a - 1e-9 && v <= b + 1e-9);
    }
    match (v, number(expected)) {
        (Some(v), Some(e)) => (v - e).abs() < 1e-6,
        _ => value.trim() == expected.trim(),
    }
}

/// The report's words in the log's language: `cli.report.<key>` of wizard.yaml.
struct Words<'a> {
    spec: &'a WizardSpec,
    lang: &'a str,
}

impl Words<'_> {
    /// `cli.report.<key>` with its values filled in as they are (one cleaned line each).
    fn say(&self, key: &str, values: &[(&str, &str)]) -> String {
        words::say_verbatim(self.spec, self.lang, &format!("cli.report.{key}"), values)
    }

    /// The word for a value the log names in English (`done`, `passed`), or the value itself
    /// when wizard.yaml has no word for it (a log from a newer tool).
    fn of_value(&self, prefix: &str, value: &str) -> String {
        let key = format!("cli.report.{prefix}_{value}");
        let known = |s: &WizardSpec| words::section(s, &key).contains_key(&key);
        if known(self.spec) || known(words::builtin()) {
            self.say(&format!("{prefix}_{value}"), &[])
        } else {
            value.to_string()
        }
    }

    /// A voltage with three decimals, written the language's way (3,650 V in Polish).
    fn volts(&self, v: f64) -> String {
        format!("{} V", words::number(self.spec, self.lang, v, 3))
    }

    /// A step in this language where the wizard knows it (its heading, the items confirmed
    /// and the labels of its entries), else as logged.
    fn step(&self, s: &crate::log::record::StepLog) -> minijinja::Value {
        let logged = || -> Vec<(String, String)> {
            s.entries
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        let Some(step) = self.spec.steps.iter().find(|x| x.id == s.id) else {
            return minijinja::context! {
                heading => format!("{} — {}", s.manual, s.title),
                confirmed => s.confirmed,
                entries => logged(),
            };
        };
        let heading = words::step_heading(self.spec, self.lang, &step.id);
        // The log names an item by its English text and an entry by its field id.
        let confirmed: Vec<&str> = s
            .confirmed
            .iter()
            .map(|c| {
                step.input
                    .items()
                    .iter()
                    .find(|i| tr(&i.text, "en") == c)
                    .map_or(c.as_str(), |i| tr(&i.text, self.lang))
            })
            .collect();
        let entries: Vec<(&str, &str)> = s
            .entries
            .iter()
            .map(|(k, v)| {
                let label = step
                    .input
                    .fields()
                    .iter()
                    .find(|f| f.id == *k)
                    .map_or(k.as_str(), |f| tr(&f.label, self.lang));
                (label, v.as_str())
            })
            .collect();
        minijinja::context! { heading => heading, confirmed => confirmed, entries => entries }
    }
}

/// The words, owned, for the template's functions (they outlive this call's borrows).
struct OwnedWords {
    spec: WizardSpec,
    lang: String,
}

impl OwnedWords {
    fn words(&self) -> Words<'_> {
        Words {
            spec: &self.spec,
            lang: &self.lang,
        }
    }
}

/// Render the report of `log` in the log's language; `log_text` is log.yaml's exact text
/// (its hash is shown), and `fingerprint` the signer's key, when signed. `spec` gives the
/// words (the built-in wizard's fill any it lacks).
pub fn render(
    log: &CommissioningLog,
    log_text: &str,
    fingerprint: Option<&str>,
    spec: &WizardSpec,
) -> String {
    let lang = log.language.as_str();
    let w = std::sync::Arc::new(OwnedWords {
        spec: spec.clone(),
        lang: lang.to_string(),
    });
    let mut env = minijinja::Environment::new();
    // HTML-escape everything the operator typed: a pack id is not markup.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    {
        let w = w.clone();
        env.add_function(
            "t",
            move |key: String,
                  kwargs: minijinja::value::Kwargs|
                  -> Result<String, minijinja::Error> {
                let mut values: Vec<(String, String)> = Vec::new();
                for name in kwargs.args() {
                    let v: minijinja::Value = kwargs.get(name)?;
                    let v = if v.is_none() || v.is_undefined() {
                        String::new()
                    } else {
                        v.to_string()
                    };
                    values.push((name.to_string(), v));
                }
                kwargs.assert_all_used()?;
                let pairs: Vec<(&str, &str)> = values
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                Ok(w.words().say(&key, &pairs))
            },
        );
    }
    {
        let w = w.clone();
        env.add_function("word", move |prefix: String, value: String| {
            w.words().of_value(&prefix, &value)
        });
    }
    {
        // A step named as the operator knows it (its section, number and title), not by id.
        let w = w.clone();
        env.add_function("step_name", move |id: String| {
            words::step_heading(&w.spec, &w.lang, &id)
        });
    }
    let words = w.words();
    let order = |k: &str| {
        APP_LABELS
            .iter()
            .position(|(x, _)| *x == k)
            .unwrap_or(usize::MAX)
    };
    let mut settings: Vec<minijinja::Value> = Vec::new();
    if let Some(s) = &log.settings {
        let mut values: Vec<(&String, &String)> = s.values.iter().collect();
        values.sort_by_key(|(k, _)| order(k));
        settings = values
            .into_iter()
            .map(|(k, v)| {
                let expected = s.expected.get(k);
                minijinja::context! {
                    label => app_label(k),
                    key => k,
                    value => v,
                    expected => expected,
                    ok => expected.map(|e| meets(v, e)),
                }
            })
            .collect();
    }
    // Eight cells to a row: a 16-column row was wider than an A4 page (measured in Chromium:
    // 762 px against 680 px of text width).
    let steps: Vec<minijinja::Value> = log.steps.iter().map(|s| words.step(s)).collect();
    let cell_rows: Vec<Vec<minijinja::Value>> = log
        .cells
        .iter()
        .flat_map(|c| c.cell_voltages.chunks(8))
        .map(|row| row.iter().map(minijinja::Value::from_serialize).collect())
        .collect();
    // The banners come from the one list of warnings the sign-off summary shows too.
    let warnings = crate::log::warnings::of(log);
    let warn: Vec<&str> = warnings.iter().map(|w| w.kind()).collect();
    let ctx = minijinja::context! {
        log => minijinja::Value::from_serialize(log),
        warn => warn,
        settings => settings,
        cell_rows => cell_rows,
        steps => steps,
        lang => lang,
        cells_svg => minijinja::Value::from_safe_string(cells_svg(log, spec, lang)),
        test_svg => minijinja::Value::from_safe_string(test_svg(log, spec, lang)),
        log_sha256 => crate::wizard::spec::sha256_hex(log_text.as_bytes()),
        fingerprint => fingerprint,
        entries => crate::log::record::describe_entries_in(spec, lang, &log.entries_made_by),
        scripted => crate::log::warnings::has(&warnings, "scripted"),
    };
    env.render_str(TEMPLATE, ctx)
        .unwrap_or_else(|e| format!("<!DOCTYPE html><p>report could not be rendered: {e}</p>"))
}

/// Drawing room of the charts, in SVG user units (the page scales them to its width).
const W: f64 = 640.0;
const H: f64 = 220.0;
const PAD: f64 = 60.0;

/// An inline SVG bar chart of the cells at sign-off, the spread's scale chosen so a few
/// millivolts show; empty when there were no cells. Built from numbers only.
pub fn cells_svg(log: &CommissioningLog, spec: &WizardSpec, lang: &str) -> String {
    let w = Words { spec, lang };
    let Some(cells) = &log.cells else {
        return String::new();
    };
    let v: Vec<(u32, f64)> = cells
        .cell_voltages
        .iter()
        .filter_map(|c| number(&c.voltage).map(|x| (c.cell, x)))
        .collect();
    if v.is_empty() {
        return String::new();
    }
    let hi = v.iter().map(|x| x.1).fold(f64::MIN, f64::max);
    let lo = v.iter().map(|x| x.1).fold(f64::MAX, f64::min);
    // At least 20 mV of scale, bars rising from 10 mV under the lowest cell.
    let base = lo - 0.010;
    let top = (hi + 0.005).max(base + 0.020);
    let y = |x: f64| H - PAD - (x - base) / (top - base) * (H - 2.0 * PAD);
    let bw = (W - 2.0 * PAD) / v.len() as f64;
    let mut out = format!(
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="cell voltages at sign-off">"#
    );
    for (k, (cell, x)) in v.iter().enumerate() {
        let x0 = PAD + k as f64 * bw;
        let yy = y(*x);
        let class = if (*x - hi).abs() < 1e-9 {
            "high"
        } else if (*x - lo).abs() < 1e-9 {
            "low"
        } else {
            "bar"
        };
        let title = minijinja::HtmlEscape(&w.say(
            "chart_cell",
            &[("cell", &cell.to_string()), ("voltage", &w.volts(*x))],
        ))
        .to_string();
        out.push_str(&format!(
            r#"<rect class="{class}" x="{:.1}" y="{yy:.1}" width="{:.1}" height="{:.1}"><title>{title}</title></rect><text x="{:.1}" y="{:.1}" font-size="9" text-anchor="middle">{cell}</text>"#,
            x0 + 1.0,
            (bw - 2.0).max(1.0),
            (H - PAD - yy).max(0.5),
            x0 + bw / 2.0,
            H - PAD + 12.0,
        ));
    }
    for (x, text) in [(lo, w.volts(lo)), (hi, w.volts(hi))] {
        out.push_str(&format!(
            r#"<line class="grid" x1="{PAD}" x2="{:.1}" y1="{:.1}" y2="{:.1}"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end">{text}</text>"#,
            W - PAD,
            y(x),
            y(x),
            PAD - 3.0,
            y(x) + 3.0,
        ));
    }
    out.push_str(&format!(
        r#"<text x="{PAD}" y="14" font-size="11">{}</text></svg>"#,
        minijinja::HtmlEscape(&w.say("chart_cells", &[("spread", &cells.delta)]))
    ));
    out
}

/// An inline SVG plot of the protection test: the highest and lowest cell against time, the
/// set Cell OVP and UVP as lines, the cut-offs as marks; empty when no trace was recorded.
pub fn test_svg(log: &CommissioningLog, spec: &WizardSpec, lang: &str) -> String {
    let w = Words { spec, lang };
    let p = &log.protection_test;
    if p.trace.is_empty() {
        return String::new();
    }
    let ovp = p.cell_ovp.as_deref().and_then(number);
    let uvp = p.cell_uvp.as_deref().and_then(number);
    let t_max = p.trace.iter().map(|x| x.s).fold(0.0, f64::max).max(1.0);
    let mut lo = p.trace.iter().map(|x| x.low).fold(f64::MAX, f64::min);
    let mut hi = p.trace.iter().map(|x| x.high).fold(f64::MIN, f64::max);
    for v in [ovp, uvp].into_iter().flatten() {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    let (lo, hi) = (lo - 0.05, hi + 0.05);
    let x = |s: f64| PAD + s / t_max * (W - 2.0 * PAD);
    let y = |v: f64| H - PAD - (v - lo) / (hi - lo) * (H - 2.0 * PAD);
    let line = |pick: fn(&crate::log::record::TracePoint) -> f64| -> String {
        p.trace
            .iter()
            .map(|q| format!("{:.1},{:.1}", x(q.s), y(pick(q))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = format!(
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="protection test: highest and lowest cell against time">"#
    );
    out.push_str(&format!(
        r#"<polyline class="high-line" fill="none" points="{}"/><polyline class="low-line" fill="none" points="{}"/>"#,
        line(|q| q.high),
        line(|q| q.low)
    ));
    // OVP said above its line on the left, UVP below its line: clear of the cut-off marks.
    for (v, label, dy) in [(ovp, "Cell OVP", -3.0), (uvp, "Cell UVP", 11.0)] {
        if let Some(v) = v {
            let name = minijinja::HtmlEscape(&w.say("set_label", &[("label", label)])).to_string();
            out.push_str(&format!(
                r#"<line class="limit" x1="{PAD}" x2="{:.1}" y1="{:.1}" y2="{:.1}"/><text x="{:.1}" y="{:.1}" font-size="10">{name} {volts}</text>"#,
                W - PAD,
                y(v),
                y(v),
                PAD + 2.0,
                y(v) + dy,
                volts = w.volts(v),
            ));
        }
    }
    for c in &p.cutoffs {
        let name = w.say(
            if c.charge {
                "chart_charge_cutoff"
            } else {
                "chart_discharge_cutoff"
            },
            &[],
        );
        let name = minijinja::HtmlEscape(&name).to_string();
        out.push_str(&format!(
            r#"<circle class="cutoff" cx="{:.1}" cy="{:.1}" r="4"><title>{name} {volts}</title></circle><text x="{:.1}" y="{:.1}" font-size="10">{name} {volts}</text>"#,
            x(c.s),
            y(c.cell),
            x(c.s) + 6.0,
            y(c.cell) + if c.charge { 14.0 } else { -8.0 },
            volts = w.volts(c.cell),
        ));
    }
    out.push_str(&format!(
        r#"<text x="{PAD}" y="{:.1}" font-size="10">0 s</text><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end">{t_max:.0} s</text><text x="{PAD}" y="14" font-size="11">{}</text></svg>"#,
        H - PAD + 14.0,
        W - PAD,
        H - PAD + 14.0,
        minijinja::HtmlEscape(&w.say("chart_test", &[])),
    ));
    out
}
