//! Where the third-party test data lives, for the tests of this crate and the app: the
//! project's `shared/testdata` beside it (avatars, PMX models, motions, songs; see its README and
//! LICENSES files), or the folder `ENCORE_TESTDATA` names. It is never copied into the repo.
//!
//! A test that needs it fails when it is missing, saying where to get it, so a run without it
//! cannot pass by skipping; `ENCORE_ALLOW_NO_TESTDATA=1` turns that into a skip on purpose.

use std::path::{Path, PathBuf};

/// The test data folder: `ENCORE_TESTDATA`, else the first `shared/testdata` in a folder above
/// the package under test (found when the test runs, not when it is compiled: a target
/// directory shared between checkouts reuses this crate built at another path).
pub fn folder_path() -> PathBuf {
    if let Some(folder) = std::env::var_os("ENCORE_TESTDATA") {
        return PathBuf::from(folder);
    }
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default();
    start
        .ancestors()
        .map(|folder| folder.join("shared/testdata"))
        .find(|folder| folder.is_dir())
        .unwrap_or_else(|| start.join("../shared/testdata"))
}

/// The test data folder, or `None` when it is missing and skipping was asked for.
///
/// # Panics
/// When the folder is missing and `ENCORE_ALLOW_NO_TESTDATA` is not `1`: the test fails.
pub fn folder() -> Option<PathBuf> {
    let folder = folder_path();
    if folder.is_dir() {
        return Some(folder);
    }
    missing(&folder);
    None
}

/// A file in the test data, or `None` when it is missing and skipping was asked for.
///
/// # Panics
/// When the file is missing and `ENCORE_ALLOW_NO_TESTDATA` is not `1`: the test fails.
pub fn file(path: &str) -> Option<PathBuf> {
    let file = folder_path().join(path);
    if file.exists() {
        return Some(file);
    }
    missing(&file);
    None
}

/// Whether a run may skip the tests that need the test data.
pub fn skipping_allowed() -> bool {
    std::env::var("ENCORE_ALLOW_NO_TESTDATA").is_ok_and(|value| value == "1")
}

fn missing(path: &Path) {
    if skipping_allowed() {
        println!(
            "skipped (ENCORE_ALLOW_NO_TESTDATA=1): {} is not there",
            path.display()
        );
        return;
    }
    panic!(
        "the test data is not there: {} is missing. Put the project's shared test data \
         (../shared/testdata beside the project, with its README and LICENSES files) there, \
         or point ENCORE_TESTDATA at a copy; to run without it on purpose, set \
         ENCORE_ALLOW_NO_TESTDATA=1",
        path.display()
    );
}
