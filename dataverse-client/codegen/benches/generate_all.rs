//! Figures for `--all` on the real `$metadata` downloads (when present beside the checkout, or
//! under `$REAL_CAPTURES_DIR`): time to read the document, time to generate every table, and
//! the size of the output. Run with `cargo bench -p dataverse-codegen --bench generate_all`.

use std::time::{Duration, Instant};

use dataverse_codegen::{Document, Generator};

#[path = "../tests/support/captures.rs"]
mod captures;

use captures::capture;

const RUNS: u32 = 3;

fn best<T>(mut run: impl FnMut() -> T) -> (Duration, T) {
    let mut fastest = Duration::MAX;
    let mut last = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        let value = run();
        fastest = fastest.min(start.elapsed());
        last = Some(value);
    }
    (fastest, last.unwrap_or_else(|| unreachable!("RUNS > 0")))
}

fn main() {
    for name in
        ["dynamics-crm8-2016-annotated.metadata.xml", "dynamics-v9.1-crm4-2020.metadata.xml"]
    {
        let Some(path) = capture(name) else { continue };
        let input = std::fs::metadata(&path).map(|m| m.len()).unwrap_or_default();
        let (read, document) = best(|| Document::from_path(&path).expect("parse"));
        let (generate, output) =
            best(|| Generator::new(&document).all().generate().expect("generate"));
        let lines: usize = output.files().iter().map(|f| f.contents.lines().count()).sum();
        // Every file but the shared modules is one table's.
        let tables = output
            .files()
            .iter()
            .filter(|f| !matches!(f.path.as_str(), "mod.rs" | "types.rs" | "unbound.rs"))
            .count();
        println!(
            "{name} ({:.1} MB): read {:.0} ms, generate --all {:.0} ms ({} tables), output {:.1} MB in {} files, {} lines (best of {RUNS})",
            input as f64 / 1e6,
            read.as_secs_f64() * 1e3,
            generate.as_secs_f64() * 1e3,
            tables,
            output.total_bytes() as f64 / 1e6,
            output.files().len(),
            lines,
        );
    }
}
