//! The `ladder` subcommand: check multimeter readings of the balance plug (wiring step 5)
//! without running the whole wizard. Exit 0 wiring right, 1 wiring wrong, 2 bad input.

use std::collections::BTreeMap;
use std::process::ExitCode;

use color_eyre::eyre::{bail, eyre};
use color_eyre::Result;

use crate::bms::model::Chemistry;
use crate::cmd::WizardArgs;
use crate::units::Volts;
use crate::wizard::checks::ladder::{check_ladder, wire_count, LadderReport, RowVerdict};
use crate::wizard::checks::{default_model, typed_decimals, LadderInput};
use crate::wizard::spec::{tr, WizardSpec};

/// Arguments of `ladder`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The pack's chemistry: li-ion, lifepo4 or lto.
    #[arg(long, value_name = "CHEMISTRY")]
    pub chemistry: String,
    /// Cells in series.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=32))]
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
    let spec = match &wizard.wizard {
        Some(path) => WizardSpec::load(path).map_err(|e| eyre!("{e}"))?,
        None => WizardSpec::builtin(),
    };
    let chemistry: Chemistry = args.chemistry.parse().map_err(|e: String| eyre!(e))?;
    let Some(chem) = spec.chemistries.get(&chemistry) else {
        bail!("the wizard has no limits for {chemistry}");
    };
    let cells = args.cells;
    if cells == 0 {
        bail!("--cells must be at least 1");
    }
    let model = match &args.model {
        Some(id) => spec.model(id).ok_or_else(|| {
            let known: Vec<&str> = spec.models.iter().map(|m| m.id.as_str()).collect();
            eyre!(
                "unknown model '{id}': the wizard knows {}",
                known.join(", ")
            )
        })?,
        None => default_model(&spec, cells).ok_or_else(|| {
            let ranges: Vec<String> = spec
                .models
                .iter()
                .map(|m| format!("{}–{}", m.min_cells, m.max_cells))
                .collect();
            eyre!(
                "no BMS model in the wizard takes {cells} cells (they take {})",
                ranges.join(", ")
            )
        })?,
    };
    if !(model.min_cells..=model.max_cells).contains(&cells) {
        bail!(
            "the {} takes {}–{} cells, not {cells}",
            tr(&model.name, "en"),
            model.min_cells,
            model.max_cells
        );
    }
    // The readings take hyphenated values (a reversed meter reads -3,29, which clap would not
    // see as a number), so an option typed after them arrives here as a reading.
    if let Some(option) = args.readings.iter().find(|r| looks_like_option(r)) {
        bail!(
            "'{option}' is among the readings: put options before the readings (everything from \
             the first reading on is read as a reading)"
        );
    }
    if args.readings.len() != cells as usize {
        bail!(
            "{cells} cells need {cells} readings (pin 1 to each cell's plus, in order), got {}",
            args.readings.len()
        );
    }
    let readings = args
        .readings
        .iter()
        .enumerate()
        .map(|(i, text)| {
            Volts::parse(text)
                .map(Some)
                .map_err(|e| eyre!("reading {} (cell {}): {e}", i + 1, i + 1))
        })
        .collect::<Result<Vec<_>>>()?;
    let pack_voltage =
        Volts::parse(&args.pack_voltage).map_err(|e| eyre!("--pack-voltage: {e}"))?;
    let last_pin = args
        .last_pin
        .as_deref()
        .map(|t| Volts::parse(t).map_err(|e| eyre!("--last-pin: {e}")))
        .transpose()?;
    let unused = parse_unused(&args.unused)?;
    let wires = wire_count(model);
    for wire in unused.keys() {
        if *wire <= cells + 1 || *wire >= wires {
            let free = if cells + 2 < wires {
                format!("the unused wires are {}–{}", cells + 2, wires - 1)
            } else {
                "no wire is unused with this pack".to_string()
            };
            bail!("--unused {wire}: wire {wire} is in use, not unused: {free}");
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
        let faults: Vec<_> = report.gate_faults().collect();
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
                &report,
                tr(&chem.name, "en"),
                cells,
                tr(&model.name, "en"),
                pack_voltage
            ))
        );
        if let Some(note) = &chem.ladder_note {
            println!("Note: {}", crate::clean::clean(tr(note, "en")));
        }
        if let Some(note) = model.split_note("en") {
            println!("Note: {note}");
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

/// `--unused 12=0,02` → wire 12 read 0.02 V.
fn parse_unused(entries: &[String]) -> Result<BTreeMap<u32, Volts>> {
    entries
        .iter()
        .map(|entry| {
            let form = || eyre!("--unused {entry}: write WIRE=V, e.g. --unused 15=0.02");
            let (wire, volts) = entry.split_once('=').ok_or_else(form)?;
            let wire: u32 = wire.trim().parse().map_err(|_| form())?;
            let volts = Volts::parse(volts).map_err(|e| eyre!("--unused {entry}: {e}"))?;
            Ok((wire, volts))
        })
        .collect()
}

/// The report as a plain table, then the diagnosis.
fn table(report: &LadderReport, chem: &str, cells: u32, model: &str, pack: Volts) -> String {
    let mut out = format!("{chem}, {cells} cells on {model}; pack {pack:.2}\n");
    out.push_str("cell  pin             reading     step        verdict\n");
    for row in &report.rows {
        let volts = |v: Option<Volts>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
        let verdict = match row.verdict {
            RowVerdict::Ok => "ok",
            RowVerdict::Fault => "FAULT",
            RowVerdict::Pending => "pending",
        };
        out.push_str(&format!(
            "{:>4}  {:<14}  {:>10}  {:>10}  {verdict}\n",
            row.cell.get(),
            row.pin.to_string(),
            volts(row.reading),
            volts(row.step),
        ));
    }
    let faults: Vec<_> = report.gate_faults().collect();
    if faults.is_empty() {
        out.push_str("Wiring right: every pin one cell higher, up to the pack voltage.\n");
    } else {
        out.push_str(&format!(
            "Wiring WRONG — {} fault{}:\n",
            faults.len(),
            if faults.len() == 1 { "" } else { "s" }
        ));
        for f in faults {
            let at = f.cell.map_or(String::new(), |c| format!("cell {c}, "));
            out.push_str(&format!("  [{at}{}] {}\n", f.kind, f.detail));
        }
    }
    out
}
