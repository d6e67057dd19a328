//! `download`, `download -r` and `cat`, run as a person runs them: the bytes on disk or on
//! standard output, the lines printed, the exit codes; Ctrl-C and the resume; an S3 backend.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use lakefs_emulator::{DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};

use crate::common::*;
use crate::workflow_process::{serve, serve_with};

const MIB: usize = 1024 * 1024;

/// No Rust `Debug` output anywhere.
fn assert_no_debug(text: &str) {
    for debug in ["{ kind:", "Error {", "Some(", "Err(", "kind:"] {
        assert!(
            !text.contains(debug),
            "looks like Debug ({debug:?}):\n{text}"
        );
    }
}

/// The binary against the emulator process at `url`.
fn against(home: &TempDir, url: &str) -> Command {
    let mut command = lakefs(home);
    command
        .env("LAKECTL_SERVER_ENDPOINT_URL", url)
        .env("LAKECTL_CREDENTIALS_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID)
        .env(
            "LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY",
            DEFAULT_SECRET_ACCESS_KEY,
        );
    command
}

fn ok(command: &mut Command) -> (String, String) {
    let output = run(command);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_no_debug(&stderr(&output));
    (stdout(&output), stderr(&output))
}

/// The checkpoint beside `destination`.
fn checkpoint_of(destination: &Path) -> PathBuf {
    let name = destination.file_name().unwrap().to_str().unwrap();
    destination.with_file_name(format!(".{name}.lakefs-download.json"))
}

fn partial_of(destination: &Path) -> PathBuf {
    let name = destination.file_name().unwrap().to_str().unwrap();
    destination.with_file_name(format!(".{name}.lakefs-download"))
}

#[test]
fn a_multipart_object_downloads_from_the_emulator_process_verified() {
    let home = TempDir::new("download-process");
    let (_served, url) = serve(&home);
    let big = data(20 * MIB + 11, 21);
    let small = data(1000, 22);
    std::fs::write(home.join("big.bin"), &big).unwrap();
    std::fs::write(home.join("small.bin"), &small).unwrap();
    for name in ["big.bin", "small.bin"] {
        ok(against(&home, &url)
            .arg("upload")
            .arg(home.join(name))
            .arg(format!("lakefs://example-repo/main/data/{name}")));
    }
    let out = home.join("out");
    std::fs::create_dir_all(&out).unwrap();

    // Into an existing directory: the object's name inside it.
    let (text, _) = ok(against(&home, &url)
        .args(["download", "lakefs://example-repo/main/data/big.bin"])
        .arg(&out));
    assert_eq!(std::fs::read(out.join("big.bin")).unwrap(), big);
    assert!(
        text.starts_with(&format!(
            "downloaded lakefs://example-repo/main/data/big.bin -> {} (20.0 MiB, ",
            out.join("big.bin").display()
        )),
        "{text}"
    );
    assert!(
        text.contains("multipart ETag verified (3 parts of 8 MiB))"),
        "{text}"
    );
    assert!(!partial_of(&out.join("big.bin")).exists());
    assert!(!checkpoint_of(&out.join("big.bin")).exists());

    // --json: a line when it starts, one when it ends, with what the check proved.
    let (json, _) = ok(against(&home, &url)
        .args([
            "--json",
            "download",
            "lakefs://example-repo/main/data/small.bin",
        ])
        .arg(out.join("renamed.bin")));
    assert_eq!(std::fs::read(out.join("renamed.bin")).unwrap(), small);
    let lines = json_lines(&json);
    assert_eq!(lines.len(), 2, "{json}");
    assert_eq!(lines[0]["event"], "started");
    assert_eq!(lines[0]["bytes"], 1000);
    assert_eq!(lines[0]["resumed_bytes"], 0);
    assert_eq!(lines[1]["event"], "finished");
    assert_eq!(lines[1]["status"], "downloaded");
    assert_eq!(lines[1]["verified"], true);
    assert_eq!(lines[1]["verification"]["kind"], "multipart_etag");
    assert_eq!(lines[1]["verification"]["layout"]["parts"], 1);
    assert_eq!(
        lines[1]["destination"],
        out.join("renamed.bin").display().to_string()
    );
}

#[test]
fn a_single_part_object_is_proven_by_its_md5_and_an_existing_file_is_left_alone() {
    let server = Server::start();
    let home = TempDir::new("download-md5");
    let bytes = data(300_000, 31);
    server
        .emulator
        .put_object(REPO, "main", "docs/report.pdf", Bytes::from(bytes.clone()));
    let dest = home.join("report.pdf");
    let uri = "lakefs://example-repo/main/docs/report.pdf";

    let output = run(server.command(&home).args(["download", uri]).arg(&dest));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(std::fs::read(&dest).unwrap(), bytes);
    assert!(
        stdout(&output).contains("MD5 verified"),
        "{}",
        stdout(&output)
    );

    // Identical already: skipped as unchanged, no byte read.
    server.clear_requests();
    let output = run(server.command(&home).args(["download", uri]).arg(&dest));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        stdout(&output).contains("(unchanged, 293.0 KiB)"),
        "{}",
        stdout(&output)
    );
    assert_eq!(server.reads(), 0, "{:?}", server.requests());

    // Another file there: a usage error naming it, nothing read, the file untouched.
    std::fs::write(&dest, b"my own notes").unwrap();
    server.clear_requests();
    let output = run(server.command(&home).args(["download", uri]).arg(&dest));
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.starts_with(&format!("error: {} exists", dest.display())),
        "{text}"
    );
    assert!(text.contains("--force"), "{text}");
    assert_no_debug(&text);
    assert_eq!(server.reads(), 0, "{:?}", server.requests());
    assert_eq!(std::fs::read(&dest).unwrap(), b"my own notes");

    // --force overwrites it; --json says it was an MD5.
    let output = run(server
        .command(&home)
        .args(["--json", "download", "--force", uri])
        .arg(&dest));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(std::fs::read(&dest).unwrap(), bytes);
    let lines = json_lines(&stdout(&output));
    assert_eq!(lines.last().unwrap()["verification"]["kind"], "md5");
}

#[test]
fn a_prefix_downloads_recursively_and_a_second_run_skips_everything() {
    let server = Server::start();
    let home = TempDir::new("download-r");
    let files = [
        ("tree/a.txt", data(10, 41)),
        ("tree/x/b.bin", data(3 * MIB + 5, 42)),
        ("tree/x/y/c.csv", data(70_000, 43)),
        ("tree/x/y/empty", Vec::new()),
    ];
    for (path, bytes) in &files {
        server
            .emulator
            .put_object(REPO, "main", path, Bytes::from(bytes.clone()));
    }
    server
        .emulator
        .put_object(REPO, "main", "elsewhere.txt", Bytes::from_static(b"no"));
    let out = home.join("out");
    let output = run(server
        .command(&home)
        .args([
            "download",
            "-r",
            "lakefs://example-repo/main/tree/",
            "-c",
            "4",
        ])
        .arg(&out));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    for (path, bytes) in &files {
        let local = out.join(path.strip_prefix("tree/").unwrap());
        assert_eq!(&std::fs::read(&local).unwrap(), bytes, "{path}");
    }
    assert!(!out.join("elsewhere.txt").exists());
    let text = stderr(&output);
    assert!(text.contains("downloaded 4 of 4 files"), "{text}");

    server.clear_requests();
    let output = run(server
        .command(&home)
        .args(["download", "-r", "lakefs://example-repo/main/tree"])
        .arg(&out));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("4 unchanged, skipped"), "{text}");
    assert_eq!(server.reads(), 0, "{:?}", server.requests());
    assert_eq!(stdout(&output).matches("(unchanged,").count(), 4);

    // --json: one line per file and a summary.
    let output = run(server
        .command(&home)
        .args([
            "--json",
            "download",
            "-r",
            "lakefs://example-repo/main/tree/",
        ])
        .arg(&out)
        .args(["--exclude", "**/*.csv"]));
    let lines = json_lines(&stdout(&output));
    let summary = &lines.last().unwrap()["summary"];
    assert_eq!(summary["unchanged"], 3, "{lines:?}");
    assert_eq!(summary["excluded"], 1, "{lines:?}");
    assert_eq!(summary["failed"], 0, "{lines:?}");
}

#[test]
fn an_object_path_that_would_leave_the_directory_is_refused_by_name() {
    let server = Server::start();
    let home = TempDir::new("download-escape");
    server
        .emulator
        .put_object(REPO, "main", "t/ok.txt", Bytes::from_static(b"ok"));
    server
        .emulator
        .put_object(REPO, "main", "t/a/../../evil.txt", Bytes::from_static(b"x"));
    let out = home.join("deep").join("out");
    let output = run(server
        .command(&home)
        .args(["download", "-r", "lakefs://example-repo/main/t/"])
        .arg(&out));
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.contains(
            "refused lakefs://example-repo/main/t/a/../../evil.txt: it has a `..` segment"
        ),
        "{text}"
    );
    assert!(text.contains("1 failed"), "{text}");
    assert_no_debug(&text);
    assert_eq!(std::fs::read(out.join("ok.txt")).unwrap(), b"ok");
    assert!(!home.join("deep").join("evil.txt").exists());
    assert!(!home.join("evil.txt").exists());
}

#[test]
fn cat_writes_the_bytes_in_order_and_a_closed_pipe_ends_it_quietly() {
    let server = Server::start();
    let home = TempDir::new("cat");
    let bytes = data(20 * MIB + 3, 51);
    server
        .emulator
        .put_object(REPO, "main", "logs/big.log", Bytes::from(bytes.clone()));
    let uri = "lakefs://example-repo/main/logs/big.log";
    let output = run(server
        .command(&home)
        .args(["cat", uri, "--part-size", "1MiB", "-c", "4"]));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(output.stdout == bytes, "{} bytes", output.stdout.len());
    assert_eq!(stderr(&output), "");

    // `| head -c 10`: the reader goes away; exit 0, nothing on stderr.
    let errors = home.join("stderr.txt");
    let script = format!(
        "'{BIN}' cat '{uri}' --part-size 1MiB 2>'{}' | head -c 10 | wc -c; echo \"status ${{PIPESTATUS[0]}}\"",
        errors.display()
    );
    let mut shell = Command::new("bash");
    shell.args(["-c", &script]);
    for (key, value) in server.command(&home).get_envs() {
        match value {
            Some(value) => shell.env(key, value),
            None => shell.env_remove(key),
        };
    }
    let output = run(&mut shell);
    let text = stdout(&output);
    assert!(text.contains("10\nstatus 0"), "{text}");
    let errors = std::fs::read_to_string(&errors).unwrap();
    assert!(!errors.contains("panicked"), "{errors}");
    assert_eq!(errors, "", "quiet");
}

#[test]
fn sigint_keeps_the_partial_file_and_the_same_command_resumes() {
    let server = Server::start();
    let home = TempDir::new("download-sigint");
    let bytes = data(4 * MIB + 17, 61);
    server
        .emulator
        .put_object(REPO, "main", "slow.bin", Bytes::from(bytes.clone()));
    server.gates.delay_reads_ms.store(40, Ordering::SeqCst);
    let dest = home.join("slow.bin");
    let args = [
        "download",
        "lakefs://example-repo/main/slow.bin",
        "--concurrency",
        "1",
        "--part-size",
        "64KiB",
    ];
    let child = server
        .command(&home)
        .args(args)
        .arg(&dest)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A checkpoint is written once a second: wait for the first.
    wait_until("a checkpoint", || checkpoint_of(&dest).exists());
    interrupt(child.id());
    let output = child.wait_with_output().unwrap();
    assert_eq!(code(&output), 130, "{}", stderr(&output));
    let text = stderr(&output);
    assert_no_debug(&text);
    let line = text
        .lines()
        .find(|l| l.starts_with("interrupted; run the same command again to resume ("))
        .unwrap_or_else(|| panic!("no resume hint:\n{text}"));
    let kept: u64 = line
        .split_once('(')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(
        line.ends_with(&format!("of {} bytes kept)", bytes.len())),
        "{line}"
    );
    assert!(kept > 0 && kept < bytes.len() as u64, "{line}");
    assert!(!dest.exists(), "no file that looks complete");
    assert!(partial_of(&dest).exists());
    assert!(checkpoint_of(&dest).exists());

    // The same command again: only what is missing is read.
    server.gates.delay_reads_ms.store(0, Ordering::SeqCst);
    server.clear_requests();
    let output = run(server.command(&home).arg("--json").args(args).arg(&dest));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(std::fs::read(&dest).unwrap(), bytes);
    let lines = json_lines(&stdout(&output));
    let resumed = lines[0]["resumed_bytes"].as_u64().unwrap();
    assert!(resumed >= kept, "{lines:?}");
    assert_eq!(lines[1]["resumed_bytes"], resumed);
    assert_eq!(lines[1]["verified"], true, "{lines:?}");
    let parts = (bytes.len() as u64).div_ceil(64 * 1024);
    assert_eq!(
        server.reads() as u64,
        parts - resumed / (64 * 1024),
        "only the missing parts"
    );
    assert!(!partial_of(&dest).exists());
    assert!(!checkpoint_of(&dest).exists());

    // In text, the success line says so.
    std::fs::remove_file(&dest).unwrap();
    server.gates.delay_reads_ms.store(40, Ordering::SeqCst);
    let child = server
        .command(&home)
        .args(args)
        .arg(&dest)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("a checkpoint", || checkpoint_of(&dest).exists());
    interrupt(child.id());
    assert_eq!(code(&child.wait_with_output().unwrap()), 130);
    server.gates.delay_reads_ms.store(0, Ordering::SeqCst);
    let output = run(server.command(&home).args(args).arg(&dest));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        stdout(&output).contains(" kept from an earlier run)"),
        "{}",
        stdout(&output)
    );
    assert_eq!(std::fs::read(&dest).unwrap(), bytes);

    // --no-resume starts over (and says nothing of a resume).
    std::fs::remove_file(&dest).unwrap();
    server.gates.delay_reads_ms.store(40, Ordering::SeqCst);
    let child = server
        .command(&home)
        .args(args)
        .arg(&dest)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("a checkpoint", || checkpoint_of(&dest).exists());
    interrupt(child.id());
    assert_eq!(code(&child.wait_with_output().unwrap()), 130);
    server.gates.delay_reads_ms.store(0, Ordering::SeqCst);
    let output = run(server
        .command(&home)
        .arg("--json")
        .args(args)
        .arg("--no-resume")
        .arg(&dest));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(json_lines(&stdout(&output))[1]["resumed_bytes"], 0);
    assert_eq!(std::fs::read(&dest).unwrap(), bytes);
}

#[test]
fn an_unknown_object_is_one_short_line() {
    let server = Server::start();
    let home = TempDir::new("download-missing");
    for command in ["download", "cat"] {
        let output = run(server
            .command(&home)
            .args([command, "lakefs://example-repo/main/no/such.bin"])
            .current_dir(home.path()));
        assert_eq!(code(&output), 1, "{command}: {}", stderr(&output));
        let text = stderr(&output);
        assert_eq!(
            text.trim_end(),
            "error: cannot download lakefs://example-repo/main/no/such.bin: not found (404)",
            "{command}"
        );
        assert!(stdout(&output).is_empty());
    }
    assert!(!home.join("such.bin").exists());
    // A prefix is not an object.
    let output = run(server
        .command(&home)
        .args(["download", "lakefs://example-repo/main/no/"]));
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("download -r"),
        "{}",
        stderr(&output)
    );
    // An out-of-range part size is refused before anything is sent.
    let output = run(server.command(&home).args([
        "download",
        "lakefs://example-repo/main/x",
        "--part-size",
        "1KiB",
    ]));
    assert_eq!(code(&output), 2);
    assert_no_debug(&stderr(&output));
}

/// s3s-fs: `S3S_FS_BIN`, on `PATH`, or where `.ci/run` installs it.
fn s3s_fs() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("S3S_FS_BIN") {
        return Some(PathBuf::from(path));
    }
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("s3s-fs"))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let home = std::env::var_os("HOME")?;
        let cached = Path::new(&home).join(".cache/lakefs-rs-ci-tools/bin/s3s-fs");
        cached.is_file().then_some(cached)
    })
}

/// A process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_emulator_keeps_objects_on_s3_and_downloads_read_them_there() {
    let Some(binary) = s3s_fs() else {
        assert!(
            std::env::var("LAKEFS_REQUIRE_S3").map_or(true, |v| v != "1"),
            "LAKEFS_REQUIRE_S3=1 but no s3s-fs binary"
        );
        eprintln!("SKIPPED: s3s-fs is not installed");
        return;
    };
    let home = TempDir::new("download-s3");
    let root = home.join("s3");
    std::fs::create_dir_all(&root).unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let secret = "s3-secret-never-printed-0123456789";
    let _s3 = Killed(
        Command::new(&binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", "s3-key", "--secret-key", secret])
            .arg(&root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "s3s-fs did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    let endpoint = format!("http://127.0.0.1:{port}");
    let (_served, url) = serve_with(
        &home,
        &[
            "--s3-endpoint",
            &endpoint,
            "--s3-bucket",
            "bench",
            "--s3-access-key-id",
            "s3-key",
        ],
        &[("LAKEFS_EMULATOR_S3_SECRET_ACCESS_KEY", secret)],
    );
    let bytes = data(17 * MIB + 3, 71);
    std::fs::write(home.join("obj.bin"), &bytes).unwrap();
    ok(against(&home, &url)
        .arg("upload")
        .arg(home.join("obj.bin"))
        .arg("lakefs://example-repo/main/on-s3/obj.bin"));
    // The object's bytes are in the bucket's directory on the S3 server.
    let on_disk: u64 = walk(&root.join("bench"));
    assert!(
        on_disk >= bytes.len() as u64,
        "{on_disk} bytes under the bucket"
    );
    let dest = home.join("back.bin");
    let (text, _) = ok(against(&home, &url)
        .args(["download", "lakefs://example-repo/main/on-s3/obj.bin"])
        .arg(&dest));
    assert_eq!(std::fs::read(&dest).unwrap(), bytes);
    assert!(text.contains("verified"), "{text}");
    let (json, _) = ok(against(&home, &url).args([
        "--json",
        "stat",
        "lakefs://example-repo/main/on-s3/obj.bin",
    ]));
    assert!(!json.contains(secret));

    // The emulator's first line names the bucket, never the secret.
    let mut child = lakefs(&home)
        .args(["emulator", "--port", "0", "--s3-endpoint", &endpoint])
        .args(["--s3-bucket", "bench", "--s3-access-key-id", "s3-key"])
        .env("LAKEFS_EMULATOR_S3_SECRET_ACCESS_KEY", secret)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let _child = Killed(child);
    assert!(first.contains("bucket bench"), "{first}");
    assert!(!first.contains(secret), "{first}");
}

/// The bytes of the files below `dir`.
fn walk(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() {
                        walk(&path)
                    } else {
                        e.metadata().map(|m| m.len()).unwrap_or(0)
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}
