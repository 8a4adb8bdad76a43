//! One module per subcommand: each parses its own arguments (clap) and does its I/O, calling
//! the pure core for every decision. Errors are wrapped with color-eyre only here.

pub mod archive;
pub mod check_wizard;
pub mod decode;
pub mod keygen;
pub mod ladder;
pub mod monitor;
pub mod procedure;
pub mod run;
pub mod scan;
pub mod train;
pub mod verify;
pub mod wizard;

use std::path::PathBuf;

/// The options of a whole session: the interactive wizard, `run` and `train` take them all; the other
/// subcommands take only the ones they use (the small groups below), so that each one's
/// `--help` lists only its own.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct WizardArgs {
    /// Use the built-in simulated BMS, optionally with a scenario file.
    #[arg(long, num_args = 0..=1, value_name = "SCENARIO")]
    pub sim: Option<Option<PathBuf>>,
    /// Replay a recorded capture (`monitor --record`, or a session's capture.jkcap) as the
    /// unit, instead of the simulator or a live unit.
    #[arg(long, value_name = "CAPTURE", conflicts_with = "sim")]
    pub replay: Option<PathBuf>,
    /// Use this wizard file instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub wizard: Option<PathBuf>,
    /// Language of the wizard's texts (en, pl, …); defaults from LC_ALL, LC_MESSAGES or LANG.
    #[arg(long, value_name = "LANG")]
    pub lang: Option<String>,
    /// The session folder (default: a new one under the platform's data directory).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The operator's ed25519 SSH key for signing the log.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
}

/// `--sim [SCENARIO]` alone (`monitor`, `train`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SimArg {
    /// Use the built-in simulated BMS, optionally with a scenario file.
    #[arg(long, num_args = 0..=1, value_name = "SCENARIO")]
    pub sim: Option<Option<PathBuf>>,
}

/// `--replay CAPTURE` alone (`monitor`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ReplayArg {
    /// Replay a recorded capture (`monitor --record`, or a session's capture.jkcap) as the
    /// unit, instead of the simulator or a live unit.
    #[arg(long, value_name = "CAPTURE", conflicts_with = "sim")]
    pub replay: Option<PathBuf>,
}

/// `--wizard FILE` and `--lang` (`ladder`, `procedure`, `verify`, `scan`, `archive`: output in
/// the chosen language). Global, so `archive list --lang pl` takes them after its own
/// subcommand too (the others have none, where it changes nothing).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct WordedArgs {
    /// Use this wizard file instead of the built-in one.
    #[arg(long, value_name = "FILE", global = true)]
    pub wizard: Option<PathBuf>,
    /// Language of the output (en, pl, …); defaults from LC_ALL, LC_MESSAGES or LANG.
    #[arg(long, value_name = "LANG", global = true)]
    pub lang: Option<String>,
}

/// `--lang` alone (`monitor`, `keygen`, `check-wizard`): their words come from the built-in
/// wizard, whatever file they read.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LangArg {
    /// Language of the output (en, pl, …); defaults from LC_ALL, LC_MESSAGES or LANG.
    #[arg(long, value_name = "LANG")]
    pub lang: Option<String>,
}

impl LangArg {
    /// The language chosen: `--lang`, else the environment's, else English.
    pub fn pick(&self) -> String {
        crate::wizard::spec::pick_language(
            self.lang.as_deref(),
            env_language().as_deref(),
            crate::wizard::words::builtin(),
        )
    }
}

/// The wizard to walk (`--wizard FILE` or the built-in one) and the language to show.
pub fn load_wizard(
    args: &WizardArgs,
) -> color_eyre::Result<(crate::wizard::spec::WizardSpec, String)> {
    use crate::wizard::spec::{pick_language, WizardSpec};
    let spec = match &args.wizard {
        // The loader's mistakes (file:line:column, as check-wizard lists them) stay in
        // English: they are for the wizard's authors, who write its `en:` texts too.
        Some(path) => WizardSpec::load(path).map_err(|e| color_eyre::eyre::eyre!("{e}"))?,
        None => WizardSpec::builtin(),
    };
    let lang = pick_language(args.lang.as_deref(), env_language().as_deref(), &spec);
    Ok((spec, lang))
}

/// The language the environment asks for, as POSIX ranks it: `LC_ALL`, else `LC_MESSAGES`,
/// else `LANG` (the first one set and not empty).
pub fn env_language() -> Option<String> {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.trim().is_empty())
}

/// Read a capture file for `--replay`: every mistake named with its line (in the loader's
/// English, like a wizard file's mistakes).
pub fn load_replay(path: &std::path::Path) -> color_eyre::Result<crate::bms::replay::ReplayLink> {
    let capture = crate::bms::capture::load(path).map_err(|e| color_eyre::eyre::eyre!("{e}"))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    Ok(crate::bms::replay::ReplayLink::new(&capture, &name))
}

/// Read a scenario file for the wizard `spec`; every mistake is in the error, with its place
/// (in the loader's English: they are for the scenario's author, as check-wizard's are).
pub fn load_scenario(
    path: &std::path::Path,
    spec: &crate::wizard::spec::WizardSpec,
) -> color_eyre::Result<crate::train::scenario::Scenario> {
    crate::train::scenario::Scenario::load(path, spec).map_err(|e| color_eyre::eyre::eyre!("{e}"))
}

/// `say` in the operator's words, as an error to stop with.
pub fn refusal(
    spec: &crate::wizard::spec::WizardSpec,
    lang: &str,
    say: &crate::wizard::words::Say,
) -> color_eyre::Report {
    color_eyre::eyre::eyre!("{}", say.render(spec, lang))
}

/// What a front end says once a session is signed off (the wizard after its screen, `run`),
/// one line each in `lang`: the verdict, where the log, its signature (or that it has none),
/// the trainer's signature and the report are, and a training session's score under
/// `blind_id` — the scenario's name the trainee saw.
pub fn signed_off_lines(
    spec: &crate::wizard::spec::WizardSpec,
    lang: &str,
    outputs: &crate::log::signoff::Outputs,
    blind_id: Option<&str>,
) -> Vec<String> {
    use crate::wizard::words::say_verbatim as say;
    let path = |p: &std::path::Path| p.display().to_string();
    let verdict = crate::log::signoff::verdict_words(spec, lang, outputs.record.verdict);
    let mut lines = vec![
        say(spec, lang, "cli.run.signed_off", &[("verdict", &verdict)]),
        say(spec, lang, "cli.run.log", &[("path", &path(&outputs.log))]),
        match &outputs.signature {
            Some(sig) => say(spec, lang, "cli.run.signature", &[("path", &path(sig))]),
            None => say(spec, lang, "cli.run.unsigned", &[]),
        },
    ];
    if let Some(sig) = &outputs.trainer_signature {
        lines.push(say(
            spec,
            lang,
            "cli.run.trainer_signature",
            &[("path", &path(sig))],
        ));
    }
    lines.push(say(
        spec,
        lang,
        "cli.run.report",
        &[("path", &path(&outputs.report))],
    ));
    if let Some(t) = &outputs.record.training {
        let caught = t.faults.iter().filter(|f| f.result == "caught").count();
        lines.push(say(
            spec,
            lang,
            "cli.run.training",
            &[
                ("caught", &caught.to_string()),
                ("description", &t.description),
                ("id", blind_id.unwrap_or_default()),
                ("total", &t.faults.len().to_string()),
            ],
        ));
    }
    lines
}

/// The session in `dir` could not be opened: why, in the operator's words where the engine
/// has them (a journal's or a folder's trouble as the library says it).
pub fn cannot_open(
    spec: &crate::wizard::spec::WizardSpec,
    lang: &str,
    dir: &std::path::Path,
    e: &crate::log::session::SessionError,
) -> color_eyre::Report {
    use crate::wizard::words::{Arg, Say};
    let say = Say::new(
        "cli.start.cannot_open",
        [
            ("dir", Arg::verbatim(dir.display().to_string())),
            ("error", Arg::say(e.say())),
        ],
    );
    refusal(spec, lang, &say)
}

/// How many cells in series `--cells` takes (`ladder`, `procedure`): a pack of JK's largest
/// units and some room; what a model takes is checked against the wizard's models after.
pub const CELLS: std::ops::RangeInclusive<u32> = 1..=32;

/// The chemistry `--chemistry` names and the wizard's limits for it (`ladder`,
/// `procedure`), refused in the operator's words: a name it does not know, with the names it
/// knows, or a chemistry the wizard has no limits for.
pub fn pick_chemistry<'s>(
    spec: &'s crate::wizard::spec::WizardSpec,
    lang: &str,
    text: &str,
) -> color_eyre::Result<(
    crate::bms::model::Chemistry,
    &'s crate::wizard::spec::ChemistrySpec,
)> {
    use crate::bms::model::Chemistry;
    use crate::wizard::words::{Arg, Say};
    let Some(chemistry) = Chemistry::from_id(text) else {
        let known: Vec<&str> = Chemistry::ALL.iter().map(|c| c.id()).collect();
        let say = Say::new(
            "cli.pack.unknown_chemistry",
            [
                ("known", Arg::verbatim(known.join(", "))),
                ("option", Arg::verbatim("--chemistry")),
                ("text", Arg::verbatim(text)),
            ],
        );
        return Err(refusal(spec, lang, &say));
    };
    match spec.chemistries.get(&chemistry) {
        Some(limits) => Ok((chemistry, limits)),
        None => Err(refusal(spec, lang, &no_chemistry_limits(chemistry))),
    }
}

/// The wizard has no limits for `chemistry` (the gates' own sentence).
pub fn no_chemistry_limits(chemistry: crate::bms::model::Chemistry) -> crate::wizard::words::Say {
    use crate::wizard::words::{Arg, Say};
    Say::new(
        "no_chemistry_limits",
        [("chemistry", Arg::Chemistry(chemistry))],
    )
}

/// The BMS model `id` names, else the wizard's default for `cells`; refused in the
/// operator's words, naming the option and what it takes, when `cells` is outside [`CELLS`],
/// the wizard has no such model, or the model does not take that many cells (`ladder`,
/// `procedure`).
pub fn pick_model<'s>(
    spec: &'s crate::wizard::spec::WizardSpec,
    lang: &str,
    id: Option<&str>,
    cells: u32,
) -> color_eyre::Result<&'s crate::wizard::spec::ModelSpec> {
    use crate::wizard::words::{Arg, Say};
    let refused = |say: Say| refusal(spec, lang, &say);
    if !CELLS.contains(&cells) {
        return Err(refused(Say::new(
            "cli.pack.cells_range",
            [
                ("cells", Arg::int(cells)),
                ("max", Arg::int(*CELLS.end())),
                ("min", Arg::int(*CELLS.start())),
            ],
        )));
    }
    let model = match id {
        Some(id) => spec.model(id).ok_or_else(|| {
            let known: Vec<&str> = spec.models.iter().map(|m| m.id.as_str()).collect();
            refused(Say::new(
                "cli.pack.unknown_model",
                [
                    ("id", Arg::verbatim(id)),
                    ("known", Arg::verbatim(known.join(", "))),
                ],
            ))
        })?,
        None => crate::wizard::checks::default_model(spec, cells).ok_or_else(|| {
            let ranges: Vec<String> = spec
                .models
                .iter()
                .map(|m| format!("{}–{}", m.min_cells, m.max_cells))
                .collect();
            refused(Say::new(
                "cli.pack.no_model_for_cells",
                [
                    ("cells", Arg::int(cells)),
                    ("ranges", Arg::verbatim(ranges.join(", "))),
                ],
            ))
        })?,
    };
    if !(model.min_cells..=model.max_cells).contains(&cells) {
        return Err(refused(Say::new(
            "cli.pack.model_cells",
            [
                ("cells", Arg::int(cells)),
                ("max", Arg::int(model.max_cells)),
                ("min", Arg::int(model.min_cells)),
                ("model", Arg::verbatim(&model.id)),
                ("name", Arg::Text(model.name.clone())),
            ],
        )));
    }
    Ok(model)
}
