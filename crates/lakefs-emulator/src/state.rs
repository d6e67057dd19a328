//! The emulated server's state and the methods that set it up.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

/// The access key id of the emulator's default administrator.
pub const DEFAULT_ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
/// The secret access key of the emulator's default administrator.
pub const DEFAULT_SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// The default repository.
pub const DEFAULT_REPOSITORY: &str = "example-repo";
/// The default branch.
pub const DEFAULT_BRANCH: &str = "main";
/// The STS authorization code the default setup accepts (with [`DEFAULT_STS_STATE`]).
pub const DEFAULT_STS_CODE: &str = "emulator-code";
/// The STS state the default setup accepts.
pub const DEFAULT_STS_STATE: &str = "emulator-state";

/// Whether an optional server feature answers or says 501, as servers without it do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// The feature works.
    Enabled,
    /// Every call answers 501 Not Implemented.
    NotImplemented,
}

/// An in-memory lakeFS answering the nine `ExperimentalApi` operations with the real server's
/// semantics (lakeFS v1.84.0), plus the object store its presigned part URLs point at.
///
/// Cheap to clone: clones share the state. Use it in-process as a
/// [`FakeTransport`](https://docs.rs/lakefs-transport) handler through
/// [`Emulator::handle`], or over HTTP with [`serve`](crate::serve).
///
/// ```
/// use lakefs_emulator::Emulator;
///
/// let emulator = Emulator::new(); // example-repo/main, an admin key, users admin and alice
/// emulator.add_repository("analytics", "main");
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
    pub(crate) tokens: HashMap<String, (String, i64)>,
    pub(crate) session_cookies: HashMap<String, String>,
    /// principal id → user id
    pub(crate) principals: BTreeMap<String, String>,
    /// (code, state) → user id
    pub(crate) sts_logins: HashMap<(String, String), String>,
    pub(crate) uploads: HashMap<String, Upload>,
    pub(crate) presign_multipart: Support,
    /// The bucket in physical addresses: `emulator-bucket`, or the S3 storage's bucket.
    pub(crate) bucket: String,
    #[cfg(feature = "s3")]
    pub(crate) s3: Option<Arc<crate::s3::S3Storage>>,
    pub(crate) external_principals: Support,
    pub(crate) sts: Support,
    pub(crate) next_id: u64,
}

#[derive(Debug)]
pub(crate) struct Repository {
    pub(crate) read_only: bool,
    /// commit id → parent
    pub(crate) commits: HashMap<String, Option<String>>,
    pub(crate) branches: HashMap<String, Branch>,
}

#[derive(Debug, Default)]
pub(crate) struct Branch {
    pub(crate) head: String,
    pub(crate) protected: bool,
    pub(crate) dirty: bool,
    /// Staged objects by path.
    pub(crate) staged: BTreeMap<String, StagedObject>,
}

/// An object staged by a completed upload.
#[derive(Debug, Clone)]
pub(crate) struct StagedObject {
    pub(crate) parts: Vec<Bytes>,
    pub(crate) stats: lakefs_models::ObjectStats,
}

#[derive(Debug)]
pub(crate) struct Upload {
    pub(crate) repository: String,
    pub(crate) branch: String,
    pub(crate) path: String,
    pub(crate) physical_address: String,
    pub(crate) presigned_parts: u32,
    /// part number → (bytes, MD5 hex)
    pub(crate) parts: BTreeMap<u32, (Bytes, String)>,
}

pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
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
    /// An emulator with the default setup: repository `example-repo` whose branch `main` has
    /// two commits; users `admin` (key [`DEFAULT_ACCESS_KEY_ID`] /
    /// [`DEFAULT_SECRET_ACCESS_KEY`]) and `alice`; an STS login ([`DEFAULT_STS_CODE`],
    /// [`DEFAULT_STS_STATE`]) for `alice`; every feature enabled.
    #[must_use]
    pub fn new() -> Self {
        let emulator = Self::empty();
        emulator.add_user("admin");
        emulator.add_user("alice");
        emulator.add_access_key(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY, "admin");
        emulator.add_repository(DEFAULT_REPOSITORY, DEFAULT_BRANCH);
        emulator.commit(DEFAULT_REPOSITORY, DEFAULT_BRANCH, "add data");
        emulator.add_sts_login(DEFAULT_STS_CODE, DEFAULT_STS_STATE, "alice");
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
                uploads: HashMap::new(),
                presign_multipart: Support::Enabled,
                bucket: "emulator-bucket".into(),
                #[cfg(feature = "s3")]
                s3: None,
                external_principals: Support::Enabled,
                sts: Support::Enabled,
                next_id: 0,
            })),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Where the part URLs point (scheme and authority, e.g. `http://127.0.0.1:4567`).
    /// [`serve`](crate::serve) sets it to the server's own address.
    pub fn set_storage_url(&self, url: impl Into<String>) {
        self.lock().storage_url = url.into().trim_end_matches('/').to_owned();
    }

    /// Stores multipart uploads on a real S3-compatible server from now on: create, complete
    /// and abort call it, and part URLs are presigned for it. Only [`Emulator::handle_async`]
    /// (and so [`serve`](crate::serve)) can answer those calls then.
    #[cfg(feature = "s3")]
    pub fn set_s3_storage(&self, storage: crate::s3::S3Storage) {
        let mut state = self.lock();
        state.bucket = storage.bucket_name().to_owned();
        state.s3 = Some(Arc::new(storage));
    }

    /// The S3 storage, if one is set.
    #[cfg(feature = "s3")]
    #[must_use]
    pub fn s3_storage(&self) -> Option<Arc<crate::s3::S3Storage>> {
        self.lock().s3.clone()
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

    /// Adds a repository with one branch and an initial commit.
    pub fn add_repository(&self, repository: &str, default_branch: &str) {
        let mut state = self.lock();
        let initial = state.new_id("c");
        let mut commits = HashMap::new();
        commits.insert(initial.clone(), None);
        let mut branches = HashMap::new();
        branches.insert(
            default_branch.to_owned(),
            Branch {
                head: initial,
                ..Branch::default()
            },
        );
        state.repositories.insert(
            repository.to_owned(),
            Repository {
                read_only: false,
                commits,
                branches,
            },
        );
    }

    /// Creates `branch` at the head of `from`. Returns false if either is unknown.
    pub fn add_branch(&self, repository: &str, branch: &str, from: &str) -> bool {
        let mut state = self.lock();
        let Some(repo) = state.repositories.get_mut(repository) else {
            return false;
        };
        let Some(head) = repo.branches.get(from).map(|b| b.head.clone()) else {
            return false;
        };
        repo.branches.insert(
            branch.to_owned(),
            Branch {
                head,
                ..Branch::default()
            },
        );
        true
    }

    /// Adds a commit on top of `branch` and returns its id (`None` if the branch is unknown).
    pub fn commit(&self, repository: &str, branch: &str, _message: &str) -> Option<String> {
        let mut state = self.lock();
        let id = state.new_id("c");
        let repo = state.repositories.get_mut(repository)?;
        let branch = repo.branches.get_mut(branch)?;
        let parent = std::mem::replace(&mut branch.head, id.clone());
        branch.staged.clear();
        repo.commits.insert(id.clone(), Some(parent));
        Some(id)
    }

    /// The commit `branch` points at.
    #[must_use]
    pub fn head(&self, repository: &str, branch: &str) -> Option<String> {
        let state = self.lock();
        Some(
            state
                .repositories
                .get(repository)?
                .branches
                .get(branch)?
                .head
                .clone(),
        )
    }

    /// Makes a repository read-only (hard reset then needs `force`).
    pub fn set_read_only(&self, repository: &str, read_only: bool) {
        if let Some(repo) = self.lock().repositories.get_mut(repository) {
            repo.read_only = read_only;
        }
    }

    /// Protects a branch (hard reset answers 403).
    pub fn protect_branch(&self, repository: &str, branch: &str, protected: bool) {
        self.with_branch(repository, branch, |b| b.protected = protected);
    }

    /// Marks a branch as having uncommitted, sealed changes (hard reset answers 400).
    pub fn set_dirty(&self, repository: &str, branch: &str, dirty: bool) {
        self.with_branch(repository, branch, |b| b.dirty = dirty);
    }

    fn with_branch(&self, repository: &str, branch: &str, change: impl FnOnce(&mut Branch)) {
        if let Some(b) = self
            .lock()
            .repositories
            .get_mut(repository)
            .and_then(|r| r.branches.get_mut(branch))
        {
            change(b);
        }
    }

    /// Adds a lakeFS user.
    pub fn add_user(&self, user_id: &str) {
        self.lock().users.insert(user_id.to_owned(), ());
    }

    /// Adds an access key pair for `user_id` (basic authentication).
    pub fn add_access_key(&self, access_key_id: &str, secret_access_key: &str, user_id: &str) {
        self.lock().access_keys.insert(
            access_key_id.to_owned(),
            (secret_access_key.to_owned(), user_id.to_owned()),
        );
    }

    /// Accepts `value` as a session cookie (`internal_auth_session`, `oidc_auth_session` or
    /// `saml_auth_session`) of `user_id`.
    pub fn add_session_cookie(&self, value: &str, user_id: &str) {
        self.lock()
            .session_cookies
            .insert(value.to_owned(), user_id.to_owned());
    }

    /// Makes `stsLogin` accept `code` and `state` and log in as `user_id`.
    pub fn add_sts_login(&self, code: &str, state: &str, user_id: &str) {
        self.lock()
            .sts_logins
            .insert((code.to_owned(), state.to_owned()), user_id.to_owned());
    }

    /// Turns presigned multipart uploads on, or answers 501 as servers whose blockstore is not
    /// S3 do.
    pub fn set_presign_multipart(&self, support: Support) {
        self.lock().presign_multipart = support;
    }

    /// Turns external principals on, or answers 501 as open-source lakeFS does.
    pub fn set_external_principals(&self, support: Support) {
        self.lock().external_principals = support;
    }

    /// Turns STS login on, or answers 501 as servers without an external authentication API do.
    pub fn set_sts(&self, support: Support) {
        self.lock().sts = support;
    }

    /// The bytes of an object staged on `branch` by a completed upload.
    #[must_use]
    pub fn object(&self, repository: &str, branch: &str, path: &str) -> Option<Bytes> {
        let state = self.lock();
        let object = state
            .repositories
            .get(repository)?
            .branches
            .get(branch)?
            .staged
            .get(path)?;
        let mut out = Vec::with_capacity(object.parts.iter().map(Bytes::len).sum());
        for part in &object.parts {
            out.extend_from_slice(part);
        }
        Some(Bytes::from(out))
    }

    /// The stats `completePresignMultipartUpload` answered for an object staged on `branch`.
    #[must_use]
    pub fn object_stats(
        &self,
        repository: &str,
        branch: &str,
        path: &str,
    ) -> Option<lakefs_models::ObjectStats> {
        let state = self.lock();
        let branch = state.repositories.get(repository)?.branches.get(branch)?;
        Some(branch.staged.get(path)?.stats.clone())
    }

    /// How many multipart uploads are open (created, neither completed nor aborted).
    #[must_use]
    pub fn open_uploads(&self) -> usize {
        self.lock().uploads.len()
    }

    /// The principals attached to `user_id`.
    #[must_use]
    pub fn principals_of(&self, user_id: &str) -> Vec<String> {
        self.lock()
            .principals
            .iter()
            .filter(|(_, user)| user.as_str() == user_id)
            .map(|(id, _)| id.clone())
            .collect()
    }
}

impl State {
    pub(crate) fn new_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{:08x}{:08x}", self.next_id, fastrand::u32(..))
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

    /// The signature of a part URL.
    pub(crate) fn part_signature(&self, upload_id: &str, part_number: u32) -> String {
        md5_hex(&[
            self.secret.as_bytes(),
            b"|part|",
            upload_id.as_bytes(),
            b"|",
            part_number.to_string().as_bytes(),
        ])
    }
}
