//! arrow's Parquet writer and reader on lakeFS through [`LakeFsStore`]: a table written with
//! `AsyncArrowWriter` over `ParquetObjectWriter` to `lakefs://example-repo/main/tables/x.parquet`
//! (uncommitted on the branch), committed with the store's helper, then read back with
//! `ParquetObjectReader` from the commit id, and the rows compared.
//!
//! ```sh
//! cargo run -p lakefs-object-store --example parquet_lakefs
//! ```
//!
//! `ParquetObjectWriter` and `ParquetObjectReader` are deprecated in parquet 60 (in favour of
//! handing `AsyncArrowWriter` an `object_store::buffered::BufWriter` and implementing
//! `AsyncFileReader`); they remain what most code written against `object_store` uses, so the
//! example shows them, deprecation allowed.
//!
//! It starts the lakeFS emulator in this process over loopback HTTP (as the SDK's other
//! examples do); the table (~3.5 MiB in four row groups) goes through `put_multipart` and
//! comes back through ranged GETs, one or more per column chunk.

#![allow(deprecated)]

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use futures_util::TryStreamExt;
use lakefs_client::{Client, Credentials};
use lakefs_emulator::{serve, Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};
use lakefs_object_store::LakeFsStore;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::async_reader::{ParquetObjectReader, ParquetRecordBatchStreamBuilder};
use parquet::arrow::async_writer::ParquetObjectWriter;
use parquet::arrow::AsyncArrowWriter;
use parquet::file::properties::WriterProperties;

type Error = Box<dyn std::error::Error + Send + Sync>;

const ROWS: i64 = 100_000;

/// The table: an id, a name and a measurement per row.
fn table() -> Result<RecordBatch, Error> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("value", DataType::Float64, true),
    ]));
    let ids = Int64Array::from_iter_values(0..ROWS);
    let names = StringArray::from_iter_values((0..ROWS).map(|i| format!("row-{i:08}")));
    let values = Float64Array::from_iter((0..ROWS).map(|i| (i % 7 != 0).then_some(i as f64 * 0.5)));
    let columns: Vec<ArrayRef> = vec![Arc::new(ids), Arc::new(names), Arc::new(values)];
    Ok(RecordBatch::try_new(schema, columns)?)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Error> {
    let running = serve(Emulator::new()).await?;
    // Against a real lakeFS: `Client::from_env()?.build()?` (lakectl's settings).
    let client = Client::builder()
        .endpoint(running.url())
        .credentials(Credentials::basic(
            DEFAULT_ACCESS_KEY_ID,
            DEFAULT_SECRET_ACCESS_KEY,
        ))
        .build()?;
    let store = LakeFsStore::from_url(client, "lakefs://example-repo/main")?;
    let path = Path::from("tables/x.parquet");
    let batch = table()?;

    // Write: the writer buffers row groups and hands them to `put_multipart` — parts go
    // straight to the object store through presigned URLs.
    let shared: Arc<dyn ObjectStore> = Arc::new(store.clone());
    // A buffer of 1 MiB (object_store's default is 10 MiB): past it, the bytes go to
    // `put_multipart`, the upload engine's presigned parts, rather than one `put`.
    let buffered = BufWriter::with_capacity(Arc::clone(&shared), path.clone(), 1 << 20);
    let writer = ParquetObjectWriter::from_buf_writer(buffered);
    let properties = WriterProperties::builder()
        .set_max_row_group_row_count(Some(25_000))
        .build();
    let mut parquet = AsyncArrowWriter::try_new(writer, batch.schema(), Some(properties))?;
    parquet.write(&batch).await?;
    let metadata = parquet.close().await?;
    let written = store.head(&path).await?;
    println!(
        "wrote lakefs://{}/{}/{path}: {} rows in {} row groups, {} bytes, ETag {} (uncommitted)",
        store.repository(),
        store.reference(),
        metadata.file_metadata().num_rows(),
        metadata.num_row_groups(),
        written.size,
        written.e_tag.as_deref().unwrap_or("-")
    );

    // Commit the job's writes, then read the table from the commit (not the branch).
    let commit = store
        .commit_with("write tables/x.parquet", &[("writer", "parquet_lakefs")])
        .await?;
    println!("committed {}", commit.id);
    let at_commit = store.at_ref(&commit.id);
    let size = at_commit.head(&path).await?.size;
    let reader = ParquetObjectReader::new(Arc::new(at_commit), path.clone()).with_file_size(size);
    let builder = ParquetRecordBatchStreamBuilder::new(reader).await?;
    let row_groups = builder.metadata().num_row_groups();
    let batches: Vec<RecordBatch> = builder.build()?.try_collect().await?;
    // Row by row: each batch read equals the same rows of the table written.
    let mut offset = 0;
    for read in &batches {
        if offset + read.num_rows() > batch.num_rows()
            || *read != batch.slice(offset, read.num_rows())
        {
            return Err(
                format!("the rows read back from row {offset} differ from those written").into(),
            );
        }
        offset += read.num_rows();
    }
    if offset != batch.num_rows() {
        return Err(format!("read {offset} rows, wrote {}", batch.num_rows()).into());
    }
    println!(
        "read back {offset} rows ({row_groups} row groups, {} batches) from lakefs://{}/{}/{path}: equal",
        batches.len(),
        store.repository(),
        commit.id
    );
    Ok(())
}
