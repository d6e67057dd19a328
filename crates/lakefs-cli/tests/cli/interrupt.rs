//! Ctrl-C (SIGINT): the upload is aborted — nothing stays open on lakeFS — or, with a
//! checkpoint, kept and finished by the printed resume command; a second Ctrl-C exits at once.

use std::process::{Child, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::common::*;

const MIB: usize = 1024 * 1024;

fn spawn(command: &mut std::process::Command) -> Child {
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn held(server: &Server) -> u32 {
    server.gates.held.load(Ordering::SeqCst)
}

/// The command after `marker` on a line of `text`, with the binary's real path.
fn printed_command(text: &str, marker: &str) -> Vec<String> {
    let line = text
        .lines()
        .find_map(|l| l.split_once(marker).map(|(_, c)| c.to_owned()))
        .unwrap_or_else(|| panic!("no {marker:?} in:\n{text}"));
    let mut words = shell_words(&line);
    assert_eq!(words[0], "lakefs-cli");
    words.remove(0);
    words
}

#[test]
fn sigint_aborts_the_upload() {
    let server = Server::start();
    let home = TempDir::new("sigint-abort");
    let file = home.join("big.bin");
    std::fs::write(&file, data(15 * MIB + 1, 5)).unwrap();
    server.gates.hold_parts_from.store(2, Ordering::SeqCst);
    let child = spawn(
        server
            .command(&home)
            .args(["upload", "--part-size", "5MiB", "-c", "1"])
            .arg(&file)
            .arg("lakefs://example-repo/main/big.bin"),
    );
    wait_until("part 2 to be held", || held(&server) >= 1);
    assert_eq!(server.emulator.open_uploads(), 1);
    interrupt(child.id());
    let output = child.wait_with_output().unwrap();
    assert_eq!(code(&output), 130, "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("interrupted"), "{text}");
    assert!(text.contains("aborted on lakeFS"), "{text}");
    assert_eq!(server.emulator.open_uploads(), 0);
    assert!(server.object("big.bin").is_none());
    server.release();
}

#[test]
fn sigint_keeps_a_checkpointed_upload_and_the_printed_command_resumes_it() {
    let server = Server::start();
    let home = TempDir::new("sigint-resume");
    let bytes = data(15 * MIB + 1, 6);
    let file = home.join("big file.bin");
    std::fs::write(&file, &bytes).unwrap();
    server.gates.hold_parts_from.store(3, Ordering::SeqCst);
    let child = spawn(
        server
            .command(&home)
            .args(["upload", "--checkpoint", "--part-size", "5MiB", "-c", "1"])
            .arg(&file)
            .arg("lakefs://example-repo/main/resumed.bin"),
    );
    wait_until("part 3 to be held", || held(&server) >= 1);
    interrupt(child.id());
    let output = child.wait_with_output().unwrap();
    assert_eq!(code(&output), 130, "{}", stderr(&output));
    assert_eq!(server.emulator.open_uploads(), 1, "kept for the resume");
    let words = printed_command(&stderr(&output), "resume it with: ");
    assert!(words.contains(&"--resume".to_owned()), "{words:?}");
    // The checkpoint is in the state directory and says what is stored.
    let checkpoint = words[words.iter().position(|w| w == "--resume").unwrap() + 1].clone();
    assert!(
        checkpoint.starts_with(home.join("state/uploads").to_str().unwrap()),
        "{checkpoint}"
    );
    let shown = run(server
        .command(&home)
        .args(["--json", "checkpoint", "show", &checkpoint]));
    assert_eq!(code(&shown), 0, "{}", stderr(&shown));
    let facts = json_lines(&stdout(&shown)).remove(0);
    assert_eq!(
        facts["destination"],
        "lakefs://example-repo/main/resumed.bin"
    );
    assert_eq!(facts["parts_done"], 2);
    assert_eq!(facts["parts_total"], 4);
    server.release();
    let resumed = run(server.command(&home).arg("--json").args(&words));
    assert_eq!(code(&resumed), 0, "{}", stderr(&resumed));
    let result = json_lines(&stdout(&resumed)).remove(0);
    assert_eq!(result["resumed"], true);
    assert_eq!(server.object("resumed.bin").unwrap(), bytes);
    assert_eq!(server.emulator.open_uploads(), 0);
    assert!(
        !std::path::Path::new(&checkpoint).exists(),
        "the checkpoint is removed"
    );
}

#[test]
fn a_second_sigint_exits_at_once() {
    let server = Server::start();
    let home = TempDir::new("sigint-twice");
    let file = home.join("big.bin");
    std::fs::write(&file, data(10 * MIB + 1, 7)).unwrap();
    server.gates.hold_parts_from.store(1, Ordering::SeqCst);
    server.gates.hold_aborts.store(true, Ordering::SeqCst);
    let child = spawn(
        server
            .command(&home)
            .args(["upload", "--part-size", "5MiB", "-c", "1"])
            .arg(&file)
            .arg("lakefs://example-repo/main/twice.bin"),
    );
    wait_until("part 1 to be held", || held(&server) >= 1);
    interrupt(child.id());
    wait_until("the abort to be held", || held(&server) >= 2);
    let started = Instant::now();
    interrupt(child.id());
    let output = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(code(&output), 130, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("exiting at once"),
        "{}",
        stderr(&output)
    );
    server.release();
}

fn make_tree(home: &TempDir, count: usize) -> (std::path::PathBuf, Vec<Vec<u8>>) {
    let root = home.join("tree");
    let mut contents = Vec::new();
    for i in 0..count {
        let path = root.join(format!("d{}/f{i}.bin", i % 2));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let bytes = data(1000 + i, 100 + i as u64);
        std::fs::write(path, &bytes).unwrap();
        contents.push(bytes);
    }
    (root, contents)
}

#[test]
fn sigint_during_a_directory_upload_leaves_nothing_open() {
    let server = Server::start();
    let home = TempDir::new("sigint-dir");
    let (root, _) = make_tree(&home, 6);
    server.gates.hold_parts_from.store(1, Ordering::SeqCst);
    let child = spawn(
        server
            .command(&home)
            .args(["upload", "-r", "-c", "2"])
            .arg(&root)
            .arg("lakefs://example-repo/main/tree/"),
    );
    wait_until("two parts to be held", || held(&server) >= 2);
    interrupt(child.id());
    let output = child.wait_with_output().unwrap();
    assert_eq!(code(&output), 130, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("not started"),
        "{}",
        stderr(&output)
    );
    assert_eq!(server.emulator.open_uploads(), 0);
    server.release();
}

#[test]
fn an_interrupted_directory_upload_resumes_from_its_journal() {
    let server = Server::start();
    let home = TempDir::new("sigint-dir-resume");
    let (root, contents) = make_tree(&home, 6);
    server.gates.hold_parts_from.store(1, Ordering::SeqCst);
    let child = spawn(
        server
            .command(&home)
            .args(["upload", "-r", "-c", "2", "--checkpoint"])
            .arg(&root)
            .arg("lakefs://example-repo/main/tree"),
    );
    wait_until("two parts to be held", || held(&server) >= 2);
    interrupt(child.id());
    let output = child.wait_with_output().unwrap();
    assert_eq!(code(&output), 130, "{}", stderr(&output));
    let words = printed_command(&stderr(&output), "resume with: ");
    server.release();
    let resumed = run(server.command(&home).args(&words));
    assert_eq!(code(&resumed), 0, "{}", stderr(&resumed));
    for (i, bytes) in contents.iter().enumerate() {
        assert_eq!(
            server
                .object(&format!("tree/d{}/f{i}.bin", i % 2))
                .as_deref(),
            Some(&bytes[..]),
            "file {i}"
        );
    }
    assert_eq!(server.emulator.open_uploads(), 0);
    let left: Vec<_> = std::fs::read_dir(home.join("state/uploads"))
        .unwrap()
        .collect();
    assert!(
        left.is_empty(),
        "checkpoints and journal are removed: {left:?}"
    );
}

#[test]
fn resuming_an_interrupted_directory_upload_keeps_its_content_type_and_metadata() {
    let server = Server::start();
    let home = TempDir::new("sigint-dir-options");
    let root = home.join("tree");
    // In order, one file at a time: a.txt is uploaded, b.bin stops at its part 2 (part 1
    // stored, kept in its checkpoint), c/d.txt and e.empty are not started.
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("a.txt", b"first\n".to_vec()),
        ("b.bin", data(11 * MIB + 5, 8)),
        ("c/d.txt", data(16_047, 9)),
        ("e.empty", Vec::new()),
    ];
    for (name, bytes) in &files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    server.gates.hold_parts_from.store(2, Ordering::SeqCst);
    let child = spawn(
        server
            .command(&home)
            .args([
                "upload",
                "-r",
                "-c",
                "1",
                "--part-size",
                "5MiB",
                "--checkpoint",
            ])
            .args(["--content-type", "application/x-test"])
            .args(["-m", "owner=etl", "--metadata", "run=7"])
            .arg(&root)
            .arg("lakefs://example-repo/main/tree"),
    );
    wait_until("part 2 of b.bin to be held", || held(&server) >= 1);
    interrupt(child.id());
    let output = child.wait_with_output().unwrap();
    assert_eq!(code(&output), 130, "{}", stderr(&output));
    assert!(server.object("tree/a.txt").is_some(), "{}", stderr(&output));
    assert!(server.object("tree/c/d.txt").is_none());
    assert_eq!(server.emulator.open_uploads(), 1, "b.bin is kept");
    let words = printed_command(&stderr(&output), "resume with: ");
    server.release();
    let resumed = run(server.command(&home).arg("--json").args(&words));
    assert_eq!(code(&resumed), 0, "{}", stderr(&resumed));
    let mut results = json_lines(&stdout(&resumed));
    let summary = results.pop().unwrap();
    assert_eq!(summary["summary"]["already_uploaded"], 1, "{summary}");
    assert_eq!(results.len(), 3, "{results:?}");
    let b = results
        .iter()
        .find(|r| r["destination"] == "lakefs://example-repo/main/tree/b.bin")
        .unwrap();
    assert_eq!(b["resumed"], true, "b.bin resumed from its checkpoint");
    for (name, bytes) in &files {
        let path = format!("tree/{name}");
        assert_eq!(server.object(&path).as_deref(), Some(&bytes[..]), "{name}");
        let stats = server.emulator.object_stats(REPO, "main", &path).unwrap();
        assert_eq!(
            stats.content_type.as_deref(),
            Some("application/x-test"),
            "{name}"
        );
        let metadata = stats.metadata.unwrap_or_default();
        assert_eq!(
            metadata.get("owner").map(String::as_str),
            Some("etl"),
            "{name}"
        );
        assert_eq!(metadata.get("run").map(String::as_str), Some("7"), "{name}");
    }
    assert_eq!(server.emulator.open_uploads(), 0);
    // The command named the part size of the files still to upload; the journal, the rest.
    let at = words.iter().position(|w| w == "--part-size");
    assert_eq!(
        at.map(|at| words[at + 1].as_str()),
        Some("5MiB"),
        "{words:?}"
    );
    // Other options than the journal's are refused, not silently dropped or mixed in. (A
    // server of its own: a request held before may never be counted out.)
    let server = Server::start();
    server.gates.hold_parts_from.store(1, Ordering::SeqCst);
    let child = spawn(
        server
            .command(&home)
            .args(["upload", "-r", "-c", "1", "--checkpoint", "-m", "owner=etl"])
            .arg(&root)
            .arg("lakefs://example-repo/main/again"),
    );
    wait_until("a part to be held", || held(&server) >= 1);
    interrupt(child.id());
    let output = child.wait_with_output().unwrap();
    assert_eq!(code(&output), 130, "{}", stderr(&output));
    let mut words = printed_command(&stderr(&output), "resume with: ");
    server.release();
    words.extend(["--content-type".to_owned(), "text/plain".to_owned()]);
    let refused = run(server.command(&home).args(&words));
    assert_eq!(code(&refused), 2, "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("the journal records no content type and metadata owner=etl"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn verify_checks_resumed_uploads_of_one_part_and_of_several() {
    let home = TempDir::new("sigint-verify");
    // A file smaller than S3's smallest part held at its only part; a larger one at part 2.
    for (name, size, hold_from) in [("small.bin", 16_047, 1), ("big.bin", 11 * MIB + 5, 2)] {
        let server = Server::start();
        let bytes = data(size, 10);
        let file = home.join(name);
        std::fs::write(&file, &bytes).unwrap();
        server
            .gates
            .hold_parts_from
            .store(hold_from, Ordering::SeqCst);
        let child = spawn(
            server
                .command(&home)
                .args(["upload", "--checkpoint", "--verify", "--part-size", "5MiB"])
                .args(["-c", "1"])
                .arg(&file)
                .arg(format!("lakefs://example-repo/main/{name}")),
        );
        wait_until("a part to be held", || held(&server) >= 1);
        interrupt(child.id());
        let output = child.wait_with_output().unwrap();
        assert_eq!(code(&output), 130, "{name}: {}", stderr(&output));
        let words = printed_command(&stderr(&output), "resume it with: ");
        assert!(words.contains(&"--verify".to_owned()), "{words:?}");
        server.release();
        let resumed = run(server.command(&home).arg("--json").args(&words));
        assert_eq!(code(&resumed), 0, "{name}: {}", stderr(&resumed));
        let result = json_lines(&stdout(&resumed)).remove(0);
        assert_eq!(result["resumed"], true, "{name}");
        assert_eq!(result["verified"], "match", "{name}");
        assert_eq!(server.object(name).as_deref(), Some(&bytes[..]), "{name}");
    }
}

#[test]
fn a_file_checkpoint_with_other_content_type_or_metadata_is_started_over() {
    let server = Server::start();
    let home = TempDir::new("sigint-other-options");
    let root = home.join("tree");
    std::fs::create_dir_all(&root).unwrap();
    let bytes = data(16_047, 11);
    std::fs::write(root.join("b.bin"), &bytes).unwrap();
    // A checkpoint for tree/b.bin without content type or metadata…
    server.gates.hold_parts_from.store(1, Ordering::SeqCst);
    let child = spawn(
        server
            .command(&home)
            .args(["upload", "--checkpoint", "-c", "1"])
            .arg(root.join("b.bin"))
            .arg("lakefs://example-repo/main/tree/b.bin"),
    );
    wait_until("the part to be held", || held(&server) >= 1);
    interrupt(child.id());
    let output = child.wait_with_output().unwrap();
    assert_eq!(code(&output), 130, "{}", stderr(&output));
    assert_eq!(server.emulator.open_uploads(), 1);
    server.release();
    // …is not what a directory upload with them completes the object with.
    let output = run(server
        .command(&home)
        .args(["--json", "upload", "-r", "--checkpoint"])
        .args(["--content-type", "application/x-test", "-m", "owner=etl"])
        .arg(&root)
        .arg("lakefs://example-repo/main/tree"));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let result = json_lines(&stdout(&output)).remove(0);
    assert_eq!(result["resumed"], false, "{result}");
    assert_eq!(server.object("tree/b.bin").as_deref(), Some(&bytes[..]));
    let stats = server
        .emulator
        .object_stats(REPO, "main", "tree/b.bin")
        .unwrap();
    assert_eq!(stats.content_type.as_deref(), Some("application/x-test"));
    let metadata = stats.metadata.unwrap_or_default();
    assert_eq!(metadata.get("owner").map(String::as_str), Some("etl"));
    assert_eq!(
        server.emulator.open_uploads(),
        0,
        "the old upload is aborted"
    );
}

/// An upload of `file` to `dest` kept by Ctrl-C once two parts are stored: its checkpoint.
fn kept_upload(server: &Server, home: &TempDir, file: &std::path::Path, dest: &str) -> String {
    kept_upload_in_parts(server, home, file, dest, "5MiB")
}

/// As [`kept_upload`], with parts of `part_size`.
fn kept_upload_in_parts(
    server: &Server,
    home: &TempDir,
    file: &std::path::Path,
    dest: &str,
    part_size: &str,
) -> String {
    server.gates.hold_parts_from.store(3, Ordering::SeqCst);
    let child = spawn(
        server
            .command(home)
            .args([
                "upload",
                "--checkpoint",
                "--part-size",
                part_size,
                "-c",
                "1",
            ])
            .arg(file)
            .arg(dest),
    );
    wait_until("part 3 to be held", || held(server) >= 1);
    interrupt(child.id());
    let output = child.wait_with_output().unwrap();
    assert_eq!(code(&output), 130, "{}", stderr(&output));
    server.release();
    let words = printed_command(&stderr(&output), "resume it with: ");
    words[words.iter().position(|w| w == "--resume").unwrap() + 1].clone()
}

#[test]
fn a_resume_from_the_wrong_file_names_the_right_one_and_the_way_out() {
    let server = Server::start();
    let home = TempDir::new("resume-wrong-source");
    let file = home.join("big.bin");
    std::fs::write(&file, data(15 * MIB + 1, 8)).unwrap();
    let checkpoint = kept_upload(&server, &home, &file, "lakefs://example-repo/main/big.bin");
    let other = home.join("other.bin");
    std::fs::write(&other, data(3 * MIB, 9)).unwrap();
    let output = run(server
        .command(&home)
        .args(["upload", "--resume", &checkpoint])
        .arg(&other));
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let text = stderr(&output);
    // Not the failing command again…
    let advised = printed_command(&text, "resume it with ");
    assert!(
        !advised.iter().any(|w| w.contains("other.bin")),
        "{advised:?}\n{text}"
    );
    // …but the file it started from, and the way out.
    assert_eq!(advised.last().unwrap(), "FILE", "{text}");
    assert!(
        text.contains("is kept for the file it started from (15.0 MiB, modified 20"),
        "{text}"
    );
    assert!(
        text.contains(&format!("`lakefs-cli checkpoint abort {checkpoint}`")),
        "{text}"
    );
    // The advice works: the right file finishes the upload.
    let output = run(server
        .command(&home)
        .args(&advised[..advised.len() - 1])
        .arg(&file));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(server.emulator.open_uploads(), 0);
}

#[test]
fn a_checkpoint_whose_upload_lakefs_no_longer_has_is_not_a_dead_end() {
    let server = Server::start();
    let home = TempDir::new("resume-gone");
    let file = home.join("big.bin");
    std::fs::write(&file, data(15 * MIB + 1, 10)).unwrap();
    let checkpoint = kept_upload(&server, &home, &file, "lakefs://example-repo/main/big.bin");
    // lakeFS loses the upload (aborted elsewhere) while the checkpoint stays.
    let copy = home.join("copy.json");
    std::fs::copy(&checkpoint, &copy).unwrap();
    let aborted = run(server
        .command(&home)
        .args(["checkpoint", "abort", &checkpoint]));
    assert_eq!(code(&aborted), 0, "{}", stderr(&aborted));
    assert_eq!(server.emulator.open_uploads(), 0);
    std::fs::copy(&copy, &checkpoint).unwrap();

    // Resuming fails, and says how to get rid of the checkpoint.
    let output = run(server
        .command(&home)
        .args(["upload", "--resume", &checkpoint])
        .arg(&file));
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.contains(&format!(
            "`lakefs-cli checkpoint forget {checkpoint}` deletes it"
        )),
        "{text}"
    );
    // Aborting it counts as done: the checkpoint goes.
    let output = run(server
        .command(&home)
        .args(["checkpoint", "abort", &checkpoint]));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        stdout(&output).contains("was no longer on lakeFS"),
        "{}",
        stdout(&output)
    );
    assert!(!std::path::Path::new(&checkpoint).exists());
    let listed = run(server.command(&home).args(["checkpoint", "list"]));
    assert_eq!(stdout(&listed), "");

    // Forget deletes one without asking lakeFS, even when lakeFS cannot be reached.
    std::fs::copy(&copy, &checkpoint).unwrap();
    let output = run(lakefs(&home)
        .args(["--endpoint", "http://127.0.0.1:9", "--access-key-id", "k"])
        .args([
            "--secret-access-key",
            "s",
            "checkpoint",
            "abort",
            &checkpoint,
        ]));
    assert_eq!(code(&output), 1);
    let text = stderr(&output);
    assert!(
        text.contains(&format!("`lakefs-cli checkpoint forget {checkpoint}`")),
        "{text}"
    );
    assert!(std::path::Path::new(&checkpoint).exists());
    let output = run(lakefs(&home).args(["checkpoint", "forget", &checkpoint]));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(stdout(&output).contains("without asking lakeFS"));
    assert!(!std::path::Path::new(&checkpoint).exists());
    let listed = run(lakefs(&home).args(["checkpoint", "list"]));
    assert_eq!(stdout(&listed), "");
}

#[test]
fn a_directory_journal_can_be_forgotten() {
    let server = Server::start();
    let home = TempDir::new("forget-journal");
    let (root, _) = make_tree(&home, 3);
    server.gates.hold_parts_from.store(1, Ordering::SeqCst);
    let child = spawn(
        server
            .command(&home)
            .args(["upload", "-r", "-c", "1", "--checkpoint"])
            .arg(&root)
            .arg("lakefs://example-repo/main/tree/"),
    );
    wait_until("a part to be held", || held(&server) >= 1);
    interrupt(child.id());
    let output = child.wait_with_output().unwrap();
    assert_eq!(code(&output), 130, "{}", stderr(&output));
    server.release();
    let journal = printed_command(&stderr(&output), "resume with: ");
    let journal = journal[journal.iter().position(|w| w == "--resume").unwrap() + 1].clone();
    let output = run(server
        .command(&home)
        .args(["checkpoint", "abort", &journal]));
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains(&format!("`lakefs-cli checkpoint forget {journal}`")),
        "{}",
        stderr(&output)
    );
    let output = run(server
        .command(&home)
        .args(["checkpoint", "forget", &journal]));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(!std::path::Path::new(&journal).exists());
}

/// The rates `… MiB/s` drawn on a bar's lines, in MiB/s.
fn drawn_rates(lines: &[String]) -> Vec<f64> {
    lines
        .iter()
        .filter_map(|l| {
            let (before, _) = l.split_once(" MiB/s")?;
            before.rsplit(' ').next()?.parse().ok()
        })
        .collect()
}

#[test]
fn after_a_resume_the_rate_counts_only_the_bytes_this_run_moves() {
    let server = Server::start_with_receive_buffer(64 * 1024);
    let home = TempDir::new("resume-rate");
    let file = home.join("big.bin");
    let bytes = data(45 * MIB, 12);
    std::fs::write(&file, &bytes).unwrap();
    // Two parts of 15 MiB stored by the first run; the third is left for the resume.
    let checkpoint = kept_upload_in_parts(
        &server,
        &home,
        &file,
        "lakefs://example-repo/main/big.bin",
        "15MiB",
    );
    server
        .gates
        .receive_parts_per_second
        .store(3 * MIB as u64, Ordering::SeqCst);
    let terminal = OnTerminal::spawn(
        server
            .command(&home)
            .args(["upload", "--resume", &checkpoint])
            .arg(&file),
    );
    let (code, _, lines) = terminal.wait();
    assert_eq!(code, 0);
    assert_eq!(server.object("big.bin").unwrap(), bytes);
    // The storage takes in 3 MiB/s; the 30 MiB of the first run do not count. (Bytes handed
    // to the network run ahead of those received by what the socket buffers hold: a margin.)
    let rates = drawn_rates(&lines);
    assert!(!rates.is_empty(), "{lines:#?}");
    assert!(
        rates.iter().all(|rate| *rate < 7.0),
        "{rates:?}\n{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("/45 MiB") || l.contains("/45.0 MiB")),
        "the bar is over the whole file: {lines:#?}"
    );
}

#[test]
fn checkpoint_show_and_list_tell_dates_and_ages_not_unix_times() {
    let server = Server::start();
    let home = TempDir::new("checkpoint-times");
    let file = home.join("big.bin");
    std::fs::write(&file, data(15 * MIB + 1, 13)).unwrap();
    let checkpoint = kept_upload(&server, &home, &file, "lakefs://example-repo/main/big.bin");
    let output = run(server
        .command(&home)
        .args(["checkpoint", "show", &checkpoint]));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    let line = |label: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label}: {text}"))
            .to_owned()
    };
    let created = line("created");
    assert!(
        created.contains(" UTC (") && (created.ends_with(" s ago)") || created.ends_with("(now)")),
        "{created}"
    );
    let resumable = line("resumable");
    assert!(
        resumable.contains("until 20")
            && (resumable.contains(" UTC (in 23 h 5") || resumable.contains(" UTC (in 1 d 00 h)")),
        "{resumable}"
    );
    assert!(!text.contains("Unix time"), "{text}");
    let output = run(server.command(&home).args(["checkpoint", "list"]));
    let listed = stdout(&output);
    assert!(listed.contains(", 2 of 4 parts, created "), "{listed}");
    assert!(
        listed.trim_end().ends_with(" ago") || listed.trim_end().ends_with("now"),
        "{listed}"
    );
    // Programs still get the Unix time.
    let output = run(server
        .command(&home)
        .args(["--json", "checkpoint", "show", &checkpoint]));
    let created_at = json_lines(&stdout(&output))[0]["created_at"]
        .as_u64()
        .unwrap();
    // Two days old: no longer resumable, and the way out is named.
    let mut saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&checkpoint).unwrap()).unwrap();
    saved["session"]["created_at"] = serde_json::json!(created_at - 2 * 86_400);
    std::fs::write(&checkpoint, saved.to_string()).unwrap();
    let output = run(server
        .command(&home)
        .args(["checkpoint", "show", &checkpoint]));
    let text = stdout(&output);
    assert!(
        text.contains("resumable    no longer: lakeFS kept it until 20")
            && text.contains(" ago) (`lakefs-cli checkpoint forget` deletes the checkpoint)"),
        "{text}"
    );
    let output = run(server.command(&home).args(["checkpoint", "list"]));
    assert!(
        stdout(&output).contains("created 2 d 00 h ago"),
        "{}",
        stdout(&output)
    );
}
