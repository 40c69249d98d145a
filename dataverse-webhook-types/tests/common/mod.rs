//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod exercise;

use std::path::PathBuf;

use dataverse_webhook_types::RemoteExecutionContext;

pub const CONTACT_ID: uuid::Uuid = uuid::uuid!("6d81597f-0f9f-e711-8122-000d3aa2331c");

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|error| panic!("fixture {name}: {error}"))
}

pub fn parse(name: &str) -> RemoteExecutionContext {
    RemoteExecutionContext::from_slice(&fixture(name))
        .unwrap_or_else(|error| panic!("{name}: {error}"))
}

/// Every fixture file name, sorted.
pub fn all_fixtures() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("fixtures dir")
        .map(|entry| entry.expect("dir entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    names
}
