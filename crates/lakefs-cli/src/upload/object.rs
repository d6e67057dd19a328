//! One object: upload (or resume) it, watch its progress events, and report what happened —
//! bytes, parts, retries, URL refreshes, and the seconds spent creating, sending parts and
//! completing.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use lakefs_multipart::{
    AbortOutcome, Checkpoint, Error as UploadError, ErrorKind, PartSlots, ProgressEvent,
    UploadConfig, UploadSource, Uploader,
};

use super::report::{probe_event, Probe, ProbeState, Report, Seconds, Status};
use super::verify::{self, HashingReader, StreamDigest, Verdict};
use crate::errors::{one_line, CliError, UploadCause};
use crate::interrupt::Interrupt;
use crate::output::Progress;
use crate::units::human_size;
use crate::uri::ObjectUri;

/// What every object of one command shares.
pub(crate) struct Shared {
    pub(crate) part_size: u64,
    /// The command's bound on parts in flight (fixed, or adaptive with `-c auto`).
    pub(crate) slots: PartSlots,
    pub(crate) verify: bool,
    /// The objects' content type and metadata: the command's, or those a directory upload's
    /// journal recorded.
    pub(crate) content_type: Option<String>,
    pub(crate) metadata: Vec<(String, String)>,
    /// The engine, one for every object (each reports its own progress); its shared slots
    /// bound parts in flight (and part memory) across all objects.
    pub(crate) uploader: Uploader<lakefs_transport::HyperTransport>,
    pub(crate) interrupt: Interrupt,
    /// Set when an object failed in a way every other would too: the others stop.
    pub(crate) halt: Halt,
    pub(crate) progress: Progress,
    /// The command line that resumes from a checkpoint: `prefix… --resume CHECKPOINT SRC`.
    pub(crate) resume_prefix: Vec<String>,
}

/// Stops every object of a command at once. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Halt(Arc<tokio::sync::watch::Sender<bool>>);

impl Halt {
    pub(crate) fn new() -> Self {
        Self(Arc::new(tokio::sync::watch::channel(false).0))
    }

    /// Stops the objects in flight, and those not started yet.
    pub(crate) fn set(&self) {
        self.0.send_replace(true);
    }

    pub(crate) fn is_set(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes when set (never otherwise).
    fn wait(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut receiver = self.0.subscribe();
        async move {
            if receiver.wait_for(|set| *set).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

impl Shared {
    /// Completes when the object in flight must stop: the user interrupted, or another
    /// object failed in a way this one would too.
    fn stopped(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let (interrupted, halted) = (self.interrupt.wait(), self.halt.wait());
        async move {
            tokio::select! {
                () = interrupted => {}
                () = halted => {}
            }
        }
    }

    /// Whether objects not started yet must not start.
    pub(crate) fn is_stopped(&self) -> bool {
        self.interrupt.is_set() || self.halt.is_set()
    }

    /// The engine's configuration for these options, parts in flight bounded by `slots`
    /// across all objects.
    pub(crate) fn config(
        part_size: u64,
        concurrency: usize,
        verify: bool,
        slots: &PartSlots,
    ) -> Result<UploadConfig, CliError> {
        UploadConfig::builder()
            .part_size(part_size)
            .concurrency(concurrency)
            .verify_md5(verify)
            .shared_slots(slots.clone())
            .build()
            .map_err(|e| CliError::usage("invalid upload options").source(e))
    }

    /// A progress callback feeding `probe` and the console's progress.
    fn reporter(&self, probe: &Probe) -> impl Fn(&ProgressEvent) + Send + Sync + 'static {
        let state = Arc::clone(&probe.state);
        let progress = self.progress.clone();
        move |event| probe_event(&state, &progress, event)
    }

    /// Whether an upload completed with `content_type` and `metadata` (a checkpoint's) gives
    /// the objects of this command.
    pub(crate) fn same_options(
        &self,
        content_type: Option<&str>,
        metadata: &BTreeMap<String, String>,
    ) -> bool {
        self.content_type.as_deref() == content_type && metadata_map(&self.metadata) == *metadata
    }

    /// The shell command that resumes from `checkpoint` reading `source`.
    pub(crate) fn resume_command(&self, checkpoint: &std::path::Path, source: &str) -> String {
        let mut words = self.resume_prefix.clone();
        words.push("--resume".into());
        words.push(checkpoint.display().to_string());
        words.push(source.to_owned());
        words
            .iter()
            .map(|w| shell_quote(w))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Metadata entries as the object gets them: for a key given twice, the last value.
pub(crate) fn metadata_map(entries: &[(String, String)]) -> BTreeMap<String, String> {
    entries.iter().cloned().collect()
}

/// `word` as a POSIX shell reads it back.
pub(crate) fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-./:=@%+,".contains(&b));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Where an object's bytes come from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    File(PathBuf),
    Stdin,
}

/// One object to upload.
pub(crate) struct Job {
    pub(crate) source: Source,
    /// The source as the user named it.
    pub(crate) shown: String,
    pub(crate) dest: ObjectUri,
    /// The checkpoint to keep (and, if it exists, to continue from).
    pub(crate) checkpoint: Option<PathBuf>,
    /// Resume from `checkpoint`, which must exist (`--resume`).
    pub(crate) resume: bool,
}

/// Uploads (or resumes) one object and reports what happened; never fails itself.
pub(crate) async fn upload(shared: &Shared, job: Job) -> Report {
    let started = Instant::now();
    let probe = Probe {
        state: Arc::new(Mutex::new(ProbeState::new(&job.shown, shared.part_size))),
    };
    let mut report = Report {
        shown: job.shown.clone(),
        dest: job.dest.clone(),
        status: Status::Failed,
        bytes: 0,
        parts: 0,
        retries: 0,
        url_refreshes: 0,
        seconds: Seconds::default(),
        checksum: None,
        verified: None,
        resumed: false,
        kept: None,
        aborted: None,
        error: None,
    };
    let mut notes = Vec::new();
    let (result, digest) = send(shared, &probe, &job, &mut report, &mut notes).await;
    let ended = Instant::now();
    {
        let mut state = probe.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.ended(&shared.progress);
        let created = state.created.unwrap_or(ended);
        let completing = state.completing.unwrap_or(ended).max(created);
        report.seconds = Seconds {
            create: (created - started).as_secs_f64(),
            parts: (completing - created).as_secs_f64(),
            complete: (ended - completing).as_secs_f64(),
            total: (ended - started).as_secs_f64(),
        };
        report.parts = state.parts;
        report.retries = state.retries;
        report.url_refreshes = state.url_refreshes;
        report.bytes = state.bytes;
    }
    match result {
        Ok(stats) => {
            report.status = Status::Uploaded;
            report.bytes = stats
                .size_bytes
                .and_then(|s| u64::try_from(s).ok())
                .unwrap_or(report.bytes);
            report.checksum = Some(stats.checksum.clone());
            if shared.verify {
                let layout = probe
                    .state
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .layout();
                check(&job, &stats, layout, digest, &mut report).await;
            }
        }
        Err(error) => fail(shared, &job, error, notes, &mut report),
    }
    report
}

type Sent = Result<lakefs_experimental::models::ObjectStats, UploadError>;

fn source_of(
    job: &Job,
    verify: bool,
    part_size: u64,
) -> (UploadSource, Option<Arc<Mutex<StreamDigest>>>) {
    match &job.source {
        Source::File(path) => (UploadSource::file(path), None),
        Source::Stdin if verify => {
            let (reader, digest) = HashingReader::new(tokio::io::stdin(), part_size);
            (UploadSource::stream(reader), Some(digest))
        }
        // Read on the blocking pool straight into the part buffers: one copy less than an
        // async reader, and as fast as a file on a fast pipe.
        Source::Stdin => (UploadSource::blocking_stream(std::io::stdin()), None),
    }
}

/// The bytes of a file of at most one part, read at once (one blocking call, as any client
/// would); `None` for a larger file or when it cannot be read — the engine then reads it
/// itself, part by part, and reports any error.
///
/// For many small files this saves the engine's open, measure and positional read per file;
/// memory stays within the bound, as at most `concurrency` files are in flight and each of
/// these is at most one part.
async fn read_small_file(path: &std::path::Path, part_size: u64) -> Option<bytes::Bytes> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let file = std::fs::File::open(&path).ok()?;
        let size = file.metadata().ok().filter(|m| m.is_file())?.len();
        if size > part_size {
            return None;
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).ok()? + 1);
        file.take(part_size + 1).read_to_end(&mut bytes).ok()?;
        (bytes.len() as u64 <= part_size).then(|| bytes::Bytes::from(bytes))
    })
    .await
    .ok()
    .flatten()
}

/// Sends the object: resumes from its checkpoint when there is one, else uploads it.
async fn send(
    shared: &Shared,
    probe: &Probe,
    job: &Job,
    report: &mut Report,
    notes: &mut Vec<String>,
) -> (Sent, Option<Arc<Mutex<StreamDigest>>>) {
    let dest = &job.dest;
    let uploader = &shared.uploader;
    if let Some(checkpoint) = job.checkpoint.as_ref().filter(|c| job.resume || c.exists()) {
        let loaded = Checkpoint::load(checkpoint).ok();
        let matches = loaded.as_ref().is_some_and(|c| {
            c.session.repository == dest.repository
                && c.session.branch == dest.branch
                && c.session.path == dest.path
        });
        let other_options = loaded
            .as_ref()
            .filter(|c| !shared.same_options(c.content_type.as_deref(), &c.user_metadata));
        if let Some(old) = other_options.filter(|_| matches && !job.resume) {
            // Resuming completes with the content type and metadata the checkpoint recorded,
            // which are not this upload's: discard the old upload and start over.
            let _ = uploader.abort(&old.session).await;
            let _ = std::fs::remove_file(checkpoint);
            notes.push(format!(
                "the checkpoint {} recorded another content type or metadata; started over",
                checkpoint.display()
            ));
        } else if job.resume || matches {
            report.resumed = true;
            let (source, _) = source_of(job, false, shared.part_size);
            let result = uploader
                .resume(checkpoint, source)
                .on_progress(shared.reporter(probe))
                .cancel_on(shared.stopped())
                .await;
            let stale = result.as_ref().err().is_some_and(|e| {
                matches!(e.kind(), ErrorKind::SourceChanged | ErrorKind::UploadGone)
            });
            if job.resume || !stale {
                return (result, None);
            }
            // Running the same command again, and the file changed (or the upload is gone):
            // discard the old upload and start over.
            if let Ok(old) = Checkpoint::load(checkpoint) {
                let _ = uploader.abort(&old.session).await;
            }
            let _ = std::fs::remove_file(checkpoint);
            if let Err(error) = &result {
                notes.push(format!(
                    "the checkpoint {} could not be resumed ({}); started over",
                    checkpoint.display(),
                    one_line(error)
                ));
            }
            report.resumed = false;
        }
    }
    let (source, digest) = match (&job.source, &job.checkpoint) {
        (Source::File(path), None) => match read_small_file(path, shared.part_size).await {
            Some(bytes) => (UploadSource::bytes(bytes), None),
            None => source_of(job, shared.verify, shared.part_size),
        },
        _ => source_of(job, shared.verify, shared.part_size),
    };
    let mut upload = uploader
        .upload(&dest.repository, &dest.branch, &dest.path, source)
        .on_progress(shared.reporter(probe))
        .cancel_on(shared.stopped());
    if let Some(content_type) = &shared.content_type {
        upload = upload.content_type(content_type);
    }
    for (key, value) in &shared.metadata {
        upload = upload.metadata(key, value);
    }
    if let Some(checkpoint) = &job.checkpoint {
        upload = upload.checkpoint(checkpoint);
    }
    (upload.await, digest)
}

/// The integrity check after a successful upload, over `layout`: the part sizes the engine
/// completed the upload with (`None` when it did not report them all).
async fn check(
    job: &Job,
    stats: &lakefs_experimental::models::ObjectStats,
    layout: Option<Vec<u64>>,
    digest: Option<Arc<Mutex<StreamDigest>>>,
    report: &mut Report,
) {
    let cannot_check = |report: &mut Report, why: String| {
        report.status = Status::Failed;
        report.error = Some(
            CliError::failure(format!("cannot check {}: {why}", job.shown))
                .note(format!("the object {} was written", job.dest)),
        );
    };
    let Some(layout) = layout else {
        return cannot_check(
            report,
            "the parts the upload was made of are not known".into(),
        );
    };
    let sent: u64 = layout.iter().sum();
    let local = match (&job.source, digest) {
        (Source::File(path), _) => {
            let path = path.clone();
            let parts = layout.clone();
            tokio::task::spawn_blocking(move || verify::file_etag(&path, &parts))
                .await
                .map_err(std::io::Error::other)
                .and_then(|r| r)
        }
        (Source::Stdin, Some(digest)) => {
            let digest = digest.lock().unwrap_or_else(PoisonError::into_inner);
            if digest.part_sizes != layout {
                // Hashed along other cuts than the upload's: the checksums cannot be compared.
                return cannot_check(
                    report,
                    format!(
                        "standard input was hashed in {} parts, the upload has {}",
                        digest.part_sizes.len(),
                        layout.len()
                    ),
                );
            }
            Ok((digest.size, Some(digest.etag())))
        }
        (Source::Stdin, None) => {
            return cannot_check(report, "standard input was not hashed".into());
        }
    };
    let server_size = stats.size_bytes.and_then(|s| u64::try_from(s).ok());
    let verdict = match local {
        Ok((size, Some(etag))) => verify::compare(&stats.checksum, server_size, &etag, size),
        // The file is no longer the size it was uploaded at.
        Ok((size, None)) => Verdict::Mismatch {
            server: format!("{} bytes", server_size.unwrap_or(sent)),
            local: format!("{size} bytes"),
        },
        Err(error) => {
            report.status = Status::Failed;
            report.error = Some(
                CliError::failure(format!(
                    "cannot check {}: reading it again failed",
                    job.shown
                ))
                .source(error)
                .note(format!("the object {} was written", job.dest)),
            );
            return;
        }
    };
    match verdict {
        Verdict::Match => report.verified = Some("match"),
        Verdict::SizeOnly => report.verified = Some("size-only"),
        Verdict::Unverifiable => cannot_check(
            report,
            format!(
                "lakeFS gave neither its size nor a multipart checksum (checksum {:?})",
                stats.checksum
            ),
        ),
        Verdict::Mismatch { server, local } => {
            report.status = Status::Failed;
            report.error = Some(
                CliError::failure(format!(
                    "integrity check failed for {}: lakeFS has {server}, the local bytes give {local}",
                    job.dest
                ))
                .note(format!("the object {} was written: upload it again", job.dest)),
            );
        }
    }
}

/// ` (15.0 MiB, modified 2026-12-03 04:58:02 UTC)`: what a checkpoint knows of its source.
fn recorded_source(source: &lakefs_multipart::SourceFingerprint) -> String {
    let modified = source
        .modified_nanos
        .and_then(|n| i64::try_from(n / 1_000_000_000).ok())
        .map(|s| format!(", modified {}", crate::units::utc_time(s)))
        .unwrap_or_default();
    format!(" ({}{modified})", human_size(source.size))
}

/// Fills in a failed or interrupted object's report.
fn fail(
    shared: &Shared,
    job: &Job,
    error: UploadError,
    mut notes: Vec<String>,
    report: &mut Report,
) {
    let interrupted = error.kind() == ErrorKind::Cancelled;
    report.status = if interrupted {
        Status::Interrupted
    } else {
        Status::Failed
    };
    let id = error.upload_id().unwrap_or("?").to_owned();
    match error.abort() {
        AbortOutcome::Aborted => {
            report.aborted = Some(true);
            notes.push(format!(
                "upload {id} was aborted on lakeFS: nothing is left behind"
            ));
        }
        AbortOutcome::Failed(abort) => {
            report.aborted = Some(false);
            notes.push(format!(
                "aborting upload {id} failed too ({}): its parts stay on the object store until a lifecycle rule removes them",
                one_line(abort)
            ));
        }
        AbortOutcome::Resumable(path) if job.resume && error.kind() == ErrorKind::SourceChanged => {
            // Not the command that just failed: the file the upload started from.
            report.kept = Some(path.clone());
            let recorded = Checkpoint::load(path)
                .map(|c| recorded_source(&c.source))
                .unwrap_or_default();
            notes.push(format!(
                "upload {id} is kept for the file it started from{recorded}: resume it with {}",
                shared.resume_command(path, "FILE")
            ));
            notes.push(format!(
                "or give it up: `lakefs-cli checkpoint abort {}` aborts it on lakeFS and deletes the checkpoint",
                shell_quote(&path.display().to_string())
            ));
        }
        AbortOutcome::Resumable(path) => {
            report.kept = Some(path.clone());
            notes.push(format!(
                "upload {id} is kept; resume it with: {}",
                shared.resume_command(path, &job.shown)
            ));
        }
        _ => {}
    }
    if error.kind() == ErrorKind::UploadGone {
        if let Some(checkpoint) = job.checkpoint.as_ref().filter(|c| c.exists()) {
            let checkpoint = shell_quote(&checkpoint.display().to_string());
            let mut again = shared.resume_prefix.clone();
            again.extend([
                "--checkpoint".to_owned(),
                job.shown.clone(),
                job.dest.to_string(),
            ]);
            let again: Vec<String> = again.iter().map(|w| shell_quote(w)).collect();
            notes.push(format!(
                "its checkpoint is of no use any more: `lakefs-cli checkpoint forget {checkpoint}` deletes it; then upload again: `{}`",
                again.join(" ")
            ));
        }
    }
    let mut cli = if interrupted {
        CliError::interrupted(format!("interrupted: {} -> {}", job.shown, job.dest))
    } else {
        CliError::failure(format!("cannot upload {} to {}", job.shown, job.dest))
            .source(UploadCause(error))
    };
    for note in notes {
        cli = cli.note(note);
    }
    report.error = Some(cli);
}
