//! The `build-snapshot` job: the chosen files and folders of a member's
//! bucket streamed into one zip (stored entries, ZIP64) written to the
//! snapshots bucket by multipart upload, with memory bounded by a part or
//! two whatever the size. Safe to run again: a finished snapshot is left
//! alone, and a build that crashed midway has its multipart upload (noted
//! on the snapshot) aborted before starting over.

use uuid::Uuid;

use crate::archive::{self, ArchiveError};
use crate::deps::Deps;
use crate::error::{Error, Result};
use crate::model::{AccountId, SnapshotState, bucket};
use crate::repo::SnapshotOutcome;

/// Builds one snapshot, if it is still Pending.
pub async fn build(deps: &Deps, aid: &AccountId, sid: &Uuid) -> Result<()> {
    let Some(snapshot) = deps.repo.get_snapshot(aid, sid).await? else {
        tracing::warn!(snapshot_id = %sid, "snapshot gone before its build; nothing to do");
        return Ok(());
    };
    if snapshot.state != SnapshotState::Pending {
        return Ok(());
    }
    let files = deps.files()?;
    let (s3, data, out) = (files.s3(), files.data_bucket()?, files.snapshots_bucket()?);
    let key = snapshot.object_key();
    if let Some(stale) = deps.repo.snapshot_upload(aid, sid).await? {
        archive::abort_upload(s3, out, &key, &stale)
            .await
            .map_err(Error::unexpected)?;
        deps.repo.set_snapshot_upload(aid, sid, None).await?;
    }
    let root = bucket::prefix(aid, &snapshot.bucket);
    let selection: Vec<String> = snapshot
        .selection
        .iter()
        .map(|item| format!("{root}{item}"))
        .collect();
    let entries = match archive::expand(s3, data, &root, &selection).await {
        Ok(entries) => entries,
        Err(ArchiveError::UnsafePath { key }) => {
            let outcome = SnapshotOutcome::Failed(format!(
                "'{}' cannot be unpacked safely",
                key.strip_prefix(&root).unwrap_or(&key)
            ));
            return finish(deps, aid, sid, outcome).await;
        }
        Err(other) => return Err(Error::unexpected(other)),
    };
    if entries.is_empty() {
        return finish(
            deps,
            aid,
            sid,
            SnapshotOutcome::Failed("none of the chosen files exist any more".into()),
        )
        .await;
    }
    // Owned captures: the future holds no borrow (so it is `Send` for any
    // lifetime, as a spawned job needs).
    let (repo, owner, id) = (deps.repo.clone(), aid.clone(), *sid);
    let noted = move |upload_id: String| async move {
        repo.set_snapshot_upload(&owner, &id, Some(&upload_id))
            .await
    };
    let written = archive::write_zip(
        s3,
        data,
        &entries,
        out,
        &key,
        archive::DEFAULT_PART_SIZE,
        noted,
    )
    .await;
    let outcome = match written {
        Ok(written) => SnapshotOutcome::Ready {
            size_bytes: written.bytes,
            file_count: written.files,
        },
        Err(ArchiveError::Vanished { key }) => {
            let path = key.strip_prefix(&root).unwrap_or(&key);
            SnapshotOutcome::Failed(format!(
                "'{path}' was deleted while the snapshot was being built"
            ))
        }
        // Anything else may pass: the job is retried (and dead-lettered in the end).
        Err(other) => return Err(Error::unexpected(other)),
    };
    finish(deps, aid, sid, outcome).await
}

async fn finish(deps: &Deps, aid: &AccountId, sid: &Uuid, outcome: SnapshotOutcome) -> Result<()> {
    if !deps.repo.finish_snapshot(aid, sid, &outcome).await? {
        tracing::info!(snapshot_id = %sid, "snapshot already finished by an earlier delivery");
    }
    Ok(())
}
