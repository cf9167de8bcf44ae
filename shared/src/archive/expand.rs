//! From a member's selection (files and folders) to the objects to archive.

use std::collections::BTreeMap;

use aws_sdk_s3::Client;

use super::{ArchiveError, Entry};

/// Lists every object under each selected key or folder prefix
/// (`ListObjectsV2`, every page) and returns them once each, in key order,
/// as entries whose zip path is the key relative to `root_prefix`.
///
/// `root_prefix` is the folder the snapshot is taken of (say one member's
/// bucket, `members/A1/photos/`; a missing trailing `/` is added, `""` is
/// the whole bucket). It bounds what a selection can reach: an item that
/// does not start with it is ignored, so a selection can never pull another
/// member's objects into the archive. An item ending in `/` is a folder; one
/// without is a file or a folder of that name (`a/b` takes `a/b` and
/// `a/b/...`, never `a/bc`). Overlapping items add each object once.
/// Folder markers (keys ending in `/`) are skipped; a key whose path would
/// climb out of the folder it is unzipped in is [`ArchiveError::UnsafePath`].
/// An item that matches nothing adds nothing: [`super::write_zip`] refuses
/// an empty list.
pub async fn expand(
    s3: &Client,
    bucket: &str,
    root_prefix: &str,
    selection: &[String],
) -> Result<Vec<Entry>, ArchiveError> {
    let root = if root_prefix.is_empty() || root_prefix.ends_with('/') {
        root_prefix.to_owned()
    } else {
        format!("{root_prefix}/")
    };
    let mut found = BTreeMap::new();
    for item in selection {
        let Some(relative) = item.strip_prefix(&root) else {
            continue;
        };
        let folder = relative.is_empty() || relative.ends_with('/');
        let below = format!("{item}/");
        let mut pages = s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(item)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| ArchiveError::s3("ListObjectsV2", item, e))?;
            for key in page.contents().iter().filter_map(|o| o.key()) {
                let selected = folder || key == item || key.starts_with(&below);
                if !selected || key.ends_with('/') || found.contains_key(key) {
                    continue;
                }
                let path = &key[root.len()..];
                if !is_safe(path) {
                    return Err(ArchiveError::UnsafePath {
                        key: key.to_owned(),
                    });
                }
                found.insert(
                    key.to_owned(),
                    Entry {
                        key: key.to_owned(),
                        path: path.to_owned(),
                    },
                );
            }
        }
    }
    Ok(found.into_values().collect())
}

/// Whether `path` stays inside the folder it is unzipped in, for unzip
/// tools on any system (so `\` counts as a separator too).
fn is_safe(path: &str) -> bool {
    !path.starts_with('/')
        && !path.starts_with('\\')
        && path.split(['/', '\\']).all(|s| s != "." && s != "..")
}

#[cfg(test)]
mod tests {
    use super::is_safe;

    #[test]
    fn paths_that_climb_out_are_unsafe() {
        for (path, safe) in [
            ("a/b/c.txt", true),
            ("notes..txt", true),
            ("..hidden", true),
            ("../etc/passwd", false),
            ("a/../../b", false),
            ("a/./b", false),
            ("/abs", false),
            ("a\\..\\b", false),
            ("\\abs", false),
        ] {
            assert_eq!(is_safe(path), safe, "{path}");
        }
    }
}
