//! The `procedure` subcommand: the whole procedure for one pack as a handout — every step,
//! its instructions, warnings, checklist, entries and checks, with the limits of that pack's
//! chemistry and BMS model filled in, in the chosen language (Markdown, or HTML through the
//! same template engine as the report).

use std::process::ExitCode;

use color_eyre::Result;
use serde::Serialize;

use crate::bms::model::Chemistry;
use crate::cmd::WizardArgs;
use crate::wizard::spec::{
    tr, Check, ChemistrySpec, FieldKind, InputSpec, ModelSpec, StepSpec, WizardSpec,
};
use crate::wizard::words::{Arg, Say, Unit};

const TEMPLATE: &str = include_str!("../../templates/procedure.html");

/// Output format of `procedure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Markdown, for a terminal, a wiki or a printout.
    Md,
    /// A standalone HTML page (no network assets).
    Html,
}

/// Arguments of `procedure`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The pack's chemistry: li-ion, lifepo4 or lto.
    #[arg(long, value_name = "CHEMISTRY", default_value = "lifepo4")]
    pub chemistry: String,
    /// Cells in series (1–32; refused in the operator's words outside it).
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub cells: u32,
    /// BMS model id from the wizard (default: the smallest model that takes the cells).
    #[arg(long, value_name = "ID")]
    pub model: Option<String>,
    /// Markdown or HTML.
    #[arg(long, value_enum, default_value_t = Format::Md)]
    pub format: Format,
}

/// The procedure for one pack, every text in one language: what both formats print.
#[derive(Debug, Serialize)]
pub struct Procedure {
    /// The language code (the HTML page's `lang`).
    pub lang: String,
    /// The heading.
    pub title: String,
    /// Which pack it is for.
    pub pack: String,
    /// The pack's limits, one line each.
    pub limits: Vec<String>,
    /// Notes on our assumptions (LTO ladder range, plug split).
    pub notes: Vec<String>,
    /// Headings used per step.
    pub labels: Labels,
    /// The steps in order.
    pub steps: Vec<StepOut>,
}

/// Headings of the parts of a step.
#[derive(Debug, Serialize)]
pub struct Labels {
    /// "Limits for this pack".
    pub limits: String,
    /// "Warnings".
    pub warnings: String,
    /// "Confirm".
    pub confirm: String,
    /// "Enter".
    pub enter: String,
    /// "Checks before going on".
    pub checks: String,
}

/// One step, in words.
#[derive(Debug, Serialize)]
pub struct StepOut {
    /// "Wiring 5: Multimeter test".
    pub heading: String,
    /// "optional", "only when …": empty when neither.
    pub notes: Vec<String>,
    /// The instructions.
    pub instructions: Vec<String>,
    /// The warnings.
    pub warnings: Vec<String>,
    /// The checklist.
    pub items: Vec<String>,
    /// The entries, with unit and range.
    pub fields: Vec<String>,
    /// The gates, with this pack's values.
    pub checks: Vec<String>,
}

/// Run `procedure`.
pub fn run(args: Args, wizard: WizardArgs) -> Result<ExitCode> {
    let (spec, lang) = crate::cmd::load_wizard(&wizard)?;
    let (chemistry, _) = crate::cmd::pick_chemistry(&spec, &lang, &args.chemistry)?;
    let model = crate::cmd::pick_model(&spec, &lang, args.model.as_deref(), args.cells)?;
    let procedure = build(&spec, &lang, chemistry, args.cells, model)?;
    // Texts may come from a --wizard file: printed cleaned, like every other CLI output.
    let out = match args.format {
        Format::Md => markdown(&procedure),
        Format::Html => html(&procedure).map_err(|e| {
            let say = Say::new(
                "cli.procedure.not_rendered",
                [("error", Arg::verbatim(e.to_string()))],
            );
            crate::cmd::refusal(&spec, &lang, &say)
        })?,
    };
    print!("{}", crate::clean::clean_lines(&out));
    Ok(ExitCode::SUCCESS)
}

/// The procedure for a pack of `cells` cells of `chemistry` on `model`, in `lang`.
pub fn build(
    spec: &WizardSpec,
    lang: &str,
    chemistry: Chemistry,
    cells: u32,
    model: &ModelSpec,
) -> Result<Procedure> {
    let chem = spec.chemistries.get(&chemistry).ok_or_else(|| {
        crate::cmd::refusal(spec, lang, &crate::cmd::no_chemistry_limits(chemistry))
    })?;
    let say = |key: &str, args: Vec<(&str, Arg)>| -> String {
        Say {
            key: key.to_string(),
            args: args.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        }
        .render(spec, lang)
    };
    let plain = |key: &str| say(key, vec![]);
    let pack = say(
        "cli.procedure.pack",
        vec![
            ("cells", Arg::int(cells)),
            ("chemistry", Arg::Text(chem.name.clone())),
            ("model", Arg::Text(model.name.clone())),
        ],
    );
    let limits = pack_limits(spec, lang, chem, cells, model);
    let mut notes = Vec::new();
    if let Some(n) = &chem.ladder_note {
        notes.push(tr(n, lang).to_string());
    }
    if let Some(n) = model.split_note(lang) {
        notes.push(n);
    }
    let steps = spec
        .steps
        .iter()
        .map(|s| step(spec, lang, s, chem, cells, model))
        .collect();
    Ok(Procedure {
        lang: lang.to_string(),
        title: plain("cli.procedure.title"),
        pack,
        limits,
        notes,
        labels: Labels {
            limits: plain("cli.procedure.limits"),
            warnings: plain("cli.procedure.warnings"),
            confirm: plain("cli.procedure.confirm"),
            enter: plain("cli.procedure.enter"),
            checks: plain("cli.procedure.checks"),
        },
        steps,
    })
}

/// The limits of this pack that the checks apply, one line each.
fn pack_limits(
    spec: &WizardSpec,
    lang: &str,
    chem: &ChemistrySpec,
    cells: u32,
    model: &ModelSpec,
) -> Vec<String> {
    [
        Check::Ladder,
        Check::CellsPlausible,
        Check::OvpMatchesChemistry,
        Check::UvpMatchesChemistry,
        Check::CellSpread,
        Check::ChargerVoltage,
        Check::BalanceTrigger,
        Check::ColdSite,
    ]
    .iter()
    .filter_map(|c| limit(spec, lang, c, chem, cells, model))
    .collect()
}

/// What gate `check` demands of this pack, with the values, if it has a value to state.
fn limit(
    spec: &WizardSpec,
    lang: &str,
    check: &Check,
    chem: &ChemistrySpec,
    cells: u32,
    model: &ModelSpec,
) -> Option<String> {
    let l = &spec.limits;
    let v2 = |v: f64| Arg::volts(v, 2);
    let c = |v: f64| Arg::quantity(v, Unit::Celsius, 0);
    let range = |r: &crate::wizard::spec::VoltRange| Arg::volt_range(r.min.0, r.max.0, 2);
    let (key, args): (&str, Vec<(&str, Arg)>) = match check {
        Check::Ladder => (
            "cli.procedure.limit.ladder",
            vec![
                ("range", range(&chem.ladder_step)),
                ("cells", Arg::int(cells)),
            ],
        ),
        Check::CellsPlausible => (
            "cli.procedure.limit.plausible",
            vec![("range", range(&chem.cell_plausible))],
        ),
        Check::CellsVisible | Check::CellCountSetting => (
            "cli.procedure.limit.cell_count",
            vec![("cells", Arg::int(cells))],
        ),
        Check::OvpMatchesChemistry => (
            "cli.procedure.limit.ovp",
            vec![
                ("factory", v2(chem.cell_ovp.0)),
                ("max_charge", v2(chem.max_charge_voltage.0)),
                ("window", range(&chem.ovp_window)),
            ],
        ),
        Check::UvpMatchesChemistry => (
            "cli.procedure.limit.uvp",
            vec![
                ("min_discharge", v2(chem.min_discharge_voltage.0)),
                ("window", range(&chem.uvp_window)),
            ],
        ),
        Check::CellSpread => (
            "cli.procedure.limit.spread",
            vec![("allowed", v2(l.cell_spread.0))],
        ),
        Check::ChargerVoltage => (
            "cli.procedure.limit.charger",
            vec![
                ("margin", v2(l.charger_margin.0)),
                ("rating", v2(model.max_input_voltage.0)),
            ],
        ),
        Check::OutputVoltage => (
            "cli.procedure.limit.output",
            vec![("tolerance", v2(l.output_tolerance.0))],
        ),
        Check::BalanceTrigger => (
            "cli.procedure.limit.balance",
            vec![("factory", Arg::volts(l.balance_trigger.0, 3))],
        ),
        Check::ColdSite => (
            "cli.procedure.limit.cold",
            vec![
                (
                    "utp",
                    Arg::Range {
                        min: l.cold_utp[0],
                        max: l.cold_utp[1],
                        unit: Unit::Celsius,
                        decimals: 0,
                    },
                ),
                ("utpr", c(l.cold_utpr)),
            ],
        ),
        Check::PackVoltageMatches => (
            "cli.procedure.limit.live_pack",
            vec![("tolerance", v2(l.live_pack_tolerance.0))],
        ),
        Check::ProtectionTest => (
            "cli.procedure.limit.protection",
            vec![("tolerance", Arg::volts(l.protection_tolerance.0, 3))],
        ),
        Check::UnitMatchesModel => (
            "cli.procedure.limit.model",
            vec![("model", Arg::Text(model.name.clone()))],
        ),
        _ => return None,
    };
    Some(
        Say {
            key: key.to_string(),
            args: args.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        }
        .render(spec, lang),
    )
}

fn step(
    spec: &WizardSpec,
    lang: &str,
    s: &StepSpec,
    chem: &ChemistrySpec,
    cells: u32,
    model: &ModelSpec,
) -> StepOut {
    let section = crate::ui::text::section_label(spec, lang, s.section);
    let title = tr(&s.title, lang);
    let heading = match s.number {
        Some(n) => format!("{section} {n}: {title}"),
        None => format!("{section}: {title}"),
    };
    let mut notes = Vec::new();
    if s.optional {
        notes.push(crate::ui::text::label(spec, lang, "optional_step").to_string());
    }
    if let Some(when) = &s.when {
        notes.push(
            Say::new(
                "cli.procedure.when",
                [
                    ("choices", Arg::verbatim(when.is.join(", "))),
                    ("field", Arg::verbatim(when.field.clone())),
                ],
            )
            .render(spec, lang),
        );
    }
    let number = |v: f64| crate::wizard::words::number(spec, lang, v, decimals(v));
    let fields = s
        .input
        .fields()
        .iter()
        .map(|f| {
            let label = tr(&f.label, lang);
            match &f.kind {
                FieldKind::Number { unit, min, max } => format!(
                    "{label} ({}–{} {})",
                    number(*min),
                    number(*max),
                    unit.symbol()
                ),
                FieldKind::Integer { min, max } => format!("{label} ({min}–{max})"),
                FieldKind::Choice { options } => {
                    let o: Vec<&str> = options.iter().map(|o| tr(&o.text, lang)).collect();
                    format!("{label}: {}", o.join(" / "))
                }
                FieldKind::Text => label.to_string(),
            }
        })
        .collect();
    let mut items: Vec<String> = s
        .input
        .items()
        .iter()
        .map(|i| tr(&i.text, lang).to_string())
        .collect();
    if matches!(s.input, InputSpec::Ladder { .. }) {
        items.insert(
            0,
            Say::new(
                "cli.procedure.ladder_readings",
                [("cells", Arg::int(cells))],
            )
            .render(spec, lang),
        );
    }
    let checks = s
        .gates
        .iter()
        .map(|g| {
            let mut text = tr(&g.text, lang).to_string();
            if let Some(value) = limit(spec, lang, &g.check, chem, cells, model) {
                text.push_str(" — ");
                text.push_str(&value);
            }
            if g.safety {
                text.push(' ');
                text.push_str(&Say::plain("cli.procedure.safety").render(spec, lang));
            }
            if let Some(confirm) = &g.confirm {
                text.push_str(&format!(" ({})", tr(confirm, lang)));
            }
            text
        })
        .collect();
    StepOut {
        heading,
        notes,
        instructions: s
            .instructions
            .iter()
            .map(|t| tr(t, lang).to_string())
            .collect(),
        warnings: s.warnings.iter().map(|t| tr(t, lang).to_string()).collect(),
        items,
        fields,
        checks,
    }
}

/// As few decimals as the limit needs (2000 → 0, 3.65 → 2).
fn decimals(v: f64) -> u8 {
    (0..=3u8)
        .find(|d| {
            let f = 10f64.powi(i32::from(*d));
            ((v * f).round() - v * f).abs() < 1e-6
        })
        .unwrap_or(3)
}

/// The procedure as Markdown: a checklist to print or pin at the bench.
pub fn markdown(p: &Procedure) -> String {
    let mut out = format!("# {}\n\n{}\n\n## {}\n\n", p.title, p.pack, p.labels.limits);
    for l in &p.limits {
        out.push_str(&format!("- {l}\n"));
    }
    for n in &p.notes {
        out.push_str(&format!("\n> {n}\n"));
    }
    for s in &p.steps {
        out.push_str(&format!("\n## {}\n\n", s.heading));
        for n in &s.notes {
            out.push_str(&format!("*{n}*\n\n"));
        }
        for i in &s.instructions {
            out.push_str(&format!("{i}\n\n"));
        }
        if !s.warnings.is_empty() {
            out.push_str(&format!("**{}**\n\n", p.labels.warnings));
            for w in &s.warnings {
                out.push_str(&format!("- ⚠ {w}\n"));
            }
            out.push('\n');
        }
        if !s.fields.is_empty() {
            out.push_str(&format!("**{}**\n\n", p.labels.enter));
            for f in &s.fields {
                out.push_str(&format!("- {f}: ________\n"));
            }
            out.push('\n');
        }
        if !s.items.is_empty() {
            out.push_str(&format!("**{}**\n\n", p.labels.confirm));
            for i in &s.items {
                out.push_str(&format!("- [ ] {i}\n"));
            }
            out.push('\n');
        }
        if !s.checks.is_empty() {
            out.push_str(&format!("**{}**\n\n", p.labels.checks));
            for c in &s.checks {
                out.push_str(&format!("- {c}\n"));
            }
        }
    }
    out
}

/// The procedure as a standalone HTML page, through minijinja as the report is; the
/// template engine's own error if it fails.
pub fn html(p: &Procedure) -> std::result::Result<String, minijinja::Error> {
    let mut env = minijinja::Environment::new();
    // A --wizard file's texts are not markup.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.render_str(
        TEMPLATE,
        minijinja::context! { p => minijinja::Value::from_serialize(p) },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_need_only_the_decimals_they_have() {
        assert_eq!(decimals(2000.0), 0);
        assert_eq!(decimals(3.65), 2);
        assert_eq!(decimals(0.5), 1);
        assert_eq!(decimals(0.0125), 3);
    }
}
