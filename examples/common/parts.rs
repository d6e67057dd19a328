//! PUTs of parts straight to their presigned URLs, as a client without the engine would.

use bytes::Bytes;
use lakefs::experimental::models::PresignMultipartUpload;
use lakefs::experimental::ExperimentalClient;
use lakefs::transport::HttpTransport;

/// PUTs a small first part to the upload's first presigned URL; its ETag.
pub async fn put_first_part<T: HttpTransport>(
    client: &ExperimentalClient<T>,
    upload: &PresignMultipartUpload,
) -> Result<String, Box<dyn std::error::Error>> {
    let url = upload
        .presigned_urls
        .as_deref()
        .unwrap_or_default()
        .first()
        .cloned()
        .ok_or("no part URL")?;
    put_part(client, &url, b"Hello from the lakeFS Rust SDK!\n".to_vec()).await
}

/// PUTs a part to its presigned URL, straight to storage and without lakeFS credentials; its
/// ETag.
pub async fn put_part<T: HttpTransport>(
    client: &ExperimentalClient<T>,
    url: &str,
    bytes: Vec<u8>,
) -> Result<String, Box<dyn std::error::Error>> {
    let put = http::Request::put(url).body(Bytes::from(bytes))?;
    let response = client.transport().send(put).await?;
    if !response.status().is_success() {
        return Err(format!("part PUT answered {}", response.status()).into());
    }
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim_matches('"')
        .to_owned();
    println!("  ok   part PUT: {} etag {etag}", response.status());
    Ok(etag)
}
