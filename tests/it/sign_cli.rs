//! Signing and verifying commissioning logs as a user would: `jk-commission keygen`,
//! `jk-commission verify`, and stock OpenSSH (`ssh-keygen -Y`) in both directions.
//!
//! Needs `ssh-keygen` (Debian: openssh-client) on PATH.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use jk_commission::log::sign::{self, SignError, NAMESPACE};

/// A small but realistic log, so every byte of it can be flipped in turn.
/// A small but complete commissioning log: `verify` also checks that a log agrees with itself.
const SMALL_LOG: &str = "format: jk-commission-log/1
tool_version: 0.1.0
wizard_sha256: 6c66fe59ed36e73656040368c47b982946f6584d2096c2b094396950dcab539f
language: en
started_at: 2026-11-28T09:00:00Z
signed_off_at: 2026-11-28T10:00:00Z
operator: {name: Alice, role: assembler}
signed_off_by: {name: Alice, role: assembler}
pack: {id: P-4, chemistry: lifepo4, series_cells: 4, capacity: 100.0 Ah, model: b2a8s20p, cold_site: false, pack_voltage: 13.200 V}
bms: null
steps:
- {id: signoff, manual: sign-off, title: Sign-off, outcome: done, gates: [{gate: all_confirmed, safety: true, result: passed}]}
ladder: []
settings: null
cells: null
protection_test: {charge_cutoff: 3.601 V, cell_ovp: 3.600 V, discharge_cutoff: 2.601 V, cell_uvp: 2.600 V}
overrides: []
verdict: pass
journal_sha256: 0e4b3f2fd2bb4c1a2d8b5b0d3f4e5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5
";

/// A complete log with `n` steps, for tests that need a bigger file.
fn log_with_steps(n: usize) -> String {
    let steps: String = (0..n)
        .map(|i| {
            format!(
                "- {{id: step.{i}, manual: wiring {i}, title: Step {i}, outcome: done, \
                 entries: {{reading: 3.{:03} V}}}}\n",
                250 + i
            )
        })
        .collect();
    SMALL_LOG.replace("steps:\n", &format!("steps:\n{steps}"))
}

/// Config and data folders of no one: no workshop allowed-signers file, no operator key,
/// whatever the machine running the tests has.
fn isolated() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("sign-cli-no-home")
}

fn jk(args: &[&str]) -> Output {
    crate::common::cmd()
        .args(args)
        .env("XDG_CONFIG_HOME", isolated().join("config"))
        .env("XDG_DATA_HOME", isolated().join("data"))
        .stdin(Stdio::null())
        .output()
        .expect("run jk-commission")
}

fn ssh_keygen(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new("ssh-keygen")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ssh-keygen not found: install openssh-client");
    let mut input = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        // ssh-keygen may exit before reading (an unreadable signature): a broken pipe is fine.
        let _ = input.write_all(bytes);
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `ssh-keygen -Y verify` of `message` against the signature at `sig`.
fn openssh_accepts(allowed: &Path, principal: &str, sig: &Path, message: &[u8]) -> bool {
    let out = ssh_keygen(
        &[
            "-Y",
            "verify",
            "-f",
            allowed.to_str().unwrap(),
            "-I",
            principal,
            "-n",
            NAMESPACE,
            "-s",
            sig.to_str().unwrap(),
        ],
        Some(message),
    );
    out.status.success()
}

/// `jk-commission verify` exit code, stdout and stderr.
fn jk_verify(log: &Path, sig: &Path, allowed: Option<&Path>) -> (i32, String, String) {
    // These logs are made up to test the signature: they have no journal beside them.
    let mut args = vec![
        "verify".to_string(),
        log.display().to_string(),
        "--log-only".into(),
        "--signature".into(),
        sig.display().to_string(),
    ];
    if let Some(a) = allowed {
        args.push("--allowed-signers".into());
        args.push(a.display().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = jk(&args);
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

struct Signed {
    dir: tempfile::TempDir,
    log: PathBuf,
    sig: PathBuf,
    allowed: PathBuf,
    fingerprint: String,
}

/// A key made and a log signed through the library, with an allowed_signers file for "alice".
fn signed_by_library(content: &[u8]) -> Signed {
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("operator_ed25519");
    let info = sign::generate_key(&key_path, "alice@example.com").unwrap();
    let key = sign::load_signing_key(&key_path).unwrap();
    let log = dir.path().join("log.yaml");
    fs::write(&log, content).unwrap();
    let sig = dir.path().join("log.yaml.sig");
    fs::write(&sig, sign::sign(&key, content).unwrap()).unwrap();
    let allowed = dir.path().join("allowed_signers");
    fs::write(
        &allowed,
        info.allowed_signers_line("alice@example.com") + "\n",
    )
    .unwrap();
    Signed {
        dir,
        log,
        sig,
        allowed,
        fingerprint: info.fingerprint,
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
#[cfg(unix)]
fn keygen_creates_a_0600_key_that_openssh_reads_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("keys/op_ed25519");
    let out = jk(&[
        "keygen",
        "--file",
        key.to_str().unwrap(),
        "--comment",
        "alice@example.com",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(mode(&key), 0o600, "private key readable by others");
    let public = dir.path().join("keys/op_ed25519.pub");
    assert!(public.exists());

    // The fingerprint we print is the one OpenSSH computes, and the allowed_signers line we
    // print is accepted by OpenSSH as is.
    let stdout = text(&out.stdout);
    let listed = text(&ssh_keygen(&["-l", "-f", key.to_str().unwrap()], None).stdout);
    let fingerprint = listed.split_whitespace().nth(1).unwrap().to_string();
    assert!(fingerprint.starts_with("SHA256:"));
    assert!(stdout.contains(&fingerprint), "{stdout}");
    let line = stdout
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("alice@example.com namespaces="))
        .unwrap_or_else(|| panic!("no allowed_signers line in:\n{stdout}"));
    let allowed = dir.path().join("allowed_signers");
    fs::write(&allowed, format!("{line}\n")).unwrap();
    let log = dir.path().join("log.yaml");
    fs::write(&log, SMALL_LOG).unwrap();
    let signed = ssh_keygen(
        &["-Y", "sign", "-n", NAMESPACE, "-f", key.to_str().unwrap()],
        Some(SMALL_LOG.as_bytes()),
    );
    assert!(signed.status.success(), "{}", text(&signed.stderr));
    let sig = dir.path().join("log.yaml.sig");
    fs::write(&sig, &signed.stdout).unwrap();
    assert!(openssh_accepts(
        &allowed,
        "alice@example.com",
        &sig,
        SMALL_LOG.as_bytes()
    ));

    // A second keygen on the same path must not touch the existing key.
    let before = (fs::read(&key).unwrap(), fs::read(&public).unwrap());
    let again = jk(&["keygen", "--file", key.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    let err = text(&again.stderr);
    assert!(
        err.contains("already exists") && err.contains("op_ed25519"),
        "{err}"
    );
    assert_eq!(
        (fs::read(&key).unwrap(), fs::read(&public).unwrap()),
        before
    );

    // Nor the lone public half of another key.
    fs::remove_file(&key).unwrap();
    let lone = jk(&["keygen", "--file", key.to_str().unwrap()]);
    assert_eq!(lone.status.code(), Some(2));
    assert!(text(&lone.stderr).contains("op_ed25519.pub"));
    assert!(!key.exists());
}

#[test]
#[cfg(target_os = "linux")]
fn keygen_defaults_to_the_platform_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let out = crate::common::cmd()
        .arg("keygen")
        .env("XDG_DATA_HOME", dir.path())
        .env("USER", "bob")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let key = dir.path().join("jk-commission/operator_ed25519");
    assert_eq!(mode(&key), 0o600);
    assert_eq!(mode(key.parent().unwrap()), 0o700);
    let stdout = text(&out.stdout);
    assert!(stdout.contains(&key.display().to_string()), "{stdout}");
    let public = fs::read_to_string(dir.path().join("jk-commission/operator_ed25519.pub")).unwrap();
    assert!(
        public.starts_with("ssh-ed25519 ") && public.contains(" bob@"),
        "{public}"
    );
}

#[test]
fn library_signature_verifies_with_jk_commission_and_with_ssh_keygen() {
    let s = signed_by_library(SMALL_LOG.as_bytes());
    assert!(fs::read_to_string(&s.sig)
        .unwrap()
        .starts_with("-----BEGIN SSH SIGNATURE-----"));

    let (code, out, err) = jk_verify(&s.log, &s.sig, Some(&s.allowed));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("signed by: alice@example.com"), "{out}");
    assert!(out.contains(&s.fingerprint), "{out}");

    assert!(openssh_accepts(
        &s.allowed,
        "alice@example.com",
        &s.sig,
        SMALL_LOG.as_bytes()
    ));
    // OpenSSH checks the principal too: our line is not a blank cheque for anyone.
    assert!(!openssh_accepts(
        &s.allowed,
        "mallory@example.com",
        &s.sig,
        SMALL_LOG.as_bytes()
    ));
}

#[test]
fn without_allowed_signers_the_signer_is_reported_as_unauthenticated() {
    let s = signed_by_library(SMALL_LOG.as_bytes());
    // Default signature path: LOG.sig. No trust anchor: intact, but not a pass (exit 3).
    let out = jk(&["verify", s.log.to_str().unwrap(), "--log-only"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("unlisted key"), "{stdout}");
    assert!(
        stdout.contains("intact, signer NOT authenticated"),
        "{stdout}"
    );
    assert!(stdout.contains(&s.fingerprint), "{stdout}");
    assert!(stdout.contains("NOT CHECKED: the journal"), "{stdout}");
}

#[test]
fn flipping_any_byte_of_a_small_log_fails_both_verifiers() {
    let s = signed_by_library(SMALL_LOG.as_bytes());
    let original = SMALL_LOG.as_bytes();
    let sig = fs::read_to_string(&s.sig).unwrap();
    let allowed = fs::read_to_string(&s.allowed).unwrap();
    for pos in 0..original.len() {
        for mask in [0x01u8, 0x80] {
            let mut tampered = original.to_vec();
            tampered[pos] ^= mask;
            // Every byte through the verifier `verify` runs, in-process…
            assert!(
                matches!(
                    sign::verify(&tampered, &sig, Some(&allowed)),
                    Err(SignError::BadSignature)
                ),
                "byte {pos} ^ {mask:#x} accepted"
            );
            // …and every 29th (first and last included) through both programs, each a process.
            if mask == 0x01 && (pos % 29 == 0 || pos == original.len() - 1) {
                fs::write(&s.log, &tampered).unwrap();
                let (code, _, err) = jk_verify(&s.log, &s.sig, Some(&s.allowed));
                assert_eq!(code, 1, "byte {pos} ^ {mask:#x} accepted by jk-commission");
                assert!(err.contains("does not match the file"), "{err}");
                assert!(
                    !openssh_accepts(&s.allowed, "alice@example.com", &s.sig, &tampered),
                    "byte {pos} ^ {mask:#x} accepted by ssh-keygen"
                );
            }
        }
    }
    // Appending or dropping bytes is tampering too.
    for tampered in [
        [original, b"\n"].concat(),
        original[..original.len() - 1].to_vec(),
    ] {
        fs::write(&s.log, &tampered).unwrap();
        assert_eq!(jk_verify(&s.log, &s.sig, Some(&s.allowed)).0, 1);
        assert!(!openssh_accepts(
            &s.allowed,
            "alice@example.com",
            &s.sig,
            &tampered
        ));
    }
}

#[test]
fn flipping_sampled_bytes_of_a_larger_log_fails_both_verifiers() {
    let log = log_with_steps(120);
    let s = signed_by_library(log.as_bytes());
    let bytes = log.as_bytes();
    // 40 positions spread over the whole file, first and last byte included.
    let positions: Vec<usize> = (0..40).map(|i| i * (bytes.len() - 1) / 39).collect();
    for pos in positions {
        let mut tampered = bytes.to_vec();
        tampered[pos] ^= 0x20;
        assert!(
            matches!(
                sign::verify(&tampered, &fs::read_to_string(&s.sig).unwrap(), None),
                Err(SignError::BadSignature)
            ),
            "byte {pos}"
        );
        fs::write(&s.log, &tampered).unwrap();
        assert_eq!(
            jk_verify(&s.log, &s.sig, Some(&s.allowed)).0,
            1,
            "byte {pos}"
        );
        assert!(
            !openssh_accepts(&s.allowed, "alice@example.com", &s.sig, &tampered),
            "byte {pos}"
        );
    }
}

#[test]
fn flipping_any_byte_of_the_decoded_signature_fails_both_verifiers() {
    let s = signed_by_library(SMALL_LOG.as_bytes());
    let blob = dearmor(&fs::read_to_string(&s.sig).unwrap());
    assert!(blob.starts_with(b"SSHSIG"));
    let allowed = fs::read_to_string(&s.allowed).unwrap();
    let tampered_sig = s.dir.path().join("tampered.sig");
    for pos in 0..blob.len() {
        // 0xff rather than a single bit: the version field is not covered by the signature and
        // OpenSSH accepts version 0, so 1 -> 0 would pass ssh-keygen without changing anything
        // that is signed. We refuse that one too (checked below).
        let mut tampered = blob.clone();
        tampered[pos] ^= 0xff;
        let armored = armor(&tampered);
        assert!(
            sign::verify(SMALL_LOG.as_bytes(), &armored, Some(&allowed)).is_err(),
            "signature byte {pos} accepted"
        );
        // Through both programs (each a process): the magic and version bytes, then every 17th.
        if pos < 10 || pos % 17 == 0 || pos == blob.len() - 1 {
            fs::write(&tampered_sig, &armored).unwrap();
            let (code, _, err) = jk_verify(&s.log, &tampered_sig, Some(&s.allowed));
            assert_eq!(
                code, 1,
                "signature byte {pos} accepted by jk-commission: {err}"
            );
            assert!(
                !openssh_accepts(
                    &s.allowed,
                    "alice@example.com",
                    &tampered_sig,
                    SMALL_LOG.as_bytes()
                ),
                "signature byte {pos} accepted by ssh-keygen"
            );
        }
        // And single-bit flips, against our verifier, with and without allowed signers.
        for bit in 0..8 {
            let mut flipped = blob.clone();
            flipped[pos] ^= 1 << bit;
            let armored = armor(&flipped);
            assert!(
                sign::verify(SMALL_LOG.as_bytes(), &armored, None).is_err(),
                "signature byte {pos} bit {bit} accepted without allowed signers"
            );
            assert!(
                sign::verify(SMALL_LOG.as_bytes(), &armored, Some(&allowed)).is_err(),
                "signature byte {pos} bit {bit} accepted with allowed signers"
            );
        }
    }
}

#[test]
fn a_signature_made_by_ssh_keygen_verifies_with_jk_commission() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id_ed25519");
    let made = ssh_keygen(
        &[
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "bob@site",
            "-f",
            key.to_str().unwrap(),
        ],
        None,
    );
    assert!(made.status.success(), "{}", text(&made.stderr));
    let log = dir.path().join("log.yaml");
    fs::write(&log, SMALL_LOG).unwrap();
    let signed = ssh_keygen(
        &["-Y", "sign", "-n", NAMESPACE, "-f", key.to_str().unwrap()],
        Some(SMALL_LOG.as_bytes()),
    );
    assert!(signed.status.success(), "{}", text(&signed.stderr));
    let sig = dir.path().join("log.yaml.sig");
    fs::write(&sig, &signed.stdout).unwrap();
    let public = fs::read_to_string(dir.path().join("id_ed25519.pub")).unwrap();
    let allowed = dir.path().join("allowed_signers");
    fs::write(&allowed, format!("bob@site {public}")).unwrap();

    let (code, out, err) = jk_verify(&log, &sig, Some(&allowed));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("signed by: bob@site"), "{out}");

    // And a key made by ssh-keygen signs through our library in a way OpenSSH accepts.
    let ours = sign::sign(&sign::load_signing_key(&key).unwrap(), SMALL_LOG.as_bytes()).unwrap();
    fs::write(&sig, ours).unwrap();
    assert!(openssh_accepts(
        &allowed,
        "bob@site",
        &sig,
        SMALL_LOG.as_bytes()
    ));
}

#[test]
fn wrong_namespace_unlisted_key_and_restricted_namespace_are_refused_by_both() {
    let s = signed_by_library(SMALL_LOG.as_bytes());
    let key = s.dir.path().join("operator_ed25519");
    let public = fs::read_to_string(s.dir.path().join("operator_ed25519.pub")).unwrap();

    // Signed for git, not for a commissioning log.
    let git = ssh_keygen(
        &["-Y", "sign", "-n", "git", "-f", key.to_str().unwrap()],
        Some(SMALL_LOG.as_bytes()),
    );
    let git_sig = s.dir.path().join("git.sig");
    fs::write(&git_sig, &git.stdout).unwrap();
    let (code, _, err) = jk_verify(&s.log, &git_sig, Some(&s.allowed));
    assert_eq!(code, 1);
    assert!(err.contains("\"git\""), "{err}");

    // The key is listed, but only for git.
    let git_only = s.dir.path().join("git_only");
    fs::write(
        &git_only,
        format!("alice@example.com namespaces=\"git\" {public}"),
    )
    .unwrap();
    let (code, _, err) = jk_verify(&s.log, &s.sig, Some(&git_only));
    assert_eq!(code, 1);
    assert!(err.contains("namespaces"), "{err}");
    assert!(!openssh_accepts(
        &git_only,
        "alice@example.com",
        &s.sig,
        SMALL_LOG.as_bytes()
    ));

    // Someone else's key is listed.
    let other = signed_by_library(b"x");
    let (code, _, err) = jk_verify(&s.log, &s.sig, Some(&other.allowed));
    assert_eq!(code, 1);
    assert!(
        err.contains("not listed") && err.contains(&s.fingerprint),
        "{err}"
    );
    assert!(!openssh_accepts(
        &other.allowed,
        "alice@example.com",
        &s.sig,
        SMALL_LOG.as_bytes()
    ));
}

#[test]
fn non_ed25519_and_passphrase_keys_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[&str], &str); 3] = [
        ("ecdsa", &["-t", "ecdsa", "-N", ""], "ECDSA"),
        ("rsa", &["-t", "rsa", "-b", "2048", "-N", ""], "RSA"),
        ("locked", &["-t", "ed25519", "-N", "secret"], "passphrase"),
    ];
    for (name, args, needle) in cases {
        let path = dir.path().join(name);
        let mut all = vec!["-q", "-f", path.to_str().unwrap()];
        all.extend_from_slice(args);
        assert!(ssh_keygen(&all, None).status.success());
        let err = sign::load_signing_key(&path).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(needle), "{name}: {msg}");
        if name != "locked" {
            assert!(
                matches!(err, SignError::NotEd25519Key { .. }),
                "{name}: {msg}"
            );
            assert!(msg.contains("ed25519 keys only"), "{msg}");
        }

        if name == "ecdsa" {
            // A log signed with such a key by OpenSSH is refused by name, not as garbage.
            let log = dir.path().join("log.yaml");
            fs::write(&log, SMALL_LOG).unwrap();
            let signed = ssh_keygen(
                &["-Y", "sign", "-n", NAMESPACE, "-f", path.to_str().unwrap()],
                Some(SMALL_LOG.as_bytes()),
            );
            let sig = dir.path().join("log.yaml.sig");
            fs::write(&sig, &signed.stdout).unwrap();
            let (code, _, err) = jk_verify(&log, &sig, None);
            assert_eq!(code, 1);
            assert!(
                err.contains("ECDSA") && err.contains("only ed25519"),
                "{err}"
            );
        }
    }
}

#[test]
fn an_unsigned_log_says_not_signed_and_a_missing_log_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.yaml");
    fs::write(&log, SMALL_LOG).unwrap();
    let out = jk(&["verify", log.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(4));
    let err = text(&out.stderr);
    assert!(
        err.contains("NOT signed") && err.contains("log.yaml.sig"),
        "{err}"
    );
    assert!(!err.contains("os error"), "{err}");

    let missing = dir.path().join("none.yaml");
    let out = jk(&["verify", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("none.yaml"));
}

#[test]
fn verify_help_documents_every_exit_code() {
    let out = jk(&["verify", "--help"]);
    let help = text(&out.stdout);
    for needle in [
        "0  verified",
        "1  FAILED",
        "2  an input",
        "3  intact, signer NOT authenticated",
        "4  not signed",
        "--log-only",
        "allowed_signers",
    ] {
        assert!(help.contains(needle), "{needle} missing:\n{help}");
    }
}

// --- a minimal base64 for re-armoring tampered signatures (no extra dependency) ---

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn dearmor(armored: &str) -> Vec<u8> {
    let body: String = armored
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>()
        .trim_end_matches('=')
        .to_string();
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0);
    for c in body.bytes() {
        acc = (acc << 6) | B64.iter().position(|&b| b == c).unwrap() as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn armor(bytes: &[u8]) -> String {
    let mut b64 = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.len();
        let v = (chunk[0] as u32) << 16
            | (*chunk.get(1).unwrap_or(&0) as u32) << 8
            | *chunk.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= n {
                b64.push(B64[(v >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(70)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN SSH SIGNATURE-----\n{}\n-----END SSH SIGNATURE-----\n",
        lines.join("\n")
    )
}

#[test]
fn test_base64_round_trips() {
    let s = signed_by_library(b"x");
    let armored = fs::read_to_string(&s.sig).unwrap();
    let blob = dearmor(&armored);
    assert_eq!(dearmor(&armor(&blob)), blob);
    // Our own armor of the untouched blob verifies, so failures above come from the flip alone.
    assert!(sign::verify(b"x", &armor(&blob), None).is_ok());
}

// --- verify against whole sessions: the journal is replayed, the signer must be trusted ---

/// One real signed session, made once per test run by `run --sim` with the clean answers.
struct Made {
    session: PathBuf,
    key: PathBuf,
    allowed: PathBuf,
    run_stderr: String,
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/answers")
        .join(name)
}

fn made() -> &'static Made {
    static MADE: std::sync::OnceLock<Made> = std::sync::OnceLock::new();
    MADE.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sign-cli-session");
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        let key = root.join("anna");
        let made = jk(&[
            "keygen",
            "--comment",
            "anna@bench",
            "--file",
            key.to_str().unwrap(),
        ]);
        assert!(made.status.success(), "{}", text(&made.stderr));
        let session = root.join("session");
        let out = jk(&[
            "run",
            "--sim",
            "--answers",
            example("clean-lifepo4-16s.yaml").to_str().unwrap(),
            "--out",
            session.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let public = fs::read_to_string(root.join("anna.pub")).unwrap();
        let allowed = root.join("allowed_signers");
        fs::write(&allowed, format!("anna@bench {public}")).unwrap();
        Made {
            session,
            key,
            allowed,
            run_stderr: text(&out.stderr),
        }
    })
}

/// A copy of the made session in a new folder, to tamper with.
fn copy_of_session() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("session");
    fs::create_dir(&copy).unwrap();
    for f in ["journal.jsonl", "log.yaml", "log.yaml.sig", "report.html"] {
        fs::copy(made().session.join(f), copy.join(f)).unwrap();
    }
    (dir, copy)
}

fn verify_session(session: &Path, extra: &[&str], allowed: Option<&Path>) -> (i32, String, String) {
    let log = session.join("log.yaml");
    let mut args = vec!["verify", log.to_str().unwrap()];
    if let Some(a) = allowed {
        args.extend(["--allowed-signers", a.to_str().unwrap()]);
    }
    args.extend_from_slice(extra);
    let out = jk(&args);
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

#[test]
fn a_genuine_session_verifies_with_its_journal_replayed_and_ssh_keygen_agrees() {
    let m = made();
    let (code, out, err) = verify_session(&m.session, &[], Some(&m.allowed));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("journal:   replayed"), "{out}");
    assert!(out.contains("signed by: anna@bench"), "{out}");
    assert!(out.contains("SIMULATED BMS"), "{out}");
    let log = fs::read(m.session.join("log.yaml")).unwrap();
    assert!(openssh_accepts(
        &m.allowed,
        "anna@bench",
        &m.session.join("log.yaml.sig"),
        &log
    ));
}

#[test]
fn a_simulated_log_passed_off_as_real_and_re_signed_by_another_key_fails() {
    let (dir, session) = copy_of_session();
    let log = fs::read_to_string(session.join("log.yaml")).unwrap();
    assert!(log.contains("simulated: true") && log.contains("link: simulator"));
    let forged = log
        .replace("simulated: true", "simulated: false")
        .replace("link: simulator", "link: C8:47:8C:10:00:01");
    fs::write(session.join("log.yaml"), &forged).unwrap();
    // Mallory signs the forgery with her own key, which the reviewer happens to trust.
    let mallory = dir.path().join("mallory");
    let info = sign::generate_key(&mallory, "mallory@bench").unwrap();
    let key = sign::load_signing_key(&mallory).unwrap();
    fs::write(
        session.join("log.yaml.sig"),
        sign::sign(&key, forged.as_bytes()).unwrap(),
    )
    .unwrap();
    let allowed = dir.path().join("allowed_signers");
    fs::write(&allowed, info.allowed_signers_line("mallory@bench") + "\n").unwrap();
    // The signature itself is good: OpenSSH accepts it.
    assert!(openssh_accepts(
        &allowed,
        "mallory@bench",
        &session.join("log.yaml.sig"),
        forged.as_bytes()
    ));

    let (code, out, err) = verify_session(&session, &[], Some(&allowed));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("at simulated: the log says false, the journal yields true"),
        "{err}"
    );
    assert!(err.contains("bms.link"), "{err}");
    assert!(!out.contains("Good signature"), "{out}");
}

#[test]
fn an_edited_journal_fails_even_with_the_log_untouched() {
    let (_dir, session) = copy_of_session();
    let journal = fs::read_to_string(session.join("journal.jsonl")).unwrap();
    let edited = journal.replacen("\"text\":\"280\"", "\"text\":\"290\"", 1);
    assert_ne!(edited, journal, "the capacity entry is in the journal");
    fs::write(session.join("journal.jsonl"), edited).unwrap();
    let (code, out, err) = verify_session(&session, &[], Some(&made().allowed));
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("the journal was changed"), "{err}");
}

#[test]
fn a_missing_journal_fails_unless_log_only_which_says_what_was_not_checked() {
    let (_dir, session) = copy_of_session();
    fs::remove_file(session.join("journal.jsonl")).unwrap();
    let (code, out, err) = verify_session(&session, &[], Some(&made().allowed));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("journal.jsonl cannot be read") && err.contains("--log-only"),
        "{err}"
    );
    let (code, out, err) = verify_session(&session, &["--log-only"], Some(&made().allowed));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("NOT CHECKED: the journal") && out.contains("simulated flag"),
        "{out}"
    );
}

#[test]
fn an_unauthenticated_signer_exits_3_and_the_workshop_file_is_the_default_anchor() {
    let m = made();
    let (code, out, err) = verify_session(&m.session, &[], None);
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.contains("intact, signer NOT authenticated"), "{out}");

    // The workshop's allowed signers in the config folder is trusted without a flag.
    let home = tempfile::tempdir().unwrap();
    let workshop = home.path().join("jk-commission/allowed_signers");
    fs::create_dir_all(workshop.parent().unwrap()).unwrap();
    fs::copy(&m.allowed, &workshop).unwrap();
    let out = crate::common::cmd()
        .arg("verify")
        .arg(m.session.join("log.yaml"))
        .env("XDG_CONFIG_HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&workshop.display().to_string()));
}

#[test]
fn keygen_trust_adds_the_key_to_the_workshop_allowed_signers() {
    let home = tempfile::tempdir().unwrap();
    let key = home.path().join("op");
    let out = crate::common::cmd()
        .args(["keygen", "--trust", "--comment", "eve@bench", "--file"])
        .arg(&key)
        .env("XDG_CONFIG_HOME", home.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let workshop = home.path().join("jk-commission/allowed_signers");
    let listed = fs::read_to_string(&workshop).unwrap();
    let public = fs::read_to_string(home.path().join("op.pub")).unwrap();
    assert!(
        listed.starts_with("eve@bench namespaces=\"jk-commission-log\" ")
            && listed.contains(public.trim()),
        "{listed}"
    );
    // Without --trust (and no terminal to ask on) nothing is added.
    let other = home.path().join("op2");
    let out = crate::common::cmd()
        .args(["keygen", "--file"])
        .arg(&other)
        .env("XDG_CONFIG_HOME", home.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(fs::read_to_string(&workshop).unwrap(), listed);
}

#[test]
fn run_says_at_its_start_which_key_signs_and_the_log_says_who_made_the_entries() {
    let m = made();
    let first = m.run_stderr.lines().next().unwrap_or_default();
    let fingerprint = text(&ssh_keygen(&["-l", "-f", m.key.to_str().unwrap()], None).stdout);
    let fingerprint = fingerprint.split_whitespace().nth(1).unwrap();
    assert!(
        first.contains("will be signed") && first.contains(fingerprint),
        "{first}"
    );

    let answers = fs::read(example("clean-lifepo4-16s.yaml")).unwrap();
    let sha = jk_commission::wizard::spec::sha256_hex(&answers);
    let text_log = fs::read_to_string(m.session.join("log.yaml")).unwrap();
    let log: jk_commission::log::record::CommissioningLog =
        serde_yaml::from_str(&text_log).unwrap();
    assert_eq!(
        log.entries_made_by,
        [jk_commission::wizard::engine::EntrySource::AnswersFile {
            file: "clean-lifepo4-16s.yaml".into(),
            sha256: sha.clone()
        }]
    );
    let report = fs::read_to_string(m.session.join("report.html")).unwrap();
    let body = report.split("<body>").nth(1).unwrap().trim_start();
    assert!(
        body.starts_with("<p class=\"overrides\"><strong>SCRIPTED"),
        "{body}"
    );
    assert!(report.contains(&sha));

    // The same session against a real unit: scripted, on the first line, and every checklist
    // confirmation marked as taken from the file.
    let mut real = log.clone();
    real.simulated = false;
    let html = jk_commission::log::report::render(
        &real,
        &text_log,
        None,
        jk_commission::wizard::words::builtin(),
    );
    let body = html.split("<body>").nth(1).unwrap().trim_start();
    let first = body.lines().next().unwrap();
    assert!(first.contains("SCRIPTED against a real unit"), "{first}");
    let confirmed = html.matches("☑ ").count();
    assert!(confirmed > 0);
    assert_eq!(html.matches("(from the answers file)").count(), confirmed);
}

#[test]
fn run_without_a_key_says_at_its_start_that_the_log_will_not_be_signed() {
    let dir = tempfile::tempdir().unwrap();
    let out = jk(&[
        "run",
        "--sim",
        "--answers",
        example("refuse-ladder-skipped-tap.yaml").to_str().unwrap(),
        "--out",
        dir.path().join("s").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let first = err.lines().next().unwrap_or_default();
    assert!(
        first.contains("will NOT be signed") && first.contains("jk-commission keygen"),
        "{err}"
    );
}

#[test]
fn a_finished_session_is_never_run_again_and_stays_byte_for_byte() {
    let (_dir, session) = copy_of_session();
    let before: Vec<Vec<u8>> = ["journal.jsonl", "log.yaml", "log.yaml.sig", "report.html"]
        .iter()
        .map(|f| fs::read(session.join(f)).unwrap())
        .collect();
    for answers in ["clean-lifepo4-16s.yaml", "refuse-ladder-skipped-tap.yaml"] {
        let out = jk(&[
            "run",
            "--sim",
            "--answers",
            example(answers).to_str().unwrap(),
            "--out",
            session.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2), "{answers}");
        let err = text(&out.stderr);
        assert!(err.contains("is finished"), "{err}");
        assert!(!text(&out.stdout).contains("signed off"));
    }
    let after: Vec<Vec<u8>> = ["journal.jsonl", "log.yaml", "log.yaml.sig", "report.html"]
        .iter()
        .map(|f| fs::read(session.join(f)).unwrap())
        .collect();
    assert_eq!(before, after);
}

#[test]
fn out_refuses_a_folder_that_is_not_ours() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("documents");
    fs::create_dir(&folder).unwrap();
    fs::write(folder.join("report.html"), "my own report").unwrap();
    let out = jk(&[
        "run",
        "--sim",
        "--answers",
        example("clean-lifepo4-16s.yaml").to_str().unwrap(),
        "--out",
        folder.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not a jk-commission session folder"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        fs::read_to_string(folder.join("report.html")).unwrap(),
        "my own report"
    );
    assert!(!folder.join("journal.jsonl").exists());
}

#[test]
#[cfg(unix)]
fn a_private_key_others_can_read_is_refused_before_anything_is_written() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("op");
    sign::generate_key(&key, "a").unwrap();
    fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
    let session = dir.path().join("s");
    let out = jk(&[
        "run",
        "--sim",
        "--answers",
        example("clean-lifepo4-16s.yaml").to_str().unwrap(),
        "--out",
        session.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("0644") && err.contains("chmod 600"), "{err}");
    assert!(!session.exists());
}
