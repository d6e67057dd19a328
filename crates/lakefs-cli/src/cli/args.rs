//! The arguments of the commands other than `upload` (clap derive).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::{parse_concurrency, parse_key_value, Concurrency};
use crate::glob::Glob;
use crate::units::parse_size;
use crate::uri::{BranchUri, ObjectUri, PathUri, RefUri, RepoUri};

#[derive(Debug, Args)]
pub(crate) struct DownloadArgs {
    /// lakefs://REPOSITORY/REF/PATH: the object, at a branch, tag or commit; with
    /// --recursive, the prefix whose objects are downloaded
    #[arg(value_name = "PATH_URI")]
    pub(crate) source: PathUri,
    /// The file to write [default: the object's name in the current directory]; an existing
    /// directory gets the object's name inside it. With --recursive, the directory the
    /// objects go under [default: the prefix's last name in the current directory]
    #[arg(value_name = "DEST")]
    pub(crate) destination: Option<PathBuf>,
    /// Every object below the prefix, each to DEST/its path below the prefix
    #[arg(short, long)]
    pub(crate) recursive: bool,
    /// Bytes per ranged GET, from 64KiB to 5GiB; each part is written as it arrives, so
    /// memory is concurrency × 1MiB whatever its size (through lakeFS, without presigned
    /// URLs, parts are held whole: 16MiB at most) [default: the object's upload part size
    /// when it can be told and is from 1MiB to 256MiB, else 8MiB]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub(crate) part_size: Option<u64>,
    /// Parts in flight at most, across all files: auto (start at 8, follow the link up to 64;
    /// auto:N caps it at N), or a number from 1 to 256. Part memory ≤ that many × 1MiB
    #[arg(short, long, value_name = "N|auto", default_value = "auto",
          value_parser = parse_concurrency)]
    pub(crate) concurrency: Concurrency,
    /// Do not check the bytes against the object's checksum
    #[arg(long, conflicts_with = "require_verified")]
    pub(crate) no_verify: bool,
    /// Fail (exit 1) when the checksum cannot be checked (a multipart ETag whose part size
    /// is not found), instead of a warning
    #[arg(long)]
    pub(crate) require_verified: bool,
    /// The part size the object was uploaded with, when known: its multipart ETag is checked
    /// with it, and a difference is a failure
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub(crate) upload_part_size: Option<u64>,
    /// Start over, discarding the partial file and checkpoint of an earlier run
    #[arg(long)]
    pub(crate) no_resume: bool,
    /// Overwrite an existing destination file that differs from the object
    #[arg(short, long)]
    pub(crate) force: bool,
    /// With --recursive: only objects whose path below the prefix matches GLOB (repeatable;
    /// as upload's)
    #[arg(long, value_name = "GLOB", value_parser = Glob::parse, requires = "recursive")]
    pub(crate) include: Vec<Glob>,
    /// With --recursive: not objects whose path below the prefix matches GLOB (repeatable)
    #[arg(long, value_name = "GLOB", value_parser = Glob::parse, requires = "recursive")]
    pub(crate) exclude: Vec<Glob>,
}

#[derive(Debug, Args)]
pub(crate) struct CatArgs {
    /// lakefs://REPOSITORY/REF/PATH: the object, at a branch, tag or commit
    #[arg(value_name = "PATH_URI")]
    pub(crate) uri: PathUri,
    /// Bytes per ranged GET, from 64KiB to 16MiB (memory ≤ (concurrency + 1) × part size)
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub(crate) part_size: Option<u64>,
    /// Parts fetched ahead of the one being written: a number from 1 to 256, or auto (up to
    /// 64, which then bounds memory: (64 + 1) × part size)
    #[arg(short, long, value_name = "N|auto", default_value = "10",
          value_parser = parse_concurrency)]
    pub(crate) concurrency: Concurrency,
    /// Do not check the bytes against the object's checksum
    #[arg(long, conflicts_with = "require_verified")]
    pub(crate) no_verify: bool,
    /// Fail (exit 1) when the checksum cannot be checked, instead of a warning
    #[arg(long)]
    pub(crate) require_verified: bool,
    /// The part size the object was uploaded with, when known
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub(crate) upload_part_size: Option<u64>,
}

#[derive(Debug, Args)]
pub(crate) struct LsArgs {
    /// lakefs://REPOSITORY/REF/[PREFIX]: a branch (uncommitted changes included), tag or
    /// commit, and the prefix to list (none: the root)
    #[arg(value_name = "PATH_URI")]
    pub(crate) uri: PathUri,
    /// Every object below the prefix, with full paths, instead of one level
    #[arg(short, long)]
    pub(crate) recursive: bool,
}

#[derive(Debug, Args)]
pub(crate) struct StatArgs {
    /// lakefs://REPOSITORY/REF/PATH: the object, at a branch, tag or commit
    #[arg(value_name = "PATH_URI")]
    pub(crate) uri: PathUri,
}

#[derive(Debug, Args)]
pub(crate) struct RmArgs {
    /// lakefs://REPOSITORY/BRANCH/PATH; with --recursive, PATH is a directory: the object PATH
    /// and everything below PATH/ (never PATH-other), or the whole branch when empty
    #[arg(value_name = "PATH_URI")]
    pub(crate) uri: ObjectUri,
    /// Delete every object below the path, 1,000 per request
    #[arg(short, long)]
    pub(crate) recursive: bool,
    /// Delete more than one object without asking (needed when standard input is not a
    /// terminal)
    #[arg(short, long)]
    pub(crate) yes: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CommitArgs {
    /// lakefs://REPOSITORY/BRANCH
    #[arg(value_name = "BRANCH_URI")]
    pub(crate) branch: BranchUri,
    /// The commit message
    #[arg(short, long, value_name = "MESSAGE")]
    pub(crate) message: String,
    /// Commit metadata entry (repeatable)
    #[arg(long = "meta", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub(crate) meta: Vec<(String, String)>,
    /// Commit even when the branch has no uncommitted changes
    #[arg(long, visible_alias = "allow-empty-commit")]
    pub(crate) allow_empty: bool,
    /// Accept an empty message
    #[arg(long)]
    pub(crate) allow_empty_message: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// lakefs://REPOSITORY/BRANCH: its uncommitted changes
    #[arg(value_name = "BRANCH_URI")]
    pub(crate) branch: BranchUri,
}

#[derive(Debug, Args)]
pub(crate) struct LogArgs {
    /// lakefs://REPOSITORY/REF: a branch, tag, commit or expression such as main~1
    #[arg(value_name = "REF_URI")]
    pub(crate) reference: RefUri,
    /// Show at most N commits [default: all]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) amount: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CheckpointCommand {
    /// Print what a checkpoint records: destination, upload id, parts stored, source
    Show {
        /// The checkpoint file
        #[arg(value_name = "CHECKPOINT")]
        file: PathBuf,
    },
    /// List the checkpoints in the state directory
    List {
        /// The state directory [default: as for upload]
        #[arg(long, value_name = "DIR")]
        state_dir: Option<PathBuf>,
    },
    /// Abort the upload a checkpoint records (its parts are discarded) and delete the
    /// checkpoint; an upload lakeFS no longer has (aborted, completed, expired) counts as
    /// aborted
    Abort {
        /// The checkpoint file
        #[arg(value_name = "CHECKPOINT")]
        file: PathBuf,
    },
    /// Delete a checkpoint or a directory upload's journal without asking lakeFS (when lakeFS
    /// cannot be reached, or the upload is known to be gone)
    Forget {
        /// The checkpoint or journal file
        #[arg(value_name = "CHECKPOINT")]
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum PrincipalCommand {
    /// Attach an external principal (e.g. an IAM role ARN) to a user
    Attach {
        /// The lakeFS user
        user: String,
        /// The external principal's id
        principal: String,
    },
    /// Detach an external principal from a user
    Detach {
        /// The lakeFS user
        user: String,
        /// The external principal's id
        principal: String,
    },
    /// Show an external principal and the user it belongs to
    Get {
        /// The external principal's id
        principal: String,
    },
    /// List a user's external principals (every page)
    List {
        /// The lakeFS user
        user: String,
        /// Only ids starting with this
        #[arg(long)]
        prefix: Option<String>,
        /// Page size, 1 to 1000
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..=1000))]
        amount: Option<i32>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum BranchCommand {
    /// Create a branch at the commit of a ref (its uncommitted changes are not carried over)
    Create {
        /// lakefs://REPOSITORY/NEW_BRANCH
        #[arg(value_name = "BRANCH_URI")]
        branch: BranchUri,
        /// lakefs://REPOSITORY/REF to start from: a branch, tag, commit or main~1
        #[arg(long, value_name = "REF_URI")]
        source: RefUri,
    },
    /// List a repository's branches and their commits
    List {
        /// lakefs://REPOSITORY
        #[arg(value_name = "REPO_URI")]
        repository: RepoUri,
        /// Only branches whose name starts with this
        #[arg(long)]
        prefix: Option<String>,
    },
    /// Delete a branch: its uncommitted changes are lost (its commits stay reachable from other
    /// refs); asks first
    Delete {
        /// lakefs://REPOSITORY/BRANCH
        #[arg(value_name = "BRANCH_URI")]
        branch: BranchUri,
        /// Do not ask (needed when standard input is not a terminal)
        #[arg(short, long)]
        yes: bool,
    },
    /// Discard uncommitted changes: all of them, one object's (--object) or a prefix's
    /// (--prefix); asks first
    Reset {
        /// lakefs://REPOSITORY/BRANCH
        #[arg(value_name = "BRANCH_URI")]
        branch: BranchUri,
        /// Only this object's change
        #[arg(long, value_name = "PATH", conflicts_with = "prefix")]
        object: Option<String>,
        /// Only the changes below this prefix
        #[arg(long, value_name = "PREFIX")]
        prefix: Option<String>,
        /// Do not ask (needed when standard input is not a terminal)
        #[arg(short, long)]
        yes: bool,
    },
    /// Point a branch at another ref (a commit id, a branch, main~1), discarding what it had
    /// since; asks first
    HardReset {
        /// lakefs://REPOSITORY/BRANCH
        #[arg(value_name = "BRANCH_URI")]
        branch: BranchUri,
        /// The ref to reset to
        #[arg(value_name = "REF")]
        reference: String,
        /// Bypass a read-only repository (nothing else)
        #[arg(long)]
        force: bool,
        /// Do not ask (needed when standard input is not a terminal)
        #[arg(short, long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum StsCommand {
    /// Exchange an identity provider's authorization code for a lakeFS token
    Login {
        /// The authorization code
        #[arg(long)]
        code: String,
        /// The state of the identity provider flow
        #[arg(long)]
        state: String,
        /// The redirect URI of the flow
        #[arg(long, value_name = "URI")]
        redirect_uri: String,
        /// Token lifetime in seconds (the server defaults to 3600, caps at 43200)
        #[arg(long, value_name = "SECONDS")]
        ttl: Option<i64>,
        /// Print the token itself on stdout (it is a secret: otherwise it is never shown)
        #[arg(long)]
        print_token: bool,
    },
}

/// Which pull requests `pr list` shows.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum PrFilter {
    /// Open ones
    Open,
    /// Closed and merged ones
    Closed,
    /// All
    All,
}

/// The status `pr update` sets.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum PrStatus {
    /// Reopen
    Open,
    /// Close without merging
    Closed,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PrCommand {
    /// List a repository's pull requests, newest first (every page)
    List {
        /// lakefs://REPOSITORY
        #[arg(value_name = "REPO_URI")]
        repository: RepoUri,
        /// Which ones
        #[arg(long, value_enum, default_value = "all")]
        status: PrFilter,
        /// Page size, 1 to 1000
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..=1000))]
        amount: Option<i32>,
    },
    /// Open a pull request proposing to merge one branch into another
    Create {
        /// lakefs://REPOSITORY
        #[arg(value_name = "REPO_URI")]
        repository: RepoUri,
        /// Title
        #[arg(long)]
        title: String,
        /// The branch whose changes are proposed
        #[arg(long = "from", value_name = "BRANCH", visible_alias = "source")]
        source: String,
        /// The branch to merge them into
        #[arg(long = "to", value_name = "BRANCH", visible_alias = "destination")]
        destination: String,
        /// Description
        #[arg(long)]
        description: Option<String>,
    },
    /// Show one pull request
    Get {
        /// lakefs://REPOSITORY
        #[arg(value_name = "REPO_URI")]
        repository: RepoUri,
        /// The pull request's id
        id: String,
    },
    /// Change a pull request's title, description or status
    Update {
        /// lakefs://REPOSITORY
        #[arg(value_name = "REPO_URI")]
        repository: RepoUri,
        /// The pull request's id
        id: String,
        /// New title
        #[arg(long)]
        title: Option<String>,
        /// New description
        #[arg(long)]
        description: Option<String>,
        /// New status
        #[arg(long, value_enum)]
        status: Option<PrStatus>,
    },
    /// Merge a pull request (its source branch into its destination)
    Merge {
        /// lakefs://REPOSITORY
        #[arg(value_name = "REPO_URI")]
        repository: RepoUri,
        /// The pull request's id
        id: String,
    },
}

#[derive(Debug, Args)]
pub(crate) struct EmulatorArgs {
    /// Port on 127.0.0.1 (0 picks a free one)
    #[arg(long, default_value_t = 8000)]
    pub(crate) port: u16,
    /// Lifetime of presigned part URLs, seconds (lakeFS's default is 900)
    #[arg(long, value_name = "SECONDS")]
    pub(crate) part_url_expiry: Option<u64>,
    /// Answer uploadPart as lakeFS before v1.55 does (400)
    #[arg(long)]
    pub(crate) without_upload_part: bool,
    /// Keep objects on this S3-compatible server (e.g. http://127.0.0.1:8014, path-style)
    /// instead of in memory: presigned URLs then point at it
    #[arg(long, value_name = "URL", requires_all = ["s3_bucket", "s3_access_key_id"])]
    pub(crate) s3_endpoint: Option<String>,
    /// The bucket on the S3 server (created if missing)
    #[arg(long, value_name = "NAME", requires = "s3_endpoint")]
    pub(crate) s3_bucket: Option<String>,
    /// The S3 server's region
    #[arg(long, value_name = "REGION", default_value = "us-east-1")]
    pub(crate) s3_region: String,
    /// The S3 server's access key id
    #[arg(long, value_name = "ID", requires = "s3_endpoint")]
    pub(crate) s3_access_key_id: Option<String>,
    /// The S3 server's secret key [default: $LAKEFS_EMULATOR_S3_SECRET_ACCESS_KEY] (prefer
    /// the variable: flags show in `ps`)
    #[arg(long, value_name = "SECRET", requires = "s3_endpoint")]
    pub(crate) s3_secret_access_key: Option<String>,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct BenchArgs {
    #[command(subcommand)]
    pub(crate) small_files: Option<BenchCommand>,
    #[command(flatten)]
    pub(crate) sweep: SweepArgs,
}

#[derive(Debug, Args)]
pub(crate) struct SweepArgs {
    /// Where to upload: lakefs://REPOSITORY/BRANCH/PREFIX [default with --emulator or without
    /// any configuration: the embedded emulator's lakefs://example-repo/main/bench]
    #[arg(value_name = "DEST")]
    pub(crate) destination: Option<ObjectUri>,
    /// Part sizes to try, comma-separated
    #[arg(long, value_name = "SIZES", value_delimiter = ',', default_value = "5MiB,8MiB,16MiB,64MiB", value_parser = parse_size)]
    pub(crate) part_sizes: Vec<u64>,
    /// Concurrencies to try, comma-separated
    #[arg(long, value_name = "NS", value_delimiter = ',', default_value = "1,2,4,8",
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) concurrency: Vec<u16>,
    /// Bytes uploaded per run
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = parse_size)]
    pub(crate) size: u64,
    /// Runs per cell (the median is reported)
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub(crate) runs: u32,
    /// Write the results as CSV
    #[arg(long, value_name = "FILE")]
    pub(crate) csv: Option<PathBuf>,
    /// Draw the throughput chart as SVG
    #[arg(long, value_name = "FILE.svg")]
    pub(crate) chart: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Many small files through `upload --recursive` (this binary, as a child process) against
    /// an emulator over HTTP, beside a bare create + PUT + complete loop at the same concurrency
    SmallFiles(SmallFilesArgs),
    /// The bare loop of `small-files` as a process of its own (internal)
    #[command(hide = true)]
    BareLoop(BareLoopArgs),
}

#[derive(Debug, Args)]
pub(crate) struct BareLoopArgs {
    /// The directory whose files are uploaded
    pub(crate) dir: PathBuf,
    /// lakefs://REPOSITORY/BRANCH/PREFIX
    pub(crate) destination: ObjectUri,
    /// Workers
    #[arg(short, long, default_value_t = 8)]
    pub(crate) concurrency: u16,
}

#[derive(Debug, Args)]
pub(crate) struct SmallFilesArgs {
    /// How many files
    #[arg(long, default_value_t = 2000)]
    pub(crate) files: u32,
    /// Size of each file
    #[arg(long, value_name = "SIZE", default_value = "64KiB", value_parser = parse_size)]
    pub(crate) file_size: u64,
    /// Concurrencies to try, comma-separated
    #[arg(long, value_name = "NS", value_delimiter = ',', default_value = "1,8,32",
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) concurrency: Vec<u16>,
    /// Runs per cell, interleaved (the median is reported)
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub(crate) runs: u32,
}
