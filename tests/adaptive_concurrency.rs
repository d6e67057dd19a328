//! `concurrency: auto` in the upload engine, over the fake transport's simulated network in
//! tokio's paused clock: a latency per request, a bandwidth per connection and a link that all
//! share. The schedule is what is checked (simulated seconds, the same on any machine), not
//! this machine's speed: auto must find the knee by itself — at least 0.9 of the best fixed
//! setting, and far ahead of the fixed default where the default is far from the knee.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../benches/support/mod.rs"]
mod support;

use std::time::Duration;

use lakefs::multipart::{Concurrency, ProgressEvent, UploadConfig, UploadSource, Uploader};
use lakefs::transport::fake::Latency;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const MIB: u64 = support::MIB;

/// A simulated link: latency per request, bandwidth per connection, the link's cap.
struct Link {
    latency: Duration,
    per_connection: u64,
    cap: u64,
}

/// Uploads `size` bytes in 8 MiB parts over `link` at `concurrency`; the simulated time, and
/// the most parts that were in flight at once.
fn simulated_upload(link: &Link, concurrency: Concurrency, size: u64) -> (Duration, usize) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        let transport = support::fake_lakefs();
        transport.set_latency(
            Latency::fixed(link.latency)
                .with_bandwidth(link.per_connection)
                .with_link_bandwidth(link.cap),
        );
        let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (in_flight, peak) = (Arc::clone(&now), Arc::clone(&most));
        let config = UploadConfig::builder()
            .part_size(8 * MIB)
            .concurrency(concurrency)
            .on_progress(move |event| match event {
                ProgressEvent::PartStarted { .. } => {
                    let n = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(n, Ordering::SeqCst);
                }
                ProgressEvent::PartFinished { .. } => {
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                }
                _ => {}
            })
            .build()
            .unwrap();
        let uploader = Uploader::new(support::client("http://lakefs.fake", transport), config);
        let source = support::sparse_bytes(size);
        let started = tokio::time::Instant::now();
        uploader
            .upload("bench", "main", "sim", UploadSource::bytes(source))
            .await
            .unwrap();
        (started.elapsed(), most.load(Ordering::SeqCst))
    })
}

/// Auto against every fixed setting from 4 to 64 on `link`: (auto's time, the best fixed
/// time and its setting, the default 8's time, the most parts auto had in flight).
fn compare(link: &Link, size: u64) -> (f64, f64, usize, f64, usize) {
    let (auto, auto_peak) = simulated_upload(link, Concurrency::auto(), size);
    let (best, best_setting) = [4usize, 8, 16, 32, 64]
        .into_iter()
        .map(|n| (simulated_upload(link, n.into(), size).0.as_secs_f64(), n))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap();
    let default = simulated_upload(link, 8usize.into(), size).0.as_secs_f64();
    (auto.as_secs_f64(), best, best_setting, default, auto_peak)
}

#[test]
fn auto_finds_the_knee_of_a_link_the_default_underuses() {
    // 25 MiB/s per connection, 400 MiB/s in all: the knee is at 16 parts, the default 8 uses
    // half the link.
    let link = Link {
        latency: Duration::from_millis(20),
        per_connection: 25 * MIB,
        cap: 400 * MIB,
    };
    let (auto, best, setting, default, peak) = compare(&link, 4096 * MIB);
    assert!(
        best / auto >= 0.9,
        "auto {auto:.2} s against the best fixed ({setting}) {best:.2} s"
    );
    assert!(
        default / auto >= 1.5,
        "auto {auto:.2} s against the default 8's {default:.2} s"
    );
    // It tried past the knee and came back: never at the bound of 64.
    assert!((16..=40).contains(&peak), "at most {peak} parts in flight");
}

#[test]
fn auto_stays_near_the_knee_where_the_default_is_close() {
    // 80 ms per request, 10 MiB/s per connection, 100 MiB/s in all: the knee is near 10.
    let link = Link {
        latency: Duration::from_millis(80),
        per_connection: 10 * MIB,
        cap: 100 * MIB,
    };
    let (auto, best, setting, _, _) = compare(&link, 1024 * MIB);
    assert!(
        best / auto >= 0.9,
        "auto {auto:.2} s against the best fixed ({setting}) {best:.2} s"
    );
}
