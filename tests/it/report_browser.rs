//! The report as a reader gets it: the settings under the app's labels with what is expected
//! of each, the cells and the protection test as pictures, and — where a browser is installed
//! — printed to A4 by a real headless Chromium.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{example, jk, text, tmp};

/// A clean simulated commissioning's session folder.
fn commissioned(dir: &Path) -> PathBuf {
    commissioned_with(dir, &[])
}

/// A clean simulated commissioning's session folder, `run` given `extra` options too.
fn commissioned_with(dir: &Path, extra: &[&str]) -> PathBuf {
    let out = dir.join("session");
    let answers = example("clean-lifepo4-16s.yaml");
    let mut args = vec!["run", "--sim", "--answers", answers.to_str().unwrap()];
    args.extend(["--out", out.to_str().unwrap()]);
    args.extend(extra);
    let run = jk(&args);
    assert!(run.status.success(), "{}", text(&run.stderr));
    out
}

#[test]
fn the_report_reads_like_a_certificate() {
    let dir = tmp();
    let report = std::fs::read_to_string(commissioned(dir.path()).join("report.html")).unwrap();
    // The app's own labels, never the log's field names.
    for label in [
        "Cell OVP(V)",
        "Cell UVPR(V)",
        "Balance Trig.Volt(V)",
        "Battery Capacity(AH)",
        "CONTROL: Balance",
    ] {
        assert!(report.contains(label), "{label} missing");
    }
    for field in [
        "<td>balance_switch</td>",
        "<td>cell_uvpr</td>",
        "<td>cell_ovp</td>",
    ] {
        assert!(!report.contains(field), "{field} shown by its field name");
    }
    // Every safety setting has its expected value beside it, and meets it on a clean pack.
    for expected in [
        "3.450 V–3.650 V",
        "2.500 V–3.000 V",
        "&lt; 3.600 V",
        "<td>16</td>",
    ] {
        assert!(report.contains(expected), "{expected} missing");
    }
    assert!(!report.contains("✘"), "a clean pack fails nothing");
    // The pictures: 16 bars, and the test's two lines with both cut-offs and both limits.
    assert_eq!(report.matches("<rect class=").count(), 16);
    assert_eq!(report.matches("<polyline").count(), 2);
    assert!(report.contains("charge cut-off 3.") && report.contains("discharge cut-off 2."));
    assert!(report.contains("set Cell OVP 3.600 V") && report.contains("set Cell UVP 2.600 V"));
    assert!(report.contains("@page { size: A4"));
    // Still standalone: nothing to fetch.
    assert!(!report.contains("http"), "no network reference");
}

#[test]
fn text_in_the_charts_is_escaped_and_every_setting_is_shown_once() {
    let dir = tmp();
    let session = commissioned(dir.path());
    let text_log = std::fs::read_to_string(session.join("log.yaml")).unwrap();
    let mut log: jk_commission::log::record::CommissioningLog =
        serde_yaml::from_str(&text_log).unwrap();
    // A log edited by hand (or by a hostile tool) carries markup where a number belongs.
    log.cells.as_mut().unwrap().delta = "5 mV</text><script>x</script>&".into();
    let html = jk_commission::log::report::render(
        &log,
        &text_log,
        None,
        jk_commission::wizard::words::builtin(),
    );
    let chart = html.split("<svg").nth(1).unwrap();
    assert!(!html.contains("<script>"), "markup got through");
    assert!(
        chart.contains("spread 5 mV&lt;&#x2f;text&gt;&lt;script&gt;x&lt;&#x2f;script&gt;&amp;"),
        "{chart}"
    );
    // Each setting read back is one row of the table, under its app label.
    let settings = log.settings.as_ref().unwrap();
    assert!(settings.values.len() > 5);
    let table = html.split("<th>On the BMS</th>").nth(1).unwrap();
    let table = table.split("</table>").next().unwrap();
    assert_eq!(
        table.matches("<tr><td>").count(),
        settings.values.len(),
        "one row per setting: {table}"
    );
}

/// A Chromium to print with, or why there is none.
fn browser() -> Result<String, String> {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        let found = Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if found {
            return Ok(name.to_string());
        }
    }
    Err("no chromium, chromium-browser or google-chrome on PATH".into())
}

#[test]
fn a_real_browser_prints_the_report_on_a4_pages() {
    let name = match browser() {
        Ok(name) => name,
        Err(why) => {
            assert!(
                std::env::var_os("JK_REQUIRE_BROWSER").is_none(),
                "JK_REQUIRE_BROWSER is set but {why}"
            );
            eprintln!("skipped: {why} (CI installs chromium: .ci/run)");
            return;
        }
    };
    let dir = tmp();
    let session = commissioned(dir.path());
    let pdf = dir.path().join("report.pdf");
    let url = format!("file://{}", session.join("report.html").display());
    let profile = dir.path().join("profile");
    let run = |args: &[String]| {
        let out = Command::new(&name)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(args)
            .arg(&url)
            .output()
            .expect("the browser runs");
        assert!(out.status.success(), "{}", text(&out.stderr));
    };
    run(&[format!("--print-to-pdf={}", pdf.display())]);
    let bytes = std::fs::read(&pdf).expect("a PDF was printed");
    let body = String::from_utf8_lossy(&bytes);
    assert!(body.starts_with("%PDF"), "not a PDF");
    // Every page is A4 (595 × 842 points), and the report takes a few of them, not dozens.
    let boxes: Vec<&str> = body
        .match_indices("/MediaBox [")
        .map(|(i, _)| &body[i..])
        .collect();
    assert!(!boxes.is_empty(), "no pages");
    for b in &boxes {
        let nums: Vec<f64> = b["/MediaBox [".len()..]
            .split(']')
            .next()
            .unwrap()
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        assert!(
            (nums[2] - 595.0).abs() < 2.0 && (nums[3] - 842.0).abs() < 2.0,
            "not A4: {nums:?}"
        );
    }
    assert!(boxes.len() <= 10, "{} pages", boxes.len());
    // Nothing is wider than an A4 page's text (180 mm = 680 px at 96 dpi): the report is
    // laid out in a frame that wide and every element's right edge is measured.
    let wrapper = dir.path().join("measure.html");
    std::fs::write(
        &wrapper,
        format!(
            r#"<!DOCTYPE html><html><body style="margin:0"><iframe id="f" src="{url}" style="width:680px;height:1000px;border:0"></iframe>
<script>document.getElementById('f').onload=function(){{var d=this.contentDocument,w=d.documentElement.clientWidth,out=[];
d.querySelectorAll('table,svg,p,h2,div').forEach(function(e){{var r=e.getBoundingClientRect();if(r.right>w+1)out.push(e.tagName+'.'+e.getAttribute('class')+' '+Math.round(r.right)+'px');}});
document.body.setAttribute('data-wide',out.length?out.join(', '):'none');}};</script></body></html>"#
        ),
    )
    .unwrap();
    let out = Command::new(&name)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--allow-file-access-from-files",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", wrapper.display()))
        .output()
        .expect("the browser runs");
    let dom = text(&out.stdout);
    assert!(
        dom.contains(r#"data-wide="none""#),
        "wider than A4's text: {}",
        dom.split("data-wide=")
            .nth(1)
            .unwrap_or(&dom[..dom.len().min(400)])
    );
}

#[test]
fn the_report_is_in_the_sessions_language_with_its_decimals() {
    let dir = tmp();
    let out = commissioned_with(dir.path(), &["--lang", "pl"]);
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains(r#"<html lang="pl">"#));
    assert!(
        report.contains("<h1>Protokół uruchomienia JK BMS</h1>"),
        "{report}"
    );
    assert!(
        report.contains("Okablowanie i aktywacja 5 — "),
        "step headings in Polish"
    );
    assert!(
        report.contains("ustawione Cell OVP 3,600 V"),
        "Polish decimals"
    );
    assert!(!report.contains("Checklist") && !report.contains("Verdict"));
}

#[test]
fn no_english_chrome_is_left_in_the_report_in_any_language() {
    let dir = tmp();
    let session = commissioned(dir.path());
    let text_log = std::fs::read_to_string(session.join("log.yaml")).unwrap();
    let log: jk_commission::log::record::CommissioningLog =
        serde_yaml::from_str(&text_log).unwrap();
    let spec = jk_commission::wizard::words::builtin();
    // The English words of the report that no other language shares ("BMS", "Model" and the
    // like are the same in several languages and say nothing).
    let english: Vec<String> = spec
        .cli
        .iter()
        .filter(|(k, _)| k.starts_with("cli.report."))
        .map(|(_, t)| t["en"].clone())
        .filter(|en| !en.contains('{') && en.chars().filter(|c| c.is_alphabetic()).count() > 8)
        .collect();
    assert!(english.len() > 40, "{}", english.len());
    for lang in ["pl", "de", "cs", "sk", "da", "hu"] {
        let mut log = log.clone();
        log.language = lang.into();
        let html = jk_commission::log::report::render(&log, &text_log, None, spec);
        assert!(html.contains(&format!(r#"<html lang="{lang}">"#)));
        let body = html.split("<body>").nth(1).unwrap();
        for en in &english {
            let shared = spec
                .cli
                .values()
                .any(|t| t.get(lang) == Some(en) && t["en"] == *en);
            if !shared {
                let escaped = en.replace('\'', "&#x27;");
                assert!(!has_words(body, &escaped), "{lang}: English left: {en}");
            }
        }
    }
}

/// Whether `text` holds `words` as whole words (not "Checklist" inside "Checkliste").
fn has_words(text: &str, words: &str) -> bool {
    text.match_indices(words).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + words.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}
