//! OpenSSH allowed-signers files: the trust anchor of `verify`. A signature only says which
//! key made it; this list says whose key that is and for what namespace it may sign.
//!
//! The workshop keeps one default list in the platform's config directory
//! (`~/.config/jk-commission/allowed_signers` on Linux); `keygen` offers to add new keys to it.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use ssh_key::public::KeyData;
use ssh_key::PublicKey;

/// Why a signing key is not trusted, or why the list cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// The signing key is not in the list.
    #[error("the signing key {fingerprint} is not listed in the allowed signers")]
    NotListed {
        /// Fingerprint of the signing key.
        fingerprint: String,
    },
    /// The signing key is listed, but restricted to other namespaces.
    #[error(
        "the signing key {fingerprint} is listed in the allowed signers (line {line}) but its \
         namespaces=\"…\" option does not include \"{namespace}\""
    )]
    NamespaceNotAllowed {
        /// Fingerprint of the signing key.
        fingerprint: String,
        /// 1-based line of the (first) entry naming the key.
        line: usize,
        /// The namespace that was asked for.
        namespace: String,
    },
    /// A line is malformed or uses an option we cannot honour.
    #[error("allowed signers, line {line}: {reason}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
}

/// Whose key made a signature, as an allowed-signers entry says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The entry's principals field (e.g. `alice@example.com`).
    pub principal: String,
    /// The entry's key comment, if any.
    pub comment: Option<String>,
}

/// One entry of an allowed-signers file.
#[derive(Debug)]
struct Entry {
    line: usize,
    principals: String,
    cert_authority: bool,
    namespaces: Option<String>,
    time_limited: bool,
    key: PublicKey,
}

impl Entry {
    fn allows_namespace(&self, namespace: &str) -> bool {
        match &self.namespaces {
            None => true,
            Some(list) => match_pattern_list(namespace, list),
        }
    }
}

/// A parsed allowed-signers file.
#[derive(Debug)]
pub struct AllowedSigners {
    entries: Vec<Entry>,
}

impl AllowedSigners {
    /// Parse the text of an allowed-signers file: `principals [options] key-type base64
    /// [comment]` per line, `#` comments and blank lines ignored.
    pub fn parse(text: &str) -> Result<Self, TrustError> {
        let mut entries = Vec::new();
        for (idx, raw) in text.lines().enumerate() {
            let line = idx + 1;
            let bad = |reason: String| TrustError::Line { line, reason };
            let rest = raw.trim();
            if rest.is_empty() || rest.starts_with('#') {
                continue;
            }
            let (principals, rest) = next_token(rest).map_err(bad)?;
            let principals = principals.replace('"', "");
            if rest.is_empty() {
                return Err(bad("a principal but no key".to_string()));
            }
            // Options are optional: OpenSSH tries the key first and options only if that fails.
            let (options, key) = match PublicKey::from_openssh(rest) {
                Ok(key) => (None, key),
                Err(_) => {
                    let (options, key_text) = next_token(rest).map_err(bad)?;
                    let key = PublicKey::from_openssh(key_text)
                        .map_err(|e| bad(format!("no readable public key ({e})")))?;
                    (Some(options), key)
                }
            };
            let mut entry = Entry {
                line,
                principals,
                cert_authority: false,
                namespaces: None,
                time_limited: false,
                key,
            };
            if let Some(options) = options {
                for option in split_options(options).map_err(bad)? {
                    let (name, value) = match option.split_once('=') {
                        Some((n, v)) => (n, Some(v)),
                        None => (option, None),
                    };
                    let quoted = || {
                        value
                            .and_then(|v| v.strip_prefix('"'))
                            .and_then(|v| v.strip_suffix('"'))
                            .map(str::to_string)
                            .ok_or_else(|| bad(format!("option {name} needs a quoted value")))
                    };
                    match name.to_ascii_lowercase().as_str() {
                        "cert-authority" if value.is_none() => entry.cert_authority = true,
                        "namespaces" => entry.namespaces = Some(quoted()?),
                        "valid-after" | "valid-before" => {
                            quoted()?;
                            entry.time_limited = true;
                        }
                        _ => return Err(bad(format!("unknown option \"{option}\""))),
                    }
                }
            }
            entries.push(entry);
        }
        Ok(AllowedSigners { entries })
    }

    /// The entry that lets `key` sign in `namespace`. `fingerprint` names the key in errors.
    pub fn authenticate(
        &self,
        key: &KeyData,
        fingerprint: &str,
        namespace: &str,
    ) -> Result<Listed, TrustError> {
        let mut refused_line = None;
        // A CA entry never vouches for a plain key, even one with the same key material.
        for entry in self
            .entries
            .iter()
            .filter(|e| !e.cert_authority && e.key.key_data() == key)
        {
            if !entry.allows_namespace(namespace) {
                refused_line.get_or_insert(entry.line);
                continue;
            }
            if entry.time_limited {
                return Err(TrustError::Line {
                    line: entry.line,
                    reason: "the entry limits the key's validity in time \
                             (valid-after/valid-before), which jk-commission cannot check \
                             yet; check this log with `ssh-keygen -Y verify` instead"
                        .to_string(),
                });
            }
            return Ok(Listed {
                principal: entry.principals.clone(),
                comment: Some(entry.key.comment().to_string()).filter(|c| !c.is_empty()),
            });
        }
        Err(match refused_line {
            Some(line) => TrustError::NamespaceNotAllowed {
                fingerprint: fingerprint.to_string(),
                line,
                namespace: namespace.to_string(),
            },
            None => TrustError::NotListed {
                fingerprint: fingerprint.to_string(),
            },
        })
    }

    /// Whether some entry carries this key.
    pub fn lists(&self, key: &KeyData) -> bool {
        self.entries.iter().any(|e| e.key.key_data() == key)
    }
}

/// The workshop's default allowed-signers file: `<config dir>/jk-commission/allowed_signers`.
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("jk-commission").join("allowed_signers"))
}

/// Add `line` to the allowed-signers file at `path` (created with its folder if missing),
/// unless the key in it is listed already. Returns whether the file changed. The file is
/// opened without following a symlink: a trust anchor is not written through a planted link.
pub fn add(path: &Path, line: &str) -> io::Result<bool> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW).mode(0o644);
    }
    let mut file = options.open(path)?;
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    let new = AllowedSigners::parse(line)
        .ok()
        .and_then(|a| a.entries.into_iter().next());
    if let (Some(new), Ok(old)) = (&new, AllowedSigners::parse(&text)) {
        if old.lists(new.key.key_data()) {
            return Ok(false);
        }
    }
    let mut out = String::new();
    if !text.is_empty() && !text.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(line.trim_end());
    out.push('\n');
    file.write_all(out.as_bytes())?;
    file.sync_all()?;
    Ok(true)
}

/// Split off the first whitespace-delimited token; double quotes may protect spaces.
fn next_token(s: &str) -> Result<(&str, &str), String> {
    let mut in_quotes = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            c if c.is_whitespace() && !in_quotes => return Ok((&s[..i], s[i..].trim_start())),
            _ => {}
        }
    }
    if in_quotes {
        return Err("a double quote is not closed".to_string());
    }
    Ok((s, ""))
}

/// Split an options field on the commas that are not inside double quotes.
fn split_options(s: &str) -> Result<Vec<&str>, String> {
    let mut parts = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if in_quotes {
        return Err("a double quote is not closed".to_string());
    }
    parts.push(&s[start..]);
    if parts.iter().any(|p| p.is_empty()) {
        return Err("an empty option".to_string());
    }
    Ok(parts)
}

/// OpenSSH's pattern lists: comma-separated globs (`*`, `?`), `!` negates and wins.
fn match_pattern_list(s: &str, list: &str) -> bool {
    let mut matched = false;
    for pattern in list.split(',').map(str::trim) {
        match pattern.strip_prefix('!') {
            Some(neg) if glob(s.as_bytes(), neg.as_bytes()) => return false,
            Some(_) => {}
            None => matched |= glob(s.as_bytes(), pattern.as_bytes()),
        }
    }
    matched
}

fn glob(s: &[u8], p: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob(s, &p[1..]) || (!s.is_empty() && glob(&s[1..], p)),
        (Some(b'?'), Some(_)) => glob(&s[1..], &p[1..]),
        (Some(a), Some(b)) if a == b => glob(&s[1..], &p[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_lists_follow_openssh() {
        assert!(match_pattern_list("jk-commission-log", "jk-*"));
        assert!(match_pattern_list("abc", "x,a?c"));
        assert!(!match_pattern_list("abc", "x,y"));
        assert!(!match_pattern_list("abc", "*,!a*"));
        assert!(
            !match_pattern_list("abc", "!x"),
            "negations alone allow nothing"
        );
    }

    #[test]
    fn adding_a_key_twice_writes_it_once_and_never_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let key = PublicKey::from_openssh(
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGpTJv0Hq0e8o5FwWiVmx1cR9Q4Gm5bq0ZcY0y6mXvLp a",
        );
        let Ok(key) = key else {
            // A fixed key text keeps the test independent of the key generator.
            panic!("test key does not parse");
        };
        let line = format!("alice {}", key.to_openssh().unwrap());
        let path = dir.path().join("cfg/allowed_signers");
        assert!(add(&path, &line).unwrap());
        assert!(!add(&path, &line).unwrap(), "already listed");
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        #[cfg(unix)]
        {
            let target = dir.path().join("elsewhere");
            std::fs::write(&target, "").unwrap();
            let link = dir.path().join("linked");
            std::os::unix::fs::symlink(&target, &link).unwrap();
            assert!(add(&link, &line).is_err());
            assert_eq!(std::fs::read_to_string(&target).unwrap(), "");
        }
    }
}
