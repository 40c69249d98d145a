//! dynamics-web-api (npm), a Dataverse client this repository did not write, drives the
//! `sandbox` binary: CRUD, queries, paging, counts, upsert, `$batch`, FetchXML, notes, change
//! tracking and errors on the standard tables; file columns (chunked upload and ranged
//! download); read-only table definitions; `$apply` and FetchXML aggregates; custom API actions
//! and functions (unbound and bound) and the bulk messages; saved and personal views; and the
//! `501` of what the sandbox does not emulate (Search API, background operations, metadata
//! writes). The checks live in `conformance/checks/`, run by `conformance/dynamics-web-api.mjs`.
//!
//! Needs Node.js 20 and npm: the package is installed with `npm ci` into the gitignored
//! `conformance/node_modules` on the first run. Without Node, npm or the registry the test says
//! why on stderr and does nothing else; it never passes by pretending to have run.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

/// Why the test cannot run here, if it cannot.
fn unavailable(dir: &Path) -> Option<String> {
    let node = Command::new("node").arg("--version").output();
    match node {
        Ok(output) if output.status.success() => {
            let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
            let major: u32 = version.trim_start_matches('v').split('.').next()?.parse().ok()?;
            if major < 20 {
                return Some(format!("Node.js {version} is older than 20"));
            }
        }
        _ => return Some("Node.js (`node`) is not installed".to_owned()),
    }
    if dir.join("node_modules/dynamics-web-api/package.json").exists() {
        return None;
    }
    let installed = Command::new("npm")
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .output();
    match installed {
        Ok(output) if output.status.success() => None,
        Ok(output) => Some(format!(
            "`npm ci` failed: {}",
            String::from_utf8_lossy(&output.stderr).lines().last().unwrap_or_default()
        )),
        Err(error) => Some(format!("npm is not installed ({error})")),
    }
}

/// Kills the sandbox when the test ends, passed or not.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start the binary and read its four `NAME=value` lines.
fn start_sandbox() -> (Running, Vec<(String, String)>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sandbox"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the sandbox binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let running = Running(child);
    let mut lines = BufReader::new(stdout).lines();
    let mut variables = Vec::new();
    for expected in ["DATAVERSE_URL", "DATAVERSE_TOKEN", "IRONCLAD_BASE_URL", "IRONCLAD_TOKEN"] {
        let line = lines.next().expect("a line").expect("UTF-8");
        let (name, value) = line.split_once('=').expect("NAME=value");
        assert_eq!(name, expected, "{line}");
        assert!(!value.is_empty() && !value.contains(char::is_whitespace), "{line}");
        variables.push((name.to_owned(), value.to_owned()));
    }
    (running, variables)
}

#[test]
fn dynamics_web_api_passes_against_the_sandbox_binary() {
    let dir = conformance_dir();
    if let Some(reason) = unavailable(&dir) {
        eprintln!("SKIPPED dynamics-web-api conformance: {reason}");
        return;
    }
    let (_sandbox, variables) = start_sandbox();
    let output = Command::new("node")
        .arg("dynamics-web-api.mjs")
        .current_dir(&dir)
        .envs(variables.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        // A proxy from the environment would send loopback traffic elsewhere.
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("https_proxy")
        .env_remove("HTTPS_PROXY")
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary =
        stdout.lines().find_map(|line| line.strip_prefix("CONFORMANCE ")).unwrap_or_else(|| {
            panic!("no summary line\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr))
        });
    let summary: serde_json::Value = serde_json::from_str(summary).expect("summary JSON");
    eprintln!(
        "dynamics-web-api conformance: {} of {} operations pass",
        summary["passed"], summary["total"]
    );
    assert!(output.status.success(), "{stdout}");
    assert_eq!(summary["failures"], serde_json::json!([]), "{stdout}");
    // Every check of the script ran (a group that stopped early would lower the count).
    assert!(summary["total"].as_u64().unwrap_or(0) >= 76, "{stdout}");
}
