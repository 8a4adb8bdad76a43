//! Signing and verifying commissioning logs as a user would: `jk-commission keygen`,
//! `jk-commission verify`, and stock OpenSSH (`ssh-keygen -Y`) in both directions.
//!
//! Needs `ssh-keygen` (Debian: openssh-client) on PATH.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use jk_commission::log::sign::{self, SignError, NAMESPACE};

const BIN: &str = env!("CARGO_BIN_EXE_jk-commission");

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

fn jk(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
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
    let mut args = vec![
        "verify".to_string(),
        log.display().to_string(),
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
    let out = Command::new(BIN)
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
    // Default signature path: LOG.sig.
    let out = jk(&["verify", s.log.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("unlisted key"), "{stdout}");
    assert!(stdout.contains("not authenticated"), "{stdout}");
    assert!(stdout.contains(&s.fingerprint), "{stdout}");
}

#[test]
fn flipping_any_byte_of_a_small_log_fails_both_verifiers() {
    let s = signed_by_library(SMALL_LOG.as_bytes());
    let original = SMALL_LOG.as_bytes();
    // Every 7th byte through both verifiers (each is a process); the library test in
    // log::sign flips every bit in-process.
    for pos in (0..original.len()).step_by(7) {
        for mask in [0x01u8, 0x80] {
            let mut tampered = original.to_vec();
            tampered[pos] ^= mask;
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
    let tampered_sig = s.dir.path().join("tampered.sig");
    for pos in 0..blob.len() {
        // 0xff rather than a single bit: the version field is not covered by the signature and
        // OpenSSH accepts version 0, so 1 -> 0 would pass ssh-keygen without changing anything
        // that is signed. We refuse that one too (checked below).
        let mut tampered = blob.clone();
        tampered[pos] ^= 0xff;
        fs::write(&tampered_sig, armor(&tampered)).unwrap();
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
        // And single-bit flips, against our verifier, with and without allowed signers.
        for bit in 0..8 {
            let mut flipped = blob.clone();
            flipped[pos] ^= 1 << bit;
            let armored = armor(&flipped);
            assert!(
                sign::verify(SMALL_LOG.as_bytes(), &armored, None).is_err(),
                "signature byte {pos} bit {bit} accepted without allowed signers"
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
fn unreadable_inputs_exit_2_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.yaml");
    fs::write(&log, SMALL_LOG).unwrap();
    let out = jk(&["verify", log.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("log.yaml.sig"),
        "{}",
        text(&out.stderr)
    );
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
