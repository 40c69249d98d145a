//! Where the real `$metadata` downloads are, when they are: under `$REAL_CAPTURES_DIR`, or in
//! `shared/real-captures/E-csdl` beside the checkout (or beside its parent, for a git
//! worktree). They are not part of this repository. Shared by the tests and the bench.

use std::path::PathBuf;

/// The capture named `name`, or `None` after printing why it is skipped.
pub fn capture(name: &str) -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let found = std::env::var_os("REAL_CAPTURES_DIR")
        .map(|dir| PathBuf::from(dir).join("E-csdl"))
        .into_iter()
        .chain([
            root.join("../shared/real-captures/E-csdl"),
            root.join("../../shared/real-captures/E-csdl"),
        ])
        .map(|dir| dir.join(name))
        .find(|path| path.exists());
    if found.is_none() {
        println!(
            "skipped: {name} is absent (the shared real captures are not beside this checkout; set REAL_CAPTURES_DIR)"
        );
    }
    found
}
