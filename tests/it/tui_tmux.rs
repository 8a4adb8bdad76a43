//! A stranger's walk at 80×24, scripted through tmux (send-keys, capture-pane) and counted
//! key by key: the default simulated pack to a signed PASS in at most 150 keys; a wrong
//! battery type corrected without a dead end; a pack-form typo fixed from the protection test
//! in at most five keys in all (the corrected character included), the later steps kept.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{keygen, tmp, BIN};

/// A wizard in its own tmux server (a socket of its own), keys counted as they are sent.
struct Tmux {
    socket: String,
    /// Keys sent: every named key, and every character of typed text.
    keys: usize,
}

impl Tmux {
    /// Whether tmux is there to drive (CI installs it; elsewhere the test says why it skips).
    fn available() -> bool {
        Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    /// Whether the walk can run: tmux is there, or the test says "SKIPPED" and why. With
    /// `JK_REQUIRE_TMUX=1` (CI, which installs tmux) a missing tmux fails the test instead,
    /// so the walks never pass without having walked.
    fn present() -> bool {
        if Tmux::available() {
            return true;
        }
        assert!(
            std::env::var("JK_REQUIRE_TMUX").as_deref() != Ok("1"),
            "JK_REQUIRE_TMUX=1 but tmux is not on PATH: the TUI walk cannot run"
        );
        eprintln!("SKIPPED: no tmux on PATH (CI installs it: .ci/run)");
        false
    }

    fn start(args: &[&str], home: &Path) -> Tmux {
        let socket = format!(
            "jk-walk-{}-{}",
            std::process::id(),
            home.display().to_string().len() ^ rand_tag(home)
        );
        let mut line = format!(
            "env -u LC_ALL -u LC_MESSAGES HOME={} XDG_DATA_HOME={}/data LANG=en_GB.UTF-8 TERM=xterm-256color {BIN}",
            home.display(),
            home.display()
        );
        for a in args {
            line.push(' ');
            line.push_str(a);
        }
        // The pane stays after the wizard ends, so its last screen can be read.
        line.push_str("; sleep 60");
        let t = Tmux { socket, keys: 0 };
        t.tmux(&["new-session", "-d", "-x", "80", "-y", "24", &line]);
        t
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p"])
    }

    /// Named keys (`Enter`, `Down`, `C-v`, …), one key each.
    fn keys(&mut self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", k]);
            self.keys += 1;
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    /// Text typed into an entry, one key per character.
    fn text(&mut self, text: &str) {
        self.tmux(&["send-keys", "-l", "--", text]);
        self.keys += text.chars().count();
        std::thread::sleep(Duration::from_millis(40));
    }

    fn wait(&self, ok: impl Fn(&str) -> bool, what: &str, within: Duration) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(
                start.elapsed() < within,
                "waited {within:?} for {what} after {} keys; the screen:\n{s}",
                self.keys
            );
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    fn wait_for(&self, what: &str) -> String {
        self.wait(|s| s.contains(what), what, LIVE)
    }

    fn wait_gone(&self, what: &str) -> String {
        self.wait(|s| !s.contains(what), &format!("{what} to go"), LIVE)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

/// A tag from the folder's name, so two walks at once get two sockets.
fn rand_tag(home: &Path) -> usize {
    home.display()
        .to_string()
        .bytes()
        .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize))
}

const LIVE: Duration = Duration::from_secs(60);

/// Set-up to the protection test as a stranger does it with `?` and the footer: short
/// answers, the simulated meter (^V in an entry) for every reading, the simulated app (`a`)
/// for the configuration. `wrong_type`: choose LTO first at the battery-type step and
/// correct it there.
fn to_the_protection_test(t: &mut Tmux, wrong_type: bool) {
    t.wait_for("The pack and the people");
    t.text("Ann");
    t.keys(&["Enter"]);
    t.text("t");
    t.keys(&["Enter", "Enter"]); // no trainer
    t.text("P!"); // the typo, fixed later from the protection test
    t.keys(&["Enter", "Right", "Enter"]); // LiFePO4
    t.text("16");
    t.keys(&["Enter"]);
    t.text("280");
    // The simulator's unit has 24 inputs and two plugs; not a cold site.
    t.keys(&[
        "Enter", "Right", "Right", "Right", "Enter", "Right", "Enter",
    ]);
    t.wait_for("MAY GO ON");
    t.keys(&["Enter"]);
    t.wait_for("Before you start");
    t.keys(&["Enter"; 7]);
    t.wait_for("Cells at a similar charge");
    t.keys(&["C-v", "Enter", "Enter"]);
    t.wait_for("MAY GO ON");
    t.keys(&["Enter"]);
    for (title, n) in [
        ("Black wire", 3),
        ("Cell taps in order", 4),
        ("Fewer cells than", 4),
    ] {
        t.wait_for(title);
        t.keys(&vec!["Enter"; n]);
    }
    t.wait_for("Multimeter check");
    // Sixteen taps, the pack and the last pin off the meter; the unused wires stay empty.
    t.keys(&["C-v"]);
    t.keys(&["Enter"; 18]);
    t.keys(&["Escape", "End"]);
    t.wait_for("MAY GO ON");
    t.keys(&["Enter"]);
    for (title, n) in [
        ("Temperature probe", 2),
        ("B- lead", 3),
        ("P- and pack plus", 4),
    ] {
        t.wait_for(title);
        t.keys(&vec!["Enter"; n]);
    }
    t.wait_for("Optional accessories");
    t.keys(&["s"]);
    t.wait_for("Insert the balance");
    t.keys(&["Enter"; 3]);
    t.wait_for("Wake up");
    t.keys(&["Enter"; 3]);
    t.wait_for("Output voltage");
    t.wait_for("Connected");
    t.keys(&["C-v", "Enter"]);
    t.wait_for("MAY GO ON");
    t.keys(&["Enter"]);
    t.wait_for(" 9-16");
    t.keys(&["Enter", "Enter"]);
    t.wait_for("Unlock the settings");
    t.keys(&["Enter", "Enter"]);
    t.wait_for("Battery type: once");
    if wrong_type {
        // LTO by mistake: refused at once, with the reason, and no way is closed.
        t.keys(&["a", "Down", "Down", "Left", "Enter", "Escape"]);
        t.wait_for("Simulated: battery type");
        let refused = t.wait_for("CANNOT GO ON");
        assert!(refused.contains("OVP"), "the gate says why:\n{refused}");
        // Chosen again, right this time, in the app as on a real unit.
        t.keys(&["a", "Up", "Right", "Enter", "Escape"]);
        t.wait_for("Simulated: battery type LIFEPO4");
    } else {
        t.keys(&["a", "Down", "Down", "Enter", "Escape"]);
        t.wait_for("Simulated: battery type LIFEPO4");
    }
    t.keys(&["Enter"]);
    t.wait_for("MAY GO ON");
    t.keys(&["Enter"]);
    t.wait_for("set Cell Count to 16");
    t.keys(&["a"]);
    t.text("16");
    t.keys(&["Enter"]);
    t.text("280");
    t.keys(&["Enter", "Escape"]);
    t.wait_for("MAY GO ON");
    t.keys(&["Enter"]);
    t.wait_for("Balance trigger");
    t.wait_for("MAY GO ON");
    t.keys(&["Enter"]);
    t.wait_for("Calibration");
    t.keys(&["s"]);
    t.wait_for("Advance Settings");
    t.keys(&["Enter", "Enter"]);
    t.wait_for("MAY GO ON");
    t.keys(&["Enter"]);
    t.wait_for("CONTROL tab");
    t.wait_for("CANNOT GO ON");
    // The Balance switch, seven rows down from where the app was left.
    t.keys(&[
        "a", "Down", "Down", "Down", "Down", "Down", "Down", "Down", "Enter", "Escape",
    ]);
    t.wait_for("MAY GO ON");
    t.keys(&["Enter"]);
    t.wait_for("Simulator: press a");
}

#[test]
fn a_stranger_commissions_the_default_pack_to_a_signed_pass_in_150_keys() {
    if !Tmux::present() {
        return;
    }
    let home = tmp();
    let key = keygen(home.path());
    let out = home.path().join("session");
    let mut t = Tmux::start(
        &[
            "--sim",
            "--out",
            out.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
        home.path(),
    );
    to_the_protection_test(&mut t, false);
    // The protection test as the step says: 45 A in until the BMS cuts off, 45 A out until
    // it does, a little charge to clear the under-voltage alarm, then off.
    t.keys(&["a", "Down", "Down", "Down", "Down"]);
    t.text("45");
    t.keys(&["Enter"]);
    t.wait_gone("no charge cut-off");
    t.text("-45");
    t.keys(&["Enter"]);
    t.wait_gone("no discharge cut-off");
    t.text("45");
    t.keys(&["Enter"]);
    std::thread::sleep(Duration::from_secs(2));
    t.text("0");
    t.keys(&["Enter", "Escape"]);
    t.wait_for("No alarm");
    t.wait_for("A idle");
    t.wait_for("MAY GO ON");
    t.keys(&["Enter"]);
    // Sign-off: the summary first, the signer's name and role prefilled.
    let summary = t.wait_for("Everything in this record");
    assert!(summary.contains("Sign-off"), "{summary}");
    t.keys(&["Enter", "Enter"]);
    // The sign-off gates read the unit again on entering the step: sign once they pass.
    t.wait_for("Check passed (12/12)");
    t.keys(&["Enter"]);
    let done = t.wait_for("Signed off");
    assert!(t.keys <= 150, "{} keys", t.keys);
    assert!(done.contains("✓ Signed off"), "{done}");
    let log = std::fs::read_to_string(out.join("log.yaml")).unwrap();
    assert!(log.contains("verdict: pass"), "{log}");
    assert!(out.join("log.yaml.sig").is_file(), "signed");
    eprintln!("signed PASS in {} keys", t.keys);
}

#[test]
fn a_wrong_battery_type_and_a_pack_form_typo_are_fixed_without_walking_again() {
    if !Tmux::present() {
        return;
    }
    let home = tmp();
    let out = home.path().join("session");
    let mut t = Tmux::start(&["--sim", "--out", out.to_str().unwrap()], home.path());
    to_the_protection_test(&mut t, true);
    // At the protection test: the pack id was typed "P!". `g` lists the finished steps and
    // the pack form's entries with what was typed; `4` opens the pack id, Backspace takes the
    // wrong character, `1` types the right one, Enter saves it and goes back. Every key counts.
    let before = t.keys;
    t.keys(&["g"]);
    let list = t.wait_for("4 Pack id: P!");
    assert!(list.contains("1 Your name: Ann"), "{list}");
    t.keys(&["4"]);
    t.wait_for("Amending");
    t.keys(&["BSpace"]);
    t.text("1");
    t.keys(&["Enter"]);
    let back = t.wait_for("Simulator: press a");
    let keys = t.keys - before;
    assert!(keys <= 5, "{keys} keys, the corrected character included");
    assert!(back.contains("Protection test"), "{back}");
    // Nothing depended on the pack id: every step before the test is still done (the list
    // wraps its names, so the header's count says it for the steps scrolled out of view).
    assert!(
        back.contains("✓ C 8") && back.contains("Step 23 of 24 · 22 ✓"),
        "{back}"
    );
    t.keys(&["q", "y"]);
    std::thread::sleep(Duration::from_millis(500));
    let journal = std::fs::read_to_string(out.join("journal.jsonl")).unwrap();
    assert!(
        journal.contains(r#""event":"amended""#),
        "the journal has the amendment"
    );
    assert!(journal.contains(r#""after":"P1""#), "{journal}");
    // Only the pack id changed, and no later step is to be walked again.
    let amended = journal
        .lines()
        .find(|l| l.contains(r#""event":"amended""#))
        .unwrap();
    assert!(amended.contains(r#""before":"P!""#), "{amended}");
    assert!(amended.contains(r#""recheck":[]"#), "{amended}");
    eprintln!("typo fixed in {keys} keys in all");
}
