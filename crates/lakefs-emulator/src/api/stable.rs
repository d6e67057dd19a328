//! The routes of the stable (not `experimental`) operations the emulator answers, and their
//! dispatch: objects, commits, refs, branches and repositories.

use bytes::Bytes;
use http::{Method, Request};

use super::{empty, Answer, Failure, Query};
use crate::emulator::Emulator;

/// A stable operation, with its decoded path parameters: (repository) or (repository, branch
/// or ref or commit).
#[derive(Debug)]
pub(super) enum Stable {
    /// `listRepositories`: GET `/repositories`.
    ListRepositories,
    /// `getRepository`: GET `/repositories/{repository}`.
    GetRepository(String),
    /// `listBranches`: GET `/repositories/{repository}/branches`.
    ListBranches(String),
    /// `createBranch`: POST `/repositories/{repository}/branches`.
    CreateBranch(String),
    /// `getBranch`: GET `/repositories/{repository}/branches/{branch}`.
    GetBranch(String, String),
    /// `deleteBranch`: DELETE `/repositories/{repository}/branches/{branch}`.
    DeleteBranch(String, String),
    /// `resetBranch`: PUT `/repositories/{repository}/branches/{branch}`.
    ResetBranch(String, String),
    /// `diffBranch`: GET `/repositories/{repository}/branches/{branch}/diff`.
    DiffBranch(String, String),
    /// `commit`: POST `/repositories/{repository}/branches/{branch}/commits`.
    Commit(String, String),
    /// `getCommit`: GET `/repositories/{repository}/commits/{commitId}`.
    GetCommit(String, String),
    /// `logCommits`: GET `/repositories/{repository}/refs/{ref}/commits`.
    LogCommits(String, String),
    /// `getObject`: GET `/repositories/{repository}/refs/{ref}/objects`.
    GetObject(String, String),
    /// `headObject`: HEAD `/repositories/{repository}/refs/{ref}/objects`.
    HeadObject(String, String),
    /// `listObjects`: GET `/repositories/{repository}/refs/{ref}/objects/ls`.
    ListObjects(String, String),
    /// `deleteObject`: DELETE `/repositories/{repository}/branches/{branch}/objects`.
    DeleteObject(String, String),
    /// `deleteObjects`: POST `/repositories/{repository}/branches/{branch}/objects/delete`.
    DeleteObjects(String, String),
    /// `copyObject`: POST `/repositories/{repository}/branches/{branch}/objects/copy`.
    CopyObject(String, String),
    /// `uploadObject`: POST `/repositories/{repository}/branches/{branch}/objects`.
    UploadObject(String, String),
}

impl Stable {
    /// The operation of a request under `/api/v1`, from its method and decoded path segments.
    pub(super) fn parse(method: &Method, segments: &[&str]) -> Option<Self> {
        let o = |s: &&str| (*s).to_owned();
        Some(match (method, segments) {
            (&Method::GET, ["repositories"]) => Self::ListRepositories,
            (&Method::GET, ["repositories", repo]) => Self::GetRepository(o(repo)),
            (&Method::GET, ["repositories", repo, "branches"]) => Self::ListBranches(o(repo)),
            (&Method::POST, ["repositories", repo, "branches"]) => Self::CreateBranch(o(repo)),
            (&Method::GET, ["repositories", repo, "branches", branch]) => {
                Self::GetBranch(o(repo), o(branch))
            }
            (&Method::DELETE, ["repositories", repo, "branches", branch]) => {
                Self::DeleteBranch(o(repo), o(branch))
            }
            (&Method::PUT, ["repositories", repo, "branches", branch]) => {
                Self::ResetBranch(o(repo), o(branch))
            }
            (&Method::GET, ["repositories", repo, "branches", branch, "diff"]) => {
                Self::DiffBranch(o(repo), o(branch))
            }
            (&Method::POST, ["repositories", repo, "branches", branch, "commits"]) => {
                Self::Commit(o(repo), o(branch))
            }
            (&Method::GET, ["repositories", repo, "commits", commit]) => {
                Self::GetCommit(o(repo), o(commit))
            }
            (&Method::GET, ["repositories", repo, "refs", reference, "commits"]) => {
                Self::LogCommits(o(repo), o(reference))
            }
            (&Method::GET, ["repositories", repo, "refs", reference, "objects"]) => {
                Self::GetObject(o(repo), o(reference))
            }
            (&Method::HEAD, ["repositories", repo, "refs", reference, "objects"]) => {
                Self::HeadObject(o(repo), o(reference))
            }
            (&Method::GET, ["repositories", repo, "refs", reference, "objects", "ls"]) => {
                Self::ListObjects(o(repo), o(reference))
            }
            (&Method::POST, ["repositories", repo, "branches", branch, "objects"]) => {
                Self::UploadObject(o(repo), o(branch))
            }
            (&Method::DELETE, ["repositories", repo, "branches", branch, "objects"]) => {
                Self::DeleteObject(o(repo), o(branch))
            }
            (&Method::POST, ["repositories", repo, "branches", branch, "objects", "delete"]) => {
                Self::DeleteObjects(o(repo), o(branch))
            }
            (&Method::POST, ["repositories", repo, "branches", branch, "objects", "copy"]) => {
                Self::CopyObject(o(repo), o(branch))
            }
            _ => return None,
        })
    }
}

impl Emulator {
    /// Answers a stable operation for the authenticated `user`.
    pub(super) fn answer_stable(
        &self,
        operation: &Stable,
        query: &Query,
        request: &Request<Bytes>,
        user: &str,
    ) -> Result<Answer, Failure> {
        let q = query;
        match operation {
            Stable::ListRepositories => self.list_repositories(q),
            Stable::GetRepository(repo) => self.get_repository(repo),
            Stable::ListBranches(repo) => self.list_branches(repo, q),
            Stable::CreateBranch(repo) => self.create_branch(repo, request),
            Stable::GetBranch(repo, branch) => self.get_branch(repo, branch),
            Stable::DeleteBranch(repo, branch) => self.delete_branch(repo, branch, q),
            Stable::ResetBranch(repo, branch) => self.reset_branch(repo, branch, request),
            Stable::DiffBranch(repo, branch) => self.diff_branch(repo, branch, q),
            Stable::Commit(repo, branch) => self.commit_branch(repo, branch, q, request, user),
            Stable::GetCommit(repo, commit) => self.get_commit(repo, commit),
            Stable::LogCommits(repo, reference) => self.log_commits(repo, reference, q),
            Stable::GetObject(repo, reference) => self.get_object(repo, reference, q, request),
            // headObject answers every error with its status alone (`controller.go:4808-4823`).
            Stable::HeadObject(repo, reference) => self
                .head_object(repo, reference, q, request)
                .or_else(|failure| Ok(empty(failure.status))),
            Stable::ListObjects(repo, reference) => self.list_objects(repo, reference, q),
            Stable::DeleteObject(repo, branch) => self.delete_object(repo, branch, q),
            Stable::DeleteObjects(repo, branch) => self.delete_objects(repo, branch, q, request),
            Stable::CopyObject(repo, branch) => self.copy_object(repo, branch, q, request),
            Stable::UploadObject(repo, branch) => self.upload_object(repo, branch, q, request),
        }
    }
}
