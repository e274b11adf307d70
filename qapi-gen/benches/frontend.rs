//! Parse plus check of QEMU's schemas: the front end's speed.
//!
//! Needs `../shared` (or `QAPI_SHARED_DIR`).  Run with
//! `cargo bench -p qapi-gen --bench frontend`.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};

fn shared_dir() -> PathBuf {
    std::env::var_os("QAPI_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
}

fn frontend(c: &mut Criterion) {
    let shared = shared_dir();
    let qmp = shared.join("qemu/10.2/qapi/qapi-schema.json");
    if !qmp.exists() {
        eprintln!(
            "skipping: {} not found (set QAPI_SHARED_DIR)",
            qmp.display()
        );
        return;
    }
    let mut group = c.benchmark_group("frontend");
    group.bench_function("10.2 QMP strict", |b| {
        b.iter(|| black_box(qapi_gen::load(&qmp, qapi_gen::Mode::Strict).expect("valid")))
    });
    group.bench_function("10.2 QMP default", |b| {
        b.iter(|| black_box(qapi_gen::load(&qmp, qapi_gen::Mode::Default).expect("valid")))
    });
    let old = shared.join("qemu/5.2/qapi/qapi-schema.json");
    group.bench_function("5.2 QMP default", |b| {
        b.iter(|| black_box(qapi_gen::load(&old, qapi_gen::Mode::Default).expect("valid")))
    });
    group.finish();
}

criterion_group!(benches, frontend);
criterion_main!(benches);
