//! The sink over real loopback connections (no timing of speeds).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use lakefs_bench_shaper::{pattern_byte, sheds, Shaper, MIB, SLOWDOWN_BODY};

async fn connect(shaper: &Shaper) -> SendRequest<Full<Bytes>> {
    let stream = tokio::net::TcpStream::connect(shaper.addr()).await.unwrap();
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    sender
}

async fn send(
    sender: &mut SendRequest<Full<Bytes>>,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> (Response<()>, Bytes) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "127.0.0.1");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    sender.ready().await.unwrap();
    let response = sender
        .send_request(request.body(Full::new(body.into())).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    (
        Response::from_parts(parts, ()),
        body.collect().await.unwrap().to_bytes(),
    )
}

fn header<'a>(response: &'a Response<()>, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name}"))
        .to_str()
        .unwrap()
}

#[tokio::test]
async fn a_put_is_read_and_answered_with_an_etag() {
    let shaper = Shaper::builder()
        .per_connection(100 * MIB)
        .sink(0)
        .start()
        .await
        .unwrap();
    let mut sender = connect(&shaper).await;
    let part = vec![7u8; 3 * MIB as usize + 5];
    let uri = "/bucket/key?partNumber=3&uploadId=abc&X-Amz-Signature=0123";
    let (response, body) = send(&mut sender, Method::PUT, uri, &[], part.clone()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(body.is_empty());
    let etag = header(&response, "etag");
    assert!(
        etag.len() == 34 && etag.starts_with('"') && etag.ends_with('"'),
        "{etag}"
    );
    // Another part, another ETag.
    let (other, _) = send(
        &mut sender,
        Method::PUT,
        "/bucket/key?partNumber=4",
        &[],
        part,
    )
    .await;
    assert_ne!(header(&other, "etag"), etag);
    let stats = shaper.stats();
    assert_eq!(stats.bytes_in, 2 * (3 * MIB + 5));
    assert_eq!(
        (stats.requests, stats.connections, stats.slowdowns),
        (2, 1, 0)
    );
}

#[tokio::test]
async fn ranged_gets_serve_the_pattern_with_s3_headers() {
    let size = 10 * MIB + 123;
    let shaper = Shaper::builder()
        .per_connection(200 * MIB)
        .link(400 * MIB)
        .sink(size);
    let shaper = shaper.start().await.unwrap();
    let mut sender = connect(&shaper).await;

    let (whole, body) = send(&mut sender, Method::GET, "/b/k", &[], "").await;
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(header(&whole, "content-length"), size.to_string());
    assert_eq!(body.len() as u64, size);
    assert!(body
        .iter()
        .enumerate()
        .all(|(i, b)| *b == pattern_byte(i as u64)));
    let etag = header(&whole, "etag").to_owned();

    let (part, body) = send(
        &mut sender,
        Method::GET,
        "/b/k",
        &[("range", "bytes=5000000-6999999")],
        "",
    )
    .await;
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        header(&part, "content-range"),
        format!("bytes 5000000-6999999/{size}")
    );
    assert_eq!(header(&part, "content-length"), "2000000");
    assert_eq!(header(&part, "etag"), etag);
    assert_eq!(body.len(), 2_000_000);
    assert!(body
        .iter()
        .enumerate()
        .all(|(i, b)| *b == pattern_byte(5_000_000 + i as u64)));

    let (tail, body) = send(
        &mut sender,
        Method::GET,
        "/b/k",
        &[("range", "bytes=-100")],
        "",
    )
    .await;
    assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        header(&tail, "content-range"),
        format!("bytes {}-{}/{size}", size - 100, size - 1)
    );
    assert_eq!(body[0], pattern_byte(size - 100));

    let (head, body) = send(
        &mut sender,
        Method::HEAD,
        "/b/k",
        &[("range", "bytes=0-9")],
        "",
    )
    .await;
    assert_eq!(head.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&head, "content-length"), "10");
    assert_eq!(header(&head, "etag"), etag);
    assert!(body.is_empty());

    let (head, _) = send(&mut sender, Method::HEAD, "/b/k", &[], "").await;
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(header(&head, "content-length"), size.to_string());

    let beyond = format!("bytes={size}-");
    let (refused, _) = send(&mut sender, Method::GET, "/b/k", &[("range", &beyond)], "").await;
    assert_eq!(refused.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(header(&refused, "content-range"), format!("bytes */{size}"));

    assert_eq!(
        shaper.stats().bytes_out,
        size + 2_000_000 + 100 + refused_len(&refused)
    );
}

fn refused_len(response: &Response<()>) -> u64 {
    header(response, "content-length").parse().unwrap()
}

#[tokio::test]
async fn a_seed_sheds_the_expected_requests_after_reading_their_bodies() {
    let (p, seed, n) = (0.1, 42, 400u64);
    let shaper = Shaper::builder()
        .slowdown(p)
        .seed(seed)
        .sink(10)
        .start()
        .await
        .unwrap();
    let mut sender = connect(&shaper).await;
    let mut shed = Vec::new();
    for i in 0..n {
        let (response, body) = send(&mut sender, Method::PUT, "/b/k", &[], vec![1u8; 1000]).await;
        match response.status() {
            StatusCode::OK => {}
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(body, SLOWDOWN_BODY);
                assert_eq!(header(&response, "content-type"), "application/xml");
                shed.push(i);
            }
            other => panic!("{other}"),
        }
    }
    // One connection: requests arrive in order, so exactly the drawn ones are shed.
    let expected: Vec<u64> = (0..n).filter(|i| sheds(seed, p, *i)).collect();
    assert_eq!(shed, expected);
    assert!(
        (20..=60).contains(&shed.len()),
        "{} of {n} at p = {p}",
        shed.len()
    );
    let stats = shaper.stats();
    assert_eq!(stats.slowdowns, shed.len() as u64);
    // Shed requests' bodies were read too.
    assert_eq!(stats.bytes_in, n * 1000);
}

#[tokio::test]
async fn answers_are_held_back_by_the_latency() {
    let latency = Duration::from_millis(60);
    let shaper = Shaper::builder()
        .latency(latency)
        .sink(10)
        .start()
        .await
        .unwrap();
    let mut sender = connect(&shaper).await;
    for _ in 0..3 {
        let start = std::time::Instant::now();
        let (response, _) = send(&mut sender, Method::HEAD, "/b/k", &[], "").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(start.elapsed() >= latency, "{:?}", start.elapsed());
    }
}

#[tokio::test]
async fn dropping_the_shaper_closes_its_connections() {
    let shaper = Shaper::builder()
        .per_connection(MIB)
        .sink(100 * MIB)
        .start()
        .await
        .unwrap();
    let mut sender = connect(&shaper).await;
    sender.ready().await.unwrap();
    let request = Request::get("/b/k")
        .header("host", "x")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    drop(shaper);
    // The 100 MiB body at 1 MiB/s ends early, with an error, instead of in 100 s.
    let read = tokio::time::timeout(Duration::from_secs(10), response.into_body().collect()).await;
    assert!(read.expect("the connection closed").is_err());
}

#[tokio::test]
async fn other_methods_are_refused() {
    let shaper = Shaper::builder().sink(10).start().await.unwrap();
    let mut sender = connect(&shaper).await;
    let (response, _) = send(&mut sender, Method::POST, "/b/k?restore", &[], "x").await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let (response, _) = send(&mut sender, Method::PATCH, "/b/k", &[], "x").await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let (response, _) = send(&mut sender, Method::DELETE, "/b/k", &[], "").await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_multipart_upload_is_created_and_completed_with_the_objects_etag() {
    let shaper = Shaper::builder().sink(10).start().await.unwrap();
    let mut sender = connect(&shaper).await;
    let (response, body) = send(&mut sender, Method::POST, "/b/k.bin?uploads", &[], "").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = String::from_utf8(body.to_vec()).unwrap();
    let id = body
        .split("<UploadId>")
        .nth(1)
        .and_then(|rest| rest.split("</UploadId>").next())
        .expect("an UploadId");
    let (response, _) = send(
        &mut sender,
        Method::PUT,
        &format!("/b/k.bin?partNumber=1&uploadId={id}"),
        &[],
        "0123456789",
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (response, body) = send(
        &mut sender,
        Method::POST,
        &format!("/b/k.bin?uploadId={id}"),
        &[],
        "<CompleteMultipartUpload></CompleteMultipartUpload>",
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (head, _) = send(&mut sender, Method::HEAD, "/b/k.bin", &[], "").await;
    let etag = header(&head, "etag").replace('"', "&quot;");
    assert!(String::from_utf8_lossy(&body).contains(&format!("<ETag>{etag}</ETag>")));
}
