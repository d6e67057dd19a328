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
        stderr(&output).contains("is not valid lakectl YAML"),
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
