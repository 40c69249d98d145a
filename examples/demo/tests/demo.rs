//! The `demo` binary as a newcomer runs it: no settings, no network, exit 0 with the story told.

use std::process::Command;

/// Variables the other binaries read; the demo must ignore them.
const IGNORED: [&str; 4] =
    ["DATAVERSE_URL", "DATAVERSE_TOKEN", "IRONCLAD_BASE_URL", "IRONCLAD_TOKEN"];

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn demo_runs_every_flow_and_exits_0() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_demo"));
    for variable in IGNORED {
        // Set to values that would fail if the demo read them.
        command.env(variable, "https://invalid.example");
    }
    command.env("RUST_LOG", "warn");
    let run = tokio::task::spawn_blocking(move || command.output().expect("the demo runs"))
        .await
        .unwrap();
    let stdout = text(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", text(&run.stderr));
    for expected in [
        "2. launch-msa-workflows --once",
        "a second run launches 0",
        "-> Agreement Value in Dynamics: 1312500.75 USD",
        "-> note on the Agreement: \"Ironclad approval: Legal approved\"",
        "application/pdf), streamed from Ironclad",
        "-> Ironclad status on the Agreement: Complete",
        "the Agreement has 3 notes (2 approvals, 1 signed copy); 4 deliveries processed, 0 failed",
        "== contact-sync: Dynamics contact changes -> user store ==",
        "Demo complete",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?} in:\n{stdout}");
    }
    assert_eq!(stdout.matches(": launched workflow ").count(), 3);
}
