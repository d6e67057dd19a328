//! Criterion benchmarks of the upload engine:
//!
//! * `engine_over_fake`: throughput from a `Bytes` source over the fake transport, which does
//!   nothing with the bytes: this isolates the engine.
//! * `engine_per_part`: engine time per part at 100, 1,000 and 10,000 parts.
//! * `loopback_http`: the engine and a bare hyper PUT loop of the same parts to the same
//!   loopback sink.
//! * `loopback_tls_parts` and `loopback_tls_api_call`: HTTP/1.1 against HTTP/2 (by ALPN) on
//!   loopback TLS, for part PUTs through the engine and for one API call.
//!
//! `cargo bench --bench engine`; `examples/bench_upload.rs` prints the full tables.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use lakefs::multipart::UploadSource;
use support::*;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn engine_over_fake(c: &mut Criterion) {
    let rt = runtime();
    let source = sparse_bytes(1024 * MIB);
    let uploader = uploader(client("http://lakefs.fake", fake_lakefs()), 8 * MIB, 8);
    let mut group = c.benchmark_group("engine_over_fake");
    group.throughput(Throughput::Bytes(source.len() as u64));
    group.bench_function("1GiB_8MiB_parts_c8", |b| {
        b.to_async(&rt)
            .iter(|| async { timed_upload(&uploader, UploadSource::bytes(source.clone())).await });
    });
    group.finish();
}

fn engine_per_part(c: &mut Criterion) {
    let rt = runtime();
    let source = sparse_bytes(10_000 * 5 * MIB);
    let uploader = uploader(client("http://lakefs.fake", fake_lakefs()), 5 * MIB, 8);
    let mut group = c.benchmark_group("engine_per_part");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    for parts in [100u64, 1_000, 10_000] {
        group.throughput(Throughput::Elements(parts));
        let slice = source.slice(..(parts * 5 * MIB) as usize);
        group.bench_with_input(BenchmarkId::from_parameter(parts), &slice, |b, slice| {
            b.to_async(&rt).iter(|| async {
                timed_upload(&uploader, UploadSource::bytes(slice.clone())).await
            });
        });
    }
    group.finish();
}

fn loopback_http(c: &mut Criterion) {
    let rt = runtime();
    let addr = rt.block_on(start_sink());
    let source = bytes::Bytes::from(vec![7u8; (256 * MIB) as usize]);
    let uploader = uploader(sink_client(addr), 8 * MIB, 4);
    let raw = RawPutLoop::new();
    let mut group = c.benchmark_group("loopback_http_256MiB_8MiB_c4");
    group
        .throughput(Throughput::Bytes(source.len() as u64))
        .sample_size(10);
    group.bench_function("engine", |b| {
        b.to_async(&rt)
            .iter(|| async { timed_upload(&uploader, UploadSource::bytes(source.clone())).await });
    });
    group.bench_function("raw_hyper", |b| {
        b.to_async(&rt)
            .iter(|| async { raw.run(addr, &source, 8 * MIB, 4).await });
    });
    group.finish();
}

fn loopback_tls(c: &mut Criterion) {
    let rt = runtime();
    let sink = rt.block_on(start_tls_sink());
    let source = bytes::Bytes::from(vec![7u8; (256 * MIB) as usize]);
    let mut parts = c.benchmark_group("loopback_tls_parts_256MiB_8MiB_c4");
    parts
        .throughput(Throughput::Bytes(source.len() as u64))
        .sample_size(10);
    for (name, http2) in [("http1", false), ("http2", true)] {
        let uploader = uploader(tls_sink_client(&sink, http2), 8 * MIB, 4);
        parts.bench_function(name, |b| {
            b.to_async(&rt).iter(|| async {
                timed_upload(&uploader, UploadSource::bytes(source.clone())).await
            });
        });
    }
    parts.finish();
    let mut calls = c.benchmark_group("loopback_tls_api_call");
    for (name, http2) in [("http1", false), ("http2", true)] {
        let client = tls_sink_client(&sink, http2);
        calls.bench_function(name, |b| {
            b.to_async(&rt).iter(|| api_call(&client));
        });
    }
    calls.finish();
}

criterion_group!(
    benches,
    engine_over_fake,
    engine_per_part,
    loopback_http,
    loopback_tls
);
criterion_main!(benches);
