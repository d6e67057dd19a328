//! The emulated server's data: repositories with commits, branches and objects, users and
//! their credentials, uploads, pull requests, and the emulator's settings (and their
//! defaults), with the ids it hands out and how a ref expression resolves. It uses only the
//! crate's leaves: it knows neither the public handle nor the API.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use bytes::Bytes;
use lakefs_models::{ObjectStats, PullRequest};

use crate::checksum::md5_hex;
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
    /// Whether reads can be presigned (`presign=true` on stat, list and get); lakeFS answers
    /// 400 "operation not supported" on a blockstore that cannot presign (local) or with
    /// `blockstore.<type>.disable_pre_signed`.
    pub(crate) presign_reads: bool,
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
    /// The branch the repository was created with; it cannot be deleted.
    pub(crate) default_branch: String,
    /// When the repository was created, Unix seconds.
    pub(crate) creation_date: i64,
    pub(crate) commits: HashMap<String, Commit>,
    pub(crate) branches: HashMap<String, Branch>,
    /// Pull requests by id (ids sort newest first, as lakeFS's do).
    pub(crate) pulls: BTreeMap<String, PullRequest>,
}

/// A commit: its parents (a merge has two, destination first), its whole content, and what
/// lakeFS records with it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Commit {
    pub(crate) parents: Vec<String>,
    pub(crate) tree: BTreeMap<String, ObjectEntry>,
    /// The committer's email or user name (`""` for a repository's initial commit).
    pub(crate) committer: String,
    pub(crate) message: String,
    /// Unix seconds: the commit's `date`, or when it was made.
    pub(crate) creation_date: i64,
    pub(crate) metadata: BTreeMap<String, String>,
    /// 1 for a repository's first commit, then one more than the highest parent's.
    pub(crate) generation: i64,
}

impl Commit {
    /// The id of the commit's content (its metarange), 64 hex digits; `""` for an empty
    /// tree, as lakeFS's initial commit has. Equal trees have equal ids.
    pub(crate) fn meta_range_id(&self) -> String {
        if self.tree.is_empty() {
            return String::new();
        }
        let mut listing = Vec::new();
        for (path, entry) in &self.tree {
            for field in [
                path.as_bytes(),
                entry.stats.physical_address.as_bytes(),
                entry.stats.checksum.as_bytes(),
            ] {
                listing.extend_from_slice(field);
                listing.push(0);
            }
        }
        format!(
            "{}{}",
            md5_hex(&[b"metarange|a|", &listing]),
            md5_hex(&[b"metarange|b|", &listing])
        )
    }
}

#[derive(Debug, Default)]
pub(crate) struct Branch {
    pub(crate) head: String,
    pub(crate) protected: bool,
    pub(crate) dirty: bool,
    /// Left out of branch listings unless asked for (`createBranch`'s `hidden`).
    pub(crate) hidden: bool,
    /// Uncommitted changes by path: a new version of an object, or `None`, a tombstone that
    /// hides the committed object (they hide the committed ones).
    pub(crate) staged: BTreeMap<String, Option<ObjectEntry>>,
}

impl Branch {
    /// `tree` with this branch's uncommitted changes applied.
    pub(crate) fn apply_staged(
        &self,
        mut tree: BTreeMap<String, ObjectEntry>,
    ) -> BTreeMap<String, ObjectEntry> {
        for (path, change) in &self.staged {
            match change {
                Some(entry) => tree.insert(path.clone(), entry.clone()),
                None => tree.remove(path),
            };
        }
        tree
    }
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

    /// The object's size.
    pub(crate) fn len(&self) -> usize {
        self.parts.iter().map(Bytes::len).sum()
    }

    /// The bytes `start..end` (within the object): a slice of the part holding them, copied
    /// only when the range spans parts — never the whole object per ranged GET.
    pub(crate) fn range(&self, start: usize, end: usize) -> Bytes {
        let mut out: Option<Vec<u8>> = None;
        let mut at = 0;
        for part in &self.parts {
            let (from, to) = (at, at + part.len());
            at = to;
            if to <= start || part.is_empty() {
                continue;
            }
            if from >= end {
                break;
            }
            let piece = part.slice(start.max(from) - from..end.min(to) - from);
            if out.is_none() && from <= start && end <= to {
                return piece;
            }
            out.get_or_insert_with(|| Vec::with_capacity(end - start))
                .extend_from_slice(&piece);
        }
        out.map(Bytes::from).unwrap_or_default()
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
            presign_reads: true,
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

    /// A commit id: 64 hex digits, as lakeFS's SHA-256 content addresses are (derived here
    /// from a counter and the emulator's secret, so every commit gets a new one).
    pub(crate) fn new_commit_id(&mut self) -> String {
        self.next_id += 1;
        let counter = self.next_id.to_be_bytes();
        let secret = self.secret.as_bytes();
        format!(
            "{}{}",
            md5_hex(&[b"commit|a|", secret, &counter]),
            md5_hex(&[b"commit|b|", secret, &counter])
        )
    }

    /// The storage namespace of a repository, `s3://<bucket>/<repository>`: relative object
    /// addresses are joined to it.
    pub(crate) fn namespace(&self, repository: &str) -> String {
        format!("s3://{}/{repository}", self.bucket)
    }

    /// The object a storage key (`<repository>/<address relative to the namespace>`, as
    /// presigned GET URLs name it) holds: looked up among what the repository's branches and
    /// commits hold. An object no branch or commit holds any more is gone (on S3 it would stay
    /// until lakeFS's garbage collection; the emulator keeps no bytes nobody can reach).
    pub(crate) fn stored_object(&self, key: &str) -> Option<&ObjectEntry> {
        let (repository, address) = key.split_once('/')?;
        let repo = self.repositories.get(repository)?;
        let staged = repo
            .branches
            .values()
            .flat_map(|b| b.staged.values().flatten());
        let committed = repo.commits.values().flat_map(|c| c.tree.values());
        staged
            .chain(committed)
            .find(|entry| entry.stats.physical_address == address)
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
    /// The commit `branch`'s uncommitted changes would make: its head's tree with them
    /// applied, the head as parent, generation one more than the head's. `None` if the branch
    /// is unknown.
    pub(crate) fn commit_staged(
        &self,
        branch: &str,
        committer: &str,
        message: &str,
        creation_date: i64,
        metadata: BTreeMap<String, String>,
    ) -> Option<Commit> {
        let target = self.branches.get(branch)?;
        let parent = self.commits.get(&target.head);
        Some(Commit {
            parents: vec![target.head.clone()],
            tree: target.apply_staged(parent.map(|c| c.tree.clone()).unwrap_or_default()),
            committer: committer.to_owned(),
            message: message.to_owned(),
            creation_date,
            metadata,
            generation: parent.map_or(0, |c| c.generation) + 1,
        })
    }

    /// Adds a commit made on `branch`, which then points at it with no uncommitted changes
    /// (lakeFS seals the staging token into the commit and drops the sealed tokens).
    pub(crate) fn add_commit(&mut self, branch: &str, id: String, commit: Commit) {
        if let Some(target) = self.branches.get_mut(branch) {
            target.head = id.clone();
            target.staged.clear();
            target.dirty = false;
        }
        self.commits.insert(id, commit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::unwrap_used)]
    fn ranges_of_a_multipart_object_match_its_bytes() {
        let parts = vec![
            Bytes::from_static(b"abcd"),
            Bytes::new(),
            Bytes::from_static(b"efg"),
            Bytes::from_static(b"hijkl"),
        ];
        let stats: ObjectStats = serde_json::from_str(
            r#"{"path":"p","path_type":"object","physical_address":"a","checksum":"c","mtime":0}"#,
        )
        .unwrap();
        let entry = ObjectEntry {
            parts,
            stats,
            s3_key: None,
        };
        let whole = entry.bytes();
        assert_eq!(entry.len(), whole.len());
        for start in 0..=whole.len() {
            for end in start..=whole.len() {
                assert_eq!(
                    entry.range(start, end),
                    whole.slice(start..end),
                    "{start}..{end}"
                );
            }
        }
        // A range within one part is a slice of it, not a copy.
        assert_eq!(entry.range(4, 7).as_ptr(), entry.parts[2].as_ptr());
    }
}
