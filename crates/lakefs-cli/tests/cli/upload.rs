//! Uploads of a file, a directory tree and standard input against the emulator over HTTP,
//! read back byte-exact.

use std::io::Write;
use std::process::Stdio;

use crate::common::*;

const MIB: usize = 1024 * 1024;

#[test]
fn a_file_in_parts_with_json_content_type_metadata_and_verify() {
    let server = Server::start();
    let home = TempDir::new("upload-file");
    let bytes = data(11 * MIB + 7, 1);
    let file = home.join("big.bin");
    std::fs::write(&file, &bytes).unwrap();
    let output = run(server
        .command(&home)
        .args([
            "--json",
            "upload",
            "--part-size",
            "5MiB",
            "-c",
            "2",
            "--verify",
        ])
        .args([
            "--content-type",
            "application/x-test",
            "-m",
            "owner=etl",
            "--metadata",
            "run=7",
        ])
        .arg(&file)
        .arg("lakefs://example-repo/main/dir/big.bin"));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(server.object("dir/big.bin").unwrap(), bytes);
    let result = json_lines(&stdout(&output)).remove(0);
    assert_eq!(result["status"], "uploaded");
    assert_eq!(
        result["destination"],
        "lakefs://example-repo/main/dir/big.bin"
    );
    assert_eq!(result["bytes"], bytes.len());
    assert_eq!(result["parts"], 3);
    assert_eq!(result["retries"], 0);
    assert_eq!(result["url_refreshes"], 0);
    assert_eq!(result["verified"], "match");
    let seconds = &result["seconds"];
    for phase in ["create", "parts", "complete", "total"] {
        assert!(seconds[phase].as_f64().unwrap() >= 0.0, "{phase}");
    }
    let sum = seconds["create"].as_f64().unwrap()
        + seconds["parts"].as_f64().unwrap()
        + seconds["complete"].as_f64().unwrap();
    assert!((sum - seconds["total"].as_f64().unwrap()).abs() < 0.01);
    let stats = server
        .emulator
        .object_stats(REPO, "main", "dir/big.bin")
        .unwrap();
    assert_eq!(stats.content_type.as_deref(), Some("application/x-test"));
    let metadata = stats.metadata.unwrap();
    assert_eq!(metadata.get("owner").map(String::as_str), Some("etl"));
    assert_eq!(metadata.get("run").map(String::as_str), Some("7"));
    assert_eq!(server.emulator.open_uploads(), 0);
}

#[test]
fn a_prefix_keeps_the_file_name_and_plain_output_is_one_line() {
    let server = Server::start();
    let home = TempDir::new("upload-prefix");
    let file = home.join("report.csv");
    std::fs::write(&file, "a,b\n1,2\n").unwrap();
    let output = run(server
        .command(&home)
        .arg("upload")
        .arg(&file)
        .arg("lakefs://example-repo/main/reports/"));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(server.object("reports/report.csv").unwrap(), "a,b\n1,2\n");
    let text = stdout(&output);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with("uploaded "), "{text}");
    assert!(text.contains("lakefs://example-repo/main/reports/report.csv"));
    // Not a terminal: no progress bar escape codes on stderr.
    assert!(!stderr(&output).contains('\u{1b}'), "{}", stderr(&output));
}

#[test]
fn a_directory_tree_with_nested_and_empty_files() {
    let server = Server::start();
    let home = TempDir::new("upload-dir");
    let root = home.join("tree");
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("top.txt", b"top\n".to_vec()),
        ("a/one.bin", data(100_000, 2)),
        ("a/b/c/deep.bin", data(6 * MIB + 1, 3)),
        ("a/empty", Vec::new()),
        ("z/with space.txt", b"spaces\n".to_vec()),
    ];
    for (name, bytes) in &files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    std::fs::create_dir_all(root.join("empty-dir")).unwrap();
    let output = run(server
        .command(&home)
        .args(["--json", "upload", "-r", "-c", "3", "--part-size", "5MiB"])
        .arg(&root)
        .arg("lakefs://example-repo/main/backup/tree"));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    for (name, bytes) in &files {
        let object = server.object(&format!("backup/tree/{name}"));
        assert_eq!(object.as_deref(), Some(&bytes[..]), "{name}");
    }
    let results = json_lines(&stdout(&output));
    assert_eq!(results.len(), files.len());
    assert!(results.iter().all(|r| r["status"] == "uploaded"));
    let deep = results
        .iter()
        .find(|r| r["destination"] == "lakefs://example-repo/main/backup/tree/a/b/c/deep.bin")
        .unwrap();
    assert_eq!(deep["parts"], 2);
    assert!(
        stderr(&output).contains("uploaded 5 of 5 files"),
        "{}",
        stderr(&output)
    );
    assert_eq!(server.emulator.open_uploads(), 0);
    // A directory without --recursive is a usage error.
    let output = run(server
        .command(&home)
        .arg("upload")
        .arg(&root)
        .arg("lakefs://example-repo/main/x/"));
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("--recursive"));
}

#[test]
fn standard_input_of_unknown_length() {
    let server = Server::start();
    let home = TempDir::new("upload-stdin");
    let bytes = data(7 * MIB + 3, 4);
    let mut child = server
        .command(&home)
        .args([
            "--json",
            "upload",
            "-",
            "lakefs://example-repo/main/streams/in.bin",
            "--part-size",
            "5MiB",
            "--verify",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = {
        let bytes = bytes.clone();
        std::thread::spawn(move || {
            stdin.write_all(&bytes).unwrap();
        })
    };
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(server.object("streams/in.bin").unwrap(), bytes);
    let result = json_lines(&stdout(&output)).remove(0);
    assert_eq!(result["source"], "-");
    assert_eq!(result["parts"], 2);
    assert_eq!(result["verified"], "match");
    // Empty standard input is an empty object.
    let output = run(server.command(&home).args([
        "upload",
        "-",
        "lakefs://example-repo/main/streams/empty",
    ]));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(server.object("streams/empty").unwrap().len(), 0);
    // Standard input needs an object name, and cannot keep a checkpoint.
    let output =
        run(server
            .command(&home)
            .args(["upload", "-", "lakefs://example-repo/main/streams/"]));
    assert_eq!(code(&output), 2);
    let output = run(server.command(&home).args([
        "upload",
        "--checkpoint",
        "-",
        "lakefs://example-repo/main/s",
    ]));
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("standard input"));
}

#[test]
fn checkpoint_show_and_list() {
    let server = Server::start();
    let home = TempDir::new("checkpoint-show");
    let output = run(server.command(&home).args(["checkpoint", "list"]));
    assert_eq!(code(&output), 0);
    assert!(stderr(&output).contains("no checkpoint"));
    let output = run(server
        .command(&home)
        .args(["checkpoint", "show", "/nonexistent.json"]));
    assert_eq!(code(&output), 1);
    assert!(stderr(&output).contains("error: cannot read the checkpoint"));
}
