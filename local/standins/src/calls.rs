//! What each function's code is seen to call, for checking its IAM policy:
//! the stand-ins check no IAM, so a policy that lacks an action the code
//! calls would pass every local test and fail in AWS (DESIGN §8).
//!
//! [`CallRecorder`] is an SDK interceptor (one type for every client:
//! DynamoDB, SES v2, EventBridge, SQS) that turns each request sent into the
//! IAM authorisations AWS checks for it ([`Access`]: action, DynamoDB index,
//! condition keys), attributed to the function whose code is running. The
//! local gateway runs each handler inside [`as_function`], and the test
//! harness runs the outbox sender and the job workers the same way; a
//! request sent outside (test set-up, the harness's own reads) is not
//! recorded. `tests/src/iam.rs` compares the records with the template.
//!
//! Only the local run and tests use this: it is never a Lambda dependency.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use serde_json::Value;

use crate::TableDefinition;

tokio::task_local! {
    static FUNCTION: Arc<str>;
}

/// Runs `work` as the code of `function` (a binary named in the template):
/// the AWS requests it sends are recorded as that function's.
pub async fn as_function<F: Future>(function: &str, work: F) -> F::Output {
    FUNCTION.scope(Arc::from(function), work).await
}

/// The function whose code is running on this task, if any.
pub fn current_function() -> Option<Arc<str>> {
    FUNCTION.try_with(Arc::clone).ok()
}

/// The IAM condition key of a DynamoDB item's partition key value.
pub const LEADING_KEYS: &str = "dynamodb:LeadingKeys";

/// One authorisation a request needs from IAM.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Access {
    /// The function whose code sent the request.
    pub function: Arc<str>,
    /// The IAM action, e.g. `dynamodb:PutItem` (a `TransactWriteItems` needs
    /// one per item: `PutItem`, `UpdateItem`, `DeleteItem`, `ConditionCheckItem`).
    pub action: String,
    /// DynamoDB: the index the request reads (its resource is
    /// `<table ARN>/index/<name>`), `None` for the table itself. Other
    /// services: always `None` (their resources are not recorded).
    pub index: Option<String>,
    /// The condition keys IAM evaluates with their values: the partition
    /// keys touched ([`LEADING_KEYS`]), an event's `events:source`, a
    /// listing's `s3:prefix`.
    pub context: BTreeMap<String, BTreeSet<String>>,
    /// S3: the bucket (`bucket`) or object (`bucket/key`) acted on, as the
    /// stand-in names it; `None` for other services.
    pub resource: Option<String>,
    /// The SDK operation that needed it.
    pub operation: String,
}

/// Records the IAM authorisations of every request its clients send.
#[derive(Debug, Clone)]
pub struct CallRecorder {
    seen: Arc<Mutex<BTreeSet<Access>>>,
    /// Partition key attribute of the table (`None`) and of each index.
    partition_keys: Arc<BTreeMap<Option<String>, String>>,
}

impl CallRecorder {
    /// A recorder for requests to `table` (its key schema names the
    /// partition key whose values are the leading keys).
    pub fn new(table: &TableDefinition) -> Self {
        Self {
            seen: Arc::default(),
            partition_keys: Arc::new(table.partition_keys()),
        }
    }

    /// Everything recorded so far, and forgets it.
    pub fn take(&self) -> BTreeSet<Access> {
        std::mem::take(&mut *self.seen.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Everything recorded so far.
    pub fn snapshot(&self) -> BTreeSet<Access> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn record(
        &self,
        function: &Arc<str>,
        service: &str,
        operation: &str,
        body: Option<&[u8]>,
        uri: &str,
    ) {
        let body: Value = body
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Null);
        let needs = match service {
            "DynamoDB" => self.dynamodb(operation, &body),
            "SESv2" => ses(operation, &body),
            "EventBridge" => eventbridge(operation, &body),
            "S3" => s3(operation, uri),
            // Cognito user pools are `cognito-idp` to IAM.
            "CognitoIdentityProvider" | "Cognito Identity Provider" => {
                vec![Need::new(format!("cognito-idp:{operation}"), None)]
            }
            // IAM names the action after the operation (SQS `SendMessage`
            // is `sqs:SendMessage`).
            other => vec![Need::new(
                format!("{}:{operation}", other.to_ascii_lowercase()),
                None,
            )],
        };
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        for need in needs {
            seen.insert(Access {
                function: function.clone(),
                action: need.action,
                index: need.index,
                context: need.context,
                resource: need.resource,
                operation: operation.to_owned(),
            });
        }
    }

    /// DynamoDB's actions: one per request, except transactions, which IAM
    /// authorises item by item.
    fn dynamodb(&self, operation: &str, body: &Value) -> Vec<Need> {
        let table_key = self.partition_keys.get(&None).map(String::as_str);
        let leading = |item: &Value| -> Vec<String> {
            table_key
                .and_then(|k| item.get(k))
                .and_then(|v| v.get("S").or_else(|| v.get("N")).or_else(|| v.get("B")))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .into_iter()
                .collect()
        };
        let action = |name: &str| format!("dynamodb:{name}");
        match operation {
            "TransactWriteItems" | "TransactGetItems" => items(body, "TransactItems")
                .filter_map(|item| {
                    let (kind, target) = item.as_object()?.iter().next()?;
                    let (name, key) = match kind.as_str() {
                        "Put" => ("PutItem", "Item"),
                        "Update" => ("UpdateItem", "Key"),
                        "Delete" => ("DeleteItem", "Key"),
                        "ConditionCheck" => ("ConditionCheckItem", "Key"),
                        "Get" => ("GetItem", "Key"),
                        _ => return None,
                    };
                    let keys = target.get(key).map(leading).unwrap_or_default();
                    Some(Need::new(action(name), None).leading(keys))
                })
                .collect(),
            "BatchGetItem" => {
                let keys = tables(body)
                    .flat_map(|t| items(t, "Keys"))
                    .flat_map(leading)
                    .collect();
                vec![Need::new(action(operation), None).leading(keys)]
            }
            "BatchWriteItem" => {
                let keys = tables(body)
                    .flat_map(|t| t.as_array().into_iter().flatten())
                    .filter_map(|write| {
                        write
                            .pointer("/PutRequest/Item")
                            .or_else(|| write.pointer("/DeleteRequest/Key"))
                    })
                    .flat_map(leading)
                    .collect();
                vec![Need::new(action(operation), None).leading(keys)]
            }
            "GetItem" | "DeleteItem" | "UpdateItem" => {
                let keys = body.get("Key").map(leading).unwrap_or_default();
                vec![Need::new(action(operation), None).leading(keys)]
            }
            "PutItem" => {
                let keys = body.get("Item").map(leading).unwrap_or_default();
                vec![Need::new(action(operation), None).leading(keys)]
            }
            "Query" => {
                let index = body
                    .get("IndexName")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let keys = self
                    .partition_keys
                    .get(&index)
                    .and_then(|k| queried_partition(body, k))
                    .into_iter()
                    .collect();
                vec![Need::new(action(operation), index).leading(keys)]
            }
            "Scan" => {
                let index = body
                    .get("IndexName")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                vec![Need::new(action(operation), index)]
            }
            _ => vec![Need::new(action(operation), None)],
        }
    }
}

/// One authorisation before it is attributed.
struct Need {
    action: String,
    index: Option<String>,
    context: BTreeMap<String, BTreeSet<String>>,
    resource: Option<String>,
}

impl Need {
    fn new(action: String, index: Option<String>) -> Self {
        Self {
            action,
            index,
            context: BTreeMap::new(),
            resource: None,
        }
    }

    fn with(mut self, key: &str, values: impl IntoIterator<Item = String>) -> Self {
        let values: BTreeSet<String> = values.into_iter().collect();
        if !values.is_empty() {
            self.context.insert(key.to_owned(), values);
        }
        self
    }

    fn leading(self, keys: Vec<String>) -> Self {
        self.with(LEADING_KEYS, keys)
    }
}

/// The elements of the array `body[field]`.
fn items<'a>(body: &'a Value, field: &str) -> impl Iterator<Item = &'a Value> {
    body.get(field)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The per-table values of a batch request's `RequestItems`.
fn tables(body: &Value) -> impl Iterator<Item = &Value> {
    body.get("RequestItems")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.values())
}

/// The partition key value a `Query` names: the value compared for
/// equality with `key` (directly or through a `#name`) in its key condition.
fn queried_partition(body: &Value, key: &str) -> Option<String> {
    let condition = body.get("KeyConditionExpression")?.as_str()?;
    let names = body.get("ExpressionAttributeNames");
    condition.split(" AND ").find_map(|clause| {
        let (name, value) = clause.trim().trim_matches(['(', ')']).split_once('=')?;
        let name = name.trim();
        let name = names
            .and_then(|n| n.get(name))
            .and_then(Value::as_str)
            .unwrap_or(name);
        (name == key).then_some(())?;
        let value = body.get("ExpressionAttributeValues")?.get(value.trim())?;
        value
            .get("S")
            .or_else(|| value.get("N"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    })
}

/// SES v2 `SendEmail` is authorised as `ses:SendEmail`, or as
/// `ses:SendRawEmail` when its content is raw MIME.
fn ses(operation: &str, body: &Value) -> Vec<Need> {
    let action = match operation {
        "SendEmail" if body.pointer("/Content/Raw").is_some() => "ses:SendRawEmail".to_owned(),
        other => format!("ses:{other}"),
    };
    vec![Need::new(action, None)]
}

/// S3's actions, named otherwise than its operations (a multipart upload is
/// `s3:PutObject` throughout, a listing `s3:ListBucket`), on the bucket or
/// object of a path-style URI (`/bucket/key?query`), listings with their
/// `s3:prefix`. Presigned requests are recorded too: the SDK runs the same
/// interceptors up to transmission, so a URL a function signs needs the
/// role to allow what it lets its holder do.
fn s3(operation: &str, uri: &str) -> Vec<Need> {
    let uri: http::Uri = uri.parse().unwrap_or_default();
    let decoded = |raw: &str| {
        percent_encoding::percent_decode_str(raw)
            .decode_utf8_lossy()
            .into_owned()
    };
    let path = uri.path();
    let query = uri.query().unwrap_or_default();
    let path = path.trim_start_matches('/');
    let (bucket, key) = match path.split_once('/') {
        Some((bucket, key)) if !key.is_empty() => (bucket, Some(decoded(key))),
        Some((bucket, _)) => (bucket, None),
        None => (path, None),
    };
    let object = |action: &str| {
        let mut need = Need::new(format!("s3:{action}"), None);
        need.resource = Some(match &key {
            Some(key) => format!("{bucket}/{key}"),
            None => bucket.to_owned(),
        });
        vec![need]
    };
    match operation {
        "GetObject" | "HeadObject" => object("GetObject"),
        "PutObject" | "CreateMultipartUpload" | "UploadPart" | "CompleteMultipartUpload" => {
            object("PutObject")
        }
        "ListObjectsV2" | "ListObjects" => {
            let prefix = form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "prefix")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            let mut need = Need::new("s3:ListBucket".to_owned(), None).with("s3:prefix", [prefix]);
            need.resource = Some(bucket.to_owned());
            vec![need]
        }
        "ListMultipartUploads" => {
            let mut need = Need::new("s3:ListBucketMultipartUploads".to_owned(), None);
            need.resource = Some(bucket.to_owned());
            vec![need]
        }
        other => object(other),
    }
}

/// EventBridge `PutEvents`, with the `events:source` of its entries.
fn eventbridge(operation: &str, body: &Value) -> Vec<Need> {
    let sources = items(body, "Entries")
        .filter_map(|e| e.get("Source").and_then(Value::as_str))
        .map(str::to_owned)
        .collect::<Vec<_>>();
    vec![Need::new(format!("events:{operation}"), None).with("events:source", sources)]
}

impl Intercept for CallRecorder {
    fn name(&self) -> &'static str {
        "CallRecorder"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(function) = current_function() else {
            return Ok(());
        };
        if let Some(metadata) = cfg.load::<Metadata>() {
            self.record(
                &function,
                metadata.service(),
                metadata.name(),
                context.request().body().bytes(),
                context.request().uri(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn recorder() -> CallRecorder {
        CallRecorder::new(&TableDefinition::from_template().expect("template table"))
    }

    fn actions(recorder: &CallRecorder) -> Vec<(String, Vec<String>)> {
        recorder
            .take()
            .into_iter()
            .map(|a| {
                let keys = a
                    .context
                    .get(LEADING_KEYS)
                    .map(|k| k.iter().cloned().collect())
                    .unwrap_or_default();
                (a.action, keys)
            })
            .collect()
    }

    #[test]
    fn a_transaction_needs_each_item_action_with_its_partition_key() {
        let r = recorder();
        let f: Arc<str> = Arc::from("f");
        let body = json!({"TransactItems": [
            {"ConditionCheck": {"TableName": "t", "Key": {"PK": {"S": "GROUP#1"}, "SK": {"S": "GROUP"}}}},
            {"Put": {"TableName": "t", "Item": {"PK": {"S": "OUTBOX#2"}, "SK": {"S": "OUTBOX"}}}},
            {"Delete": {"TableName": "t", "Key": {"PK": {"S": "TOKEN#3"}, "SK": {"S": "TOKEN"}}}},
            {"Update": {"TableName": "t", "Key": {"PK": {"S": "GROUP#1"}, "SK": {"S": "STATS"}}}}
        ]});
        r.record(
            &f,
            "DynamoDB",
            "TransactWriteItems",
            Some(body.to_string().as_bytes()),
            "",
        );
        assert_eq!(
            actions(&r),
            [
                ("dynamodb:ConditionCheckItem".into(), vec!["GROUP#1".into()]),
                ("dynamodb:DeleteItem".into(), vec!["TOKEN#3".into()]),
                ("dynamodb:PutItem".into(), vec!["OUTBOX#2".into()]),
                ("dynamodb:UpdateItem".into(), vec!["GROUP#1".into()]),
            ]
        );
    }

    #[test]
    fn batches_and_queries_carry_every_partition_key_they_touch() {
        let r = recorder();
        let f: Arc<str> = Arc::from("f");
        let get = json!({"RequestItems": {"t": {"Keys": [
            {"PK": {"S": "GROUP#1"}, "SK": {"S": "GROUP"}},
            {"PK": {"S": "TOKEN#9"}, "SK": {"S": "TOKEN"}}
        ]}}});
        r.record(
            &f,
            "DynamoDB",
            "BatchGetItem",
            Some(get.to_string().as_bytes()),
            "",
        );
        let query = json!({"TableName": "t", "IndexName": "GSI1",
            "KeyConditionExpression": "#pk = :pk AND begins_with(GSI1SK, :p)",
            "ExpressionAttributeNames": {"#pk": "GSI1PK"},
            "ExpressionAttributeValues": {":pk": {"S": "ACCOUNT#5"}, ":p": {"S": "ADMINOF#"}}});
        r.record(
            &f,
            "DynamoDB",
            "Query",
            Some(query.to_string().as_bytes()),
            "",
        );
        let seen = r.take();
        let query = seen
            .iter()
            .find(|a| a.action == "dynamodb:Query")
            .expect("query");
        assert_eq!(query.index.as_deref(), Some("GSI1"));
        assert_eq!(
            query.context[LEADING_KEYS],
            BTreeSet::from(["ACCOUNT#5".to_owned()])
        );
        let batch = seen
            .iter()
            .find(|a| a.action == "dynamodb:BatchGetItem")
            .expect("batch");
        assert_eq!(batch.context[LEADING_KEYS].len(), 2);
    }

    #[test]
    fn raw_email_is_send_raw_email_and_events_carry_their_source() {
        let r = recorder();
        let f: Arc<str> = Arc::from("f");
        let raw = json!({"Content": {"Raw": {"Data": "eA=="}}});
        r.record(
            &f,
            "SESv2",
            "SendEmail",
            Some(raw.to_string().as_bytes()),
            "",
        );
        let simple = json!({"Content": {"Simple": {}}});
        r.record(
            &f,
            "SESv2",
            "SendEmail",
            Some(simple.to_string().as_bytes()),
            "",
        );
        let event = json!({"Entries": [{"Source": "groups.membership"}]});
        r.record(
            &f,
            "EventBridge",
            "PutEvents",
            Some(event.to_string().as_bytes()),
            "",
        );
        r.record(&f, "SQS", "SendMessage", None, "");
        let seen = r.take();
        let names: Vec<&str> = seen.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(
            names,
            [
                "events:PutEvents",
                "ses:SendEmail",
                "ses:SendRawEmail",
                "sqs:SendMessage"
            ]
        );
        assert_eq!(
            seen.iter().next().expect("event").context["events:source"],
            BTreeSet::from(["groups.membership".to_owned()])
        );
    }

    #[test]
    fn s3_operations_need_s3_actions_on_their_bucket_or_object() {
        let r = recorder();
        let f: Arc<str> = Arc::from("f");
        let base = "http://127.0.0.1:9000";
        r.record(
            &f,
            "S3",
            "UploadPart",
            None,
            &format!("{base}/snaps/a/b%20c.zip?partNumber=1&uploadId=x"),
        );
        r.record(
            &f,
            "S3",
            "HeadObject",
            None,
            &format!("{base}/data/acc/bkt/f.txt"),
        );
        r.record(
            &f,
            "S3",
            "ListObjectsV2",
            None,
            &format!("{base}/data?list-type=2&prefix=acc%2Fbkt%2F&delimiter=%2F"),
        );
        r.record(
            &f,
            "S3",
            "AbortMultipartUpload",
            None,
            &format!("{base}/snaps/a/b.zip?uploadId=x"),
        );
        let seen: Vec<(String, Option<String>, Option<BTreeSet<String>>)> = r
            .take()
            .into_iter()
            .map(|a| (a.action, a.resource, a.context.get("s3:prefix").cloned()))
            .collect();
        assert_eq!(
            seen,
            [
                (
                    "s3:AbortMultipartUpload".into(),
                    Some("snaps/a/b.zip".into()),
                    None
                ),
                (
                    "s3:GetObject".into(),
                    Some("data/acc/bkt/f.txt".into()),
                    None
                ),
                (
                    "s3:ListBucket".into(),
                    Some("data".into()),
                    Some(BTreeSet::from(["acc/bkt/".to_owned()]))
                ),
                ("s3:PutObject".into(), Some("snaps/a/b c.zip".into()), None),
            ]
        );
    }

    #[tokio::test]
    async fn only_requests_sent_as_a_function_are_attributed() {
        assert!(current_function().is_none());
        let inside = as_function("get-me", async { current_function() }).await;
        assert_eq!(inside.as_deref(), Some("get-me"));
        assert!(current_function().is_none());
    }
}
