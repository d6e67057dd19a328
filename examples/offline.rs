//! Runs offline over the in-memory fake transport: a scripted lakeFS answers the
//! create-presigned-multipart-upload call, the part goes to the presigned URL, and the answers
//! are decoded with the models.
//!
//! `cargo run --example offline`

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use lakefs::models::{
    CompletePresignMultipartUpload, ObjectStats, PresignMultipartUpload, UploadPart,
};
use lakefs::transport::fake::{self, FakeTransport, ResponseExt};
use lakefs::transport::HttpTransport;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let transport = FakeTransport::new();
    transport.route(Method::POST, "/api/v1/repositories/{repo}/branches/{branch}/staging/pmpu", |_, _| {
        Ok(fake::json(
            StatusCode::CREATED,
            r#"{"upload_id":"u1","physical_address":"s3://bucket/ns/data/g1/o1,sig","presigned_urls":["http://s3.local/bucket/ns/data/g1/o1?partNumber=1&X-Amz-Signature=f00d"]}"#,
        ))
    });
    transport.route(Method::PUT, "/bucket/{*key}", |request, _| {
        let etag = format!("\"{}-bytes\"", request.body().len());
        Ok(fake::response(StatusCode::OK, Bytes::new()).with_header("etag", &etag))
    });
    transport.route(Method::PUT, "/api/v1/repositories/{repo}/branches/{branch}/staging/pmpu/{id}", |request, _| {
        let body: CompletePresignMultipartUpload = serde_json::from_slice(request.body()).map_err(|_| fake::Fault::Status(StatusCode::BAD_REQUEST))?;
        Ok(fake::json(
            StatusCode::OK,
            format!(
                r#"{{"path":"hello.txt","path_type":"object","physical_address":"data/g1/o1,sig","checksum":"{}","size_bytes":13,"mtime":1700000000}}"#,
                body.parts[0].etag
            ),
        ))
    });

    let create = Request::post("http://lakefs.local/api/v1/repositories/repo/branches/main/staging/pmpu?path=hello.txt&parts=1")
        .body(Bytes::new())?;
    let upload: PresignMultipartUpload =
        serde_json::from_slice(transport.send(create).await?.body())?;
    println!("created: {upload:?}");

    let url = upload
        .presigned_urls
        .as_deref()
        .unwrap_or_default()
        .first()
        .ok_or("no part URL")?;
    let part = transport
        .send(Request::put(url.as_str()).body(Bytes::from_static(b"Hello, lakeFS!"))?)
        .await?;
    let etag = part.headers()["etag"]
        .to_str()?
        .trim_matches('"')
        .to_owned();

    let complete = CompletePresignMultipartUpload::new(
        upload.physical_address,
        vec![UploadPart::new(1, etag)],
    );
    let request = Request::put(format!(
        "http://lakefs.local/api/v1/repositories/repo/branches/main/staging/pmpu/{}?path=hello.txt",
        upload.upload_id
    ))
    .body(Bytes::from(serde_json::to_vec(&complete)?))?;
    let stats: ObjectStats = serde_json::from_slice(transport.send(request).await?.body())?;
    println!("completed: {stats:?}");
    println!(
        "{} requests went through the fake transport",
        transport.requests().len()
    );
    Ok(())
}
