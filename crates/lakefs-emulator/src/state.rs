//! The emulated server's state: repositories with commits, branches and objects, users and
//! their credentials, uploads, pull requests, and the emulator's settings.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use lakefs_models::{ObjectStats, PullRequest};

use crate::clock;
use crate::operation::Operation;
use crate::xid::XidSource;

/// The access key id of the emulator's default administrator.
pub const DEFAULT_ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
/// The secret access key of the emulator's default administrator.
pub const DEFAULT_SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// The default repository.
pub const DEFAULT_REPOSITORY: &str = "example-repo";
/// The default branch.
pub const DEFAULT_BRANCH: &str = "main";
/// A second branch of the default repository, one commit ahead of [`DEFAULT_BRANCH`] (it adds
/// [`DEFAULT_FEATURE_OBJECT_PATH`]), so that a pull request can be created and merged at once.
pub const DEFAULT_FEATURE_BRANCH: &str = "feature";
/// An object committed on [`DEFAULT_BRANCH`] (and so also on [`DEFAULT_FEATURE_BRANCH`]).
pub const DEFAULT_OBJECT_PATH: &str = "data/example.csv";
/// The object the commit of [`DEFAULT_FEATURE_BRANCH`] adds.
pub const DEFAULT_FEATURE_OBJECT_PATH: &str = "data/feature.csv";
/// The STS authorization code the default setup accepts (with [`DEFAULT_STS_STATE`]).
pub const DEFAULT_STS_CODE: &str = "emulator-code";
/// The STS state the default setup accepts.
pub const DEFAULT_STS_STATE: &str = "emulator-state";
/// An `identity_token` that `externalPrincipalLogin` accepts in the default setup, as the
/// identity of [`DEFAULT_EXTERNAL_PRINCIPAL_ID`] (attach that principal to a user to log in).
pub const DEFAULT_EXTERNAL_IDENTITY_TOKEN: &str = "emulator-identity";
/// The external principal (an assumed-role ARN) [`DEFAULT_EXTERNAL_IDENTITY_TOKEN`] proves.
pub const DEFAULT_EXTERNAL_PRINCIPAL_ID: &str =
    "arn:aws:sts::123456789012:assumed-role/emulator-role/session";

/// lakeFS's default `blockstore.s3.pre_signed_expiry`: how long part URLs stay valid.
pub(crate) const DEFAULT_PART_URL_EXPIRY: Duration = Duration::from_secs(15 * 60);

/// Whether an optional server feature answers or says 501, as servers without it do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// The feature works.
    Enabled,
    /// Every call answers 501 Not Implemented.
    NotImplemented,
}

/// An in-memory lakeFS answering the 18 `experimental` operations with the real server's
/// semantics (lakeFS v1.84.0), plus the object store its presigned part URLs point at.
///
/// Cheap to clone: clones share the state. Use it in-process as a
/// [`FakeTransport`](https://docs.rs/lakefs-transport) handler through
/// [`Emulator::handle`], or over HTTP with [`serve`](crate::serve).
///
/// ```
/// use lakefs_emulator::Emulator;
///
/// let emulator = Emulator::new(); // example-repo/main and feature, an admin key, users admin and alice
/// emulator.add_repository("analytics", "main");
/// emulator.put_object("analytics", "main", "raw/2026-11.csv", "a,b\n1,2\n");
/// emulator.commit("analytics", "main", "load 2026-11");
/// emulator.protect_branch("analytics", "main", true);
/// ```
#[derive(Clone)]
pub struct Emulator {
    pub(crate) state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("Emulator")
            .field(
                "repositories",
                &state.repositories.keys().collect::<Vec<_>>(),
            )
            .field("uploads", &state.uploads.len())
            .field("storage_url", &state.storage_url)
            .finish_non_exhaustive()
    }
}

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
    pub(crate) s3: Option<Arc<crate::s3::S3Storage>>,
    pub(crate) external_principals: Support,
    pub(crate) sts: Support,
    /// Operations whose route is unknown, as on a lakeFS release older than them.
    pub(crate) unavailable: BTreeSet<Operation>,
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

pub(crate) fn md5_hex(parts: &[&[u8]]) -> String {
    use md5::{Digest, Md5};
    let mut hasher = Md5::new();
    for part in parts {
        hasher.update(part);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Default for Emulator {
    fn default() -> Self {
        Self::new()
    }
}

impl Emulator {
    /// An emulator with the default setup: repository [`DEFAULT_REPOSITORY`] whose branch
    /// [`DEFAULT_BRANCH`] has two commits (the second adds [`DEFAULT_OBJECT_PATH`]) and whose
    /// branch [`DEFAULT_FEATURE_BRANCH`] has one more (adding [`DEFAULT_FEATURE_OBJECT_PATH`]);
    /// users `admin` (key [`DEFAULT_ACCESS_KEY_ID`] / [`DEFAULT_SECRET_ACCESS_KEY`]) and `alice`;
    /// an STS login ([`DEFAULT_STS_CODE`], [`DEFAULT_STS_STATE`]) for `alice`; an external
    /// identity ([`DEFAULT_EXTERNAL_IDENTITY_TOKEN`] → [`DEFAULT_EXTERNAL_PRINCIPAL_ID`],
    /// attached to no user yet); every feature enabled.
    #[must_use]
    pub fn new() -> Self {
        let emulator = Self::empty();
        emulator.add_user("admin");
        emulator.add_user("alice");
        emulator.add_access_key(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY, "admin");
        emulator.add_repository(DEFAULT_REPOSITORY, DEFAULT_BRANCH);
        emulator.put_object(
            DEFAULT_REPOSITORY,
            DEFAULT_BRANCH,
            DEFAULT_OBJECT_PATH,
            "id,name\n1,alpha\n2,beta\n3,gamma\n",
        );
        emulator.commit(DEFAULT_REPOSITORY, DEFAULT_BRANCH, "add data");
        emulator.add_branch(DEFAULT_REPOSITORY, DEFAULT_FEATURE_BRANCH, DEFAULT_BRANCH);
        emulator.put_object(
            DEFAULT_REPOSITORY,
            DEFAULT_FEATURE_BRANCH,
            DEFAULT_FEATURE_OBJECT_PATH,
            "id,feature\n1,on\n",
        );
        emulator.commit(
            DEFAULT_REPOSITORY,
            DEFAULT_FEATURE_BRANCH,
            "add feature data",
        );
        emulator.add_sts_login(DEFAULT_STS_CODE, DEFAULT_STS_STATE, "alice");
        emulator.add_external_identity(
            DEFAULT_EXTERNAL_IDENTITY_TOKEN,
            DEFAULT_EXTERNAL_PRINCIPAL_ID,
        );
        emulator
    }

    /// An emulator with nothing in it: no repository, user or key.
    #[must_use]
    pub fn empty() -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
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
            })),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn stores_on_s3(&self) -> bool {
        #[cfg(feature = "s3")]
        {
            self.lock().s3.is_some()
        }
        #[cfg(not(feature = "s3"))]
        {
            false
        }
    }
}

/// Unix time of 3000-01-01: lakeFS pull-request ids carry `year3000 − now` so that they sort
/// newest first (`pkg/graveler/hooks_handler.go:36`, `:153-156`).
const UNIX_YEAR_3000: i64 = 32_503_680_000;

impl State {
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

    /// The signature binding a physical address to its repository, branch and path.
    pub(crate) fn address_signature(
        &self,
        repository: &str,
        branch: &str,
        path: &str,
        address: &str,
    ) -> String {
        md5_hex(&[
            self.secret.as_bytes(),
            b"|",
            repository.as_bytes(),
            b"|",
            branch.as_bytes(),
            b"|",
            path.as_bytes(),
            b"|",
            address.as_bytes(),
        ])
    }

    /// The signature of a part URL: it covers the upload, the part and the URL's date and
    /// lifetime, so none of them can be altered.
    pub(crate) fn part_signature(
        &self,
        upload_id: &str,
        part_number: u32,
        date: &str,
        expires: &str,
    ) -> String {
        md5_hex(&[
            self.secret.as_bytes(),
            b"|part|",
            upload_id.as_bytes(),
            b"|",
            part_number.to_string().as_bytes(),
            b"|",
            date.as_bytes(),
            b"|",
            expires.as_bytes(),
        ])
    }

    /// A presigned URL for one part on the emulator's own store, valid from now for the
    /// configured part URL lifetime. The query carries SigV4's `X-Amz-Date` and
    /// `X-Amz-Expires`, which clients read to decide when to ask for a fresh URL.
    pub(crate) fn part_url(&self, upload_id: &str, part_number: u32) -> String {
        let date = clock::amz_date(self.now());
        let expires = self.part_url_expiry.as_secs().to_string();
        let signature = self.part_signature(upload_id, part_number, &date, &expires);
        format!(
            "{}{}{upload_id}/{part_number}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={date}&X-Amz-Expires={expires}&X-Amz-Signature={signature}",
            self.storage_url,
            crate::api::STORAGE_PREFIX,
        )
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
