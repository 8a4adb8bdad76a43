//! The `archive` subcommand: the workshop's archive of verified sessions (`crate::archive`).
//! `add` verifies each folder as `verify` does and refuses what fails, saying why; `list`,
//! `search`, `show` and `export --csv` read it back. Everything printed is cleaned.

use std::path::PathBuf;
use std::process::ExitCode;

use color_eyre::eyre::{bail, eyre, WrapErr};

use super::WizardArgs;
use crate::archive::{self, Archive, ArchiveError, Archived, Filter, Inserted, Location, Refused};
use crate::clean::Clean;
use crate::log::allowed_signers;
use crate::wizard::spec::{pick_language, WizardSpec};
use crate::wizard::words::say_verbatim;

/// The exit statuses, for `--help`.
pub const EXIT_CODES: &str = "Exit status:
  0  done (every folder archived, or already in the archive)
  1  a folder was refused (the reason is printed; the others were still archived), or
     `show` found no such session
  2  the archive or an input could not be used at all

The archive: --db URL|FILE, else $JK_ARCHIVE_DB, else the first line of
<config dir>/jk-commission/archive_db, else the SQLite file
<data dir>/jk-commission/archive.sqlite3.";

/// Arguments of `archive`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_CODES)]
pub struct Args {
    /// The archive: `postgres://user:password@host/db` for a shared server, or a SQLite file
    /// [default: the config entry, else archive.sqlite3 in the platform's data directory].
    /// `--help` never shows the variable's value: it may hold a password.
    #[arg(
        long,
        global = true,
        value_name = "URL|FILE",
        env = "JK_ARCHIVE_DB",
        hide_env_values = true
    )]
    pub db: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// What to do with the archive.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Verify finished session folders and archive them (the same log twice: a no-op).
    Add {
        /// Session folders (each holds log.yaml and log.yaml.sig).
        #[arg(value_name = "FOLDER", required = true)]
        folders: Vec<PathBuf>,
        /// An OpenSSH allowed_signers file naming trusted keys [default: the workshop's
        /// file in the platform's config directory].
        #[arg(long, value_name = "FILE")]
        allowed_signers: Option<PathBuf>,
    },
    /// List archived sessions, oldest first; every filter given must match.
    List(Filters),
    /// Find sessions whose pack id, BMS serial, operator, signer, verdict, model or date
    /// holds TEXT (case-insensitive).
    Search {
        /// What to look for.
        text: String,
    },
    /// One session: its summary, where its files are, and the BMS's other commissionings.
    Show {
        /// Its number (see `archive list`).
        id: i64,
    },
    /// Write the selected sessions as CSV.
    Export {
        /// CSV (the one format there is; required so a later format cannot change the default).
        #[arg(long, required = true)]
        csv: bool,
        /// Write here instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Which sessions.
        #[command(flatten)]
        filters: Filters,
    },
}

/// The filters of `list` and `export`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Filters {
    /// The pack id.
    #[arg(long, value_name = "ID")]
    pub pack: Option<String>,
    /// The BMS serial number: its whole history.
    #[arg(long, value_name = "SERIAL")]
    pub serial: Option<String>,
    /// The operator (any part of the name).
    #[arg(long, value_name = "NAME")]
    pub operator: Option<String>,
    /// pass or pass_with_overrides.
    #[arg(long, value_name = "VERDICT")]
    pub verdict: Option<String>,
    /// Signed off on or after this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Signed off on or before this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Only simulated, replayed and training sessions.
    #[arg(long, conflicts_with = "live")]
    pub simulated: bool,
    /// Only sessions on a live unit.
    #[arg(long)]
    pub live: bool,
}

impl Filters {
    fn filter(&self) -> Filter {
        Filter {
            pack: self.pack.clone(),
            serial: self.serial.clone(),
            operator: self.operator.clone(),
            verdict: self.verdict.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
            simulated: match (self.simulated, self.live) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            },
        }
    }
}

/// The words `archive` speaks: wizard.yaml's `cli.archive.*` in one language.
#[derive(Clone, Copy)]
struct Words<'a> {
    spec: &'a WizardSpec,
    lang: &'a str,
}

impl Words<'_> {
    /// `cli.archive.<key>` with these values filled in as they are (each one cleaned).
    fn say(&self, key: &str, values: &[(&str, &str)]) -> String {
        say_verbatim(self.spec, self.lang, &format!("cli.archive.{key}"), values)
    }

    /// The archive's error in these words, to stop with.
    fn error(&self, e: ArchiveError) -> color_eyre::Report {
        super::refusal(self.spec, self.lang, &e.say())
    }
}

/// Where the archive is, from `--db` (or `$JK_ARCHIVE_DB`), the config entry or the default.
fn location(db: Option<&str>, w: Words<'_>) -> color_eyre::Result<Location> {
    if let Some(db) = db.filter(|d| !d.trim().is_empty()) {
        return Ok(Location::parse(db));
    }
    if let Some(entry) = archive::config_entry() {
        if let Some(db) = archive::read_config(&entry) {
            return Ok(Location::parse(&db));
        }
    }
    Location::default_sqlite().ok_or_else(|| eyre!(w.say("no_data_dir", &[])))
}

/// Run `archive`; what it says is in the language `wizard` picks (`--lang`, else the
/// environment's), the exported CSV as it is. `wizard` also gives `--wizard FILE`, the wizard
/// the logs to add were made with.
pub fn run(args: Args, wizard: &WizardArgs) -> color_eyre::Result<ExitCode> {
    // The words come from the built-in wizard: `list` or `show` need no wizard file to speak.
    let spec = crate::wizard::words::builtin();
    let lang = pick_language(
        wizard.lang.as_deref(),
        super::env_language().as_deref(),
        spec,
    );
    let w = Words { spec, lang: &lang };
    let location = location(args.db.as_deref(), w)?;
    let mut archive = Archive::open(&location).map_err(|e| w.error(e))?;
    match args.command {
        Command::Add {
            folders,
            allowed_signers,
        } => add(&mut archive, &folders, allowed_signers, wizard, w),
        Command::List(filters) => {
            let rows = archive.list(&filters.filter()).map_err(|e| w.error(e))?;
            print_table(&rows, &archive.describe(), w);
            Ok(ExitCode::SUCCESS)
        }
        Command::Search { text } => {
            let rows = archive.search(&text).map_err(|e| w.error(e))?;
            print_table(&rows, &archive.describe(), w);
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { id } => show(&mut archive, id, w),
        Command::Export { out, filters, .. } => {
            let rows = archive.list(&filters.filter()).map_err(|e| w.error(e))?;
            match out {
                Some(path) => {
                    let shown = path.display().to_string();
                    let file = std::fs::File::create(&path)
                        .wrap_err_with(|| w.say("cannot_write", &[("path", &shown)]))?;
                    archive::to_csv(&rows, file)?;
                    eprintln!(
                        "{}",
                        w.say(
                            "written",
                            &[("n", &rows.len().to_string()), ("path", &shown)]
                        )
                    );
                }
                None => archive::to_csv(&rows, std::io::stdout().lock())?,
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn add(
    archive: &mut Archive,
    folders: &[PathBuf],
    allowed: Option<PathBuf>,
    wizard: &WizardArgs,
    w: Words<'_>,
) -> color_eyre::Result<ExitCode> {
    let anchor = match allowed {
        Some(p) => p,
        None => match allowed_signers::default_path().filter(|p| p.exists()) {
            Some(p) => p,
            None => bail!(match allowed_signers::default_path() {
                Some(p) => w.say("no_signers_at", &[("path", &p.display().to_string())]),
                None => w.say("no_signers", &[]),
            }),
        },
    };
    let allowed = std::fs::read_to_string(&anchor).wrap_err_with(|| {
        w.say(
            "cannot_read_signers",
            &[("path", &anchor.display().to_string())],
        )
    })?;
    let (spec, _) = super::load_wizard(wizard)?;
    let mut refused = 0;
    for folder in folders {
        match archive.add(folder, &allowed, &spec) {
            Ok((inserted, row)) => {
                let what = match inserted {
                    Inserted::Added(id) => w.say("added", &[("id", &id.to_string())]),
                    Inserted::AlreadyThere(id) => w.say("already", &[("id", &id.to_string())]),
                };
                println!(
                    "{}",
                    w.say(
                        "add_line",
                        &[
                            ("folder", &folder.display().to_string()),
                            ("marks", &marks(&row, w)),
                            ("pack", &row.pack_id),
                            ("serial", &serial(&row, w)),
                            ("signer", &row.signer),
                            ("verdict", &row.verdict),
                            ("what", &what),
                        ]
                    )
                );
                let history = archive.history(&row.bms_serial).map_err(|e| w.error(e))?;
                if history.len() > 1 {
                    println!(
                        "  {}",
                        w.say(
                            "history_hint",
                            &[
                                ("n", &history.len().to_string()),
                                ("serial", &row.bms_serial)
                            ]
                        )
                    );
                }
            }
            Err(Refused::Archive(e)) => return Err(w.error(e)),
            Err(e) => {
                refused += 1;
                // The folder and why, in the operator's words, as the checks say it (what
                // was typed, found or said by the system kept on its one line, cleaned).
                eprintln!("jk-commission: {}", e.say().render(w.spec, w.lang));
            }
        }
    }
    Ok(if refused > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn serial(row: &Archived, w: Words<'_>) -> String {
    if row.bms_serial.is_empty() {
        w.say("no_serial", &[])
    } else {
        row.bms_serial.clone()
    }
}

/// The session's kind in words (the KIND column).
fn kind(row: &Archived, w: Words<'_>) -> String {
    w.say(&format!("kind.{}", row.kind()), &[])
}

/// The session's kind, when it is not a live unit: loud, so it is never taken for one (with
/// the space before it).
fn marks(row: &Archived, w: Words<'_>) -> String {
    let mark = match row.kind() {
        "live" => return String::new(),
        "training" => w.say(
            "mark_training",
            &[("scenario", row.training.as_deref().unwrap_or(""))],
        ),
        other => w.say(&format!("mark_{other}"), &[]),
    };
    format!(" {mark}")
}

/// `text` padded with spaces to `width` characters (a longer text is left whole).
fn pad(text: &str, width: usize) -> String {
    format!("{text:<width$}")
}

fn print_table(rows: &[Archived], store: &str, w: Words<'_>) {
    if rows.is_empty() {
        println!("{}", w.say("none_match", &[("store", store)]));
        return;
    }
    // Each column as wide as its data needs in English, or as its heading in this language.
    let columns = [
        ("id", 5),
        ("signed_off", 10),
        ("pack", 16),
        ("serial", 18),
        ("operator", 16),
        ("verdict", 19),
    ];
    let heads: Vec<(String, usize)> = columns
        .iter()
        .map(|(key, min)| {
            let head = w.say(&format!("col.{key}"), &[]);
            let width = head.chars().count().max(*min);
            (head, width)
        })
        .collect();
    let width = |i: usize| heads[i].1;
    println!(
        "{:>w0$}  {}  {}  {}  {}  {}  {}",
        heads[0].0,
        pad(&heads[1].0, width(1)),
        pad(&heads[2].0, width(2)),
        pad(&heads[3].0, width(3)),
        pad(&heads[4].0, width(4)),
        pad(&heads[5].0, width(5)),
        w.say("col.kind", &[]),
        w0 = width(0),
    );
    for r in rows {
        println!(
            "{:>w0$}  {}  {}  {}  {}  {}  {}",
            r.id,
            pad(
                &Clean(r.signed_off_at.get(..10).unwrap_or(&r.signed_off_at)).to_string(),
                width(1)
            ),
            pad(&Clean(&r.pack_id).to_string(), width(2)),
            pad(&Clean(serial(r, w)).to_string(), width(3)),
            pad(&Clean(&r.operator).to_string(), width(4)),
            pad(&Clean(&r.verdict).to_string(), width(5)),
            kind(r, w),
            w0 = width(0),
        );
    }
    println!("{}", w.say("count", &[("n", &rows.len().to_string())]));
}

fn show(archive: &mut Archive, id: i64, w: Words<'_>) -> color_eyre::Result<ExitCode> {
    let Some(r) = archive.show(id).map_err(|e| w.error(e))? else {
        eprintln!(
            "jk-commission: {}",
            w.say(
                "no_session",
                &[("id", &id.to_string()), ("store", &archive.describe())]
            )
        );
        return Ok(ExitCode::from(1));
    };
    let line = |key: &str, values: &[(&str, &str)]| {
        println!("  {}", w.say(&format!("show.{key}"), values));
    };
    println!(
        "{}",
        w.say(
            "session",
            &[("id", &r.id.to_string()), ("marks", &marks(&r, w))]
        )
    );
    line(
        "pack",
        &[
            ("cells", &r.series_cells.to_string()),
            ("chemistry", &r.chemistry),
            ("pack", &r.pack_id),
        ],
    );
    line(
        "bms",
        &[("model", &r.bms_model), ("serial", &serial(&r, w))],
    );
    line("operator", &[("name", &r.operator)]);
    line(
        "signed_off",
        &[
            ("at", &r.signed_off_at),
            ("by", &r.signed_off_by),
            ("signer", &r.signer),
        ],
    );
    line("started", &[("at", &r.started_at)]);
    line("verdict", &[("verdict", &r.verdict)]);
    if r.simulated {
        line("simulated", &[]);
    }
    if r.replayed {
        line("replayed", &[]);
    }
    line(
        "archived",
        &[("at", &r.archived_at), ("sha256", &r.log_sha256)],
    );
    line("folder", &[("folder", &r.folder)]);
    let folder = PathBuf::from(&r.folder);
    let mut files = vec![
        crate::log::session::LOG,
        crate::log::session::SIGNATURE,
        crate::log::session::REPORT,
        crate::log::session::JOURNAL,
    ];
    if r.capture_sha256.is_some() {
        files.push(crate::bms::capture::CAPTURE_FILE);
    }
    let missing = w.say("show.missing", &[]);
    for f in files {
        let path = folder.join(f);
        let state = if path.exists() {
            String::new()
        } else {
            format!("  {missing}")
        };
        println!("    {}{state}", Clean(path.display()));
    }
    let history = archive.history(&r.bms_serial).map_err(|e| w.error(e))?;
    if history.len() > 1 {
        line(
            "history",
            &[("n", &history.len().to_string()), ("serial", &r.bms_serial)],
        );
        let this_one = w.say("show.this_one", &[]);
        for h in &history {
            let this = if h.id == r.id {
                format!("  {this_one}")
            } else {
                String::new()
            };
            println!(
                "    {}",
                w.say(
                    "show.history_row",
                    &[
                        ("at", &h.signed_off_at),
                        ("id", &format!("{:<4}", h.id)),
                        ("kind", &kind(h, w)),
                        ("pack", &h.pack_id),
                        ("this", &this),
                        ("verdict", &h.verdict),
                    ]
                )
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
