//! The emulated server's data: repositories with commits, branches and objects, users and
//! their credentials, uploads, pull requests, and the emulator's settings (and their
//! defaults), with the ids it hands out and how a ref expression resolves. It uses only the
//! crate's leaves: it knows neither the public handle nor the API.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use bytes::Bytes;
use lakefs_models::{ObjectStats, PullRequest};

use crate::clock;
use crate::operation::EmulatedOperation;
use crate::xid::XidSource;

/// lakeFS's default `blockstore.s3.pre_signed_expiry`: how long part URLs stay valid.
const DEFAULT_PART_URL_EXPIRY: Duration = Duration::from_secs(15 * 60);

/// Whether an optional server feature answers or says 501, as servers without it do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// The feature works.
    Enabled,
    /// Every call answers 501 Not Implemented.
    NotImplemented,
}

/// The whole emulated server, behind the public handle's lock.
#[derive(Debug)]
pub(crate) struct State {
    /// Signs physical addresses and part URLs.
    pub(crate) secret: String,
    /// Where part URLs point: this emulator's storage routes.
    pub(crate) storage_url: String,
    pub(crate) repositories: HashMap<String, Repository>,
    pub(crate) users: BTreeMap<String, ()>,
    pub(crate) access_keys: HashMap<String, (String, String)>,
    /// token → (user id, expiry in Unix seconds)
    pub(crate) tokens: HashMap<String, (String, i64)>,
    pub(crate) session_cookies: HashMap<String, String>,
    /// principal id → user id
    pub(crate) principals: BTreeMap<String, String>,
    /// (code, state) → user id
    pub(crate) sts_logins: HashMap<(String, String), String>,
    /// identity (an `identity_token`, or the `access_key_id` inside one) → principal id
    pub(crate) external_identities: HashMap<String, String>,
    pub(crate) uploads: HashMap<String, Upload>,
    pub(crate) presign_multipart: Support,
    /// The bucket in physical addresses: `emulator-bucket`, or the S3 storage's bucket.
    pub(crate) bucket: String,
    #[cfg(feature = "s3")]
    pub(crate) s3: Option<std::sync::Arc<crate::s3::S3Storage>>,
    pub(crate) external_principals: Support,
    pub(crate) sts: Support,
    /// Operations whose route is unknown, as on a lakeFS release older than them.
    pub(crate) unavailable: BTreeSet<EmulatedOperation>,
    /// How long part URLs stay valid.
    pub(crate) part_url_expiry: Duration,
    /// How far the emulator's clock is ahead of the system clock.
    pub(crate) clock_offset: Duration,
    pub(crate) next_id: u64,
    pub(crate) xids: XidSource,
}

#[derive(Debug, Default)]
pub(crate) struct Repository {
    pub(crate) read_only: bool,
    pub(crate) commits: HashMap<String, Commit>,
    pub(crate) branches: HashMap<String, Branch>,
    /// Pull requests by id (ids sort newest first, as lakeFS's do).
    pub(crate) pulls: BTreeMap<String, PullRequest>,
}

/// A commit: its parents (a merge has two, destination first) and its whole content.
#[derive(Debug, Clone, Default)]
pub(crate) struct Commit {
    pub(crate) parents: Vec<String>,
    pub(crate) tree: BTreeMap<String, ObjectEntry>,
}

#[derive(Debug, Default)]
pub(crate) struct Branch {
    pub(crate) head: String,
    pub(crate) protected: bool,
    pub(crate) dirty: bool,
    /// Uncommitted objects by path (they hide the committed ones).
    pub(crate) staged: BTreeMap<String, ObjectEntry>,
}

/// An object: its bytes (as the parts it was uploaded in) and its stats.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ObjectEntry {
    /// Empty when the object lives on S3 (feature `s3`).
    pub(crate) parts: Vec<Bytes>,
    pub(crate) stats: ObjectStats,
    /// The key in the S3 bucket, when the object lives on S3.
    pub(crate) s3_key: Option<String>,
}

impl ObjectEntry {
    /// The object's bytes, in one buffer.
    pub(crate) fn bytes(&self) -> Bytes {
        match self.parts.as_slice() {
            [one] => one.clone(),
            parts => {
                let mut out = Vec::with_capacity(parts.iter().map(Bytes::len).sum());
                for part in parts {
                    out.extend_from_slice(part);
                }
                Bytes::from(out)
            }
        }
    }
}

#[derive(Debug)]
pub(crate) struct Upload {
    pub(crate) repository: String,
    pub(crate) branch: String,
    pub(crate) path: String,
    pub(crate) physical_address: String,
    /// part number → (bytes, MD5 hex)
    pub(crate) parts: BTreeMap<u32, (Bytes, String)>,
}

/// Unix time of 3000-01-01: lakeFS pull-request ids carry `year3000 − now` so that they sort
/// newest first (`pkg/graveler/hooks_handler.go:36`, `:153-156`).
const UNIX_YEAR_3000: i64 = 32_503_680_000;

impl State {
    /// Nothing in it: no repository, user or key; every feature enabled; a fresh secret.
    pub(crate) fn new() -> Self {
        Self {
            secret: format!("{:016x}", fastrand::u64(..)),
            storage_url: "http://storage.emulator".into(),
            repositories: HashMap::new(),
            users: BTreeMap::new(),
            access_keys: HashMap::new(),
            tokens: HashMap::new(),
            session_cookies: HashMap::new(),
            principals: BTreeMap::new(),
            sts_logins: HashMap::new(),
            external_identities: HashMap::new(),
            uploads: HashMap::new(),
            presign_multipart: Support::Enabled,
            bucket: "emulator-bucket".into(),
            #[cfg(feature = "s3")]
            s3: None,
            external_principals: Support::Enabled,
            sts: Support::Enabled,
            unavailable: BTreeSet::new(),
            part_url_expiry: DEFAULT_PART_URL_EXPIRY,
            clock_offset: Duration::ZERO,
            next_id: 0,
            xids: XidSource::new(),
        }
    }

    /// The emulator's clock, in Unix seconds.
    pub(crate) fn now(&self) -> i64 {
        clock::now_with(self.clock_offset)
    }

    pub(crate) fn new_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{:08x}{:08x}", self.next_id, fastrand::u32(..))
    }

    /// An xid for the current time (link addresses: their age is read back from it).
    pub(crate) fn new_xid(&mut self) -> String {
        let now = self.now();
        self.xids.next(now)
    }

    /// A pull-request id: an xid for `year3000 − now`.
    pub(crate) fn new_pull_request_id(&mut self) -> String {
        let time = UNIX_YEAR_3000 - self.now();
        self.xids.next(time)
    }

    /// A new object address relative to the repository's namespace, `data/<xid>/<xid>`.
    pub(crate) fn new_relative_address(&mut self) -> String {
        let group = self.new_xid();
        let object = self.new_xid();
        format!("data/{group}/{object}")
    }
}

impl Repository {
    /// The object at `path` as `branch` sees it: staged first, then its head commit.
    pub(crate) fn branch_object(&self, branch: &str, path: &str) -> Option<&ObjectEntry> {
        let branch = self.branches.get(branch)?;
        branch
            .staged
            .get(path)
            .or_else(|| self.commits.get(&branch.head)?.tree.get(path))
    }

    /// Resolves a ref expression: a branch name or commit id, each `~N` (or `~`) going N
    /// first parents back. Returns the commit id and, for a bare branch name, the branch.
    pub(crate) fn resolve(&self, reference: &str) -> Option<(String, Option<&Branch>)> {
        let mut pieces = reference.split('~');
        let base = pieces.next()?;
        let branch = self.branches.get(base);
        let mut commit = match branch {
            Some(branch) => branch.head.clone(),
            None if self.commits.contains_key(base) => base.to_owned(),
            None => return None,
        };
        let mut moved = false;
        for step in pieces {
            let n: usize = if step.is_empty() {
                1
            } else {
                step.parse().ok()?
            };
            for _ in 0..n {
                commit = self.commits.get(&commit)?.parents.first()?.clone();
            }
            moved = true;
        }
        Some((commit, branch.filter(|_| !moved)))
    }

    /// The object at `path` in a ref expression: a bare branch name reads its staging too.
    pub(crate) fn object_at(&self, reference: &str, path: &str) -> Option<Option<&ObjectEntry>> {
        let (commit, branch) = self.resolve(reference)?;
        let staged = branch.and_then(|b| b.staged.get(path));
        Some(staged.or_else(|| self.commits.get(&commit)?.tree.get(path)))
    }
}
