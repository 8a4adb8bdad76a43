//! Loading a scenario: the YAML read with its places, then every field checked against the
//! wizard it will run on, each mistake reported as `file:line:column: field: message`.

use super::*;

fn root() -> At {
    At::root()
}

/// Collects mistakes with their places.
struct Report<'t> {
    doc: &'t Doc,
    errors: Vec<ScenarioError>,
}

impl Report<'_> {
    fn add(&mut self, at: &At, message: impl Into<String>) {
        self.errors.push(self.doc.error_at(at, message));
    }
}

impl Scenario {
    /// Read a scenario file; `spec` is the wizard it will run on (its steps, gates, models).
    pub fn load(path: &Path, spec: &WizardSpec) -> Result<Scenario, ScenarioErrors> {
        let origin = path.display().to_string();
        let text = crate::yaml::read_file(path)?;
        let id = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (mut scenario, doc) = Scenario::parse_doc(&text, &origin, &id, spec)?;
        if let Some(rel) = scenario.trainee.answers.clone() {
            let fail = |message: String| {
                let at = root().key("trainee").key("answers");
                ScenarioErrors::one(doc.error_at(&at, message))
            };
            let file = beside(path, &rel).map_err(fail)?;
            // The file is ours to read now, but its own errors may quote it: they stay.
            let answers_text = crate::yaml::read_file(&file).map_err(|e| fail(e.to_string()))?;
            let answers = Answers::parse(&answers_text, &file.display().to_string(), spec)
                .map_err(|e| fail(e.to_string()))?;
            scenario.base_answers = Some(answers);
        }
        Ok(scenario)
    }

    /// Parse and check a scenario's text; `origin` names it in errors, `id` is its name.
    pub fn parse(
        text: &str,
        origin: &str,
        id: &str,
        spec: &WizardSpec,
    ) -> Result<Scenario, ScenarioErrors> {
        Scenario::parse_doc(text, origin, id, spec).map(|(s, _)| s)
    }

    fn parse_doc(
        text: &str,
        origin: &str,
        id: &str,
        spec: &WizardSpec,
    ) -> Result<(Scenario, Doc), ScenarioErrors> {
        let (mut scenario, doc): (Scenario, Doc) = crate::yaml::load(text, origin)?;
        scenario.id = id.to_string();
        scenario.origin = origin.to_string();
        scenario.sha256 = crate::wizard::spec::sha256_hex(text.as_bytes());
        let mut report = Report {
            doc: &doc,
            errors: Vec::new(),
        };
        scenario.check(spec, &mut report);
        if report.errors.is_empty() {
            Ok((scenario, doc))
        } else {
            let mut errors = report.errors;
            errors.sort_by_key(|e| (e.line, e.column));
            Err(ScenarioErrors(errors))
        }
    }

    fn check(&self, spec: &WizardSpec, r: &mut Report<'_>) {
        let pack = root().key("pack");
        let layout = self.layout();
        let slots = layout.slots() as u32;
        let n = self.pack.cells;
        if !(crate::bms::sim::unit::MIN_CELLS..=slots).contains(&n) {
            r.add(
                &pack.key("cells"),
                format!(
                    "{n} cells: a {layout} unit takes {} to {slots}",
                    crate::bms::sim::unit::MIN_CELLS
                ),
            );
        }
        if !(self.pack.capacity.0 > 0.0 && self.pack.capacity.0 <= CAPACITY_MAX_AH) {
            r.add(
                &pack.key("capacity"),
                format!(
                    "{} Ah: give above 0 to {CAPACITY_MAX_AH} Ah",
                    number(self.pack.capacity.0)
                ),
            );
        }
        if let Some(soc) = self.pack.soc {
            if !(0.0..=1.0).contains(&soc) {
                r.add(
                    &pack.key("soc"),
                    format!("{soc}: a state of charge is 0 to 1"),
                );
            }
        }
        if let Some(Celsius(t)) = self.pack.ambient {
            let (lo, hi) = AMBIENT_C;
            if !(lo..=hi).contains(&t) {
                r.add(
                    &pack.key("ambient"),
                    format!(
                        "{} °C: give {lo} to {hi} °C (what the simulated probes can read)",
                        number(t)
                    ),
                );
            }
        }
        let factory = bms_key().key("factory");
        if let Some(AmpHours(c)) = self.bms.factory.capacity {
            if !(0.0..=CAPACITY_MAX_AH).contains(&c) {
                r.add(
                    &factory.key("capacity"),
                    format!(
                        "{} Ah: give 0 (never set) to {CAPACITY_MAX_AH} Ah",
                        number(c)
                    ),
                );
            }
        }
        if let Some(count) = self.bms.factory.cell_count {
            if !(1..=slots).contains(&count) {
                r.add(
                    &factory.key("cell_count"),
                    format!("{count} cells: a {layout} unit's factory set writes 1 to {slots}"),
                );
            }
        }
        for (&cell, &v) in &self.pack.cell_voltages {
            let at = pack.key("cell_voltages").key(&cell.to_string());
            if cell == 0 || cell > n {
                r.add(
                    &at,
                    format!("there is no cell {cell}: the pack has cells 1 to {n}"),
                );
            } else if !(1.0..=5.0).contains(&v.0) {
                r.add(&at, format!("{v}: a cell voltage is 1 to 5 V"));
            }
        }
        let bms = root().key("bms");
        let model = self.model(spec);
        match (&self.bms.model, model) {
            (Some(id), None) => r.add(
                &bms.key("model"),
                format!(
                    "the wizard knows no model '{id}' (known: {})",
                    spec.models
                        .iter()
                        .map(|m| m.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            (None, None) => r.add(
                &pack.key("cells"),
                format!("no model in the wizard takes {n} cells"),
            ),
            (_, Some(m)) if m.max_cells < n => r.add(
                &bms.key("model"),
                format!(
                    "model '{}' takes at most {} cells; the pack has {n}",
                    m.id, m.max_cells
                ),
            ),
            _ => {}
        }
        if let Some(sw) = self
            .bms
            .firmware
            .as_ref()
            .and_then(|f| f.software.as_deref())
        {
            let major = crate::bms::model::firmware_major(sw);
            let agrees = match (major, layout) {
                (Some(m), Layout::S32) => m >= 11,
                (Some(m), Layout::S24) => (6..=10).contains(&m),
                (None, _) => false,
            };
            if !agrees {
                r.add(
                    &bms.key("firmware").key("software"),
                    format!(
                        "software '{sw}' does not agree with variant {layout}: 24s units run \
                         firmware 6–10, 32s units 11 and later (the host reads the layout from \
                         it)"
                    ),
                );
            }
        }
        if let Some(probes) = &self.bms.probes {
            let sockets = match layout {
                Layout::S24 => 2,
                Layout::S32 => 5,
            };
            if probes.len() > sockets {
                r.add(
                    &bms.key("probes"),
                    format!(
                        "a {layout} unit has {sockets} probe sockets, not {}",
                        probes.len()
                    ),
                );
            }
        }
        for (i, w) in self.wiring.iter().enumerate() {
            let at = root().key("wiring").index(i);
            if let Some(msg) = w.problem(n, model, layout) {
                r.add(&at, msg);
            }
        }
        let step_ids: Vec<&str> = spec.steps.iter().map(|s| s.id.as_str()).collect();
        let known_step = |id: &str| step_ids.contains(&id);
        let steps_list = || step_ids.join(", ");
        for (i, s) in self.faults.iter().enumerate() {
            let at = root().key("faults").index(i);
            match (&s.entering, s.after_s) {
                (Some(_), Some(_)) => r.add(&at, "give `entering` or `after_s`, not both"),
                (Some(step), None) if !known_step(step) => r.add(
                    &at.key("entering"),
                    format!("the wizard has no step '{step}' (steps: {})", steps_list()),
                ),
                (None, Some(t)) if !(0.0..=86_400.0).contains(&t) => {
                    r.add(&at.key("after_s"), format!("{t}: give 0 to 86400 seconds"))
                }
                _ => {}
            }
        }
        for (i, s) in self.faults.iter().enumerate() {
            if let Some(msg) = fault_problem(&s.fault.0, n, layout) {
                r.add(&root().key("faults").index(i).key("fault"), msg);
            }
        }
        for (step, retry) in &self.trainee.after_refusal {
            for (i, f) in retry.repair.faults.iter().enumerate() {
                if let Some(msg) = fault_problem(&f.0, n, layout) {
                    let at = root().key("trainee").key("after_refusal").key(step);
                    r.add(&at.key("repair").key("faults").index(i), msg);
                }
            }
        }
        for step in self.trainee.steps.keys() {
            if !known_step(step) {
                r.add(
                    &root().key("trainee").key("steps").key(step),
                    format!("the wizard has no step '{step}' (steps: {})", steps_list()),
                );
            }
        }
        for step in self.trainee.after_refusal.keys() {
            if !known_step(step) {
                r.add(
                    &root().key("trainee").key("after_refusal").key(step),
                    format!("the wizard has no step '{step}' (steps: {})", steps_list()),
                );
            }
        }
        match &self.expect {
            None if self.training => r.add(
                &root(),
                "a training scenario needs `expect`: `pass`, or `catch:` with the step, gate \
                 and reason where the procedure must catch each staged fault",
            ),
            Some(Expect::Catch(catches)) => {
                for (i, c) in catches.iter().enumerate() {
                    let at = root().key("expect").key("catch").index(i);
                    match spec.steps.iter().find(|s| s.id == c.step) {
                        None => r.add(
                            &at.key("step"),
                            format!(
                                "the wizard has no step '{}' (steps: {})",
                                c.step,
                                steps_list()
                            ),
                        ),
                        Some(step) if !step.gates.iter().any(|g| g.id == c.gate) => r.add(
                            &at.key("gate"),
                            format!(
                                "step '{}' has no gate '{}' (its gates: {})",
                                c.step,
                                c.gate,
                                step.gates
                                    .iter()
                                    .map(|g| g.id.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ),
                        _ => {}
                    }
                    if c.reason_contains.trim().is_empty() {
                        r.add(
                            &at.key("reason_contains"),
                            "give a reason code or some of its text",
                        );
                    }
                }
            }
            _ => {}
        }
        if r.errors.is_empty() {
            // Only now can the unit be built: the simulator refuses what it cannot be.
            if let Err(e) = self.build_unit(1.0) {
                let (path, message) = split_path(&e);
                r.add(&path, message);
            }
        }
    }
}

/// The file `rel` names, which must lie in the scenario's own folder (or below it): a
/// scenario handed to a trainer must not make the program read, or quote, any other file.
fn beside(scenario: &Path, rel: &Path) -> Result<PathBuf, String> {
    let refuse = || {
        format!(
            "'{}' is not in the scenario's folder: name a file beside the scenario (or in a \
             folder below it)",
            rel.display()
        )
    };
    let plain = rel
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !plain {
        return Err(refuse());
    }
    let folder = scenario.parent().unwrap_or(Path::new("."));
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    let file = folder.join(rel);
    // A symlink may still lead out: compare where both really are.
    let real_folder = folder
        .canonicalize()
        .map_err(|e| format!("cannot read the scenario's folder: {e}"))?;
    let real_file = file
        .canonicalize()
        .map_err(|e| format!("cannot read {}: {}", rel.display(), e.kind()))?;
    if !real_file.starts_with(&real_folder) {
        return Err(refuse());
    }
    Ok(file)
}

/// The largest pack capacity a scenario may give (our judgement: well above any pack a JK
/// SMART unit serves).
const CAPACITY_MAX_AH: f64 = 5000.0;
/// The ambient temperatures the simulator takes, °C (its own range for an ambient fault).
const AMBIENT_C: (f64, f64) = (-40.0, 90.0);
/// The resting cell voltages a fault may set, V: a cell outside it is no lithium cell.
const CELL_VOLTS: (f64, f64) = (1.0, 5.0);
/// The longest a staged fault may last, s: one day.
const FAULT_SECONDS_MAX: f64 = 86_400.0;

fn bms_key() -> At {
    root().key("bms")
}

/// What is wrong with the numbers of a staged fault, whenever it is staged: the simulator
/// checks a fault only when it is injected, which for a later fault is mid-session.
fn fault_problem(fault: &Fault, n: u32, layout: Layout) -> Option<String> {
    let volts = |what: &str, v: Volts| {
        let (lo, hi) = CELL_VOLTS;
        (!(lo..=hi).contains(&v.0))
            .then(|| format!("{what} {} V: give {lo} to {hi} V", number(v.0)))
    };
    let seconds = |s: f64| {
        (!(0.0..=FAULT_SECONDS_MAX).contains(&s))
            .then(|| format!("{} s: give 0 to {FAULT_SECONDS_MAX} seconds", number(s)))
    };
    let cell = |c: u32| {
        (!(1..=n).contains(&c))
            .then(|| format!("there is no cell {c}: the pack has cells 1 to {n}"))
    };
    let probe = |p: u32| {
        let sockets = if layout == Layout::S24 { 2 } else { 5 };
        (!(1..=sockets).contains(&p))
            .then(|| format!("probe {p}: this unit has probe sockets 1 to {sockets}"))
    };
    match fault {
        Fault::OpenTap { cell: c } | Fault::CloseTap { cell: c } => cell(*c),
        Fault::RemoveProbe { probe: p } | Fault::FitProbe { probe: p } => probe(*p),
        Fault::CellVoltage { cell: c, volts: v } => cell(*c).or_else(|| volts("cell voltage", *v)),
        Fault::Ambient { celsius } => {
            let (lo, hi) = AMBIENT_C;
            (!(lo..=hi).contains(&celsius.0))
                .then(|| format!("{} °C: give {lo} to {hi} °C", number(celsius.0)))
        }
        Fault::DropLink { seconds: s } | Fault::Silence { seconds: s } => seconds(*s),
        Fault::CellDrift {
            cell: c,
            volts: v,
            seconds: s,
        } => cell(*c)
            .or_else(|| volts("drift target", *v))
            .or_else(|| seconds(*s)),
        Fault::CutoffAt { charge, discharge } => charge
            .and_then(|v| volts("charge cut-off", v))
            .or_else(|| discharge.and_then(|v| volts("discharge cut-off", v))),
        _ => None,
    }
}

/// "bms.changes[1]: message" → the path and the message.
fn split_path(e: &str) -> (At, String) {
    let Some((head, tail)) = e.split_once(": ") else {
        return (root(), e.to_string());
    };
    if head.contains(' ') {
        return (root(), e.to_string());
    }
    let mut path = root();
    for part in head.split('.') {
        match part.split_once('[') {
            Some((key, rest)) => {
                path = path.key(key);
                if let Ok(i) = rest.trim_end_matches(']').parse() {
                    path = path.index(i);
                }
            }
            None => path = path.key(part),
        }
    }
    (path, tail.to_string())
}

impl WiringFault {
    fn problem(&self, n: u32, model: Option<&ModelSpec>, layout: Layout) -> Option<String> {
        let cell_ok = |c: u32| (1..=n).contains(&c);
        match self {
            WiringFault::OpenTap { cell } if !cell_ok(*cell) => Some(format!(
                "there is no cell {cell}: the pack has cells 1 to {n}"
            )),
            WiringFault::CrossedTaps { cells: [a, b] } => {
                if !cell_ok(*a) || !cell_ok(*b) {
                    Some(format!("cells {a} and {b}: the pack has cells 1 to {n}"))
                } else if a == b {
                    Some("name two different cells".to_string())
                } else {
                    None
                }
            }
            WiringFault::SkippedTap { cell } if *cell == 0 || *cell >= n => Some(format!(
                "cell {cell}: a skipped tap is on cells 1 to {} (skipping the last tap leaves \
                 no lead to shift; stage an open tap instead)",
                n.saturating_sub(1)
            )),
            WiringFault::PackPlusPinOpen => match model {
                Some(m) if m.max_cells <= n => Some(format!(
                    "the pack fills the {}-cell unit: its last pin is cell {n}'s own lead; \
                     stage an open tap on cell {n} instead",
                    m.max_cells
                )),
                _ => None,
            },
            WiringFault::NtcAbsent { probe } => {
                let sockets = if layout == Layout::S24 { 2 } else { 5 };
                (!(1..=sockets).contains(probe))
                    .then(|| format!("probe {probe}: this unit has probe sockets 1 to {sockets}"))
            }
            _ => None,
        }
    }
}
