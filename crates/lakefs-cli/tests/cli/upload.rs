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
    let mut results = json_lines(&stdout(&output));
    let summary = results.pop().unwrap();
    assert_eq!(summary["summary"]["uploaded"], files.len());
    assert_eq!(summary["summary"]["unchanged"], 0);
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

/// The S3 multipart ETag of `bytes` uploaded in parts of `part_size` (the last shorter), as
/// the engine cuts them: an empty source is one empty part.
fn multipart_etag(bytes: &[u8], part_size: usize) -> String {
    use md5::{Digest, Md5};
    let parts: Vec<&[u8]> = if bytes.is_empty() {
        vec![bytes]
    } else {
        bytes.chunks(part_size).collect()
    };
    let mut outer = Md5::new();
    for part in &parts {
        outer.update(Md5::digest(part));
    }
    let hex: String = outer
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{hex}-{}", parts.len())
}

/// Sizes around S3's smallest part, and one of several parts.
const VERIFY_SIZES: [usize; 7] = [
    0,
    1,
    16_047,
    5 * MIB - 1,
    5 * MIB,
    5 * MIB + 1,
    11 * MIB + 7,
];

#[test]
fn verify_checks_files_of_every_size_against_the_parts_they_were_sent_in() {
    let server = Server::start();
    let home = TempDir::new("verify-sizes");
    let root = home.join("sizes");
    std::fs::create_dir_all(&root).unwrap();
    let mut files = Vec::new();
    for (i, size) in VERIFY_SIZES.into_iter().enumerate() {
        let bytes = data(size, 40 + i as u64);
        let name = format!("f{size}");
        std::fs::write(root.join(&name), &bytes).unwrap();
        files.push((name, bytes));
    }
    // One file at a time, 5 MiB parts: a file of at most 5 MiB is one part of its own size,
    // an empty one a single empty part.
    for (name, bytes) in &files {
        let output = run(server
            .command(&home)
            .args(["--json", "upload", "--verify", "--part-size", "5MiB"])
            .arg(root.join(name))
            .arg(format!("lakefs://example-repo/main/one/{name}")));
        assert_eq!(code(&output), 0, "{name}: {}", stderr(&output));
        let result = json_lines(&stdout(&output)).remove(0);
        let expected = multipart_etag(bytes, 5 * MIB);
        assert_eq!(result["status"], "uploaded", "{name}");
        assert_eq!(result["verified"], "match", "{name}");
        assert_eq!(result["checksum"], expected.as_str(), "{name}");
        assert_eq!(
            result["parts"],
            bytes.len().div_ceil(5 * MIB).max(1),
            "{name}"
        );
        let stats = server
            .emulator
            .object_stats(REPO, "main", &format!("one/{name}"))
            .unwrap();
        assert_eq!(stats.checksum, expected, "{name}");
        assert_eq!(
            server.object(&format!("one/{name}")).as_deref(),
            Some(&bytes[..]),
            "{name}"
        );
    }
    // A directory, with checkpoints (each file read by the engine rather than at once) and
    // the default 8 MiB parts: the plain result lines say each was verified.
    let output = run(server
        .command(&home)
        .args(["upload", "-r", "--checkpoint", "--verify", "-c", "3"])
        .arg(&root)
        .arg("lakefs://example-repo/main/dir"));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    assert_eq!(text.lines().count(), files.len(), "{text}");
    assert!(
        text.lines().all(|l| l.ends_with(", verified)")),
        "every file verified:\n{text}"
    );
    for (name, bytes) in &files {
        let stats = server
            .emulator
            .object_stats(REPO, "main", &format!("dir/{name}"))
            .unwrap();
        assert_eq!(stats.checksum, multipart_etag(bytes, 8 * MIB), "{name}");
    }
    assert_eq!(server.emulator.open_uploads(), 0);
}

#[test]
fn verify_checks_standard_input_of_every_size() {
    let server = Server::start();
    let home = TempDir::new("verify-stdin");
    for (i, size) in VERIFY_SIZES.into_iter().enumerate() {
        let bytes = data(size, 60 + i as u64);
        let mut child = server
            .command(&home)
            .args(["--json", "upload", "--verify", "--part-size", "5MiB", "-"])
            .arg(format!("lakefs://example-repo/main/stdin/{size}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let writer = {
            let bytes = bytes.clone();
            std::thread::spawn(move || stdin.write_all(&bytes).unwrap())
        };
        let output = child.wait_with_output().unwrap();
        writer.join().unwrap();
        assert_eq!(code(&output), 0, "{size}: {}", stderr(&output));
        let result = json_lines(&stdout(&output)).remove(0);
        assert_eq!(result["verified"], "match", "{size}");
        assert_eq!(
            result["checksum"],
            multipart_etag(&bytes, 5 * MIB).as_str(),
            "{size}"
        );
        assert_eq!(
            server.object(&format!("stdin/{size}")).as_deref(),
            Some(&bytes[..]),
            "{size}"
        );
    }
}

/// The byte counts `{done}/{total}` drawn on the progress bar's lines.
fn drawn_counts(lines: &[String], total: &str) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l.starts_with("uploading ") || l.contains(" files ["))
        .filter_map(|l| {
            let (before, _) = l.split_once(&format!("/{total} "))?;
            Some(before.rsplit("] ").next()?.to_owned())
        })
        .collect()
}

#[test]
fn progress_moves_with_the_bytes_before_a_part_is_stored() {
    let server = Server::start_with_receive_buffer(64 * 1024);
    let home = TempDir::new("upload-progress");
    let bytes = data(20 * MIB, 31);
    let file = home.join("big.bin");
    std::fs::write(&file, &bytes).unwrap();
    // The storage takes in 4 MiB/s, and stores no part until released.
    server
        .gates
        .receive_parts_per_second
        .store(4 * MIB as u64, std::sync::atomic::Ordering::SeqCst);
    server
        .gates
        .hold_parts_from
        .store(1, std::sync::atomic::Ordering::SeqCst);
    let terminal = OnTerminal::spawn(
        server
            .command(&home)
            .args(["upload", "--part-size", "10MiB", "-c", "1"])
            .arg(&file)
            .arg("lakefs://example-repo/main/big.bin"),
    );
    // Before any part is stored, the bar shows bytes on their way, more and more of them.
    wait_until("the bar to show bytes moving", || {
        let counts = drawn_counts(&terminal.lines(), "20 MiB");
        let mut moving: Vec<&String> = counts.iter().filter(|c| *c != "0 B").collect();
        moving.dedup();
        moving.len() >= 3
    });
    assert_eq!(
        server
            .gates
            .parts_received
            .load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no part was received in full yet"
    );
    server.release();
    let (code, _, _) = terminal.wait();
    assert_eq!(code, 0);
    assert_eq!(server.object("big.bin").unwrap(), bytes);
}

#[test]
fn a_directory_upload_shows_a_line_for_each_big_file_in_flight_five_at_most() {
    let server = Server::start();
    let home = TempDir::new("upload-progress-dir");
    let root = home.join("tree");
    std::fs::create_dir_all(&root).unwrap();
    for i in 0..7 {
        std::fs::write(root.join(format!("big-{i}.bin")), data(6 * MIB, 40 + i)).unwrap();
    }
    for i in 0..3 {
        std::fs::write(root.join(format!("small-{i}.txt")), data(1000, 50 + i)).unwrap();
    }
    // Nothing is stored until released: every file stays in flight.
    server
        .gates
        .hold_parts_from
        .store(1, std::sync::atomic::Ordering::SeqCst);
    let terminal = OnTerminal::spawn(
        server
            .command(&home)
            .args(["upload", "-r", "--part-size", "5MiB", "-c", "10"])
            .arg(&root)
            .arg("lakefs://example-repo/main/tree/"),
    );
    let shown = |terminal: &OnTerminal| -> std::collections::BTreeMap<String, String> {
        terminal
            .lines()
            .iter()
            .filter_map(|l| {
                let (name, rest) = l.split_once(" [")?;
                let name = name.rsplit('/').next()?.to_owned();
                let done = rest.split_once("] ")?.1.split('/').next()?.to_owned();
                name.starts_with("big-").then_some((name, done))
            })
            .collect()
    };
    wait_until("five files with bytes on their way", || {
        let lines = shown(&terminal);
        lines.len() == 5 && lines.values().all(|done| done != "0 B")
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    let lines = shown(&terminal);
    assert_eq!(lines.len(), 5, "five lines at most: {lines:?}");
    assert!(
        !terminal.lines().iter().any(|l| l.contains("small-")),
        "a small file gets no line"
    );
    assert!(
        terminal
            .lines()
            .iter()
            .any(|l| l.starts_with("0/10 files [") && l.contains("/42.0 MiB")),
        "{:#?}",
        terminal.lines()
    );
    server.release();
    let (code, _, _) = terminal.wait();
    assert_eq!(code, 0);
    assert_eq!(server.emulator.open_uploads(), 0);
}

#[test]
fn summaries_give_rates_in_the_units_of_sizes() {
    let server = Server::start();
    let home = TempDir::new("upload-units");
    let root = home.join("tree");
    std::fs::create_dir_all(&root).unwrap();
    for i in 0..3 {
        std::fs::write(root.join(format!("f{i}.bin")), data(300_000, 60 + i)).unwrap();
    }
    let output = run(server
        .command(&home)
        .args(["upload", "-r"])
        .arg(&root)
        .arg("lakefs://example-repo/main/units/"));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let summary = stderr(&output);
    assert!(
        summary.contains("uploaded 3 of 3 files (878.9 KiB) in "),
        "{summary}"
    );
    assert!(
        summary.contains("iB/s, ") || summary.contains(" B/s, "),
        "{summary}"
    );
    assert!(!summary.contains("MB/s"), "{summary}");
    let output = run(server
        .command(&home)
        .args(["download", "-r", "lakefs://example-repo/main/units/"])
        .arg(home.join("back")));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let summary = stderr(&output);
    assert!(
        summary.contains("downloaded 3 of 3 files (878.9 KiB) in "),
        "{summary}"
    );
    assert!(
        summary.contains("iB/s)") || summary.contains(" B/s)"),
        "{summary}"
    );
    assert!(!summary.contains("MB/s"), "{summary}");
}
