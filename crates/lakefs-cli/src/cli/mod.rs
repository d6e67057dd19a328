//! The command line as clap parses it: the top-level command, its options, `upload`'s
//! arguments and the help texts; the other commands' arguments are in `args`. What each
//! command does is in `crate::commands`, `crate::upload` and `crate::bench`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

mod args;

pub(crate) use self::args::*;
use crate::glob::Glob;
use crate::units::parse_size;
use crate::uri::ObjectUri;
pub(crate) use lakefs_multipart::Concurrency;

/// The exit codes, printed after the top-level help and the upload help.
macro_rules! exit_codes {
    () => {
        "Exit codes:
  0    success
  1    failure (several files: at least one failed; the summary names them)
  2    usage: invalid arguments, or the configuration is incomplete
  130  interrupted (Ctrl-C, SIGINT or SIGTERM); the first stops cleanly, a second exits at once"
    };
}

const TOP_AFTER_HELP: &str = concat!(
    "\
Configuration, highest first:
  1. --endpoint, --access-key-id, --secret-access-key
  2. LAKECTL_SERVER_ENDPOINT_URL, LAKECTL_CREDENTIALS_ACCESS_KEY_ID,
     LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY (lakectl's variables)
  3. --config FILE, else ~/.lakectl.yaml (server.endpoint_url, credentials.access_key_id,
     credentials.secret_access_key), lakectl's file
Each setting is taken from the highest place that has it; `lakefs-cli config` shows where each
came from. --emulator ignores them all and runs against an emulator inside this process.

Output: results on stdout (--json: one JSON object per line); progress, errors and summaries on
stderr (progress bars only when stderr is a terminal).

",
    exit_codes!()
);

const UPLOAD_AFTER_HELP: &str = concat!(
    "\
Examples:
  lakefs-cli upload data.parquet lakefs://repo/main/tables/data.parquet
  lakefs-cli upload data.parquet lakefs://repo/main/tables/      (keeps the file name)
  lakefs-cli upload -r ./logs lakefs://repo/main/logs/2026-05 -c 32
  pg_dump db | lakefs-cli upload - lakefs://repo/main/backups/db.sql --content-type application/sql
  lakefs-cli upload --checkpoint big.bin lakefs://repo/main/big.bin
  lakefs-cli upload --resume ~/.local/state/lakefs-cli/uploads/big.bin-….json big.bin
  lakefs-cli upload -r ./out lakefs://repo/main/out --exclude '**/*.tmp' --commit 'daily export'
  lakefs-cli upload -r ./out lakefs://repo/main/out --include '**/*.parquet' --dry-run

Unchanged files are skipped (--no-skip uploads them all). A file matches its destination, and
is skipped, when an object exists there with the same size and the same checksum — and, when
--content-type or -m are given, the same content type and metadata. lakeFS's checksum is the
MD5 (hex) of the bytes for an object written in one PUT, and for a multipart upload — every
upload of this tool — the S3 multipart ETag md5(md5(part 1) ‖ … ‖ md5(part n))-n, which
depends on where the parts were cut: it is recomputed with the part size this upload would use
(--part-size, grown for a file of more than 10,000 parts). An object uploaded with another part
size, or by an object store whose checksums are not MD5s, is therefore uploaded again, never
wrongly skipped. Files of the same size as their object are read to compute it. Standard input
and --resume are always sent.

--include and --exclude match a file's path below SRC (/-separated): * is any characters but /,
? one character but /, ** any number of whole directories: '**/*.csv' (at any depth), 'logs/**'
or 'logs/' (everything below logs), 'a/**/b'. A file is uploaded when it matches some --include
(or none is given) and no --exclude.

Ctrl-C stops cleanly: the upload is aborted on lakeFS (nothing is left behind), or with
--checkpoint kept resumable, and the exact command that resumes it is printed. A second Ctrl-C
exits at once.

Checkpoints live in the state directory (--state-dir, else $LAKEFS_CLI_STATE_DIR, else
$XDG_STATE_HOME/lakefs-cli, else ~/.local/state/lakefs-cli), under uploads/, named after the
destination. With --checkpoint, running the same command again continues where it stopped.

",
    exit_codes!()
);

const DOWNLOAD_AFTER_HELP: &str = concat!(
    "\
Examples:
  lakefs-cli download lakefs://repo/main/tables/data.parquet      (to ./data.parquet)
  lakefs-cli download lakefs://repo/v1.2/big.bin /data/           (to /data/big.bin)
  lakefs-cli download -r lakefs://repo/main/logs/2026-05/ ./logs -c 32 --include '**/*.json'
  lakefs-cli cat lakefs://repo/main/data.csv | head

Every byte is read with ranged GETs of a presigned URL, straight from the object store, pinned
to the object's version, and checked against lakeFS's checksum: the MD5 of an object written in
one PUT, or the multipart ETag recomputed for the likely part sizes. When no part size
reproduces a multipart ETag, the file is kept and a warning says it is not verified
(--require-verified makes that a failure; --upload-part-size names the part size).

An existing destination is left alone (--force overwrites it), unless it is already the object:
same size and checksum, then it is skipped as unchanged. -r skips such files too.

Ctrl-C stops cleanly: the partial file (.NAME.lakefs-download) and its checkpoint
(.NAME.lakefs-download.json) stay beside the destination, and running the same command again
resumes, fetching only what is missing once the object is proven unchanged (--no-resume starts
over).

",
    exit_codes!()
);

/// lakefs-cli: move data into lakeFS, fast and resumable; list, commit and branch it as lakectl
/// does; drive its experimental API.
#[derive(Debug, Parser)]
#[command(name = "lakefs-cli", version, after_help = TOP_AFTER_HELP, propagate_version = true)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// lakeFS server URL, e.g. http://localhost:8000 (`/api/v1` is added when it has no path)
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) endpoint: Option<String>,
    /// Access key id
    #[arg(long, global = true, value_name = "ID")]
    pub(crate) access_key_id: Option<String>,
    /// Secret access key (prefer the variable or the config file: flags show in `ps`)
    #[arg(long, global = true, value_name = "SECRET")]
    pub(crate) secret_access_key: Option<String>,
    /// lakectl configuration file to read instead of ~/.lakectl.yaml
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Run against an emulator started inside this process (repository example-repo,
    /// branches main and feature)
    #[arg(long, global = true)]
    pub(crate) emulator: bool,
    /// Machine-readable output on stdout: one JSON object per line
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// No progress and no per-object lines; errors and the summary of failures still show
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
    /// More detail: every cause of an error, and the log of retries, URL refreshes and aborts
    /// on stderr (-vv: everything the library logs); RUST_LOG, when set, chooses instead
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Upload a file, a directory (--recursive) or standard input (-)
    #[command(after_help = UPLOAD_AFTER_HELP)]
    Upload(UploadArgs),
    /// Download an object to a file, or every object below a prefix (--recursive)
    #[command(after_help = DOWNLOAD_AFTER_HELP)]
    Download(DownloadArgs),
    /// Write an object's bytes to standard output, in order, checked against its checksum
    Cat(CatArgs),
    /// List objects and common prefixes at a ref, one level or --recursive (as lakectl fs ls)
    Ls(LsArgs),
    /// Show an object's stats: size, checksum, content type, time, metadata, address
    Stat(StatArgs),
    /// Delete an object, or --recursive everything below a path, from a branch
    Rm(RmArgs),
    /// Commit a branch's uncommitted changes
    Commit(CommitArgs),
    /// Show a branch's uncommitted changes
    Diff(DiffArgs),
    /// Show the commits of a ref, newest first
    Log(LogArgs),
    /// Inspect, list, abort or forget upload checkpoints
    #[command(subcommand)]
    Checkpoint(CheckpointCommand),
    /// External principals of lakeFS users (attach, detach, get, list)
    #[command(subcommand, visible_alias = "principals")]
    Principal(PrincipalCommand),
    /// Branches: create, list, delete, reset (discard uncommitted changes), hard reset
    #[command(subcommand)]
    Branch(BranchCommand),
    /// STS: log in with an identity provider's authorization code
    #[command(subcommand)]
    Sts(StsCommand),
    /// Pull requests (list, create, get, update, merge)
    #[command(subcommand, visible_alias = "pull-request")]
    Pr(PrCommand),
    /// Serve a lakeFS emulator on 127.0.0.1 and print the settings to use it (Ctrl-C stops)
    Emulator(EmulatorArgs),
    /// Measure upload throughput: part sizes × concurrency; or many small files
    Bench(BenchArgs),
    /// Show the configuration in effect and where each setting came from (never the secret)
    Config,
}

#[derive(Debug, Args)]
pub(crate) struct UploadArgs {
    /// A file, a directory (with --recursive), or - for standard input; with --resume, the
    /// source the upload started from
    #[arg(value_name = "SRC")]
    pub(crate) source: String,
    /// lakefs://REPOSITORY/BRANCH/PATH; a PATH ending in / (or none) keeps the file's name;
    /// for a directory, the prefix its files go under
    #[arg(value_name = "DEST", required_unless_present = "resume")]
    pub(crate) destination: Option<ObjectUri>,
    /// Upload every file below the directory SRC (symbolic links to files are followed,
    /// links to directories are not)
    #[arg(short, long)]
    pub(crate) recursive: bool,
    /// Part size (binary units: 8MiB, 16M, 5242880); at least 5 MiB, grown when 10,000 parts
    /// would not be enough
    #[arg(long, value_name = "SIZE", default_value = "8MiB", value_parser = parse_size)]
    pub(crate) part_size: u64,
    /// Parts in flight at most, across all files: auto (start at 8, follow the link up to 64;
    /// auto:N caps it at N), or a number from 1 to 256. Part memory ≤ that many × part size
    #[arg(short, long, value_name = "N|auto", default_value = "auto",
          value_parser = parse_concurrency)]
    pub(crate) concurrency: Concurrency,
    /// The objects' media type
    #[arg(long, value_name = "TYPE")]
    pub(crate) content_type: Option<String>,
    /// User metadata entry (repeatable)
    #[arg(short, long = "metadata", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub(crate) metadata: Vec<(String, String)>,
    /// Keep a checkpoint in the state directory: a failed or interrupted upload is kept on
    /// lakeFS and resumable (not for standard input)
    #[arg(long, conflicts_with = "resume")]
    pub(crate) checkpoint: bool,
    /// Resume from a checkpoint (or a directory upload's journal) that an earlier
    /// --checkpoint upload printed; the content type and metadata it records apply
    #[arg(long, value_name = "CHECKPOINT")]
    pub(crate) resume: Option<PathBuf>,
    /// Where checkpoints are kept [default: $LAKEFS_CLI_STATE_DIR, $XDG_STATE_HOME/lakefs-cli or
    /// ~/.local/state/lakefs-cli]
    #[arg(long, value_name = "DIR")]
    pub(crate) state_dir: Option<PathBuf>,
    /// Integrity check: each part's MD5 against the storage's ETag, then the object's size and
    /// its multipart checksum against the local bytes
    #[arg(long)]
    pub(crate) verify: bool,
    /// After every file is uploaded or skipped (none failed), commit the branch with this
    /// message and print the commit (not when nothing was uploaded)
    #[arg(long, value_name = "MESSAGE")]
    pub(crate) commit: Option<String>,
    /// Say which files would be uploaded and which skipped as unchanged, and upload nothing
    /// (the destination is read, never written)
    #[arg(long, conflicts_with_all = ["checkpoint", "resume"])]
    pub(crate) dry_run: bool,
    /// Upload only files whose path below SRC matches GLOB (repeatable; see below)
    #[arg(long, value_name = "GLOB", value_parser = Glob::parse)]
    pub(crate) include: Vec<Glob>,
    /// Do not upload files whose path below SRC matches GLOB (repeatable; see below)
    #[arg(long, value_name = "GLOB", value_parser = Glob::parse)]
    pub(crate) exclude: Vec<Glob>,
    /// Upload every file, even one that matches its destination object (see below)
    #[arg(long)]
    pub(crate) no_skip: bool,
}

fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_owned(), value.to_owned()))
        }
        _ => Err(format!("{text:?} is not KEY=VALUE with a non-empty KEY")),
    }
}

/// `--concurrency`: a number of parts, `auto` or `auto:N`; the error says what was given.
pub(crate) fn parse_concurrency(text: &str) -> Result<Concurrency, String> {
    text.parse::<Concurrency>().map_err(|e| e.to_string())
}
