//! One page of a partition (of the table or of GSI1) under a sort-key
//! prefix, for the lists whose resume position is a whole DynamoDB key. The
//! position handed back is checked to lie in the same partition and prefix
//! before it reaches DynamoDB, so a forged page token reads nothing else.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

use super::{Repository, from_item, s, sdk_error};
use crate::error::{Error, Result};
use crate::keys;

/// Where a page resumes: the last key read (table keys, plus the index's).
pub type Position = BTreeMap<String, String>;

/// What to read.
pub(crate) struct PageQuery<'q> {
    /// On GSI1 rather than the table.
    pub on_index: bool,
    /// The partition.
    pub pk: String,
    /// The sort-key prefix.
    pub prefix: &'q str,
    /// Items at most.
    pub limit: usize,
    /// Resume after this key.
    pub after: Option<&'q Position>,
    /// Newest (highest sort key) first.
    pub descending: bool,
}

fn forged() -> Error {
    Error::invalid("nextToken", "is not a token this list gave out")
}

impl Repository {
    /// A page and where the next one resumes (`None` at the end). One
    /// `Query`: consistent on the table, eventually consistent on GSI1.
    pub(crate) async fn page_of<T: DeserializeOwned>(
        &self,
        q: PageQuery<'_>,
    ) -> Result<(Vec<T>, Option<Position>)> {
        let (pk_name, sk_name) = if q.on_index {
            (keys::GSI1PK, keys::GSI1SK)
        } else {
            (keys::PK, keys::SK)
        };
        let mut query = self
            .client
            .query()
            .table_name(self.table())
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", pk_name)
            .expression_attribute_names("#sk", sk_name)
            .expression_attribute_values(":pk", s(&q.pk))
            .expression_attribute_values(":prefix", s(q.prefix))
            .scan_index_forward(!q.descending)
            .limit(i32::try_from(q.limit).unwrap_or(i32::MAX));
        query = if q.on_index {
            query.index_name(keys::GSI1)
        } else {
            query.consistent_read(true)
        };
        if let Some(after) = q.after {
            let expected: &[&str] = if q.on_index {
                &[keys::GSI1PK, keys::GSI1SK, keys::PK, keys::SK]
            } else {
                &[keys::PK, keys::SK]
            };
            let same_place = after.len() == expected.len()
                && expected.iter().all(|k| after.contains_key(*k))
                && after.get(pk_name) == Some(&q.pk)
                && after
                    .get(sk_name)
                    .is_some_and(|sk| sk.starts_with(q.prefix));
            if !same_place {
                return Err(forged());
            }
            query = query.set_exclusive_start_key(Some(
                after.iter().map(|(k, v)| (k.clone(), s(v))).collect(),
            ));
        }
        let out = query.send().await.map_err(sdk_error)?;
        let next = out.last_evaluated_key.map(|key| {
            key.into_iter()
                .filter_map(|(k, v)| v.as_s().ok().map(|v| (k, v.clone())))
                .collect::<Position>()
        });
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect::<Result<_>>()?;
        Ok((items, next))
    }
}
