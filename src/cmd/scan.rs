//! The `scan` subcommand: which JK units are in range, so the operator can pick one by address.
//!
//! Exit codes: 0 when at least one unit was listed, 1 when the scan worked but found none,
//! 2 when Bluetooth itself is unavailable (the `LinkError` sentence is printed, as `monitor`
//! does for the same errors).

use std::process::ExitCode;
use std::time::Duration;

use color_eyre::eyre::WrapErr;

use crate::bms::ble::{self, Advertisement};
use crate::wizard::spec::WizardSpec;
use crate::wizard::words::say_verbatim;

/// Arguments of `scan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How long to listen, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// One JSON object per unit and line, instead of a table.
    #[arg(long)]
    pub json: bool,
    /// List every device heard, not only those that look like a JK BMS.
    #[arg(long)]
    pub all: bool,
    /// The wizard (for its words) and the language of the output.
    #[command(flatten)]
    pub words: super::WordedArgs,
}

/// Run `scan`; its words in the language `--lang` or the environment picks, the JSON lines
/// as they are.
pub fn run(args: Args) -> color_eyre::Result<ExitCode> {
    let (spec, lang) = super::load_wizard(&super::WizardArgs {
        wizard: args.words.wizard.clone(),
        lang: args.words.lang.clone(),
        ..super::WizardArgs::default()
    })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")?;
    let timeout = Duration::from_secs(args.timeout.max(1));
    let found = runtime.block_on(async {
        if args.all {
            ble::scan_all(timeout).await
        } else {
            ble::scan(timeout).await
        }
    });
    let found = match found {
        Ok(found) => found,
        Err(e) => {
            let why = crate::bench::link::link_error_say(&e).render(&spec, &lang);
            eprintln!("jk-commission: {}", crate::clean::clean_lines(&why));
            return Ok(ExitCode::from(2));
        }
    };
    if found.is_empty() {
        eprintln!(
            "{}",
            nothing_found(&spec, &lang, args.timeout.max(1), args.all)
        );
        return Ok(ExitCode::from(1));
    }
    if args.json {
        for ad in &found {
            println!("{}", json_line(ad));
        }
    } else {
        print!("{}", table(&spec, &lang, &found, args.all));
    }
    Ok(ExitCode::SUCCESS)
}

fn nothing_found(spec: &WizardSpec, lang: &str, secs: u64, all: bool) -> String {
    let key = if all {
        "cli.scan.none_heard"
    } else {
        "cli.scan.none_found"
    };
    say_verbatim(spec, lang, key, &[("secs", &secs.to_string())])
}

fn ids(ad: &Advertisement) -> String {
    let ids: Vec<String> = ad
        .manufacturer_ids()
        .iter()
        .map(|id| format!("{id:#06X}").replace("0X", "0x"))
        .collect();
    if ids.is_empty() {
        "-".into()
    } else {
        ids.join(",")
    }
}

fn table(spec: &WizardSpec, lang: &str, found: &[Advertisement], all: bool) -> String {
    let word = |key: &str| say_verbatim(spec, lang, key, &[]);
    let no_name = word("cli.scan.no_name");
    // A name the unit sent is shown cleaned (one line, controls visible), in its own column.
    let name = |a: &Advertisement| {
        a.name
            .as_deref()
            .map_or(no_name.clone(), |n| crate::clean::clean(n).into_owned())
    };
    let head = word("cli.scan.col_name");
    let address = word("cli.scan.col_address");
    let width = found
        .iter()
        .map(|a| name(a).chars().count())
        .chain([head.chars().count()])
        .max()
        .unwrap_or(4);
    let mut out = format!(
        "{head:<width$}  {address:<17}  {:>5}  {}{}\n",
        "RSSI",
        word("cli.scan.col_maker"),
        if all {
            format!("  {}", word("cli.scan.col_jk"))
        } else {
            String::new()
        }
    );
    for a in found {
        let rssi = a.rssi.map_or("?".to_string(), |r| r.to_string());
        out.push_str(&format!(
            "{:<width$}  {:<17}  {:>5}  {:<12}",
            name(a),
            a.address,
            rssi,
            ids(a)
        ));
        if all {
            if a.looks_like_jk() {
                out.push_str(&format!("  {}", word("cli.scan.yes")));
            } else {
                out.push_str("  -");
            }
        }
        out = out.trim_end().to_string();
        out.push('\n');
    }
    out
}

fn json_line(ad: &Advertisement) -> String {
    serde_json::json!({
        "name": ad.name,
        "address": ad.address,
        "rssi": ad.rssi,
        "manufacturer_ids": ad.manufacturer_ids(),
        "manufacturer_data": ble::manufacturer_hex(ad),
        "jk_service": ad.services.contains(&ble::JK_SERVICE),
        "looks_like_jk": ad.looks_like_jk(),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(name: Option<&str>, address: &str, rssi: Option<i16>, ids: &[u16]) -> Advertisement {
        Advertisement {
            name: name.map(str::to_string),
            address: address.into(),
            rssi,
            manufacturer_data: ids.iter().map(|&i| (i, vec![0xC8, 0x47])).collect(),
            services: vec![ble::JK_SERVICE],
        }
    }

    #[test]
    fn the_table_shows_name_address_signal_and_company() {
        let t = table(
            crate::wizard::words::builtin(),
            "en",
            &[
                unit(
                    Some("JK-B2A24S20P"),
                    "C8:47:8C:E4:54:0F",
                    Some(-58),
                    &[0x0B65],
                ),
                unit(None, "20:21:11:00:00:02", None, &[]),
            ],
            false,
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3, "{t}");
        assert!(
            lines[0].starts_with("NAME") && lines[0].contains("RSSI"),
            "{t}"
        );
        assert!(lines[1].contains("JK-B2A24S20P") && lines[1].contains("C8:47:8C:E4:54:0F"));
        assert!(
            lines[1].contains("-58") && lines[1].contains("0x0B65"),
            "{t}"
        );
        assert!(
            lines[2].contains("(no name)") && lines[2].contains('?'),
            "{t}"
        );
    }

    #[test]
    fn json_lines_carry_the_same_facts() {
        let line = json_line(&unit(
            Some("JK_PB2A16S15P"),
            "20:21:11:00:00:02",
            Some(-70),
            &[0x4B4A],
        ));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["address"], "20:21:11:00:00:02");
        assert_eq!(v["rssi"], -70);
        assert_eq!(v["manufacturer_ids"][0], 0x4B4A);
        assert_eq!(v["manufacturer_data"]["0x4b4a"], "c847");
        assert_eq!(v["jk_service"], true);
    }

    #[test]
    fn finding_nothing_says_what_to_check() {
        let m = nothing_found(crate::wizard::words::builtin(), "en", 5, false);
        assert!(
            m.contains("5 s") && m.contains("--all") && m.contains("--sim"),
            "{m}"
        );
    }

    /// The table's header and the nothing-found sentences in every language: none left in
    /// English, the seconds filled in; the units' own names, addresses and ids as they are.
    #[test]
    fn the_table_and_the_sentences_are_worded_in_every_language() {
        let spec = crate::wizard::words::builtin();
        let found = [
            unit(
                Some("JK-B2A24S20P"),
                "C8:47:8C:E4:54:0F",
                Some(-58),
                &[0x0B65],
            ),
            unit(None, "20:21:11:00:00:02", None, &[]),
        ];
        let english = table(spec, "en", &found, true);
        for lang in spec.languages.iter().filter(|l| *l != "en") {
            let t = table(spec, lang, &found, true);
            let lines: Vec<&str> = t.lines().collect();
            let en: Vec<&str> = english.lines().collect();
            assert_ne!(lines[0], en[0], "{lang}: header left in English");
            assert!(lines[1].contains("JK-B2A24S20P") && lines[1].contains("0x0B65"));
            assert_ne!(lines[2], en[2], "{lang}: '(no name)' left in English");
            for all in [false, true] {
                let m = nothing_found(spec, lang, 7, all);
                assert_ne!(m, nothing_found(spec, "en", 7, all), "{lang}");
                assert!(m.contains("7 s") && !m.contains('{'), "{lang}: {m}");
            }
        }
        let pl = table(spec, "pl", &found, true);
        assert!(pl.starts_with("NAZWA") && pl.contains("PRODUCENT"), "{pl}");
        assert!(pl.lines().nth(1).unwrap().ends_with("tak"), "{pl}");
    }
}
