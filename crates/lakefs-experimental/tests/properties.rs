//! Bad input at random: arbitrary bytes as the body of every operation's answer, arbitrary
//! `Retry-After` values. Never a panic, always a typed error, never a wait longer than the
//! policy allows, never a body echoed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;
use http::StatusCode;
use lakefs_experimental::{ErrorKind, Operation, RetryPolicy};
use lakefs_transport::fake::{self, FakeTransport, ResponseExt};
use proptest::prelude::*;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap()
}

/// A marker that must never appear in an error: it is planted in every random body.
const MARKER: &str = "SECRET-MARKER-7f3a";

fn statuses() -> impl Strategy<Value = u16> {
    prop_oneof![
        Just(200u16),
        Just(201),
        Just(204),
        Just(400),
        Just(401),
        Just(403),
        Just(404),
        Just(409),
        Just(412),
        Just(420),
        Just(429),
        Just(500),
        Just(501),
        Just(502),
        Just(503),
        Just(504),
        100u16..=599,
    ]
}

fn bodies() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        "\\PC{0,80}".prop_map(String::into_bytes),
        Just(br#"{"token": 7}"#.to_vec()),
        Just(br#"{"message": 7}"#.to_vec()),
        Just(b"[]".to_vec()),
        Just(b"null".to_vec()),
    ]
    .prop_map(|mut body| {
        // Plant the marker where a decoder could quote it.
        let planted = format!(r#"{{"message":"{MARKER}","token":"{MARKER}","id":"{MARKER}"}}"#);
        if body.len() % 3 == 0 {
            body = planted.into_bytes();
        } else {
            body.extend_from_slice(MARKER.as_bytes());
        }
        body
    })
}

fn retry_afters() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof![
        (0u64..100).prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        Just("18446744073709551616999".to_owned()),
        Just("-5".to_owned()),
        Just(" 3 ".to_owned()),
        Just("Wed, 21 Oct 2015 07:28:00 GMT".to_owned()),
        Just("Fri, 31 Dec 9999 23:59:59 GMT".to_owned()),
        "[ -~]{0,30}",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_answer_gives_a_value_or_a_typed_error_without_echoing_the_body(
        op in 0..Operation::EXPERIMENTAL.len(),
        status in statuses(),
        body in bodies(),
        retry_after in retry_afters(),
    ) {
        let operation = Operation::EXPERIMENTAL[op];
        let policy = RetryPolicy::default()
            .max_attempts(3)
            .max_retry_after(Duration::from_secs(30));
        let longest = policy.longest_wait();
        runtime().block_on(async move {
            let transport = FakeTransport::new();
            let status = StatusCode::from_u16(status).unwrap();
            let reply = move || {
                let mut response = fake::response(status, body.clone());
                if let Some(value) = &retry_after {
                    if http::HeaderValue::from_str(value).is_ok() {
                        response = response.with_header("retry-after", value);
                    }
                }
                Ok(response)
            };
            transport.route(operation.method(), "/{*path}", move |_, _| reply());
            let client = lakefs_experimental::ExperimentalClient::builder()
                .endpoint(ENDPOINT)
                .retry_policy(policy.clone())
                .build_with_transport(transport.clone())
                .unwrap();
            let started = tokio::time::Instant::now();
            let result = invoke(&client, operation).await;
            let elapsed = started.elapsed();
            let attempts = transport.requests().len() as u32;
            prop_assert!((1..=3).contains(&attempts));
            prop_assert!(
                elapsed <= longest * (attempts - 1),
                "{operation}: waited {elapsed:?} over {attempts} attempts"
            );
            if let Err(error) = result {
                let text = format!("{error} {error:?}");
                // The server's `message` of an error answer may be shown; nothing else of a body.
                if status.is_success() {
                    prop_assert!(!text.contains(MARKER), "{operation} {status}: {text}");
                    prop_assert!(
                        matches!(error.kind(), ErrorKind::Decode | ErrorKind::Protocol),
                        "{operation} {status}: {error:?}"
                    );
                } else {
                    prop_assert!(error.status().is_some() || error.kind() == ErrorKind::Protocol, "{error:?}");
                    if error.server_message() != Some(MARKER) {
                        prop_assert!(!text.contains(MARKER), "{operation} {status}: {text}");
                    }
                }
            }
            Ok(())
        })?;
    }
}
