//! Arbitrary bytes into the payload parser, then through every accessor a receiver calls.
//! Run: `cargo +nightly fuzz run parse fuzz/corpus/parse tests/fixtures` from the crate dir.
#![no_main]

// The same exerciser as the property tests in `tests/no_panic.rs`.
#[path = "../../tests/common/exercise.rs"]
mod exercise;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| exercise::parse_and_use(body));
