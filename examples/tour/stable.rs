//! The tour's stable operations: a scratch branch that gets a copy of the tour's object, is
//! read, listed, diffed, committed, changed and reset, and deleted again — so that against a
//! real server nothing but that scratch branch is touched.

use futures_util::TryStreamExt;
use lakefs::api::{BranchesApi, CommitsApi, ObjectsApi, RefsApi, RepositoriesApi};
use lakefs::experimental::{ExperimentalClient, Operation};
use lakefs::transport::HttpTransport;

use crate::{Outcome, Tour};

impl Tour {
    /// getRepository, listRepositories, createBranch, copyObject, statObject, headObject,
    /// getObject, listObjects, diffBranch, commit, getCommit, logCommits, listBranches,
    /// getBranch, deleteObject, resetBranch, deleteObjects, deleteBranch.
    pub(crate) async fn stable_operations<T: HttpTransport + 'static>(
        &self,
        client: &ExperimentalClient<T>,
    ) -> Outcome {
        let (repo, branch, path) = (&self.repo, &self.branch, &self.path);
        let scratch = format!("tour-scratch-{}", std::process::id());
        println!("objects, commits and branches on a scratch branch {repo}/{scratch}");

        let repository = client.get_repository().repository(repo).send().await;
        self.report(Operation::GetRepository, &repository);
        let repositories = client.list_repositories().collect_all().await;
        self.report(Operation::ListRepositories, &repositories);

        let created = client
            .create_branch()
            .repository(repo)
            .name(&scratch)
            .source(branch)
            .send()
            .await;
        self.report(Operation::CreateBranch, &created);
        if created.is_err() {
            return Ok(());
        }
        // The tour's object is uncommitted on its branch: copy it from there (a copy reads a
        // branch's uncommitted state too).
        let copied = client
            .copy_object()
            .repository(repo)
            .branch(&scratch)
            .dest_path(path)
            .src_path(path)
            .src_ref(branch)
            .send()
            .await;
        self.report(Operation::CopyObject, &copied);
        // A small object written through lakeFS, only if the path is free.
        let uploaded = client
            .upload_object()
            .repository(repo)
            .branch(&scratch)
            .path("tour/small.txt")
            .content(bytes::Bytes::from_static(b"written through lakeFS"))
            .if_none_match("*")
            .send()
            .await;
        self.report(Operation::UploadObject, &uploaded);

        let stat = client
            .stat_object()
            .repository(repo)
            .reference(&scratch)
            .path(path)
            .send()
            .await;
        self.report(Operation::StatObject, &stat);
        let head = client
            .head_object()
            .repository(repo)
            .reference(&scratch)
            .path(path)
            .send()
            .await;
        self.report(Operation::HeadObject, &head);
        let first_bytes = client
            .get_object()
            .repository(repo)
            .reference(&scratch)
            .path(path)
            .range(0..=3)
            .send()
            .await;
        self.report(Operation::GetObject, &first_bytes);
        let listed: Result<Vec<_>, _> = client
            .list_objects()
            .repository(repo)
            .reference(&scratch)
            .delimiter("/")
            .into_stream()
            .try_collect()
            .await;
        self.report(Operation::ListObjects, &listed);
        let changes = client
            .diff_branch()
            .repository(repo)
            .branch(&scratch)
            .collect_all()
            .await;
        self.report(Operation::DiffBranch, &changes);

        let commit = client
            .commit()
            .repository(repo)
            .branch(&scratch)
            .message("A copy of the tour's object")
            .meta("written-by", "examples/tour")
            .send()
            .await;
        self.report(Operation::Commit, &commit);
        if let Ok(commit) = &commit {
            let fetched = client
                .get_commit()
                .repository(repo)
                .commit_id(&commit.id)
                .send()
                .await;
            self.report(Operation::GetCommit, &fetched);
        }
        let log = client
            .log_commits()
            .repository(repo)
            .reference(&scratch)
            .amount(5)
            .send()
            .await;
        self.report(Operation::LogCommits, &log);
        let branches = client
            .list_branches()
            .repository(repo)
            .prefix("tour-scratch-")
            .collect_all()
            .await;
        self.report(Operation::ListBranches, &branches);
        let got = client
            .get_branch()
            .repository(repo)
            .branch(&scratch)
            .send()
            .await;
        self.report(Operation::GetBranch, &got);

        // Delete the committed object, then undo the delete; delete it in bulk, and reset all.
        let deleted = client
            .delete_object()
            .repository(repo)
            .branch(&scratch)
            .path(path)
            .send()
            .await;
        self.report(Operation::DeleteObject, &deleted);
        let reset = client
            .reset_branch()
            .repository(repo)
            .branch(&scratch)
            .object(path)
            .send()
            .await;
        self.report(Operation::ResetBranch, &reset);
        let bulk = client
            .delete_objects()
            .repository(repo)
            .branch(&scratch)
            .paths(vec![path.clone()])
            .send()
            .await;
        self.report(Operation::DeleteObjects, &bulk);
        let reset = client
            .reset_branch()
            .repository(repo)
            .branch(&scratch)
            .everything()
            .send()
            .await;
        self.report(Operation::ResetBranch, &reset);

        let dropped = client
            .delete_branch()
            .repository(repo)
            .branch(&scratch)
            .send()
            .await;
        self.report(Operation::DeleteBranch, &dropped);
        Ok(())
    }
}
