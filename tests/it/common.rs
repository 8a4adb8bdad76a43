//! Set-up shared by the integration tests: the binary, its output as text, the shipped
//! examples, an operator key, and tokio's paused clock for simulator flows.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_jk-commission");

/// Where temporary folders go: memory where the system has it (/dev/shm). Every journal line
/// is fsynced before the program goes on, and on a disk shared with other builds those waits
/// were most of a simulated run's time (a clean `run --sim`: ~1.5 s on disk, ~0.3 s here).
pub fn scratch() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() && tempfile::tempdir_in(shm).is_ok() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// A new temporary folder under [`scratch`], removed when dropped.
pub fn tmp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("jk-test-")
        .tempdir_in(scratch())
        .expect("a temporary folder")
}

/// The binary, with its own temporary files under [`scratch`] too.
pub fn cmd() -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("TMPDIR", scratch());
    // The program speaks the locale's language: the tests read English unless they ask.
    cmd.env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C.UTF-8");
    cmd
}

/// The binary with `args`, run to its end.
pub fn jk(args: &[&str]) -> Output {
    cmd().args(args).output().expect("the binary runs")
}

/// Output bytes as text (lossy: a test shows what came, whatever came).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A shipped answers file under examples/answers/.
pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/answers")
        .join(name)
}

/// A new operator key `operator` in `dir`, made by the binary's own `keygen`.
pub fn keygen(dir: &Path) -> PathBuf {
    let key = dir.join("operator");
    let out = cmd()
        .args(["keygen", "--comment", "anna@bench", "--file"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success(), "keygen: {}", text(&out.stderr));
    key
}

/// A file `name` in `dir` holding `body`; its path as text, for an argument.
pub fn write(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path.display().to_string()
}

/// A current-thread runtime on tokio's paused clock: a simulator flow runs in virtual time,
/// as `run --sim` and `train --check` do.
pub fn paused() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap()
}

/// An operator key `name` in `dir` (made through the library) and an allowed-signers file
/// `allowed_signers` beside it that trusts it as `principal`: (key, allowed signers).
pub fn trusted_key(dir: &Path, name: &str, principal: &str) -> (PathBuf, PathBuf) {
    let key = dir.join(name);
    let info = jk_commission::log::sign::generate_key(&key, principal).expect("a key");
    let allowed = dir.join("allowed_signers");
    let mut lines = std::fs::read_to_string(&allowed).unwrap_or_default();
    lines.push_str(&info.allowed_signers_line(principal));
    lines.push('\n');
    std::fs::write(&allowed, lines).unwrap();
    (key, allowed)
}
