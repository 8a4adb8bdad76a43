//! The `archive` subcommand: the workshop's archive of verified sessions (`crate::archive`).
//! `add` verifies each folder as `verify` does and refuses what fails, saying why; `list`,
//! `search`, `show` and `export --csv` read it back. Everything printed is cleaned.

use std::path::PathBuf;
use std::process::ExitCode;

use color_eyre::eyre::{bail, eyre, WrapErr};

use super::WizardArgs;
use crate::archive::{self, Archive, Archived, Filter, Inserted, Location, Refused};
use crate::clean::Clean;
use crate::log::allowed_signers;

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

/// Where the archive is, from `--db` (or `$JK_ARCHIVE_DB`), the config entry or the default.
fn location(db: Option<&str>) -> color_eyre::Result<Location> {
    if let Some(db) = db.filter(|d| !d.trim().is_empty()) {
        return Ok(Location::parse(db));
    }
    if let Some(entry) = archive::config_entry() {
        if let Some(db) = archive::read_config(&entry) {
            return Ok(Location::parse(&db));
        }
    }
    Location::default_sqlite()
        .ok_or_else(|| eyre!("no data directory on this machine for the archive: give --db"))
}

/// Run `archive`.
pub fn run(args: Args, wizard: &WizardArgs) -> color_eyre::Result<ExitCode> {
    let location = location(args.db.as_deref())?;
    let mut archive = Archive::open(&location).map_err(|e| eyre!("{e}"))?;
    match args.command {
        Command::Add {
            folders,
            allowed_signers,
        } => add(&mut archive, &folders, allowed_signers, wizard),
        Command::List(filters) => {
            let rows = archive.list(&filters.filter()).map_err(|e| eyre!("{e}"))?;
            print_table(&rows, &archive.describe());
            Ok(ExitCode::SUCCESS)
        }
        Command::Search { text } => {
            let rows = archive.search(&text).map_err(|e| eyre!("{e}"))?;
            print_table(&rows, &archive.describe());
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { id } => show(&mut archive, id),
        Command::Export { out, filters, .. } => {
            let rows = archive.list(&filters.filter()).map_err(|e| eyre!("{e}"))?;
            match out {
                Some(path) => {
                    let file = std::fs::File::create(&path)
                        .wrap_err_with(|| format!("cannot write {}", path.display()))?;
                    archive::to_csv(&rows, file)?;
                    eprintln!(
                        "{} session(s) written to {}",
                        rows.len(),
                        Clean(path.display())
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
) -> color_eyre::Result<ExitCode> {
    let anchor = match allowed {
        Some(p) => p,
        None => match allowed_signers::default_path().filter(|p| p.exists()) {
            Some(p) => p,
            None => bail!(
                "no allowed signers to check the signatures against: give --allowed-signers \
                 FILE, or add the operators' keys to the workshop's file{} (`keygen --trust`)",
                allowed_signers::default_path()
                    .map(|p| format!(" {}", Clean(p.display())))
                    .unwrap_or_default()
            ),
        },
    };
    let allowed = std::fs::read_to_string(&anchor)
        .wrap_err_with(|| format!("cannot read the allowed signers {}", anchor.display()))?;
    let (spec, _) = super::load_wizard(wizard)?;
    let mut refused = 0;
    for folder in folders {
        match archive.add(folder, &allowed, &spec) {
            Ok((inserted, row)) => {
                let what = match inserted {
                    Inserted::Added(id) => format!("archived #{id}"),
                    Inserted::AlreadyThere(id) => {
                        format!("already archived as #{id} (nothing changed)")
                    }
                };
                println!(
                    "{}: {what}: pack {}, BMS serial {}, verdict {}, signed by {}{}",
                    Clean(folder.display()),
                    Clean(&row.pack_id),
                    Clean(serial(&row)),
                    Clean(&row.verdict),
                    Clean(&row.signer),
                    marks(&row)
                );
                let history = archive.history(&row.bms_serial).map_err(|e| eyre!("{e}"))?;
                if history.len() > 1 {
                    println!(
                        "  BMS serial {} has been commissioned {} times: `jk-commission archive \
                         list --serial {}`",
                        Clean(&row.bms_serial),
                        history.len(),
                        Clean(&row.bms_serial)
                    );
                }
            }
            Err(Refused::Archive(e)) => return Err(eyre!("{e}")),
            Err(e) => {
                refused += 1;
                eprintln!(
                    "jk-commission: {}",
                    crate::clean::clean_lines(&e.to_string())
                );
            }
        }
    }
    Ok(if refused > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn serial(row: &Archived) -> &str {
    if row.bms_serial.is_empty() {
        "(none read)"
    } else {
        &row.bms_serial
    }
}

/// The session's kind, when it is not a live unit: loud, so it is never taken for one.
fn marks(row: &Archived) -> String {
    match row.kind() {
        "live" => String::new(),
        "training" => format!(
            " [TRAINING: scenario {}]",
            Clean(row.training.as_deref().unwrap_or(""))
        ),
        other => format!(" [{}]", other.to_uppercase()),
    }
}

fn print_table(rows: &[Archived], store: &str) {
    if rows.is_empty() {
        println!("no sessions match in the archive {}", Clean(store));
        return;
    }
    println!(
        "{:>5}  {:<10}  {:<16}  {:<18}  {:<16}  {:<19}  KIND",
        "ID", "SIGNED OFF", "PACK", "BMS SERIAL", "OPERATOR", "VERDICT"
    );
    for r in rows {
        println!(
            "{:>5}  {:<10}  {:<16}  {:<18}  {:<16}  {:<19}  {}",
            r.id,
            Clean(r.signed_off_at.get(..10).unwrap_or(&r.signed_off_at)),
            Clean(&r.pack_id),
            Clean(serial(r)),
            Clean(&r.operator),
            Clean(&r.verdict),
            r.kind()
        );
    }
    println!("{} session(s)", rows.len());
}

fn show(archive: &mut Archive, id: i64) -> color_eyre::Result<ExitCode> {
    let Some(r) = archive.show(id).map_err(|e| eyre!("{e}"))? else {
        eprintln!(
            "jk-commission: no session #{id} in the archive {}",
            Clean(archive.describe())
        );
        return Ok(ExitCode::from(1));
    };
    println!("Session #{}{}", r.id, marks(&r));
    println!(
        "  pack:        {} ({} {}S)",
        Clean(&r.pack_id),
        Clean(&r.chemistry),
        r.series_cells
    );
    println!(
        "  BMS:         {} serial {}",
        Clean(&r.bms_model),
        Clean(serial(&r))
    );
    println!("  operator:    {}", Clean(&r.operator));
    println!(
        "  signed off:  {} by {} (key of {})",
        Clean(&r.signed_off_at),
        Clean(&r.signed_off_by),
        Clean(&r.signer)
    );
    println!("  started:     {}", Clean(&r.started_at));
    println!("  verdict:     {}", Clean(&r.verdict));
    if r.simulated {
        println!("  SIMULATED BMS: the readings come from the built-in simulator");
    }
    if r.replayed {
        println!("  REPLAYED: the BMS was a recorded capture, not a live unit");
    }
    println!(
        "  archived:    {} (log sha256 {})",
        Clean(&r.archived_at),
        Clean(&r.log_sha256)
    );
    println!("  folder:      {}", Clean(&r.folder));
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
    for f in files {
        let path = folder.join(f);
        let state = if path.exists() { "" } else { "  (MISSING)" };
        println!("    {}{state}", Clean(path.display()));
    }
    let history = archive.history(&r.bms_serial).map_err(|e| eyre!("{e}"))?;
    if history.len() > 1 {
        println!(
            "  history of BMS serial {} ({} commissionings):",
            Clean(&r.bms_serial),
            history.len()
        );
        for h in &history {
            let this = if h.id == r.id { "  <- this one" } else { "" };
            println!(
                "    #{:<4} {}  pack {}  {}  {}{this}",
                h.id,
                Clean(&h.signed_off_at),
                Clean(&h.pack_id),
                Clean(&h.verdict),
                h.kind()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
