//! Typed parse of research sample B against `serde_json::Value` of the same bytes.
//!
//! Run with `cargo bench -p dataverse-webhook-types --bench parse`. The figure that matters is
//! the ratio typed / `serde_json::Value` (target: ≤ 1.0): criterion reports both times, and the
//! bench then prints the ratio from interleaved timing slices. Sample C (every column type) is
//! measured the same way.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use dataverse_webhook_types::RemoteExecutionContext;

const SAMPLE_B: &[u8] = include_bytes!("../tests/fixtures/sample_b_create.json");
const SAMPLE_C: &[u8] = include_bytes!("../tests/fixtures/sample_c_alltypes_create.json");

fn typed(body: &[u8]) -> RemoteExecutionContext {
    match RemoteExecutionContext::from_slice(body) {
        Ok(context) => context,
        Err(error) => panic!("fixture must parse: {error}"),
    }
}

fn untyped(body: &[u8]) -> serde_json::Value {
    match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(error) => panic!("fixture must parse: {error}"),
    }
}

fn compare(c: &mut Criterion, name: &str, body: &'static [u8]) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("typed", |b| b.iter(|| typed(black_box(body))));
    group.bench_function("serde_json_value", |b| b.iter(|| untyped(black_box(body))));
    group.finish();
}

/// Time both parsers in alternating 20 ms slices (so machine noise hits both alike) and print
/// the ratio of their medians as one number next to criterion's report.
fn print_ratio(name: &str, body: &[u8]) {
    fn per_call_nanos(mut run: impl FnMut()) -> f64 {
        let start = Instant::now();
        let mut calls = 0u32;
        while start.elapsed() < Duration::from_millis(20) {
            run();
            calls += 1;
        }
        start.elapsed().as_nanos() as f64 / f64::from(calls)
    }
    fn median(mut samples: Vec<f64>) -> f64 {
        samples.sort_by(f64::total_cmp);
        samples[samples.len() / 2]
    }
    let (mut typed_ns, mut value_ns) = (Vec::new(), Vec::new());
    for _ in 0..51 {
        typed_ns.push(per_call_nanos(|| drop(typed(black_box(body)))));
        value_ns.push(per_call_nanos(|| drop(untyped(black_box(body)))));
    }
    let (typed_ns, value_ns) = (median(typed_ns), median(value_ns));
    println!(
        "{name} ({} bytes): typed {:.1} µs, serde_json::Value {:.1} µs, ratio typed/Value = {:.2}",
        body.len(),
        typed_ns / 1000.0,
        value_ns / 1000.0,
        typed_ns / value_ns
    );
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    compare(&mut criterion, "sample_b_create", SAMPLE_B);
    compare(&mut criterion, "sample_c_alltypes_create", SAMPLE_C);
    criterion.final_summary();
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this unoptimized, once, to
    // check it works, and a ratio from a debug build would mislead.
    if std::env::args().any(|arg| arg == "--bench") {
        print_ratio("sample_b_create", SAMPLE_B);
        print_ratio("sample_c_alltypes_create", SAMPLE_C);
    }
}
