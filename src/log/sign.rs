//! SSH signatures (SSHSIG, as made by `ssh-keygen -Y sign`) over the final log, with ed25519
//! operator keys, so anyone can check a log with stock OpenSSH and no copy of this program.
//!
//! The namespace is fixed: a signature made for a commissioning log can never be replayed as a
//! git commit signature or the like, and the other way round.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use ssh_encoding::{Decode, Encode};
use ssh_key::rand_core::OsRng;
use ssh_key::{Algorithm, Fingerprint, HashAlg, LineEnding, PrivateKey, PublicKey, SshSig};

use crate::log::allowed_signers::{AllowedSigners, TrustError};
use crate::wizard::words::{Arg, Say};

/// The SSHSIG namespace of every commissioning-log signature (`ssh-keygen -n`).
pub const NAMESPACE: &str = "jk-commission-log";

/// Everything that can go wrong making keys, signing and verifying.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// `generate_key` would have overwritten a file.
    #[error(
        "{path} already exists; refusing to overwrite it (an operator key that is replaced \
         can no longer be matched to the logs it signed). Move it away or choose another file"
    )]
    KeyExists {
        /// The file that is already there.
        path: PathBuf,
    },
    /// The file system refused an operation.
    #[error("could not {action} {path}: {source}")]
    Io {
        /// What we were doing.
        action: KeyIo,
        /// The file concerned.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// The key file is not an OpenSSH private key we can read.
    #[error("{path} is not a usable OpenSSH private key: {reason}")]
    NotAKey {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: NotAKey,
    },
    /// The key is protected by a passphrase.
    #[error(
        "{path} is protected by a passphrase, which jk-commission cannot ask for yet (signing \
         must work without a prompt). Use a key without passphrase, e.g. one made with \
         `jk-commission keygen`"
    )]
    EncryptedKey {
        /// The key file.
        path: PathBuf,
    },
    /// The key is of another type than ed25519.
    #[error(
        "{path} is a key of type {algorithm}; commissioning logs are signed with ed25519 keys \
         only. Make one with `jk-commission keygen`"
    )]
    NotEd25519Key {
        /// The key file.
        path: PathBuf,
        /// The key's algorithm ("RSA", "ECDSA P-256", …).
        algorithm: String,
    },
    /// The signature text cannot be decoded.
    #[error("the signature is not a readable SSH signature ({reason})")]
    MalformedSignature {
        /// What is wrong with it.
        reason: Malformed,
    },
    /// The signature was made for another purpose.
    #[error(
        "the signature was made for \"{found}\", not for a commissioning log \
         (namespace \"{NAMESPACE}\")"
    )]
    WrongNamespace {
        /// The namespace found in the signature.
        found: String,
    },
    /// The signature was made with a non-ed25519 key.
    #[error(
        "the signature was made with a key of type {algorithm}; only ed25519 signatures are \
         accepted"
    )]
    UnsupportedSignatureKey {
        /// The algorithm ("RSA", …).
        algorithm: String,
    },
    /// The signature does not match the message.
    #[error(
        "the signature does not match the file: the file was changed after it was signed, or \
         the signature belongs to another file"
    )]
    BadSignature,
    /// The signing key is not trusted by the allowed-signers list, or the list is unreadable.
    #[error(transparent)]
    Untrusted(#[from] TrustError),
    /// A private key file that others may read: OpenSSH refuses such a key, and so do we.
    #[error(
        "permissions {mode:04o} for {path} are too open: a private key must be readable by its \
         owner only (OpenSSH refuses it too). Run `chmod 600 {path}`"
    )]
    KeyTooOpen {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The underlying SSH library failed where it should not (encoding, randomness).
    #[error("SSH key operation failed: {0}")]
    Ssh(#[from] ssh_key::Error),
}

/// What [`SignError::Io`] was doing with its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyIo {
    /// Creating the key's folder.
    CreateFolder,
    /// Reading the key file.
    ReadKey,
    /// Creating a key file.
    Create,
    /// Writing a key file.
    Write,
}

impl fmt::Display for KeyIo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyIo::CreateFolder => "create the folder",
            KeyIo::ReadKey => "read the key file",
            KeyIo::Create => "create",
            KeyIo::Write => "write",
        })
    }
}

/// Why a file is no OpenSSH private key we can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAKey {
    /// It holds a public key.
    PublicKey,
    /// It is a private key in the older PEM format.
    OldPem,
    /// It holds no OpenSSH private key block at all.
    NoBlock,
    /// The key parser refused it: what it said.
    Parser(String),
}

impl NotAKey {
    /// The reason as a sentence part (`sign.why.*`); the parser's text as it is.
    pub fn say(&self) -> Say {
        match self {
            NotAKey::PublicKey => Say::plain("sign.why.public_key"),
            NotAKey::OldPem => Say::plain("sign.why.old_pem"),
            NotAKey::NoBlock => Say::plain("sign.why.no_block"),
            NotAKey::Parser(text) => Say::new("entry.as_written", [("text", Arg::verbatim(text))]),
        }
    }
}

impl fmt::Display for NotAKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.say().english())
    }
}

/// Why a signature's text is no SSH signature we read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Malformed {
    /// The decoder refused it: what it said.
    Decoder(String),
    /// It decodes, but not from the one canonical encoding: a length or field was altered.
    NotCanonical,
    /// A signature format version nobody defined.
    Version(u32),
}

impl Malformed {
    /// The reason as a sentence part (`sign.why.*`); the decoder's text as it is.
    pub fn say(&self) -> Say {
        match self {
            Malformed::Decoder(text) => {
                Say::new("entry.as_written", [("text", Arg::verbatim(text))])
            }
            Malformed::NotCanonical => Say::plain("sign.why.not_canonical"),
            Malformed::Version(v) => Say::new("sign.why.version", [("version", Arg::int(*v))]),
        }
    }
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.say().english())
    }
}

impl SignError {
    /// What went wrong, as a sentence (`sign.*` in wizard.yaml's `reasons:`): paths, key
    /// fingerprints and algorithm names as they are, and what the operating system or the SSH
    /// library said in its own words. `Display` stays the English one, for logs.
    pub fn say(&self) -> Say {
        use crate::log::allowed_signers::TrustError as T;
        let v = |s: &str| Arg::verbatim(s);
        let path = |p: &Path| Arg::verbatim(p.display().to_string());
        match self {
            SignError::KeyExists { path: p } => Say::new("sign.key_exists", [("path", path(p))]),
            SignError::Io {
                action,
                path: p,
                source,
            } => Say::new(
                match action {
                    KeyIo::CreateFolder => "sign.io.create_folder",
                    KeyIo::ReadKey => "sign.io.read_key",
                    KeyIo::Create => "sign.io.create",
                    KeyIo::Write => "sign.io.write",
                },
                [
                    ("error", Arg::verbatim(source.to_string())),
                    ("path", path(p)),
                ],
            ),
            SignError::NotAKey { path: p, reason } => Say::new(
                "sign.not_a_key",
                [("path", path(p)), ("reason", Arg::say(reason.say()))],
            ),
            SignError::EncryptedKey { path: p } => {
                Say::new("sign.encrypted_key", [("path", path(p))])
            }
            SignError::NotEd25519Key { path: p, algorithm } => Say::new(
                "sign.not_ed25519_key",
                [("algorithm", v(algorithm)), ("path", path(p))],
            ),
            SignError::MalformedSignature { reason } => {
                Say::new("sign.malformed", [("reason", Arg::say(reason.say()))])
            }
            SignError::WrongNamespace { found } => Say::new(
                "sign.wrong_namespace",
                [("found", v(found)), ("namespace", v(NAMESPACE))],
            ),
            SignError::UnsupportedSignatureKey { algorithm } => {
                Say::new("sign.unsupported_key", [("algorithm", v(algorithm))])
            }
            SignError::BadSignature => Say::plain("sign.bad"),
            SignError::Untrusted(T::NotListed { fingerprint }) => {
                Say::new("sign.not_listed", [("fingerprint", v(fingerprint))])
            }
            SignError::Untrusted(T::NamespaceNotAllowed {
                fingerprint,
                line,
                namespace,
            }) => Say::new(
                "sign.namespace_not_allowed",
                [
                    ("fingerprint", v(fingerprint)),
                    ("line", Arg::int(*line as i64)),
                    ("namespace", v(namespace)),
                ],
            ),
            SignError::Untrusted(T::Line { line, reason }) => Say::new(
                "sign.signers_line",
                [("line", Arg::int(*line as i64)), ("reason", v(reason))],
            ),
            SignError::KeyTooOpen { path: p, mode } => Say::new(
                "sign.key_too_open",
                [
                    ("mode", Arg::verbatim(format!("{mode:04o}"))),
                    ("path", path(p)),
                ],
            ),
            SignError::Ssh(e) => Say::new("sign.ssh", [("error", Arg::verbatim(e.to_string()))]),
        }
    }
}

/// The result of `generate_key`: where the key went and how to name it to others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKeyInfo {
    /// The private key file (mode 0600 on Unix).
    pub private_path: PathBuf,
    /// The public key file (`<private>.pub`).
    pub public_path: PathBuf,
    /// `SHA256:…` fingerprint, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    /// The public key in OpenSSH one-line form, `ssh-ed25519 AAAA… comment`.
    pub public_key: String,
    /// The key's comment.
    pub comment: String,
}

impl PublicKeyInfo {
    /// A line for an allowed-signers file that accepts this key for commissioning logs only.
    pub fn allowed_signers_line(&self, principal: &str) -> String {
        format!("{principal} namespaces=\"{NAMESPACE}\" {}", self.public_key)
    }
}

/// An operator's ed25519 private key, ready to sign. Its Debug output never shows the secret.
pub struct SigningKey {
    key: PrivateKey,
}

impl SigningKey {
    /// `SHA256:…` fingerprint of the key.
    pub fn fingerprint(&self) -> String {
        self.key.fingerprint(HashAlg::Sha256).to_string()
    }

    /// The key's comment (often `user@host`).
    pub fn comment(&self) -> &str {
        self.key.comment()
    }

    /// The public key in OpenSSH one-line form.
    pub fn public_key_openssh(&self) -> Result<String, SignError> {
        Ok(self.key.public_key().to_openssh()?)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("fingerprint", &self.fingerprint())
            .field("comment", &self.comment())
            .finish_non_exhaustive()
    }
}

/// Who made a verified signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// The principals field of the allowed-signers entry that lists the key (e.g.
    /// `alice@example.com`); `None` when no allowed-signers list was given.
    pub principal: Option<String>,
    /// `SHA256:…` fingerprint of the signing key.
    pub fingerprint: String,
    /// The comment of the allowed-signers entry, if any.
    pub comment: Option<String>,
}

impl Signer {
    /// True when the key was found in an allowed-signers list, i.e. we know whose key it is.
    pub fn is_authenticated(&self) -> bool {
        self.principal.is_some()
    }
}

impl fmt::Display for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.principal {
            Some(p) => {
                write!(f, "{p} (key {})", self.fingerprint)?;
                if let Some(c) = &self.comment {
                    write!(f, ", {c}")?;
                }
                Ok(())
            }
            None => write!(
                f,
                "unlisted key {}: the signature matches the key it carries, but without an \
                 allowed-signers list nothing says whose key that is (anyone can make such a \
                 signature)",
                self.fingerprint
            ),
        }
    }
}

/// Create a new ed25519 key at `path` (mode 0600) and its public half at `path.pub`.
///
/// Refuses when either file already exists.
pub fn generate_key(path: &Path, comment: &str) -> Result<PublicKeyInfo, SignError> {
    let public_path = pub_path(path);
    for p in [path, public_path.as_path()] {
        if fs::symlink_metadata(p).is_ok() {
            return Err(SignError::KeyExists {
                path: p.to_path_buf(),
            });
        }
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dir(parent).map_err(|source| SignError::Io {
            action: KeyIo::CreateFolder,
            path: parent.to_path_buf(),
            source,
        })?;
    }

    let mut key = PrivateKey::random(&mut OsRng, Algorithm::Ed25519)?;
    key.set_comment(comment);
    let private_pem = key.to_openssh(LineEnding::LF)?;
    let mut public_line = key.public_key().to_openssh()?;
    public_line.push('\n');

    write_new(path, private_pem.as_bytes(), 0o600)?;
    if let Err(e) = write_new(&public_path, public_line.as_bytes(), 0o644) {
        // Half a key pair is worse than none: the next attempt would refuse to overwrite it.
        let _ = fs::remove_file(path);
        return Err(e);
    }

    Ok(PublicKeyInfo {
        private_path: path.to_path_buf(),
        public_path,
        fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
        public_key: public_line.trim_end().to_string(),
        comment: comment.to_string(),
    })
}

/// The operator key's default place: `<platform data dir>/jk-commission/operator_ed25519`.
pub fn default_key_path() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("jk-commission").join("operator_ed25519"))
}

/// The key that will sign a session's log: `given` (`--key`), else the operator's key at
/// [`default_key_path`] when there is one. The sentence says which, or how to make one: the
/// operator learns it before the commissioning, not at its end.
pub fn choose_key(given: Option<&Path>) -> Result<(Option<SigningKey>, Say), SignError> {
    let (path, how) = match given {
        Some(p) => (Some(p.to_path_buf()), "cli.key.given"),
        None => (default_key_path(), "cli.key.operator"),
    };
    let shown = |p: &Path| Arg::verbatim(p.display().to_string());
    match path {
        Some(p) if given.is_some() || p.exists() => {
            let key = load_signing_key(&p)?;
            let line = Say::new(
                how,
                [
                    ("fingerprint", Arg::verbatim(key.fingerprint())),
                    ("path", shown(&p)),
                ],
            );
            Ok((Some(key), line))
        }
        Some(p) => Ok((None, Say::new("cli.key.none_at", [("path", shown(&p))]))),
        None => Ok((None, Say::plain("cli.key.no_data_dir"))),
    }
}

/// Read an unencrypted OpenSSH ed25519 private key that only its owner can read.
pub fn load_signing_key(path: &Path) -> Result<SigningKey, SignError> {
    let text = fs::read_to_string(path).map_err(|source| SignError::Io {
        action: KeyIo::ReadKey,
        path: path.to_path_buf(),
        source,
    })?;
    let not_a_key = |reason: NotAKey| SignError::NotAKey {
        path: path.to_path_buf(),
        reason,
    };
    if !text.contains("-----BEGIN OPENSSH PRIVATE KEY-----") {
        let first = text.trim_start();
        return Err(if PublicKey::from_openssh(first).is_ok() {
            not_a_key(NotAKey::PublicKey)
        } else if first.starts_with("-----BEGIN") && first.contains("PRIVATE KEY-----") {
            not_a_key(NotAKey::OldPem)
        } else {
            not_a_key(NotAKey::NoBlock)
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = fs::metadata(path).map_err(|source| SignError::Io {
            action: KeyIo::ReadKey,
            path: path.to_path_buf(),
            source,
        })?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(SignError::KeyTooOpen {
                path: path.to_path_buf(),
                mode,
            });
        }
    }
    let key = match PrivateKey::from_openssh(text.trim()) {
        Ok(key) => key,
        // Without the features for other key types the parser cannot name them; the public half
        // sits unencrypted in the file, so read the type from there.
        Err(e) => {
            return Err(match key_type_in_pem(&text) {
                Some(alg) if alg != Algorithm::Ed25519.as_str() => SignError::NotEd25519Key {
                    path: path.to_path_buf(),
                    algorithm: describe_algorithm_name(&alg),
                },
                _ => not_a_key(NotAKey::Parser(e.to_string())),
            })
        }
    };
    if key.is_encrypted() {
        return Err(SignError::EncryptedKey {
            path: path.to_path_buf(),
        });
    }
    if key.algorithm() != Algorithm::Ed25519 {
        return Err(SignError::NotEd25519Key {
            path: path.to_path_buf(),
            algorithm: describe_algorithm_name(key.algorithm().as_str()),
        });
    }
    Ok(SigningKey { key })
}

/// Sign `message` for the commissioning-log namespace with SHA-512, armored
/// (`-----BEGIN SSH SIGNATURE-----`), ready to be written to `log.yaml.sig`.
pub fn sign(key: &SigningKey, message: &[u8]) -> Result<String, SignError> {
    let sig = key.key.sign(NAMESPACE, HashAlg::Sha512, message)?;
    let mut armored = sig.to_pem(LineEnding::LF)?;
    if !armored.ends_with('\n') {
        armored.push('\n');
    }
    Ok(armored)
}

/// Verify `armored_sig` over `message`.
///
/// With `allowed_signers` (the text of an OpenSSH allowed-signers file) the signing key must be
/// listed there for this namespace, and the returned `Signer` names its principal. Without it,
/// only the signature's consistency with the key it carries is checked: the signer is then
/// unauthenticated (`Signer::is_authenticated` is false).
pub fn verify(
    message: &[u8],
    armored_sig: &str,
    allowed_signers: Option<&str>,
) -> Result<Signer, SignError> {
    let sig = match SshSig::from_pem(armored_sig.trim()) {
        Ok(sig) => sig,
        // The parser only knows ed25519 keys; name any other type rather than say "garbage".
        Err(e) => {
            return Err(match key_type_in_signature(armored_sig) {
                Some(alg) if alg != Algorithm::Ed25519.as_str() => {
                    SignError::UnsupportedSignatureKey {
                        algorithm: describe_algorithm_name(&alg),
                    }
                }
                _ => SignError::MalformedSignature {
                    reason: Malformed::Decoder(e.to_string()),
                },
            })
        }
    };
    // The parser does not enforce the length prefixes of nested fields, so an altered length
    // can still parse. Insist on the one canonical encoding: any changed byte is then refused.
    let mut canonical = Vec::new();
    sig.encode(&mut canonical).map_err(ssh_key::Error::from)?;
    if pem_bytes(armored_sig).as_deref() != Some(canonical.as_slice()) {
        return Err(SignError::MalformedSignature {
            reason: Malformed::NotCanonical,
        });
    }
    // ssh-key accepts any version up to 1; be exact, nothing else has ever been defined.
    if sig.version() != SshSig::VERSION {
        return Err(SignError::MalformedSignature {
            reason: Malformed::Version(sig.version()),
        });
    }
    let key_alg = sig.public_key().algorithm();
    if key_alg != Algorithm::Ed25519 || sig.algorithm() != Algorithm::Ed25519 {
        return Err(SignError::UnsupportedSignatureKey {
            algorithm: describe_algorithm_name(key_alg.as_str()),
        });
    }
    if sig.namespace() != NAMESPACE {
        return Err(SignError::WrongNamespace {
            found: sig.namespace().to_string(),
        });
    }
    let public = PublicKey::new(sig.public_key().clone(), "");
    public
        .verify(NAMESPACE, message, &sig)
        .map_err(|_| SignError::BadSignature)?;
    let fingerprint = Fingerprint::new(HashAlg::Sha256, sig.public_key()).to_string();

    let Some(text) = allowed_signers else {
        return Ok(Signer {
            principal: None,
            fingerprint,
            comment: None,
        });
    };
    let listed =
        AllowedSigners::parse(text)?.authenticate(sig.public_key(), &fingerprint, NAMESPACE)?;
    Ok(Signer {
        principal: Some(listed.principal),
        fingerprint,
        comment: listed.comment,
    })
}

/// The bytes inside a PEM block (`-----BEGIN …-----`), decoded by the PEM parser ssh-key uses.
fn pem_bytes(text: &str) -> Option<Vec<u8>> {
    // OpenSSH wraps its PEM at 70 columns, not PEM's usual 64.
    let mut decoder = ssh_encoding::pem::Decoder::new_wrapped(text.trim().as_bytes(), 70).ok()?;
    let mut bytes = Vec::new();
    decoder.decode_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// The key type of the public key inside an armored SSHSIG.
fn key_type_in_signature(armored: &str) -> Option<String> {
    let bytes = pem_bytes(armored)?;
    // "SSHSIG", u32 version, then the public key blob, which starts with its type name.
    let mut rest = bytes.strip_prefix(b"SSHSIG")?;
    u32::decode(&mut rest).ok()?;
    let blob = Vec::<u8>::decode(&mut rest).ok()?;
    String::decode(&mut blob.as_slice()).ok()
}

/// The key type named in the (always unencrypted) public section of an OpenSSH private key.
fn key_type_in_pem(text: &str) -> Option<String> {
    let bytes = pem_bytes(text)?;
    // "openssh-key-v1\0", then strings: cipher, kdf, kdf options; u32 key count; public key blob.
    let mut rest = bytes.strip_prefix(b"openssh-key-v1\0")?;
    for _ in 0..3 {
        Vec::<u8>::decode(&mut rest).ok()?;
    }
    u32::decode(&mut rest).ok()?;
    let blob = Vec::<u8>::decode(&mut rest).ok()?;
    String::decode(&mut blob.as_slice()).ok()
}

/// "RSA", "ECDSA P-256", … for messages (the same in every language).
fn describe_algorithm_name(name: &str) -> String {
    let described = match name {
        "ssh-rsa" => "RSA",
        "ssh-dss" => "DSA",
        "ecdsa-sha2-nistp256" => "ECDSA P-256",
        "ecdsa-sha2-nistp384" => "ECDSA P-384",
        "ecdsa-sha2-nistp521" => "ECDSA P-521",
        "sk-ssh-ed25519@openssh.com" => "security-key (FIDO) ed25519",
        "sk-ecdsa-sha2-nistp256@openssh.com" => "security-key (FIDO) ECDSA",
        other => other,
    };
    described.to_string()
}

fn pub_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

/// Create `path` exclusively with `mode` from the start (no window where the secret is readable).
fn write_new(path: &Path, content: &[u8], mode: u32) -> Result<(), SignError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file: File = options.open(path).map_err(|source| {
        if source.kind() == io::ErrorKind::AlreadyExists {
            SignError::KeyExists {
                path: path.to_path_buf(),
            }
        } else {
            SignError::Io {
                action: KeyIo::Create,
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    file.write_all(content)
        .and_then(|()| file.sync_all())
        .map_err(|source| SignError::Io {
            action: KeyIo::Write,
            path: path.to_path_buf(),
            source,
        })
}

/// Create a key folder (and its parents); the last level is private (0700) when we create it.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    match builder.create(dir) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_key(dir: &Path, name: &str, comment: &str) -> (PublicKeyInfo, SigningKey) {
        let path = dir.join(name);
        let info = generate_key(&path, comment).unwrap();
        let key = load_signing_key(&path).unwrap();
        (info, key)
    }

    #[test]
    fn every_bit_of_the_message_is_covered_by_the_signature() {
        let dir = tempfile::tempdir().unwrap();
        let (_, key) = new_key(dir.path(), "op", "alice@example.com");
        let msg = b"pack: {id: P-4, series_cells: 4}\nverdict: pass\n".to_vec();
        let sig = sign(&key, &msg).unwrap();
        assert!(verify(&msg, &sig, None).is_ok());
        for pos in 0..msg.len() {
            for bit in 0..8 {
                let mut bad = msg.clone();
                bad[pos] ^= 1 << bit;
                assert!(
                    verify(&bad, &sig, None).is_err(),
                    "byte {pos} bit {bit} flipped and still verified"
                );
            }
        }
    }

    #[test]
    fn signs_and_verifies_with_and_without_allowed_signers() {
        let dir = tempfile::tempdir().unwrap();
        let (info, key) = new_key(dir.path(), "op", "alice@example.com");
        assert_eq!(key.fingerprint(), info.fingerprint);
        assert!(info.fingerprint.starts_with("SHA256:"));

        let msg = b"pack: 16S LiFePO4\nsigned_off: true\n";
        let sig = sign(&key, msg).unwrap();
        assert!(sig.starts_with("-----BEGIN SSH SIGNATURE-----\n"), "{sig}");

        let unlisted = verify(msg, &sig, None).unwrap();
        assert!(!unlisted.is_authenticated());
        assert_eq!(unlisted.fingerprint, info.fingerprint);
        assert!(unlisted.to_string().contains("unlisted key"));

        let allowed = format!("# team keys\n\n{}\n", info.allowed_signers_line("alice"));
        let signer = verify(msg, &sig, Some(&allowed)).unwrap();
        assert_eq!(signer.principal.as_deref(), Some("alice"));
        assert_eq!(signer.comment.as_deref(), Some("alice@example.com"));
        assert!(signer.is_authenticated());

        let err = verify(b"pack: 16S LiFePO4\nsigned_off: false\n", &sig, None).unwrap_err();
        assert!(matches!(err, SignError::BadSignature), "{err}");
    }

    #[test]
    fn signature_from_another_namespace_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (_, key) = new_key(dir.path(), "op", "a");
        let other = key.key.sign("git", HashAlg::Sha512, b"x").unwrap();
        let armored = other.to_pem(LineEnding::LF).unwrap();
        let err = verify(b"x", &armored, None).unwrap_err();
        assert!(matches!(&err, SignError::WrongNamespace { found } if found == "git"));
        assert!(err.to_string().contains("\"git\""), "{err}");
    }

    #[test]
    fn a_key_missing_from_allowed_signers_is_refused_naming_its_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let (_, key) = new_key(dir.path(), "op", "a");
        let (other, _) = new_key(dir.path(), "other", "b");
        let sig = sign(&key, b"log").unwrap();
        let allowed = other.allowed_signers_line("bob");
        let err = verify(b"log", &sig, Some(&allowed)).unwrap_err();
        match &err {
            SignError::Untrusted(TrustError::NotListed { fingerprint }) => {
                assert_eq!(fingerprint, &key.fingerprint())
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn namespaces_option_restricts_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let (info, key) = new_key(dir.path(), "op", "a");
        let sig = sign(&key, b"log").unwrap();
        let line = |opts: &str| format!("alice {opts} {}", info.public_key);

        let git_only = line("namespaces=\"git,file\"");
        let err = verify(b"log", &sig, Some(&git_only)).unwrap_err();
        assert!(
            matches!(
                err,
                SignError::Untrusted(TrustError::NamespaceNotAllowed { line: 1, .. })
            ),
            "{err}"
        );

        for ok in ["namespaces=\"git,jk-commission-*\"", "NAMESPACES=\"*\""] {
            let signer = verify(b"log", &sig, Some(&line(ok)));
            assert!(signer.is_ok(), "{ok}: {signer:?}");
        }
        // A CA entry never vouches for a plain key, even one with the same key material.
        let ca_only = line("cert-authority");
        assert!(matches!(
            verify(b"log", &sig, Some(&ca_only)),
            Err(SignError::Untrusted(TrustError::NotListed { .. }))
        ));

        let negated = line("namespaces=\"*,!jk-commission-log\"");
        assert!(verify(b"log", &sig, Some(&negated)).is_err());
    }

    #[test]
    fn allowed_signers_errors_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let (info, key) = new_key(dir.path(), "op", "a");
        let sig = sign(&key, b"log").unwrap();
        let good = info.allowed_signers_line("alice");
        let cases = [
            (format!("{good}\nbob\n"), 2, "no key"),
            (
                format!("{good}\nbob ssh-ed25519 AAAAnotbase64!\n"),
                2,
                "public key",
            ),
            (
                format!("bob foo=\"x\" {}\n", info.public_key),
                1,
                "unknown option",
            ),
            (
                format!("alice valid-before=\"20300101\" {}\n", info.public_key),
                1,
                "validity in time",
            ),
        ];
        for (text, line, needle) in cases {
            let err = verify(b"log", &sig, Some(&text)).unwrap_err();
            let msg = err.to_string();
            assert!(
                matches!(err, SignError::Untrusted(TrustError::Line { line: l, .. }) if l == line),
                "{text}: {msg}"
            );
            assert!(msg.contains(needle), "{msg}");
        }
    }

    #[test]
    fn quoted_principals_and_options_with_commas_parse() {
        let dir = tempfile::tempdir().unwrap();
        let (info, key) = new_key(dir.path(), "op", "a");
        let sig = sign(&key, b"log").unwrap();
        let text = format!(
            "\"alice smith\",bob namespaces=\"git,jk-commission-log\" {}",
            info.public_key
        );
        let signer = verify(b"log", &sig, Some(&text)).unwrap();
        assert_eq!(signer.principal.as_deref(), Some("alice smith,bob"));
    }

    #[test]
    fn generate_refuses_to_overwrite_either_file_and_sets_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/op");
        let info = generate_key(&path, "a").unwrap();
        assert_eq!(info.public_path, dir.path().join("keys/op.pub"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let before = fs::read(&path).unwrap();
        let err = generate_key(&path, "b").unwrap_err();
        assert!(matches!(&err, SignError::KeyExists { path: p } if *p == path));
        assert_eq!(fs::read(&path).unwrap(), before);

        // Only the .pub left over: still refused, and no private key appears.
        let lone = dir.path().join("lone");
        fs::write(dir.path().join("lone.pub"), "x").unwrap();
        let err = generate_key(&lone, "c").unwrap_err();
        assert!(err.to_string().contains("lone.pub"), "{err}");
        assert!(!lone.exists());
    }

    #[test]
    fn loading_refuses_public_keys_and_garbage_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let (info, _) = new_key(dir.path(), "op", "a");
        let err = load_signing_key(&info.public_path).unwrap_err();
        assert!(err.to_string().contains("public key"), "{err}");

        let junk = dir.path().join("junk");
        fs::write(&junk, "hello").unwrap();
        let err = load_signing_key(&junk).unwrap_err();
        assert!(
            err.to_string().contains("BEGIN OPENSSH PRIVATE KEY"),
            "{err}"
        );

        let missing = load_signing_key(&dir.path().join("none")).unwrap_err();
        assert!(matches!(missing, SignError::Io { .. }), "{missing}");
    }

    #[test]
    #[cfg(unix)]
    fn a_key_others_can_read_is_refused_with_openssh_advice() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (info, _) = new_key(dir.path(), "op", "a");
        for mode in [0o644, 0o640, 0o604, 0o610] {
            fs::set_permissions(&info.private_path, fs::Permissions::from_mode(mode)).unwrap();
            let err = load_signing_key(&info.private_path).unwrap_err();
            assert!(
                matches!(err, SignError::KeyTooOpen { mode: m, .. } if m == mode),
                "{mode:o}: {err}"
            );
            let msg = err.to_string();
            assert!(
                msg.contains("chmod 600") && msg.contains(&format!("{mode:04o}")),
                "{msg}"
            );
        }
        fs::set_permissions(&info.private_path, fs::Permissions::from_mode(0o400)).unwrap();
        assert!(
            load_signing_key(&info.private_path).is_ok(),
            "0400 is private"
        );
    }

    #[test]
    fn the_chosen_key_is_named_before_the_session_and_a_bad_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (info, _) = new_key(dir.path(), "op", "a");
        let (key, line) = choose_key(Some(&info.private_path)).unwrap();
        let line = line.render(crate::wizard::words::builtin(), "en");
        assert_eq!(key.unwrap().fingerprint(), info.fingerprint);
        assert!(
            line.contains("will be signed with --key") && line.contains(&info.fingerprint),
            "{line}"
        );
        // A --key that does not exist is an error, never a silent unsigned log.
        let missing = choose_key(Some(&dir.path().join("none"))).unwrap_err();
        assert!(matches!(missing, SignError::Io { .. }), "{missing}");
    }

    #[test]
    fn signing_key_debug_hides_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        let (info, key) = new_key(dir.path(), "op", "a");
        let dbg = format!("{key:?}");
        assert!(dbg.contains(&info.fingerprint));
        let pem = fs::read_to_string(&info.private_path).unwrap();
        let secret_line = pem.lines().nth(2).unwrap();
        assert!(!dbg.contains(secret_line));
    }

    #[test]
    fn garbage_signature_is_malformed() {
        let err = verify(b"x", "not a signature", None).unwrap_err();
        assert!(matches!(err, SignError::MalformedSignature { .. }), "{err}");
    }
}
