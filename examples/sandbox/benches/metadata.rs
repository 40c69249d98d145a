//! How long reading a `$metadata` document takes (`DataverseSchema::from_csdl`): a written one
//! the size of a real organization's (about 4 MB: 300 tables of 150 columns with lookups), and
//! the real downloads in the folder `SANDBOX_CSDL_DIR` names, when set.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dataverse_ironclad_sandbox::dataverse::{ColumnKind, DataverseSchema, EntitySetDef};

fn organization_sized() -> DataverseSchema {
    let sets = (0..300)
        .map(|t| {
            let logical = format!("new_table{t}");
            let mut set = EntitySetDef::new(
                &format!("{logical}s"),
                &logical,
                &format!("{logical}id"),
                "new_name",
            )
            .text("new_name", 100)
            .lookup("ownerid", "_ownerid_value", "new_table0s");
            for c in 0..140 {
                let kind = match c % 4 {
                    0 => ColumnKind::Text { max_length: 100 },
                    1 => ColumnKind::WholeNumber,
                    2 => ColumnKind::DateTime,
                    _ => ColumnKind::Decimal,
                };
                set = set.column(&format!("new_column{c}"), kind);
            }
            if t > 0 {
                set = set.lookup(
                    &format!("new_Parent{t}"),
                    &format!("_new_parent{t}_value"),
                    &format!("new_table{}s", t - 1),
                );
            }
            set
        })
        .collect();
    DataverseSchema::new(sets)
}

fn load(c: &mut Criterion) {
    let mut documents = vec![("written".to_owned(), organization_sized().to_csdl())];
    if let Some(folder) = std::env::var_os("SANDBOX_CSDL_DIR") {
        for entry in std::fs::read_dir(folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "xml")
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
                documents.push((name, text));
            }
        }
    }
    let mut group = c.benchmark_group("metadata");
    group.sample_size(10);
    for (name, text) in &documents {
        println!("metadata/{name}: {} bytes", text.len());
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("from_csdl/{name}"), |b| {
            b.iter(|| DataverseSchema::from_csdl(black_box(text)).expect("loads"))
        });
    }
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
