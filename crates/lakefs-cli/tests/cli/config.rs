//! Configuration precedence: flags, then lakectl's variables, then its file.

use lakefs_emulator::{DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};

use crate::common::*;

fn write_lakectl_yaml(home: &TempDir, endpoint: &str, key: &str, secret: &str) {
    std::fs::write(
        home.join(".lakectl.yaml"),
        format!(
            "credentials:\n  access_key_id: {key}\n  secret_access_key: {secret}\nmetastore:\n  type: hive\nserver:\n  endpoint_url: {endpoint}\n"
        ),
    )
    .unwrap();
}

fn config_json(command: &mut std::process::Command) -> serde_json::Value {
    let output = run(command.args(["--json", "config"]));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    json_lines(&stdout(&output)).remove(0)
}

#[test]
fn flags_beat_variables_beat_the_file() {
    let home = TempDir::new("config-precedence");
    write_lakectl_yaml(&home, "http://from-file:8000", "FILEKEY", "file-secret-123");
    // The file alone.
    let shown = config_json(&mut lakefs(&home));
    assert_eq!(shown["endpoint"]["value"], "http://from-file:8000");
    assert!(shown["endpoint"]["from"]
        .as_str()
        .unwrap()
        .contains(".lakectl.yaml (server.endpoint_url)"));
    assert_eq!(shown["access_key_id"]["value"], "FILEKEY");
    assert_eq!(shown["secret_access_key"]["set"], true);
    // A variable beats the file.
    let shown = config_json(
        lakefs(&home)
            .env("LAKECTL_SERVER_ENDPOINT_URL", "http://from-env:8000")
            .env("LAKECTL_CREDENTIALS_ACCESS_KEY_ID", "ENVKEY"),
    );
    assert_eq!(shown["endpoint"]["value"], "http://from-env:8000");
    assert_eq!(
        shown["endpoint"]["from"],
        "environment variable LAKECTL_SERVER_ENDPOINT_URL"
    );
    assert_eq!(shown["access_key_id"]["value"], "ENVKEY");
    assert!(shown["secret_access_key"]["from"]
        .as_str()
        .unwrap()
        .contains(".lakectl.yaml"));
    // A flag beats both.
    let output = run(lakefs(&home)
        .env("LAKECTL_SERVER_ENDPOINT_URL", "http://from-env:8000")
        .args(["--endpoint", "http://from-flag:8000", "config"]));
    assert_eq!(code(&output), 0);
    let text = stdout(&output);
    assert!(
        text.contains("http://from-flag:8000 (from flag --endpoint)"),
        "{text}"
    );
    assert!(text.contains("FILEKEY"), "{text}");
    // The secret is never shown.
    assert!(!text.contains("file-secret-123"), "{text}");
    // --config names another file, which must exist.
    let other = home.join("other.yaml");
    std::fs::write(&other, "server:\n  endpoint_url: http://other:8000\n").unwrap();
    let shown = config_json(lakefs(&home).arg("--config").arg(&other));
    assert_eq!(shown["endpoint"]["value"], "http://other:8000");
    assert!(shown["access_key_id"]["value"].is_null());
    let output = run(lakefs(&home).args(["--config", "/nonexistent/lakectl.yaml", "config"]));
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("error: cannot read the configuration file"));
}

#[test]
fn an_upload_configured_by_the_file_alone_and_by_mixed_sources() {
    let server = Server::start();
    let home = TempDir::new("config-upload");
    write_lakectl_yaml(
        &home,
        &server.url,
        DEFAULT_ACCESS_KEY_ID,
        DEFAULT_SECRET_ACCESS_KEY,
    );
    let file = home.join("hello.txt");
    std::fs::write(&file, "hello from the file config\n").unwrap();
    let output = run(lakefs(&home)
        .arg("upload")
        .arg(&file)
        .arg("lakefs://example-repo/main/config/hello.txt"));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        server.object("config/hello.txt").unwrap(),
        "hello from the file config\n"
    );
    // A wrong secret in a variable beats the right one in the file: refused.
    let output = run(lakefs(&home)
        .env("LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY", "not-the-secret")
        .arg("upload")
        .arg(&file)
        .arg("lakefs://example-repo/main/config/again.txt"));
    assert_eq!(code(&output), 1);
    assert!(stderr(&output).contains("401"), "{}", stderr(&output));
    assert!(server.object("config/again.txt").is_none());
}

#[test]
fn nothing_configured_is_a_usage_error() {
    let home = TempDir::new("config-none");
    let file = home.join("a.txt");
    std::fs::write(&file, "a").unwrap();
    let output = run(lakefs(&home)
        .arg("upload")
        .arg(&file)
        .arg("lakefs://example-repo/main/a.txt"));
    assert_eq!(code(&output), 2);
    let text = stderr(&output);
    assert!(text.contains("error: no lakeFS configured"), "{text}");
    assert!(text.contains("note:"), "{text}");
    // A malformed file is named.
    std::fs::write(home.join(".lakectl.yaml"), "server: [unclosed\n").unwrap();
    let output = run(lakefs(&home).arg("config"));
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains(
            "is not valid: it is not YAML: did not find expected ',' or ']' at line 2 column 1"
        ),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_embedded_emulator_needs_no_configuration() {
    let home = TempDir::new("config-emulator");
    let file = home.join("a.txt");
    std::fs::write(&file, "abc").unwrap();
    let output = run(lakefs(&home)
        .args(["--emulator", "--json", "upload"])
        .arg(&file)
        .arg("lakefs://example-repo/main/a.txt"));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let result = json_lines(&stdout(&output)).remove(0);
    assert_eq!(result["status"], "uploaded");
    assert_eq!(result["bytes"], 3);
}

#[test]
fn a_config_file_of_the_wrong_shape_names_the_key_and_what_was_expected() {
    let home = TempDir::new("config-shape");
    let cases = [
        (
            "server: http://localhost:8000\n",
            "`server` must be a section (keys indented below it), not text",
        ),
        (
            "credentials: wJalrXUtnSECRETinTHEwrongPLACE\n",
            "`credentials` must be a section (keys indented below it), not text",
        ),
        (
            "server:\n  endpoint_url: [http://a, http://b]\n",
            "`server.endpoint_url` must be text, not a list",
        ),
        (
            "credentials:\n  secret_access_key:\n    value: wJalrXUtnSECRETinTHEwrongPLACE\n",
            "`credentials.secret_access_key` must be text, not a section",
        ),
        (
            "- server\n- credentials\n",
            "it holds a list where sections such as `server:` and `credentials:` are expected",
        ),
        ("server:\n  endpoint_url: \"http://a\n", "it is not YAML"),
    ];
    for (yaml, why) in cases {
        std::fs::write(home.join(".lakectl.yaml"), yaml).unwrap();
        for command in [&["config"][..], &["ls", "lakefs://example-repo/main/"]] {
            let output = run(lakefs(&home).args(command));
            assert_eq!(code(&output), 2, "{yaml}");
            let text = stderr(&output);
            assert!(
                text.starts_with(&format!(
                    "error: the configuration file {} is not valid: {why}",
                    home.join(".lakectl.yaml").display()
                )),
                "{yaml}: {text}"
            );
            assert!(
                text.contains("note: lakectl's file reads `server:` with `endpoint_url: URL`"),
                "{text}"
            );
            for internal in ["struct", "Lakectl", "expected a string", "invalid type"] {
                assert!(!text.contains(internal), "{internal}: {text}");
            }
            assert!(!text.contains("SECRETinTHEwrongPLACE"), "{text}");
        }
    }
    // Numbers are text, as lakectl reads them.
    std::fs::write(
        home.join(".lakectl.yaml"),
        "credentials:\n  access_key_id: 12345\n",
    )
    .unwrap();
    let output = run(lakefs(&home).args(["--json", "config"]));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        json_lines(&stdout(&output))[0]["access_key_id"]["value"],
        "12345"
    );
}

/// A web server that is not lakeFS: every request gets `status` and an HTML page.
fn html_server(status: &'static str) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            let page = format!("<html><head><title>{status}</title></head><body><h1>{status}</h1><hr><center>nginx</center></body></html>");
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
        }
    });
    url
}

#[test]
fn a_server_that_is_not_lakefs_is_called_so() {
    let home = TempDir::new("config-not-lakefs");
    let file = home.join("a.txt");
    std::fs::write(&file, "a").unwrap();
    for (status, operation) in [
        ("501 Not Implemented", "listObjects"),
        ("404 Not Found", "listObjects"),
    ] {
        let url = html_server(status);
        let with = |command: &mut std::process::Command| {
            command
                .env("LAKECTL_SERVER_ENDPOINT_URL", &url)
                .env("LAKECTL_CREDENTIALS_ACCESS_KEY_ID", "AKIAEXAMPLE")
                .env("LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY", "secret-example");
        };
        let mut ls = lakefs(&home);
        with(ls.args(["ls", "lakefs://example-repo/main/"]));
        let mut upload = lakefs(&home);
        with(
            upload
                .args(["upload", "-r"])
                .arg(home.path())
                .arg("lakefs://example-repo/main/x/"),
        );
        let mut one = lakefs(&home);
        with(
            one.args(["upload", "--no-skip"])
                .arg(&file)
                .arg("lakefs://example-repo/main/a.txt"),
        );
        for (command, operation) in [
            (&mut ls, operation),
            (&mut upload, operation),
            (&mut one, "createPresignMultipartUpload"),
        ] {
            let output = run(command);
            assert_eq!(code(&output), 1);
            let text = stderr(&output);
            assert!(
                text.lines().next().unwrap().ends_with(&format!(
                    "{url} does not look like a lakeFS server: it answered {operation} with an HTML page ({status})"
                )),
                "{text}"
            );
            assert!(
                text.contains("note: check the endpoint: it is lakeFS's address"),
                "{text}"
            );
            assert!(
                !text.contains("not supported by this lakeFS server"),
                "{text}"
            );
            assert_eq!(text.lines().count(), 2, "{text}");
        }
    }
}
