//! The download engine against the lakeFS emulator: byte-exact files proven by their
//! checksum, every store GET pinned and free of lakeFS credentials, an object replaced midway
//! refused, a wrong byte caught, expired URLs refreshed, throttling and stalls retried,
//! resumes that fetch only what is missing, a cancellation that keeps every part written, and
//! the fallback through lakeFS.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{generated, upload_in_parts, Action, Lab, Seen, REPO};
use http::StatusCode;
use lakefs_client::RetryPolicy;
use lakefs_download::{DownloadConfig, DownloadEvent, ErrorKind, PartLayout, Route, Verification};

const MIB: usize = 1024 * 1024;

fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(5))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_part_object_arrives_byte_exact_and_md5_verified() {
    let lab = Lab::new();
    let data = generated(5 * MIB + 123, 1);
    lab.emulator
        .put_object(REPO, "main", "a/b.bin", data.clone());
    let downloader = lab.downloader(
        DownloadConfig::builder()
            .part_size(MIB as u64)
            .concurrency(3),
    );
    let destination = lab.dir.path().join("b.bin");
    let done = downloader
        .download(REPO, "main", "a/b.bin", &destination)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&destination).unwrap(), data);
    assert_eq!(done.verification, Verification::Md5);
    assert_eq!(
        (done.parts, done.fetched_parts, done.route),
        (6, 6, Route::Presigned)
    );
    assert_eq!(
        lab.files(),
        vec!["b.bin"],
        "no temporary file or checkpoint left"
    );
    let seen = lab.seen();
    let store: Vec<_> = seen.iter().filter(|s| s.is_store_get()).collect();
    assert_eq!(store.len(), 6);
    let checksum = lab
        .emulator
        .object_stats(REPO, "main", "a/b.bin")
        .unwrap()
        .checksum;
    for get in store {
        assert!(
            get.headers.get("authorization").is_none(),
            "lakeFS credentials sent to the store"
        );
        assert!(get.headers.get("cookie").is_none());
        assert_eq!(get.headers["if-match"], format!("\"{checksum}\"").as_str());
        assert!(get.headers["range"].to_str().unwrap().starts_with("bytes="));
    }
    assert_eq!(
        seen.iter().filter(|s| s.is_stat()).count(),
        1,
        "one statObject"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multipart_object_is_proven_by_its_recomputed_etag() {
    let lab = Lab::new();
    let data = generated(13 * MIB + 5, 2);
    upload_in_parts(&lab, "m.bin", data.clone(), 5 * MIB as u64).await;
    let downloader = lab.default_downloader();
    let destination = lab.dir.path().join("m.bin");
    let done = downloader
        .download(REPO, "main", "m.bin", &destination)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&destination).unwrap(), data);
    assert_eq!(
        done.verification,
        Verification::MultipartEtag {
            layout: PartLayout {
                part_size: 5 * MIB as u64,
                parts: 3
            }
        }
    );
    assert_eq!(
        done.part_size,
        5 * MIB as u64,
        "parts aligned with the upload's"
    );

    // Parts of another size: the file is read back once to recompute the ETag.
    let other = lab.downloader(DownloadConfig::builder().part_size(3 * MIB as u64));
    let destination = lab.dir.path().join("m2.bin");
    let done = other
        .download(REPO, "main", "m.bin", &destination)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&destination).unwrap(), data);
    assert!(
        matches!(done.verification, Verification::MultipartEtag { .. }),
        "{:?}",
        done.verification
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_replaced_midway_is_refused_and_nothing_is_left() {
    let lab = Lab::new();
    let data = generated(4 * MIB, 3);
    lab.emulator.put_object(REPO, "main", "r.bin", data);
    let emulator = lab.emulator.clone();
    lab.tamper(move |index, _, _| {
        if index == 1 {
            emulator.put_object(REPO, "main", "r.bin", generated(4 * MIB, 4));
        }
        Action::Pass
    });
    let downloader = lab.downloader(
        DownloadConfig::builder()
            .part_size(MIB as u64)
            .concurrency(1)
            .retry_policy(quick_retries()),
    );
    let destination = lab.dir.path().join("r.bin");
    let error = downloader
        .download(REPO, "main", "r.bin", &destination)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ObjectChanged, "{error}");
    assert!(
        error.to_string().contains("replaced") || error.to_string().contains("deleted"),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("lakefs://example-repo/main/r.bin"),
        "{error}"
    );
    assert!(lab.files().is_empty(), "left behind: {:?}", lab.files());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_byte_from_the_store_is_caught() {
    let lab = Lab::new();
    let data = generated(3 * MIB, 5);
    lab.emulator.put_object(REPO, "main", "w.bin", data);
    lab.tamper(|index, _, response| {
        if index == 2 {
            let mut body = response.body().to_vec();
            body[100] ^= 0x01;
            *response.body_mut() = Bytes::from(body);
        }
        Action::Pass
    });
    let downloader = lab.downloader(DownloadConfig::builder().part_size(MIB as u64));
    let destination = lab.dir.path().join("w.bin");
    let error = downloader
        .download(REPO, "main", "w.bin", &destination)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ChecksumMismatch, "{error}");
    assert!(lab.files().is_empty(), "left behind: {:?}", lab.files());

    // A multipart object whose upload part size the caller states: a mismatch too.
    let data = generated(11 * MIB, 6);
    upload_in_parts(&lab, "w2.bin", data, 5 * MIB as u64).await;
    lab.tamper(|index, _, response| {
        if index == 2 {
            let mut body = response.body().to_vec();
            body[100] ^= 0x01;
            *response.body_mut() = Bytes::from(body);
        }
        Action::Pass
    });
    let destination = lab.dir.path().join("w2.bin");
    let error = downloader
        .download(REPO, "main", "w2.bin", &destination)
        .upload_part_size(5 * MIB as u64)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ChecksumMismatch, "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multipart_object_of_unknown_layout_is_said_not_verifiable() {
    let lab = Lab::new();
    // 3 parts of 5,300,001 bytes: a part size no uploader uses and none of the tried ones.
    let data = generated(3 * 5_300_001 - 7, 7);
    upload_in_parts(&lab, "odd.bin", data.clone(), 5_300_001).await;
    let destination = lab.dir.path().join("odd.bin");
    let done = lab
        .default_downloader()
        .download(REPO, "main", "odd.bin", &destination)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&destination).unwrap(), data);
    match &done.verification {
        Verification::NotVerifiable { reason } => assert!(reason.contains("-3"), "{reason}"),
        other => panic!("claimed a check: {other:?}"),
    }
    assert!(!done.verification.is_verified());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urls_that_expire_during_a_download_are_refreshed() {
    let lab = Lab::new();
    let data = generated(6 * MIB, 8);
    lab.emulator.put_object(REPO, "main", "e.bin", data.clone());
    let emulator = lab.emulator.clone();
    lab.tamper(move |index, _, _| {
        if index == 2 {
            // The store's clock passes the URL's expiry between two parts.
            emulator.advance_clock(Duration::from_secs(3600));
        }
        Action::Pass
    });
    let downloader = lab.downloader(
        DownloadConfig::builder()
            .part_size(MIB as u64)
            .concurrency(1),
    );
    let destination = lab.dir.path().join("e.bin");
    let done = downloader
        .download(REPO, "main", "e.bin", &destination)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&destination).unwrap(), data);
    assert!(done.verification.is_verified());
    let refreshed = lab
        .events()
        .iter()
        .filter(|e| matches!(e, DownloadEvent::UrlRefreshed))
        .count();
    assert_eq!(refreshed, 1, "one refresh for one expiry");
    assert_eq!(lab.seen().iter().filter(|s| s.is_stat()).count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_backs_off_and_succeeds() {
    let lab = Lab::new();
    let data = generated(2 * MIB, 9);
    lab.emulator.put_object(REPO, "main", "t.bin", data.clone());
    lab.tamper(|index, _, response| {
        if index < 3 {
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            *response.body_mut() = Bytes::from_static(b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>");
        }
        Action::Pass
    });
    let downloader = lab.downloader(
        DownloadConfig::builder()
            .part_size(MIB as u64)
            .concurrency(1)
            .retry_policy(quick_retries()),
    );
    let destination = lab.dir.path().join("t.bin");
    downloader
        .download(REPO, "main", "t.bin", &destination)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&destination).unwrap(), data);
    let retried: Vec<String> = lab
        .events()
        .iter()
        .filter_map(|e| match e {
            DownloadEvent::PartRetried { error, .. } => Some(error.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(retried.len(), 3);
    assert!(
        retried[0].contains("503") && retried[0].contains("SlowDown"),
        "{retried:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_part_is_retried_by_progress_not_by_deadline() {
    let lab = Lab::new();
    let data = generated(2 * MIB, 10);
    lab.emulator.put_object(REPO, "main", "s.bin", data.clone());
    lab.tamper(|index, _, _| {
        if index == 0 {
            Action::Hang
        } else {
            Action::Pass
        }
    });
    let downloader = lab.downloader(
        DownloadConfig::builder()
            .part_size(MIB as u64)
            .concurrency(2)
            .stall_timeout(Duration::from_millis(300))
            .retry_policy(quick_retries()),
    );
    let destination = lab.dir.path().join("s.bin");
    let started = std::time::Instant::now();
    downloader
        .download(REPO, "main", "s.bin", &destination)
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(std::fs::read(&destination).unwrap(), data);
    assert!(lab.events().iter().any(|e| matches!(e, DownloadEvent::PartRetried { error, .. } if error.contains("no byte arrived"))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_download_resumes_fetching_only_missing_parts() {
    let lab = Lab::new();
    let data = generated(8 * MIB, 11);
    lab.emulator
        .put_object(REPO, "main", "big.bin", data.clone());
    // The first run: parts after the fourth fail for good.
    lab.tamper(|index, _, response| {
        if index >= 4 {
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            *response.body_mut() = Bytes::new();
        }
        Action::Pass
    });
    let downloader = lab.downloader(
        DownloadConfig::builder()
            .part_size(MIB as u64)
            .concurrency(1)
            .checkpoint_interval(Duration::ZERO)
            .retry_policy(RetryPolicy::none()),
    );
    let destination = lab.dir.path().join("big.bin");
    let error = downloader
        .download(REPO, "main", "big.bin", &destination)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Store, "{error}");
    assert!(error.is_transient());
    assert!(!destination.exists(), "no file that looks complete");
    assert_eq!(
        lab.files(),
        vec![".big.bin.lakefs-download", ".big.bin.lakefs-download.json"]
    );

    // A byte of a finished part rots on disk: that part is fetched again too.
    let partial = lab.dir.path().join(".big.bin.lakefs-download");
    let mut bytes = std::fs::read(&partial).unwrap();
    bytes[MIB + 10] ^= 0xff;
    std::fs::write(&partial, bytes).unwrap();

    lab.tamper(|_, _, _| Action::Pass);
    lab.forget_seen();
    let done = downloader
        .download(REPO, "main", "big.bin", &destination)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&destination).unwrap(), data);
    assert_eq!(done.fetched_parts, 5, "parts 5-8 and the rotten part 2");
    assert_eq!(done.resumed_bytes, 3 * MIB as u64);
    assert_eq!(lab.store_gets(), 5);
    assert_eq!(lab.files(), vec!["big.bin"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_of_an_object_changed_since_is_not_trusted() {
    let lab = Lab::new();
    lab.emulator
        .put_object(REPO, "main", "c.bin", generated(3 * MIB, 12));
    lab.tamper(|index, _, response| {
        if index >= 1 {
            *response.status_mut() = StatusCode::BAD_GATEWAY;
        }
        Action::Pass
    });
    let downloader = lab.downloader(
        DownloadConfig::builder()
            .part_size(MIB as u64)
            .concurrency(1)
            .checkpoint_interval(Duration::ZERO)
            .retry_policy(RetryPolicy::none()),
    );
    let destination = lab.dir.path().join("c.bin");
    downloader
        .download(REPO, "main", "c.bin", &destination)
        .await
        .unwrap_err();
    let replaced = generated(3 * MIB, 13);
    lab.emulator
        .put_object(REPO, "main", "c.bin", replaced.clone());
    lab.tamper(|_, _, _| Action::Pass);
    let done = downloader
        .download(REPO, "main", "c.bin", &destination)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&destination).unwrap(), replaced);
    assert_eq!(done.fetched_parts, 3);
    assert!(lab.events().iter().any(|e| matches!(e, DownloadEvent::CheckpointDiscarded { reason } if reason.contains("replaced"))));
}

/// The part numbers a checkpoint file records.
fn recorded_parts(checkpoint: &std::path::Path) -> Vec<u64> {
    let text = std::fs::read(checkpoint).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&text).unwrap();
    value["parts"]
        .as_object()
        .unwrap()
        .keys()
        .map(|n| n.parse().unwrap())
        .collect()
}

/// On the paused clock: parts 1-3 arrive at once, the next GETs hang, and the cancellation
/// comes 5 s later — long before the default checkpoint interval would have been reached
/// again (the first three parts finished at 0 s, so no interval write happened), and before
/// the stall timeout (30 s). The checkpoint on disk holds the three parts the moment the
/// error is returned, no task is left behind, and the resume fetches only the other five.
#[tokio::test(start_paused = true)]
async fn a_cancelled_download_records_every_written_part_at_once_and_resumes_the_rest() {
    let lab = Lab::new();
    let data = generated(8 * MIB, 21);
    lab.emulator
        .put_object(REPO, "main", "cancel.bin", data.clone());
    lab.tamper(|index, _, _| {
        if index >= 3 {
            Action::Hang
        } else {
            Action::Pass
        }
    });
    let tasks = tokio::runtime::Handle::current().metrics();
    let downloader = lab.downloader(
        DownloadConfig::builder()
            .part_size(MIB as u64)
            .concurrency(2),
    );
    let destination = lab.dir.path().join("cancel.bin");
    let started = tokio::time::Instant::now();
    let error = downloader
        .download(REPO, "main", "cancel.bin", &destination)
        .cancel_on(tokio::time::sleep(Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert_eq!(started.elapsed(), Duration::from_secs(5), "stopped at once");
    assert_eq!(error.kind(), ErrorKind::Cancelled, "{error}");
    assert_eq!(error.kept_bytes(), Some(3 * MIB as u64), "{error}");
    assert!(!error.is_transient());
    let text = error.to_string();
    assert!(
        text.contains("cancelled") && text.contains(&format!("{} of {} bytes", 3 * MIB, 8 * MIB)),
        "{text}"
    );
    assert!(!destination.exists(), "no file that looks complete");
    assert_eq!(
        lab.files(),
        vec![
            ".cancel.bin.lakefs-download",
            ".cancel.bin.lakefs-download.json"
        ]
    );
    let checkpoint = lab.dir.path().join(".cancel.bin.lakefs-download.json");
    assert_eq!(recorded_parts(&checkpoint), vec![1, 2, 3]);
    // The tasks of the two hanging GETs are gone.
    assert_eq!(tasks.num_alive_tasks(), 0, "no task left behind");

    lab.tamper(|_, _, _| Action::Pass);
    lab.forget_seen();
    let done = lab
        .downloader(
            DownloadConfig::builder()
                .part_size(MIB as u64)
                .concurrency(2),
        )
        .download(REPO, "main", "cancel.bin", &destination)
        .await
        .unwrap();
    assert_eq!(done.fetched_parts, 5);
    assert_eq!(done.resumed_bytes, 3 * MIB as u64);
    let mut ranges: Vec<String> = lab
        .seen()
        .iter()
        .filter(|s| s.is_store_get())
        .map(|s| s.headers["range"].to_str().unwrap().to_owned())
        .collect();
    ranges.sort_by_key(|r| r[6..].split('-').next().unwrap().parse::<u64>().unwrap());
    let expected: Vec<String> = (3..8)
        .map(|n| format!("bytes={}-{}", n * MIB, (n + 1) * MIB - 1))
        .collect();
    assert_eq!(ranges, expected, "only the parts not recorded");
    assert!(std::fs::read(&destination).unwrap() == data, "byte-exact");
    assert_eq!(lab.files(), vec!["cancel.bin"]);
}

/// The cancellation comes while part 2's answer is being received: the GET is not cut, its
/// bytes are written and recorded (a task aborted there would leave the blocking pool writing
/// them after the download returned, and the part unrecorded).
#[tokio::test(start_paused = true)]
async fn a_part_whose_bytes_arrived_when_cancelled_is_written_and_recorded() {
    let lab = Lab::new();
    let data = generated(4 * MIB, 23);
    lab.emulator
        .put_object(REPO, "main", "mid.bin", data.clone());
    let cancel = std::sync::Arc::new(tokio::sync::Notify::new());
    let notify = std::sync::Arc::clone(&cancel);
    lab.tamper(move |index, _, _| {
        if index == 1 {
            notify.notify_one();
        }
        Action::Pass
    });
    let downloader = lab.downloader(
        DownloadConfig::builder()
            .part_size(MIB as u64)
            .concurrency(1),
    );
    let destination = lab.dir.path().join("mid.bin");
    let error = downloader
        .download(REPO, "main", "mid.bin", &destination)
        .cancel_on(async move { cancel.notified().await })
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Cancelled, "{error}");
    assert_eq!(error.kept_bytes(), Some(2 * MIB as u64), "{error}");
    assert_eq!(lab.store_gets(), 2, "part 3 never asked for");
    let checkpoint = lab.dir.path().join(".mid.bin.lakefs-download.json");
    assert_eq!(recorded_parts(&checkpoint), vec![1, 2]);
    let partial = std::fs::read(lab.dir.path().join(".mid.bin.lakefs-download")).unwrap();
    assert!(partial[..2 * MIB] == data[..2 * MIB], "both parts on disk");
}

/// A cancellation before the object is found sends nothing and touches nothing; one before
/// any part is written leaves nothing behind.
#[tokio::test(start_paused = true)]
async fn a_download_cancelled_before_any_part_keeps_nothing() {
    let lab = Lab::new();
    lab.emulator
        .put_object(REPO, "main", "early.bin", generated(2 * MIB, 22));
    let downloader = lab.downloader(DownloadConfig::builder().part_size(MIB as u64));
    let destination = lab.dir.path().join("early.bin");
    let error = downloader
        .download(REPO, "main", "early.bin", &destination)
        .cancel_on(std::future::ready(()))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Cancelled, "{error}");
    assert_eq!(error.kept_bytes(), None);
    assert!(lab.seen().is_empty(), "sent: {:?}", lab.seen());
    assert!(lab.files().is_empty());

    lab.tamper(|_, _, _| Action::Hang);
    let error = downloader
        .download(REPO, "main", "early.bin", &destination)
        .cancel_on(tokio::time::sleep(Duration::from_secs(1)))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Cancelled, "{error}");
    assert_eq!(error.kept_bytes(), Some(0));
    assert_eq!(lab.store_gets(), 2);
    assert!(lab.files().is_empty(), "{:?}", lab.files());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_gives_the_bytes_in_order_and_proves_them() {
    use futures_util::TryStreamExt as _;
    let lab = Lab::new();
    let data = generated(7 * MIB + 1, 14);
    lab.emulator.put_object(REPO, "main", "s.bin", data.clone());
    let downloader = lab.downloader(
        DownloadConfig::builder()
            .part_size(MIB as u64)
            .concurrency(3),
    );
    let mut reader = downloader.read(REPO, "main", "s.bin").await.unwrap();
    let mut read = Vec::new();
    while let Some(chunk) = reader.try_next().await.unwrap() {
        assert!(chunk.len() <= MIB);
        read.extend_from_slice(&chunk);
    }
    assert_eq!(read, data);
    assert_eq!(reader.verification(), Some(&Verification::Md5));

    // A wrong byte ends the stream with the mismatch.
    lab.tamper(|index, _, response| {
        if index == 3 {
            let mut body = response.body().to_vec();
            body[0] ^= 1;
            *response.body_mut() = Bytes::from(body);
        }
        Action::Pass
    });
    let mut reader = downloader
        .read(REPO, "main", "s.bin")
        .await
        .unwrap()
        .into_async_read();
    let mut sink = Vec::new();
    let error = tokio::io::copy(&mut reader, &mut sink).await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidData, "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_read_from_the_callers_stats_asks_lakefs_nothing_and_is_pinned() {
    use futures_util::TryStreamExt as _;
    use lakefs_api::ObjectsApi as _;
    let lab = Lab::new();
    let data = generated(5 * MIB + 3, 21);
    lab.emulator.put_object(REPO, "main", "r.bin", data.clone());
    let downloader = lab.downloader(
        DownloadConfig::builder()
            .part_size(MIB as u64)
            .concurrency(2),
    );
    let stats = lab
        .client
        .stat_object()
        .repository(REPO)
        .reference("main")
        .path("r.bin")
        .presign(true)
        .send()
        .await
        .unwrap();
    lab.forget_seen();
    let range = (MIB as u64 / 2)..(3 * MIB as u64 + 7);
    let mut reader = downloader
        .read(REPO, "main", "r.bin")
        .stats(stats.clone())
        .range(range.clone())
        .await
        .unwrap();
    assert_eq!(reader.size(), range.end - range.start);
    let mut read = Vec::new();
    while let Some(chunk) = reader.try_next().await.unwrap() {
        read.extend_from_slice(&chunk);
    }
    assert_eq!(&read[..], &data[range.start as usize..range.end as usize]);
    assert_eq!(reader.verification(), Some(&Verification::Skipped));
    let seen = lab.seen();
    assert!(!seen.iter().any(Seen::is_stat), "no second statObject");
    assert_eq!(seen.iter().filter(|s| s.is_store_get()).count(), 3);
    assert!(seen
        .iter()
        .filter(|s| s.is_store_get())
        .all(|s| s.headers.get("if-match").is_some()));

    // The whole object through the same call is proven as usual; a range past the end is
    // refused before any GET.
    let mut whole = downloader
        .read(REPO, "main", "r.bin")
        .stats(stats.clone())
        .range(0..data.len() as u64)
        .await
        .unwrap();
    let mut all = Vec::new();
    while let Some(chunk) = whole.try_next().await.unwrap() {
        all.extend_from_slice(&chunk);
    }
    assert_eq!(all, data);
    assert_eq!(whole.verification(), Some(&Verification::Md5));
    let error = downloader
        .read(REPO, "main", "r.bin")
        .stats(stats)
        .range(0..data.len() as u64 + 1)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error}");

    // The object replaced since the caller's stat: the pinned GETs refuse the new bytes.
    let stale = lab
        .client
        .stat_object()
        .repository(REPO)
        .reference("main")
        .path("r.bin")
        .presign(true)
        .send()
        .await
        .unwrap();
    lab.emulator
        .put_object(REPO, "main", "r.bin", generated(5 * MIB + 3, 22));
    let mut reader = downloader
        .read(REPO, "main", "r.bin")
        .stats(stale)
        .range(0..10)
        .await
        .unwrap();
    let error = loop {
        match reader.try_next().await {
            Ok(Some(_)) => {}
            Ok(None) => panic!("bytes of another version were accepted"),
            Err(error) => break error,
        }
    };
    assert_eq!(error.kind(), ErrorKind::ObjectChanged, "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_arguments_are_refused_before_any_request() {
    let lab = Lab::new();
    let downloader = lab.default_downloader();
    let error = downloader
        .download("", "main", "x", lab.dir.path().join("x"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    assert!(error.to_string().contains("repository"), "{error}");
    let error = downloader
        .download(REPO, "main", "x", lab.dir.path())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("is a directory"), "{error}");
    let error = downloader
        .download(REPO, "main", "x", lab.dir.path().join("missing/x"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("does not exist"), "{error}");
    assert!(lab.seen().is_empty(), "sent: {:?}", lab.seen());
    assert!(DownloadConfig::builder().part_size(10).build().is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_object_names_itself() {
    let lab = Lab::new();
    let error = lab
        .default_downloader()
        .download(REPO, "main", "nope.bin", lab.dir.path().join("nope.bin"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert_eq!(
        error.lakefs_error().unwrap().kind(),
        lakefs_client::ErrorKind::NotFound
    );
    assert!(
        error
            .to_string()
            .contains("lakefs://example-repo/main/nope.bin"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_presign_the_bytes_come_through_lakefs_and_it_is_said_once() {
    let lab = Lab::new();
    let data = generated(3 * MIB, 15);
    lab.emulator.put_object(REPO, "main", "f.bin", data.clone());
    let downloader = lab.downloader(
        DownloadConfig::builder()
            .part_size(MIB as u64)
            .presign(false),
    );
    let destination = lab.dir.path().join("f.bin");
    let done = downloader
        .download(REPO, "main", "f.bin", &destination)
        .await
        .unwrap();
    assert_eq!(done.route, Route::LakeFs);
    assert_eq!(std::fs::read(&destination).unwrap(), data);
    assert_eq!(done.verification, Verification::Md5);
    assert_eq!(lab.store_gets(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_lakefs_cannot_presign_the_bytes_come_through_it_and_it_is_said_once() {
    let lab = Lab::new();
    lab.emulator.set_presign_reads(false);
    let data = generated(3 * MIB, 16);
    lab.emulator.put_object(REPO, "main", "n.bin", data.clone());
    lab.emulator
        .put_object(REPO, "main", "n2.bin", data.clone());
    let downloader = lab.downloader(DownloadConfig::builder().part_size(MIB as u64));
    for name in ["n.bin", "n2.bin"] {
        let destination = lab.dir.path().join(name);
        let done = downloader
            .download(REPO, "main", name, &destination)
            .await
            .unwrap();
        assert_eq!(done.route, Route::LakeFs);
        assert_eq!(std::fs::read(&destination).unwrap(), data);
        assert_eq!(done.verification, Verification::Md5);
    }
    let said: Vec<String> = lab
        .events()
        .iter()
        .filter_map(|e| match e {
            DownloadEvent::ReadingThroughLakeFs { reason } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("operation not supported"), "{said:?}");
    assert_eq!(lab.store_gets(), 0);
}

/// Parts are written as their bytes arrive: a body that breaks off midway (after bytes that
/// were wrong, and were written) is fetched again from the part's first byte, and the file
/// is byte-exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_broken_off_mid_body_is_fetched_again_from_its_start() {
    let lab = Lab::new();
    let data = generated(3 * MIB, 40);
    lab.emulator.put_object(REPO, "main", "b.bin", data.clone());
    lab.tamper(|index, _, response| {
        if index == 1 {
            let mut body = response.body().to_vec();
            body.iter_mut().take(600_000).for_each(|b| *b ^= 0xff);
            *response.body_mut() = Bytes::from(body);
            return Action::BreakAfter(600_000);
        }
        Action::Pass
    });
    let downloader = lab.downloader(
        DownloadConfig::builder()
            .part_size(MIB as u64)
            .concurrency(1)
            .retry_policy(quick_retries()),
    );
    let destination = lab.dir.path().join("b.bin");
    let done = downloader
        .download(REPO, "main", "b.bin", &destination)
        .await
        .unwrap();
    assert!(std::fs::read(&destination).unwrap() == data, "byte-exact");
    assert_eq!(done.verification, Verification::Md5);
    assert_eq!(lab.store_gets(), 4, "part 2 twice");
    assert!(lab
        .events()
        .iter()
        .any(|e| matches!(e, DownloadEvent::PartRetried { part_number: 2, .. })));
}

/// A body longer than its part is refused as it arrives (never written past the part), and
/// the part fetched again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_with_extra_bytes_is_refused() {
    let lab = Lab::new();
    let data = generated(2 * MIB, 41);
    lab.emulator.put_object(REPO, "main", "x.bin", data.clone());
    lab.tamper(|index, _, response| {
        if index == 0 {
            let mut body = response.body().to_vec();
            body.extend_from_slice(&[0xAA; 100]);
            *response.body_mut() = Bytes::from(body);
            // No Content-Length to give it away before the bytes do.
            response.headers_mut().remove(http::header::CONTENT_LENGTH);
        }
        Action::Pass
    });
    let downloader = lab.downloader(
        DownloadConfig::builder()
            .part_size(MIB as u64)
            .concurrency(1)
            .retry_policy(quick_retries()),
    );
    let destination = lab.dir.path().join("x.bin");
    downloader
        .download(REPO, "main", "x.bin", &destination)
        .await
        .unwrap();
    assert!(std::fs::read(&destination).unwrap() == data, "byte-exact");
    assert!(
        lab.events().iter().any(|e| matches!(
            e,
            DownloadEvent::PartRetried { part_number: 1, error, .. } if error.contains("more than")
        )),
        "{:?}",
        lab.events()
    );

    // A Content-Length that disagrees is refused from the head, before any byte is written.
    lab.tamper(|_, _, response| {
        response
            .headers_mut()
            .insert(http::header::CONTENT_LENGTH, (MIB + 1).into());
        Action::Pass
    });
    let error = lab
        .downloader(
            DownloadConfig::builder()
                .part_size(MIB as u64)
                .retry_policy(RetryPolicy::none()),
        )
        .download(REPO, "main", "x.bin", lab.dir.path().join("x2.bin"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("Content-Length says"), "{error}");
}

/// Parts that are whole multiples of the upload part size are proven without reading the
/// file back: each upload-part-sized slice is hashed on its own as the bytes stream (slices
/// that end mid-buffer and mid-chunk included), and a wrong byte in the second slice of a
/// part is caught.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_of_several_upload_parts_verify_the_multipart_etag() {
    let lab = Lab::new();
    let upload_part = 5 * MIB as u64 + 1000;
    let data = generated(23 * MIB + 17, 42);
    upload_in_parts(&lab, "k.bin", data.clone(), upload_part).await;
    // Asked: 4 × the upload part.
    let downloader = lab.downloader(
        DownloadConfig::builder()
            .part_size(4 * upload_part)
            .concurrency(1),
    );
    let destination = lab.dir.path().join("k.bin");
    let done = downloader
        .download(REPO, "main", "k.bin", &destination)
        .upload_part_size(upload_part)
        .await
        .unwrap();
    assert!(std::fs::read(&destination).unwrap() == data, "byte-exact");
    assert_eq!(done.part_size, 4 * upload_part);
    assert_eq!(done.parts, 2);
    assert_eq!(
        done.verification,
        Verification::MultipartEtag {
            layout: PartLayout {
                part_size: upload_part,
                parts: 5
            }
        }
    );

    // Asked: 2 × the upload part.
    let two = lab.downloader(DownloadConfig::builder().part_size(2 * upload_part));
    let destination = lab.dir.path().join("k2.bin");
    let done = two
        .download(REPO, "main", "k.bin", &destination)
        .upload_part_size(upload_part)
        .await
        .unwrap();
    assert!(std::fs::read(&destination).unwrap() == data, "byte-exact");
    assert_eq!(done.parts, 3);
    assert!(done.verification.is_verified(), "{:?}", done.verification);

    // A wrong byte in the second slice of the first part.
    lab.tamper(move |index, _, response| {
        if index == 0 {
            let mut body = response.body().to_vec();
            body[upload_part as usize + 100] ^= 0x01;
            *response.body_mut() = Bytes::from(body);
        }
        Action::Pass
    });
    let destination = lab.dir.path().join("k3.bin");
    let error = lab
        .downloader(
            DownloadConfig::builder()
                .part_size(2 * upload_part)
                .concurrency(1),
        )
        .download(REPO, "main", "k.bin", &destination)
        .upload_part_size(upload_part)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ChecksumMismatch, "{error}");
    assert!(
        lab.files().iter().all(|f| !f.starts_with(".k3")),
        "{:?}",
        lab.files()
    );
}

/// A body whose chunks stop coming is a stall once the stall timeout passes with none (the
/// head had arrived): the part is fetched again.
#[tokio::test(start_paused = true)]
async fn a_body_whose_chunks_stop_is_a_stall() {
    let lab = Lab::new();
    let data = generated(2 * MIB, 43);
    lab.emulator
        .put_object(REPO, "main", "st.bin", data.clone());
    lab.tamper(|index, _, _| {
        if index == 0 {
            Action::StallAfter(200_000)
        } else {
            Action::Pass
        }
    });
    let downloader = lab.downloader(
        DownloadConfig::builder()
            .part_size(MIB as u64)
            .concurrency(1)
            .retry_policy(quick_retries()),
    );
    let destination = lab.dir.path().join("st.bin");
    let started = tokio::time::Instant::now();
    downloader
        .download(REPO, "main", "st.bin", &destination)
        .await
        .unwrap();
    assert!(std::fs::read(&destination).unwrap() == data, "byte-exact");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(30) && elapsed < Duration::from_secs(40),
        "{elapsed:?}"
    );
    assert!(
        lab.events().iter().any(|e| matches!(
            e,
            DownloadEvent::PartRetried { part_number: 1, error, .. }
                if error.contains("no byte arrived") && error.contains("200000 of")
        )),
        "{:?}",
        lab.events()
    );
}
