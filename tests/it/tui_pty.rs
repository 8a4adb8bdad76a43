//! The real binary in a pseudo-terminal (portable-pty + vt100): a whole simulated
//! commissioning walked with keystrokes from the first step to the signed log, checking the
//! screen at the key moments, including a refused gate; quitting and resuming; Ctrl-C; a
//! training session that keeps its staged fault from the trainee until the procedure catches it.

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jk_commission::bench::SIM_BENCH_SPEED;
use jk_commission::train::{meter, shipped};
use jk_commission::wizard::spec::WizardSpec;
use portable_pty::{native_pty_system, Child, CommandBuilder, PtySize};

const ENTER: &str = "\r";
const UP: &str = "\x1b[A";
const DOWN: &str = "\x1b[B";
const RIGHT: &str = "\x1b[C";
const ESC: &str = "\x1b";
const BACKSPACE: &str = "\x7f";

/// The wizard running in an 80×24 pseudo-terminal, its screen kept by a vt100 parser.
struct Wizard {
    screen: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
}

impl Wizard {
    fn start(args: &[&str], home: &Path) -> Wizard {
        Wizard::start_with(args, home, &[])
    }

    fn start_with(args: &[&str], home: &Path, env: &[(&str, &str)]) -> Wizard {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: 24,
                cols: 80,
                ..PtySize::default()
            })
            .expect("a pseudo-terminal");
        let mut cmd = CommandBuilder::new(crate::common::BIN);
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env("LANG", "en_GB.UTF-8");
        cmd.env_remove("LC_ALL");
        cmd.env_remove("LC_MESSAGES");
        cmd.env("HOME", home);
        cmd.env("XDG_DATA_HOME", home.join("data"));
        cmd.env_remove("NO_COLOR");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).expect("the wizard starts");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().unwrap();
        let writer = pty.master.take_writer().unwrap();
        let rows = NonZeroU16::new(24).unwrap();
        let cols = NonZeroU16::new(80).unwrap();
        let screen = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let feed = Arc::clone(&screen);
        std::thread::spawn(move || {
            let _master = pty.master;
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                feed.lock().unwrap().process(&buf[..n]);
            }
        });
        Wizard {
            screen,
            writer,
            child,
        }
    }

    fn text(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Send keys, then give the wizard a moment to handle them, so that what the screen shows
    /// next is their effect (a wait for a text already on the screen would pass at once). A
    /// bare Esc gets a longer gap on both sides: it is told apart from the start of an escape
    /// sequence (an arrow, Alt-x) only by the time before the next byte.
    fn send(&mut self, keys: &str) {
        let bare_esc = keys == ESC;
        if bare_esc {
            std::thread::sleep(Duration::from_millis(60));
        }
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(if bare_esc { 60 } else { 20 }));
    }

    fn type_line(&mut self, text: &str) {
        for c in text.chars() {
            self.send(&c.to_string());
        }
        self.send(ENTER);
    }

    /// Wait until the screen shows `what`; fail with the screen when it does not.
    fn wait_for(&self, what: &str, within: Duration) -> String {
        self.wait_until(|s| s.contains(what), what, within)
    }

    fn wait_until(&self, ok: impl Fn(&str) -> bool, what: &str, within: Duration) -> String {
        let start = Instant::now();
        loop {
            let text = self.text();
            if ok(&text) {
                return text;
            }
            if start.elapsed() > within {
                panic!("waited {within:?} for {what:?}; the screen shows:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Wait until the step panel's title is `title` (the step list only shows titles cut).
    fn step(&self, title: &str) -> String {
        self.wait_for(&format!("│ {title}"), SHORT)
    }

    /// Wait for the wizard to end; its exit code.
    fn exit_code(&mut self, within: Duration) -> u32 {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader take the last output.
                std::thread::sleep(Duration::from_millis(200));
                return status.exit_code();
            }
            if start.elapsed() > within {
                let _ = self.child.kill();
                panic!("the wizard did not end; the screen shows:\n{}", self.text());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn alternate_screen(&self) -> bool {
        self.screen.lock().unwrap().screen().alternate_screen()
    }

    /// The pack's state of charge as the live panel shows it.
    fn soc(&self) -> Option<u32> {
        let text = self.text();
        let at = text.find("SOC ")?;
        text[at + 4..].split('%').next()?.trim().parse().ok()
    }

    /// In the simulated phone app: focus row `row` (from the top), type `value` (if any) and
    /// apply with Enter, then close the app.
    fn phone(&mut self, row: usize, value: Option<&str>) {
        self.send("a");
        self.wait_for("SIMULATED PHONE APP", SHORT);
        for _ in 0..20 {
            self.send(UP);
        }
        for _ in 0..row {
            self.send(DOWN);
        }
        if let Some(v) = value {
            for c in v.chars() {
                self.send(&c.to_string());
            }
        }
        self.send(ENTER);
        self.send(ESC);
    }
}

impl Drop for Wizard {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

const SHORT: Duration = Duration::from_secs(5);
const LIVE: Duration = Duration::from_secs(20);

/// Rows of the phone app (see `ui::phone::ROWS`).
const BATTERY_TYPE: usize = 2;
const CELL_COUNT: usize = 3;
const CAPACITY: usize = 4;
const BALANCE_SWITCH: usize = 12;
const BENCH_CURRENT: usize = 17;

/// Wires of the 24-cell unit's plugs a 16-cell pack leaves unused (18 to 24).
const UNUSED_WIRES: usize = 7;

/// Tick `n` checklist items from the first, then press Next.
fn tick_and_next(w: &mut Wizard, n: usize) {
    for _ in 0..n {
        w.send(ENTER);
    }
    w.send(ENTER);
}

/// Walk a fresh simulated commissioning from the first step to the protection test, checking
/// the screen on the way: a number refused as typed, both decimal forms, a ladder fault that
/// refuses the gate and its fix, the simulated plug-in and activation, the phone app.
fn walk_to_the_protection_test(w: &mut Wizard) {
    // Setup: the pack and the people.
    w.step("The pack and the people");
    w.wait_for("SIMULATOR", SHORT);
    w.type_line("Anna Nowak");
    w.type_line("technician");
    w.send(ENTER); // no trainer
    w.type_line("PK-0042");
    w.send(RIGHT); // LiFePO4
    w.send(ENTER);
    // A number refused as typed, with the accepted form named; then the right one.
    w.type_line("sixteen");
    w.wait_for("not a whole", SHORT);
    for _ in 0.."sixteen".len() {
        w.send(BACKSPACE);
    }
    w.type_line("16");
    w.type_line("280");
    // The 24-cell unit with two plugs: the simulator's unit reports itself as one, and the
    // STATUS step refuses a unit of another model than the one chosen here.
    for _ in 0..3 {
        w.send(RIGHT);
    }
    w.send(ENTER);
    w.send(RIGHT); // not a cold site
    w.send(ENTER);
    w.wait_for("MAY GO ON", SHORT);
    w.send(ENTER);

    // Setup: safety.
    w.step("Before you start: safety");
    tick_and_next(w, 6);

    // Wiring 1: similar charge, in both decimal forms.
    w.step("Cells at a similar charge");
    w.type_line("3.27");
    w.type_line("3,29");
    w.wait_for("MAY GO ON", SHORT);
    w.send(ENTER);
    // Wiring 2–4.
    w.step("Black wire, pin 1");
    tick_and_next(w, 2);
    w.step("Cell taps in order");
    tick_and_next(w, 3);
    w.step("Fewer cells than the unit takes");
    tick_and_next(w, 3);

    // Wiring 5: the ladder, with a reading that falls back at cell 9.
    w.step("Multimeter check of the balance plug");
    for k in 1..=16 {
        let v = if k == 9 { 2.95 } else { k as f64 * 3.275 };
        w.type_line(&format!("{v:.2}").replace('.', ","));
    }
    w.type_line("52,40");
    // 16 cells on a 24-cell unit: the last pin of the second plug is on pack plus too; the
    // seven unused wires between are left empty.
    w.type_line("52,40");
    for _ in 0..UNUSED_WIRES {
        w.send(DOWN);
    }
    w.send(ENTER); // Next: refused
                   // The step list marks the refusal only once Next was pressed (the gate line says CANNOT
                   // GO ON while readings are still being typed).
    let refused = w.wait_for("✗ W 5", SHORT);
    assert!(refused.contains("CANNOT GO ON"), "{refused}");
    assert!(
        refused.contains("✗ W 5"),
        "the step list shows the refusal:\n{refused}"
    );
    assert!(
        refused.contains("cell 9's lead"),
        "the diagnosis is shown:\n{refused}"
    );
    // Fix cell 9: from Next, up past the unused wires, the last pin, the pack voltage and
    // cells 16..10.
    for _ in 0..(UNUSED_WIRES + 10) {
        w.send(UP);
    }
    w.type_line("29,48");
    w.wait_for("no wiring fault", SHORT);
    for _ in 0..(UNUSED_WIRES + 9) {
        w.send(DOWN);
    }
    w.wait_for("MAY GO ON", SHORT);
    w.send(ENTER);

    // Wiring 6–8, 9 skipped.
    w.step("Temperature probe");
    tick_and_next(w, 1);
    w.step("B- lead to the pack");
    tick_and_next(w, 2);
    w.step("P- and pack plus");
    tick_and_next(w, 3);
    w.step("Optional accessories");
    w.send("s");
    // Wiring 10: confirming it puts the plug into the simulated unit.
    w.step("Insert the balance plug");
    tick_and_next(w, 2);
    // Wiring 11: activation by switch; leaving it activates the simulated unit.
    w.step("Activate the BMS");
    w.send(ENTER); // switch
    w.send(ENTER); // no charger voltage
    w.send(ENTER); // Next
    w.step("Output voltage");
    w.wait_for("Connected", LIVE);
    w.type_line("52,4");
    w.wait_for("MAY GO ON", SHORT);
    w.send(ENTER);

    // Configuration 1: every cell visible.
    w.step("Connect and check STATUS");
    let live = w.wait_for(" 9-16", LIVE);
    assert!(live.contains("Pack voltage"), "{live}");
    tick_and_next(w, 1);
    // Configuration 2.
    w.step("Unlock the settings");
    tick_and_next(w, 1);
    // Configuration 3: the battery type, chosen in the simulated app.
    w.step("Battery type: once only");
    w.phone(BATTERY_TYPE, None);
    w.wait_for("Simulated: battery type LIFEPO4", SHORT);
    w.send(ENTER); // tick
    w.wait_for("MAY GO ON", LIVE);
    w.send(ENTER);
    // Configuration 4: cell count and capacity.
    w.step("Cell count and capacity");
    w.wait_for("set Cell Count to 16", LIVE);
    w.phone(CELL_COUNT, Some("16"));
    w.phone(CAPACITY, Some("280"));
    w.wait_for("MAY GO ON", LIVE);
    w.send(ENTER);
    // Configuration 5: the balance trigger stays at the factory value.
    w.step("Balance trigger");
    w.wait_for("MAY GO ON", LIVE);
    w.send(ENTER);
    // Configuration 6: calibration skipped.
    w.step("Calibration (optional)");
    w.send("s");
    // Configuration 7: Advance Settings.
    w.step("Advance Settings");
    w.send(ENTER);
    w.send(ENTER);
    w.wait_for("MAY GO ON", LIVE);
    w.send(ENTER);
    // Configuration 8: the balance switch is off from the factory.
    w.step("CONTROL tab");
    w.wait_for("CANNOT GO ON", LIVE);
    w.phone(BALANCE_SWITCH, None);
    w.wait_for("MAY GO ON", LIVE);
    w.send(ENTER);
}

#[test]
fn up_to_the_protection_test_with_a_refused_gate_on_the_way() {
    let home = crate::common::tmp();
    let out = home.path().join("session");
    let mut w = Wizard::start(&["--sim", "--out", out.to_str().unwrap()], home.path());
    walk_to_the_protection_test(&mut w);
    // Nothing cut off yet: the safety gate refuses, and says what to do (once the settings
    // read on entering the step have come; until then it waits for them).
    w.wait_for("no charge cut-off seen yet", LIVE);
    w.send(ENTER);
    let refused = w.wait_for("✗ P", SHORT);
    assert!(refused.contains("no charge cut-off seen yet"), "{refused}");
    assert!(refused.contains("CANNOT GO ON"), "{refused}");
    w.send("q");
    w.wait_for("Quit now?", SHORT);
    w.send("y");
    assert_eq!(w.exit_code(SHORT), 0);
}

/// The whole commissioning, key by key, to the signed log.
#[test]
fn a_whole_simulated_commissioning_from_the_first_step_to_the_signed_log() {
    let home = crate::common::tmp();
    let out = home.path().join("session");
    let mut w = Wizard::start(&["--sim", "--out", out.to_str().unwrap()], home.path());
    walk_to_the_protection_test(&mut w);
    // The protection test: charge until the BMS cuts off, then discharge until it does.
    w.step("Protection test");
    w.phone(BENCH_CURRENT, Some("40"));
    w.wait_until(
        |_| w.soc().is_some_and(|s| s >= 96),
        "charged to 96 %",
        Duration::from_secs(60),
    );
    // Close to full, charge gently, as on a real bench, so the cut-off is seen where it is.
    w.phone(BENCH_CURRENT, Some("2"));
    // The cut-off is recorded when only the discharge is still missing (right after an app
    // action the gates wait for fresh data and name neither).
    w.wait_until(
        // Seen in the gate line (not hidden behind the phone app): the charge cut-off is in,
        // the discharge one still to come.
        |s| s.contains("no discharge cut-off") && !s.contains("no charge cut-off"),
        "the charge cut-off",
        Duration::from_secs(90),
    );
    w.phone(BENCH_CURRENT, Some("-40"));
    let passed = w.wait_for("MAY GO ON", Duration::from_secs(90));
    assert!(passed.contains("Protection test"), "{passed}");
    // The discharge cut-off leaves the under-voltage alarm on: charge a little until it clears,
    // or sign-off refuses (its no-alarm gate is safety-critical).
    w.phone(BENCH_CURRENT, Some("40"));
    w.wait_for("✓ No alarm", Duration::from_secs(60));
    w.phone(BENCH_CURRENT, Some("0"));
    // After an app action the gates wait for fresh data (a frame or two, about a second
    // apart) before they pass again; the screen still shows the verdict from before it.
    std::thread::sleep(Duration::from_secs(3));
    // The gates judge only data read after the app was last used: wait for a frame with the
    // current off, and for the verdict on it.
    w.wait_for("A idle", LIVE);
    w.wait_for("MAY GO ON", LIVE);
    w.send(ENTER);

    // Sign-off: the name and role come from the setup answers.
    w.step("Sign-off");
    w.send(ENTER);
    w.send(ENTER);
    w.send(ENTER); // name
    w.send(ENTER); // role
                   // Sign-off judges only data read since it was entered: give the link a frame or two.
    std::thread::sleep(Duration::from_secs(3));
    w.wait_for("MAY GO ON", LIVE);
    w.send(ENTER); // sign
    w.wait_for("Signed off", SHORT);
    assert!(out.join("log.yaml").is_file(), "the log is written");
    assert!(out.join("report.html").is_file(), "the report is written");
    w.send("q");
    assert_eq!(w.exit_code(SHORT), 0);
    assert!(!w.alternate_screen(), "the terminal is restored");
    let after = w.text();
    // After the screen, the same lines as `run`'s: the verdict, then where the files are.
    assert!(
        after.contains("commissioning signed off: verdict PASS"),
        "{after}"
    );
    assert!(
        after.contains("  log:       ") && after.contains("log.yaml"),
        "{after}"
    );
}

#[test]
fn quitting_asks_first_and_the_next_start_resumes_where_it_was() {
    let home = crate::common::tmp();
    let out = home.path().join("session");
    let out_arg = out.to_str().unwrap();
    let mut w = Wizard::start(&["--sim", "--out", out_arg], home.path());
    w.wait_for("The pack and the people", SHORT);
    w.type_line("Anna Nowak");
    w.send(DOWN);
    w.send(DOWN);
    w.send(DOWN);
    w.send("q");
    w.wait_for("Quit now?", SHORT);
    w.send("n");
    w.wait_until(|s| !s.contains("Quit now?"), "the question closes", SHORT);
    w.send("q");
    w.wait_for("Quit now?", SHORT);
    w.send("y");
    assert_eq!(w.exit_code(SHORT), 0);
    assert!(!w.alternate_screen(), "the terminal is restored");
    assert!(w.text().contains("Session saved in"), "{}", w.text());

    let w = Wizard::start(&["--sim", "--out", out_arg], home.path());
    let text = w.wait_for("Resumed", SHORT);
    assert!(
        text.contains("[Anna Nowak"),
        "the answer is still there:\n{text}"
    );
}

/// After the screen the wizard says where the session is, in the operator's language.
#[test]
fn quitting_says_where_the_session_is_in_the_operators_language() {
    use jk_commission::wizard::spec::tr;
    use jk_commission::wizard::words::{builtin, say_verbatim};
    let spec = builtin();
    for lang in ["pl", "de", "cs", "sk", "da", "hu"] {
        let home = crate::common::tmp();
        let out = home.path().join("session");
        let out_arg = out.to_str().unwrap();
        let mut w = Wizard::start(&["--sim", "--lang", lang, "--out", out_arg], home.path());
        w.wait_for(tr(&spec.steps[0].title, lang), SHORT);
        // Ctrl-C leaves at once (a `q` would be typed into the first entry).
        w.send("\x03");
        assert_eq!(w.exit_code(SHORT), 0, "{lang}");
        // The line may wrap at the terminal's 80 columns.
        let after = w.text().replace('\n', "");
        let said = |l: &str| say_verbatim(spec, l, "cli.start.saved", &[("dir", out_arg)]);
        assert!(
            after.contains(&said(lang)),
            "{lang}: {:?} in\n{after}",
            said(lang)
        );
        assert!(!after.contains(&said("en")), "{lang}: {after}");
    }
}

#[test]
fn ctrl_c_leaves_at_once_with_the_terminal_restored() {
    let home = crate::common::tmp();
    let out = home.path().join("session");
    let mut w = Wizard::start(&["--sim", "--out", out.to_str().unwrap()], home.path());
    w.wait_for("The pack and the people", SHORT);
    assert!(w.alternate_screen());
    w.send("\x03");
    assert_eq!(w.exit_code(SHORT), 0);
    assert!(!w.alternate_screen(), "the terminal is restored");
    assert!(out.join("journal.jsonl").is_file());
}

#[test]
fn without_bluetooth_it_says_so_and_offers_the_simulator_or_manual_mode() {
    let home = crate::common::tmp();
    let out = home.path().join("session");
    // No system bus to reach BlueZ through, whatever the machine has.
    let no_bus = [
        (
            "DBUS_SYSTEM_BUS_ADDRESS",
            "unix:path=/nonexistent/jk-commission-test-bus",
        ),
        ("RUST_BACKTRACE", "1"),
    ];
    let mut w = Wizard::start_with(&["--out", out.to_str().unwrap()], home.path(), &no_bus);
    let text = w.wait_for("Bluetooth cannot be used here", Duration::from_secs(15));
    assert!(text.contains("D-Bus"), "{text}");
    assert!(text.contains("use the built-in simulated BMS"), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    w.send("m");
    // The header changes before the chooser is cleared: wait for the panel's own sentence.
    let manual = w.wait_for("Manual-only mode", SHORT);
    assert!(manual.contains("MANUAL ONLY"), "{manual}");
    w.send("\x11"); // Ctrl-Q
    w.wait_for("Quit now?", SHORT);
    w.send("y");
    assert_eq!(w.exit_code(SHORT), 0);
    assert!(!w.text().contains("panicked"), "{}", w.text());
}

/// Training: the trainer picks the skipped-tap scenario from the built-in list; the trainee's
/// screen names it only by its blind id; the multimeter ladder, read off the simulated pack
/// with its miswired leads, is refused for the skipped tap. Nothing is left in the temp folder.
#[test]
fn training_hides_the_staged_fault_until_the_ladder_catches_it() {
    let spec = WizardSpec::builtin();
    let id = "wiring-skipped-tap";
    let scenario = shipped::scenario(id, &spec).unwrap();
    let number = shipped::SCENARIOS
        .iter()
        .position(|(name, _)| *name == id)
        .unwrap()
        + 1;
    // What the trainee's meter reads on this pack (the simulated unit starts the same each time).
    let unit = scenario.build_unit(SIM_BENCH_SPEED).unwrap();
    let m = meter::measure(&unit, &scenario.wiring);
    let home = crate::common::tmp();
    let tmp = home.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let out = home.path().join("session");
    let mut w = Wizard::start_with(
        &["train", "--out", out.to_str().unwrap()],
        home.path(),
        &[("TMPDIR", tmp.to_str().unwrap())],
    );
    let list = w.wait_for("Stage which one", SHORT);
    assert!(list.contains(&scenario.description), "{list}");
    w.type_line(&number.to_string());

    let first = w.step("The pack and the people");
    let blind = scenario.blind_id();
    assert!(
        first.contains(&format!("TRAINING {blind}")),
        "the blind id is shown:\n{first}"
    );
    for secret in [
        id,
        "skipped",
        "Training scenarios",
        &scenario.description[..20],
    ] {
        assert!(!first.contains(secret), "{secret:?} is on screen:\n{first}");
    }
    w.type_line("Ola Kowal");
    w.type_line("trainee");
    w.send(ENTER); // no trainer named
    w.type_line("PK-7");
    w.send(RIGHT); // LiFePO4
    w.send(ENTER);
    w.type_line("16");
    w.type_line("280");
    w.send(RIGHT); // the 16-cell unit
    w.send(ENTER);
    w.send(RIGHT); // not a cold site
    w.send(ENTER);
    w.wait_for("MAY GO ON", SHORT);
    w.send(ENTER);
    w.step("Before you start: safety");
    tick_and_next(&mut w, 6);
    w.step("Cells at a similar charge");
    w.type_line(&meter::shown(m.lowest_cell));
    w.type_line(&meter::shown(m.highest_cell));
    w.wait_for("MAY GO ON", SHORT);
    w.send(ENTER);
    w.step("Black wire, pin 1");
    tick_and_next(&mut w, 2);
    w.step("Cell taps in order");
    tick_and_next(&mut w, 3);
    w.step("Fewer cells than the unit takes");
    tick_and_next(&mut w, 3);

    w.step("Multimeter check of the balance plug");
    for tap in &m.taps {
        w.type_line(&meter::shown(*tap));
    }
    w.type_line(&meter::shown(m.pack));
    w.send(ENTER); // Next: refused
                   // The step list marks the refusal only once Next was pressed (the gate line says CANNOT
                   // GO ON while readings are still being typed).
    let refused = w.wait_for("✗ W 5", SHORT);
    assert!(refused.contains("CANNOT GO ON"), "{refused}");
    assert!(refused.contains("✗ W 5"), "{refused}");
    assert!(
        refused.contains("cell 9's plus was skipped"),
        "the diagnosis names the skipped tap:\n{refused}"
    );
    assert!(refused.contains(&format!("TRAINING {blind}")), "{refused}");
    w.send("q");
    w.wait_for("Quit now?", SHORT);
    w.send("y");
    assert_eq!(w.exit_code(SHORT), 0);
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "the temp folder holds {left:?}");
}

/// Without --out the session lives in the data directory under a provisional name until the
/// unit's serial is read; the next start finds and resumes it there.
#[test]
fn a_session_in_the_data_directory_is_provisional_until_the_unit_is_known_and_resumes() {
    let home = crate::common::tmp();
    let sessions = home.path().join("data/jk-commission/sessions");
    let mut w = Wizard::start(&["--sim"], home.path());
    w.wait_for("The pack and the people", SHORT);
    w.type_line("Anna Nowak");
    w.send("\x03");
    assert_eq!(w.exit_code(SHORT), 0);
    let folders: Vec<String> = std::fs::read_dir(&sessions)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(folders.len(), 1, "{folders:?}");
    assert!(
        folders[0].ends_with("-1-unknown-unit"),
        "the unit is asleep, so not known yet: {folders:?}"
    );
    let w = Wizard::start(&["--sim"], home.path());
    // The banner is drawn in pieces: wait for its end (the folder's name), not its first word.
    let text = w.wait_for("unknown-unit", SHORT);
    assert!(text.contains("Resumed"), "{text}");
    assert!(text.contains("[Anna Nowak"), "{text}");
}

/// `--sim FILE` with a training scenario is a training session too, without `train`.
#[test]
fn the_wizard_on_a_training_scenario_file_shows_only_its_blind_id() {
    let spec = WizardSpec::builtin();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/wiring-open-tap.yaml");
    let scenario = jk_commission::train::scenario::Scenario::load(&file, &spec).unwrap();
    let home = crate::common::tmp();
    let out = home.path().join("session");
    let mut w = Wizard::start(
        &[
            "--sim",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        home.path(),
    );
    let first = w.step("The pack and the people");
    assert!(
        first.contains(&format!("TRAINING {}", scenario.blind_id())),
        "{first}"
    );
    assert!(!first.contains("wiring-open-tap"), "{first}");
    assert!(!first.contains(&scenario.description[..20]), "{first}");
    w.send("\x03");
    assert_eq!(w.exit_code(SHORT), 0);
}

/// The first screen says whether the log will be signed, and by which key, before any work.
#[test]
fn the_first_screen_says_whether_the_log_will_be_signed() {
    let home = crate::common::tmp();
    let mut w = Wizard::start(
        &["--sim", "--out", home.path().join("a").to_str().unwrap()],
        home.path(),
    );
    let text = w.wait_for("NOT be signed", SHORT);
    assert!(text.contains("keygen"), "says how to make a key: {text}");
    assert!(!text.contains("will be signed with"), "{text}");
    w.send("\x03");
    assert_eq!(w.exit_code(SHORT), 0);

    // With the operator key at its default place, the same screen names it.
    let out = crate::common::cmd()
        .arg("keygen")
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", crate::common::text(&out.stderr));
    let mut w = Wizard::start(
        &["--sim", "--out", home.path().join("b").to_str().unwrap()],
        home.path(),
    );
    let text = w.wait_for("will be signed with", SHORT);
    assert!(!text.contains("NOT be signed"), "{text}");
    w.send("\x03");
    assert_eq!(w.exit_code(SHORT), 0);
}

/// A finished session opened in the wizard stays byte for byte as it was: the screen says it
/// is finished and how to check it, and the new attempt goes into a folder of its own.
#[test]
fn a_finished_session_opens_read_only_and_the_new_attempt_is_a_new_folder() {
    let home = crate::common::tmp();
    let done = home.path().join("pack42");
    let out = crate::common::cmd()
        .args(["run", "--sim", "--answers"])
        .arg(crate::common::example("clean-lifepo4-16s.yaml"))
        .arg("--out")
        .arg(&done)
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", crate::common::text(&out.stderr));
    let before: Vec<(String, Vec<u8>)> = ["journal.jsonl", "log.yaml", "report.html"]
        .iter()
        .map(|f| (f.to_string(), std::fs::read(done.join(f)).unwrap()))
        .collect();

    let mut w = Wizard::start(&["--sim", "--out", done.to_str().unwrap()], home.path());
    let text = w.wait_for("is finished", SHORT);
    assert!(text.contains("verify"), "says how to check it: {text}");
    w.send("\x03");
    assert_eq!(w.exit_code(SHORT), 0);
    for (name, bytes) in &before {
        assert!(
            std::fs::read(done.join(name)).unwrap() == *bytes,
            "{name} of the finished session changed"
        );
    }
    let attempts: Vec<_> = std::fs::read_dir(home.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("pack42-") && e.path().join("journal.jsonl").is_file()
        })
        .collect();
    assert_eq!(
        attempts.len(),
        1,
        "one new attempt beside the finished session"
    );
}

/// The wizard on a replayed capture: its header names the replay, never a live BMS, and the
/// session records what it was shown into its own capture, marked as a replay's.
#[test]
fn the_wizard_on_a_replayed_capture_says_replay_and_records_it() {
    let home = crate::common::tmp();
    let live = home.path().join("live");
    let out = crate::common::cmd()
        .args(["run", "--sim", "--answers"])
        .arg(crate::common::example("clean-lifepo4-16s.yaml"))
        .arg("--out")
        .arg(&live)
        .env("XDG_DATA_HOME", home.path().join("data"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", crate::common::text(&out.stderr));
    let capture = live.join("capture.jkcap");
    let again = home.path().join("again");
    let mut w = Wizard::start(
        &[
            "--replay",
            capture.to_str().unwrap(),
            "--out",
            again.to_str().unwrap(),
        ],
        home.path(),
    );
    let text = w.wait_for("REPLAY capture.jkcap", SHORT);
    assert!(!text.contains("SIMULATOR"), "{text}");
    w.send("\x03");
    assert_eq!(w.exit_code(SHORT), 0);
    let recorded = std::fs::read_to_string(again.join("capture.jkcap")).unwrap();
    assert!(
        recorded.starts_with("jkcap/1 source=replay:capture.jkcap "),
        "{recorded}"
    );
}
