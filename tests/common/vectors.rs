//! The captured frames of `shared/vectors`, shared by the tests and the benchmark.
//!
//! Included with `#[path]` by each test crate, which uses only part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The folder of the captured frames: `$JK_VECTORS_DIR`, else `shared/vectors` beside the
/// repository (as in CI) or beside a folder further up (a git worktree one level deeper).
pub fn dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("JK_VECTORS_DIR") {
        return Some(PathBuf::from(dir));
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .skip(1)
        .map(|a| a.join("shared/vectors"))
        .find(|p| p.join("jk02-24s-v10.json").is_file())
}

/// The folder, or a loud failure: a test that silently checks nothing would pass on a
/// broken checkout.
pub fn dir_or_fail() -> PathBuf {
    dir().unwrap_or_else(|| {
        panic!(
            "the captured frames must be in shared/vectors beside the repository ({}/../shared) \
             or in $JK_VECTORS_DIR",
            env!("CARGO_MANIFEST_DIR")
        )
    })
}

/// Bytes from lowercase or uppercase hex without separators.
pub fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// The frames of one vector file, with their `expect` objects, in file order.
pub fn load(name: &str) -> Vec<(Vec<u8>, Value)> {
    let path = dir_or_fail().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let doc: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
    doc["frames"]
        .as_array()
        .unwrap_or_else(|| panic!("{name} has no frames"))
        .iter()
        .map(|f| (hex(f["hex"].as_str().unwrap()), f["expect"].clone()))
        .collect()
}

/// Every vector file's name, sorted.
pub fn files() -> Vec<String> {
    let dir = dir_or_fail();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
}
