//! object_store's own conformance suite (`object_store::integration`, code this project did
//! not write) against the store over the lakeFS emulator: objects in memory, and objects on
//! s3s-fs (the emulator's `s3` mode: parts PUT to s3s-fs through presigned URLs, reads
//! through presigned GETs of s3s-fs).
//!
//! Every public function of the suite runs, except (with the reason):
//! - `put_get_attributes`, `multipart_with_opts`: this store writes no object attributes
//!   (content type, cache control, user metadata) and refuses them (`NotSupported`); lakeFS
//!   keeps user metadata and a content type per object, but `uploadObject` and the presigned
//!   multipart complete take no `Cache-Control`, `Content-Disposition`, … to keep.
//! - `list_paginated`: `PaginatedListStore` is not implemented (`list_with_offset` is;
//!   `listObjects`'s `after`/`amount` could back it).
//!
//! (`signing` and `tagging` are crate-private in object_store 0.14, not part of the public
//! suite; lakeFS has no object tags.)
//!
//! `put_opts` runs with `supports_update = false`: lakeFS v1.84 answers 501 to `If-Match` on
//! every write, so `PutMode::Update` is `NotImplemented` — never a silent overwrite.
//! `multipart_race_condition` runs with `last_writer_wins = true`: lakeFS's complete has no
//! condition; the later complete stages its object.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../../tests/common/s3.rs"]
mod s3;

use lakefs_client::{Client, Credentials};
use lakefs_emulator::S3Storage;
use lakefs_emulator::{
    serve, Emulator, RunningEmulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY,
};
use lakefs_object_store::LakeFsStore;
use lakefs_transport::HyperTransport;
use object_store::integration::*;

fn store(running: &RunningEmulator) -> LakeFsStore<HyperTransport> {
    let client = Client::builder()
        .endpoint(running.url())
        .credentials(Credentials::basic(
            DEFAULT_ACCESS_KEY_ID,
            DEFAULT_SECRET_ACCESS_KEY,
        ))
        .build()
        .unwrap();
    LakeFsStore::new(client, "example-repo", "main")
}

async fn suite(store: &LakeFsStore<HyperTransport>) {
    put_get_delete_list(store).await;
    get_opts(store).await;
    put_opts(store, false).await;
    list_uses_directories_correctly(store).await;
    list_with_delimiter(store).await;
    rename_and_copy(store).await;
    copy_if_not_exists(store).await;
    copy_rename_nonexistent_object(store).await;
    list_with_offset_exclusivity(store).await;
    stream_get(store).await;
    multipart(store, store).await;
    multipart_put_part_out_of_order(store, store).await;
    multipart_race_condition(store, true).await;
    multipart_out_of_order(store).await;
    let err = get_nonexistent_object(store, None).await.unwrap_err();
    assert!(matches!(err, object_store::Error::NotFound { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_suite_passes_with_objects_in_memory() {
    let running = serve(Emulator::new()).await.unwrap();
    suite(&store(&running)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_suite_passes_with_objects_on_s3s_fs() {
    let _one = s3::ONE_SERVER_AT_A_TIME.lock().await;
    let Some(server) = s3::start_s3() else { return };
    let storage = S3Storage::new(
        &server.endpoint,
        s3::BUCKET,
        "us-east-1",
        s3::S3_KEY,
        s3::S3_SECRET,
    )
    .unwrap();
    storage.create_bucket().await.unwrap();
    let emulator = Emulator::new();
    emulator.set_s3_storage(storage);
    let running = serve(emulator).await.unwrap();
    suite(&store(&running)).await;
}
