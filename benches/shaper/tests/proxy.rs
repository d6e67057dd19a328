//! Proxy mode against a tiny upstream that echoes what it received.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use lakefs_bench_shaper::{Shaper, MIB};
use tokio::net::TcpListener;

/// Answers every request with its method, target, headers (in order) and body length as text,
/// with a 1 MiB answer body appended when the path is `/big`.
async fn echo(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut text = format!("{} {}\n", request.method(), request.uri());
    for (name, value) in request.headers() {
        text.push_str(&format!(
            "{}: {}\n",
            name,
            value.to_str().unwrap_or("<binary>")
        ));
    }
    let big = request.uri().path() == "/big";
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    text.push_str(&format!(
        "body {} bytes, sum {}\n",
        body.len(),
        body.iter().map(|b| *b as u64).sum::<u64>()
    ));
    let mut bytes = text.into_bytes();
    if big {
        bytes.resize(bytes.len() + MIB as usize, b'z');
    }
    Ok(Response::builder()
        .header("x-amz-request-id", "ECHO")
        .header("etag", "\"upstream-etag\"")
        .body(Full::new(Bytes::from(bytes)))
        .unwrap())
}

async fn upstream() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), hyper::service::service_fn(echo)),
            );
        }
    });
    (addr, task)
}

#[tokio::test]
async fn requests_are_forwarded_with_method_target_and_headers_unchanged() {
    let (up, _task) = upstream().await;
    let shaper = Shaper::builder()
        .per_connection(50 * MIB)
        .link(100 * MIB)
        .proxy(format!("http://{up}"))
        .start()
        .await
        .unwrap();
    let stream = tokio::net::TcpStream::connect(shaper.addr()).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);

    let target = "/bucket/a%20key?partNumber=2&uploadId=u1&X-Amz-Signature=abc%2Fdef";
    let headers = [
        ("host", "127.0.0.1:1234"),
        ("authorization", "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=ff"),
        ("x-amz-date", "20260101T000000Z"),
        ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
        ("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg=="),
        ("x-custom", "Mixed Case  value"),
        ("content-length", "300000"),
    ];
    let body: Vec<u8> = (0..300_000u32).map(|i| (i % 7) as u8).collect();
    let sum: u64 = body.iter().map(|b| *b as u64).sum();
    let mut request = Request::builder().method("PUT").uri(target);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = sender
        .send_request(request.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-amz-request-id"], "ECHO");
    assert_eq!(response.headers()["etag"], "\"upstream-etag\"");
    let text = String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    let mut expected = format!("PUT {target}\n");
    for (name, value) in headers {
        expected.push_str(&format!("{name}: {value}\n"));
    }
    expected.push_str(&format!("body 300000 bytes, sum {sum}\n"));
    assert_eq!(text, expected);

    // A second request on the same connection, with a big answer streamed back.
    sender.ready().await.unwrap();
    let request = Request::get("/big")
        .header("host", "h")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(body.starts_with(b"GET /big\nhost: h\n"));
    assert!(body.len() > MIB as usize);

    let stats = shaper.stats();
    assert_eq!(stats.requests, 2);
    assert_eq!(stats.bytes_in, 300_000);
    assert_eq!(stats.bytes_out, text.len() as u64 + body.len() as u64);
}

#[tokio::test]
async fn an_unreachable_upstream_is_a_bad_gateway() {
    // A port nothing listens on: bind one, then free it.
    let free = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let shaper = Shaper::builder()
        .proxy(format!("http://{free}"))
        .start()
        .await
        .unwrap();
    let stream = tokio::net::TcpStream::connect(shaper.addr()).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = Request::get("/x")
        .header("host", "h")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
}
