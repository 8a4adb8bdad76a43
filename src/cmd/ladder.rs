//! The `ladder` subcommand: check multimeter readings of the balance plug (wiring step 5)
//! without running the whole wizard. Exit 0 wiring right, 1 wiring wrong, 2 bad input.

use std::collections::BTreeMap;
use std::process::ExitCode;

use color_eyre::Result;

use crate::cmd::WizardArgs;
use crate::units::Volts;
use crate::wizard::checks::ladder::{check_ladder, wire_count, LadderReport, RowVerdict};
use crate::wizard::checks::{typed_decimals, LadderInput};
use crate::wizard::spec::{tr, WizardSpec};
use crate::wizard::words::{Arg, Say};

/// Arguments of `ladder`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The pack's chemistry: li-ion, lifepo4 or lto.
    #[arg(long, value_name = "CHEMISTRY")]
    pub chemistry: String,
    /// Cells in series (1–32; refused in the operator's words outside it).
    #[arg(long, value_name = "N")]
    pub cells: u32,
    /// The pack voltage measured across the pack's own terminals (3,65 or 3.65 accepted).
    #[arg(long, value_name = "V", allow_hyphen_values = true)]
    pub pack_voltage: String,
    /// BMS model id from the wizard (default: the smallest model that takes the cells).
    #[arg(long, value_name = "ID")]
    pub model: Option<String>,
    /// Reading on the last pin of the last plug, when the pack has fewer cells than the unit.
    #[arg(long, value_name = "V", allow_hyphen_values = true)]
    pub last_pin: Option<String>,
    /// Reading on an unused wire, as WIRE=V (wire 1 = pin 1 of plug 1); repeatable.
    #[arg(long, value_name = "WIRE=V")]
    pub unused: Vec<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// The readings from pin 1 (black) to cell 1's plus, cell 2's plus, …: one per cell.
    #[arg(
        value_name = "V",
        required = true,
        num_args = 1..,
        allow_hyphen_values = true
    )]
    pub readings: Vec<String>,
}

/// Run `ladder`.
pub fn run(args: Args, wizard: WizardArgs) -> Result<ExitCode> {
    let (spec, lang) = crate::cmd::load_wizard(&wizard)?;
    let lang = lang.as_str();
    // A reading that is not a volt value is refused in the operator's words, as typed.
    let refused = |what: Arg, e: &crate::units::ParseError| {
        crate::wizard::checks::fields::quantity_refused(what, crate::wizard::spec::Unit::V, e)
    };
    let refusal = |say: Say| crate::cmd::refusal(&spec, lang, &say);
    let (chemistry, chem) = crate::cmd::pick_chemistry(&spec, lang, &args.chemistry)?;
    let cells = args.cells;
    let model = crate::cmd::pick_model(&spec, lang, args.model.as_deref(), cells)?;
    // The readings take hyphenated values (a reversed meter reads -3,29, which clap would not
    // see as a number), so an option typed after them arrives here as a reading.
    if let Some(option) = args.readings.iter().find(|r| looks_like_option(r)) {
        return Err(refusal(Say::new(
            "cli.ladder.option_among_readings",
            [("option", Arg::verbatim(option))],
        )));
    }
    if args.readings.len() != cells as usize {
        return Err(refusal(Say::new(
            "cli.ladder.readings_count",
            [
                ("cells", Arg::int(cells)),
                ("got", Arg::int(args.readings.len() as i64)),
            ],
        )));
    }
    let readings = args
        .readings
        .iter()
        .enumerate()
        .map(|(i, text)| {
            Volts::parse(text).map(Some).map_err(|e| {
                let what = Say::new("cli.ladder.reading", [("cell", Arg::int(i as i64 + 1))]);
                refusal(refused(Arg::say(what), &e))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let pack_voltage = Volts::parse(&args.pack_voltage)
        .map_err(|e| refusal(refused(Arg::verbatim("--pack-voltage"), &e)))?;
    let last_pin = args
        .last_pin
        .as_deref()
        .map(|t| Volts::parse(t).map_err(|e| refusal(refused(Arg::verbatim("--last-pin"), &e))))
        .transpose()?;
    let unused = parse_unused(&args.unused, refused).map_err(refusal)?;
    let wires = wire_count(model);
    for wire in unused.keys() {
        if *wire <= cells + 1 || *wire >= wires {
            let free = if cells + 2 < wires {
                let free: Vec<u32> = (cells + 2..wires).collect();
                Say::new("cli.ladder.unused_free", [("wires", Arg::Numbers(free))])
            } else {
                Say::plain("cli.ladder.no_unused")
            };
            return Err(refusal(Say::new(
                "cli.ladder.unused_in_use",
                [("free", Arg::say(free)), ("wire", Arg::int(*wire))],
            )));
        }
    }
    let input = LadderInput {
        readings,
        pack_voltage: Some(pack_voltage),
        last_pin,
        unused,
        decimals: args
            .readings
            .iter()
            .map(|t| Some(typed_decimals(t)))
            .collect(),
    };
    let report = check_ladder(chem, cells, model, &spec.limits, &input);

    if args.json {
        // The JSON keeps its `detail` sentence (in the chosen language) beside the code and
        // the sentence's key and arguments.
        let faults: Vec<_> = report
            .gate_faults()
            .map(|f| {
                serde_json::json!({
                    "cell": f.cell,
                    "kind": f.kind,
                    "detail": f.say.render(&spec, lang),
                    "say": f.say,
                })
            })
            .collect();
        let out = serde_json::json!({
            "ok": report.ok(),
            "chemistry": chemistry.id(),
            "cells": cells,
            "model": model.id,
            "pack_voltage": pack_voltage,
            "faults": faults,
            "rows": report.rows,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        // Chemistry and model names come from the wizard file, which `--wizard` may replace.
        print!(
            "{}",
            crate::clean::clean_lines(&table(
                &spec,
                lang,
                &report,
                (tr(&chem.name, lang), cells, tr(&model.name, lang)),
                pack_voltage
            ))
        );
        let note =
            |text: &str| Say::new("cli.note", [("note", Arg::verbatim(text))]).render(&spec, lang);
        if let Some(n) = &chem.ladder_note {
            println!("{}", crate::clean::clean(&note(tr(n, lang))));
        }
        if let Some(n) = model.split_note(lang) {
            println!("{}", crate::clean::clean(&note(&n)));
        }
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `--json`, `-x`: not a reading such as `-3,29` or `-.5`.
fn looks_like_option(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next() == Some('-') && chars.next().is_some_and(|c| c == '-' || c.is_alphabetic())
}

/// `--unused 12=0,02` → wire 12 read 0.02 V. A mistake is a sentence: the form to write, or
/// the volts refused as `refused` words a quantity.
fn parse_unused(
    entries: &[String],
    refused: impl Fn(Arg, &crate::units::ParseError) -> Say,
) -> std::result::Result<BTreeMap<u32, Volts>, Say> {
    entries
        .iter()
        .map(|entry| {
            let form = || Say::new("cli.ladder.unused_form", [("entry", Arg::verbatim(entry))]);
            let (wire, volts) = entry.split_once('=').ok_or_else(form)?;
            let wire: u32 = wire.trim().parse().map_err(|_| form())?;
            let volts = Volts::parse(volts)
                .map_err(|e| refused(Arg::verbatim(format!("--unused {entry}")), &e))?;
            Ok((wire, volts))
        })
        .collect()
}

/// The report as a plain table, then the diagnosis, in `lang`.
fn table(
    spec: &WizardSpec,
    lang: &str,
    report: &LadderReport,
    (chem, cells, model): (&str, u32, &str),
    pack: Volts,
) -> String {
    let say = |key: &str| Say::plain(key).render(spec, lang);
    let volts = |v: Volts| Arg::volts(v.0, 2);
    let mut out = Say::new(
        "cli.ladder.header",
        [
            ("cells", Arg::int(cells)),
            ("chemistry", Arg::verbatim(chem)),
            ("model", Arg::verbatim(model)),
            ("pack", volts(pack)),
        ],
    )
    .render(spec, lang);
    out.push('\n');
    // Columns padded by display width, so translated headings stay aligned.
    let pad = |s: &str, w: usize, right: bool| {
        let gap = " ".repeat(w.saturating_sub(crate::ui::text::width(s)));
        if right {
            format!("{gap}{s}")
        } else {
            format!("{s}{gap}")
        }
    };
    out.push_str(&format!(
        "{}  {}  {}  {}  {}\n",
        pad(&say("cli.ladder.col_cell"), 4, false),
        pad(&say("cli.ladder.col_pin"), 20, false),
        pad(&say("cli.ladder.col_reading"), 10, true),
        pad(&say("cli.ladder.col_step"), 10, true),
        say("cli.ladder.col_verdict"),
    ));
    for row in &report.rows {
        let shown = |v: Option<Volts>| {
            v.map_or("-".to_string(), |v| {
                crate::wizard::words::render_arg(spec, lang, &volts(v))
            })
        };
        let verdict = say(match row.verdict {
            RowVerdict::Ok => "cli.ladder.ok",
            RowVerdict::Fault => "cli.ladder.fault",
            RowVerdict::Pending => "cli.ladder.pending",
        });
        let pin = crate::wizard::words::render_arg(
            spec,
            lang,
            &Arg::Pin {
                plug: row.pin.plug,
                pin: row.pin.pin,
            },
        );
        out.push_str(&format!(
            "{}  {}  {}  {}  {verdict}\n",
            pad(&row.cell.get().to_string(), 4, true),
            pad(&pin, 20, false),
            pad(&shown(row.reading), 10, true),
            pad(&shown(row.step), 10, true),
        ));
    }
    let faults: Vec<_> = report.gate_faults().collect();
    if faults.is_empty() {
        out.push_str(&say("cli.ladder.right"));
        out.push('\n');
    } else {
        out.push_str(
            &Say::new(
                "cli.ladder.wrong",
                [("count", Arg::int(faults.len() as i64))],
            )
            .render(spec, lang),
        );
        out.push('\n');
        for f in faults {
            let at = f.cell.map_or(String::new(), |c| {
                Say::new("cli.ladder.at_cell", [("cell", Arg::int(c))]).render(spec, lang)
            });
            out.push_str(&format!(
                "  [{at}{}] {}\n",
                f.kind,
                f.say.render(spec, lang)
            ));
        }
    }
    out
}
