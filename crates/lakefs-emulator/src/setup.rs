//! The default setup (its names and [`Emulator::new`]) and the public methods that set the
//! emulator up and look inside it.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use lakefs_models::{ObjectStats, PullRequest};

use crate::checksum::md5_hex;
use crate::emulator::Emulator;
use crate::model::{Branch, Commit, ObjectEntry, Repository, Support};
use crate::operation::EmulatedOperation;

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

    /// Where the part URLs point (scheme and authority, e.g. `http://127.0.0.1:4567`).
    /// [`serve`](crate::serve) sets it to the server's own address.
    pub fn set_storage_url(&self, url: impl Into<String>) {
        self.lock().storage_url = url.into().trim_end_matches('/').to_owned();
    }

    /// Stores multipart uploads on a real S3-compatible server from now on: create, complete,
    /// abort and `uploadPartCopy` call it, and part URLs are presigned for it. Only
    /// [`Emulator::handle_async`] (and so [`serve`](crate::serve)) can answer those calls then.
    #[cfg(feature = "s3")]
    pub fn set_s3_storage(&self, storage: crate::s3::S3Storage) {
        let mut state = self.lock();
        state.bucket = storage.bucket_name().to_owned();
        state.s3 = Some(std::sync::Arc::new(storage));
    }

    /// The S3 storage, if one is set.
    #[cfg(feature = "s3")]
    #[must_use]
    pub fn s3_storage(&self) -> Option<std::sync::Arc<crate::s3::S3Storage>> {
        self.lock().s3.clone()
    }

    /// Adds a repository with one branch and an initial, empty commit (as lakeFS's:
    /// message `Repository created`, no committer, generation 1).
    pub fn add_repository(&self, repository: &str, default_branch: &str) {
        let mut state = self.lock();
        let initial = state.new_commit_id();
        let now = state.now();
        let mut repo = Repository {
            default_branch: default_branch.to_owned(),
            creation_date: now,
            ..Repository::default()
        };
        let commit = Commit {
            message: "Repository created".into(),
            creation_date: now,
            generation: 1,
            ..Commit::default()
        };
        repo.commits.insert(initial.clone(), commit);
        repo.branches.insert(
            default_branch.to_owned(),
            Branch {
                head: initial,
                ..Branch::default()
            },
        );
        state.repositories.insert(repository.to_owned(), repo);
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

    /// Stages an object (uncommitted, like a completed upload) on `branch`, replacing any
    /// object at `path`. Returns false if the repository or branch is unknown.
    pub fn put_object(
        &self,
        repository: &str,
        branch: &str,
        path: &str,
        content: impl Into<Bytes>,
    ) -> bool {
        let content = content.into();
        let mut state = self.lock();
        let address = state.new_relative_address();
        let mut stats = ObjectStats::new(path, address, md5_hex(&[&content]), state.now());
        stats.size_bytes = Some(i64::try_from(content.len()).unwrap_or(i64::MAX));
        stats.content_type = Some("application/octet-stream".into());
        let entry = ObjectEntry {
            parts: vec![content],
            stats,
            s3_key: None,
        };
        let Some(target) = state
            .repositories
            .get_mut(repository)
            .and_then(|r| r.branches.get_mut(branch))
        else {
            return false;
        };
        target.staged.insert(path.to_owned(), Some(entry.clone()));
        true
    }

    /// Commits what is staged on `branch` (its objects join the head commit's; its deletions
    /// leave it), even when nothing is, and returns the new commit's id (`None` if the branch
    /// is unknown). The commit is `admin`'s, with `message` and no metadata.
    pub fn commit(&self, repository: &str, branch: &str, message: &str) -> Option<String> {
        let mut state = self.lock();
        let id = state.new_commit_id();
        let now = state.now();
        let repo = state.repositories.get_mut(repository)?;
        let record = repo.commit_staged(branch, "admin", message, now, BTreeMap::new())?;
        repo.add_commit(branch, id.clone(), record);
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

    /// The parents of a commit (a merge commit has two: destination, then source).
    #[must_use]
    pub fn commit_parents(&self, repository: &str, commit: &str) -> Option<Vec<String>> {
        let state = self.lock();
        Some(
            state
                .repositories
                .get(repository)?
                .commits
                .get(commit)?
                .parents
                .clone(),
        )
    }

    /// Makes a repository read-only (hard reset then needs `force`; merges and metadata
    /// updates answer 403).
    pub fn set_read_only(&self, repository: &str, read_only: bool) {
        if let Some(repo) = self.lock().repositories.get_mut(repository) {
            repo.read_only = read_only;
        }
    }

    /// Protects a branch (hard reset and metadata updates answer 403; merges are allowed, as
    /// on lakeFS).
    pub fn protect_branch(&self, repository: &str, branch: &str, protected: bool) {
        self.with_branch(repository, branch, |b| b.protected = protected);
    }

    /// Marks a branch as having uncommitted, sealed changes (hard reset and merging into it
    /// answer 400).
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

    /// Makes `externalPrincipalLogin` recognise `identity` as proof of the external principal
    /// `principal_id` (e.g. an assumed-role ARN), standing in for the external authentication
    /// service lakeFS asks. `identity` is matched against the request's
    /// `identityRequest.identity_token`, verbatim, or, when that token is what lakeFS's AWS
    /// IAM client sends (base64 of a JSON presigned `GetCallerIdentity`), against its
    /// `access_key_id`. The login succeeds once the principal is attached to a user.
    pub fn add_external_identity(&self, identity: &str, principal_id: &str) {
        self.lock()
            .external_identities
            .insert(identity.to_owned(), principal_id.to_owned());
    }

    /// Whether `presign=true` reads work (default yes). Off, `statObject`, `listObjects` and
    /// `getObject` with `presign=true` answer `400` "operation not supported", as lakeFS does
    /// on a blockstore that cannot presign (`local`) or with presigning disabled
    /// (`controller.go` maps `block.ErrOperationNotSupported` to 400).
    pub fn set_presign_reads(&self, enabled: bool) {
        self.lock().presign_reads = enabled;
    }

    /// Turns presigned multipart uploads on, or answers 501 as servers whose blockstore is not
    /// S3 do (`uploadPart` and `uploadPartCopy` then answer 400 "operation not supported", as
    /// lakeFS does).
    pub fn set_presign_multipart(&self, support: Support) {
        self.lock().presign_multipart = support;
    }

    /// Turns external principals on, or answers 501 as open-source lakeFS does (for the four
    /// principal operations and `externalPrincipalLogin`).
    pub fn set_external_principals(&self, support: Support) {
        self.lock().external_principals = support;
    }

    /// Turns STS login on, or answers 501 as servers without an external authentication API do.
    pub fn set_sts(&self, support: Support) {
        self.lock().sts = support;
    }

    /// Makes an operation's route known (the default) or unknown, as on a lakeFS release
    /// older than [`EmulatedOperation::introduced_in`]: its spec validator then answers
    /// `400 {"message": "no matching operation was found"}`, before authentication. For a
    /// server without `uploadPart` (before v1.55.0) make [`EmulatedOperation::UploadPart`] and
    /// [`EmulatedOperation::UploadPartCopy`] unavailable.
    pub fn set_operation_available(&self, operation: EmulatedOperation, available: bool) {
        let mut state = self.lock();
        if available {
            state.unavailable.remove(&operation);
        } else {
            state.unavailable.insert(operation);
        }
    }

    /// How long presigned URLs handed out from now on stay valid — part URLs, and the GET URLs
    /// of `presign=true` reads (lakeFS's `blockstore.s3.pre_signed_expiry`, which covers both;
    /// default 15 minutes). Whole seconds count; the emulator's store refuses a URL used later
    /// with S3's `403 AccessDenied` "Request has expired".
    pub fn set_part_url_expiry(&self, expiry: Duration) {
        self.lock().part_url_expiry = expiry;
    }

    /// How long part URLs stay valid.
    #[must_use]
    pub fn part_url_expiry(&self) -> Duration {
        self.lock().part_url_expiry
    }

    /// Moves the emulator's clock forward by `by`, without sleeping: part URLs, presigned GET
    /// URLs, link addresses (24 h) and login tokens expire accordingly, and the dates the
    /// emulator reports (object `mtime`, commit `creation_date`) move too.
    /// An S3 server behind the emulator (feature `s3`) keeps its own clock.
    pub fn advance_clock(&self, by: Duration) {
        let mut state = self.lock();
        state.clock_offset = state.clock_offset.saturating_add(by);
    }

    /// The emulator's clock: the system clock plus every [`advance_clock`](Self::advance_clock).
    #[must_use]
    pub fn now(&self) -> SystemTime {
        let offset = self.lock().clock_offset;
        SystemTime::now()
            .checked_add(offset)
            .unwrap_or_else(SystemTime::now)
    }

    /// The bytes of the object at `path` as `branch` sees it: staged (by a completed upload or
    /// [`put_object`](Self::put_object)), else committed. Empty for an object stored on S3.
    #[must_use]
    pub fn object(&self, repository: &str, branch: &str, path: &str) -> Option<Bytes> {
        let state = self.lock();
        let repo = state.repositories.get(repository)?;
        Some(repo.branch_object(branch, path)?.bytes())
    }

    /// The stats of the object at `path` as `branch` sees it (for an upload, what
    /// `completePresignMultipartUpload` answered; user metadata as last updated).
    #[must_use]
    pub fn object_stats(&self, repository: &str, branch: &str, path: &str) -> Option<ObjectStats> {
        let state = self.lock();
        let repo = state.repositories.get(repository)?;
        Some(repo.branch_object(branch, path)?.stats.clone())
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

    /// A pull request, as `getPullRequest` would answer it.
    #[must_use]
    pub fn pull_request(&self, repository: &str, id: &str) -> Option<PullRequest> {
        self.lock()
            .repositories
            .get(repository)?
            .pulls
            .get(id)
            .cloned()
    }
}
