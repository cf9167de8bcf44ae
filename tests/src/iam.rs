//! Each function's IAM policy as `infra/template.yaml` declares it, held
//! against what its code is seen to call (`standins::calls`), both ways:
//! nothing called that no statement grants (AWS would answer AccessDenied,
//! which no stand-in does), and nothing granted that is never called.
//!
//! The template is read literally. A policy must be inline `Statement`s: a
//! SAM policy template or a managed policy is refused, so nothing is granted
//! unseen. What the Lambda service itself does with a function's role (write
//! its logs, poll its queue or stream, send to its dead-letter queue) is not
//! the code's: it is derived from the function's events and properties as
//! [`PlatformGrant`]s, each with its reason, granted either by SAM (which
//! attaches it without the template saying so) or by the template (which
//! must then grant it). Conditions are evaluated as IAM does for the keys
//! the recorder sees (`dynamodb:LeadingKeys`, `events:source`); a condition
//! on any other key is refused rather than guessed.
//!
//! Resources are checked for DynamoDB (the table, or an index of it) and S3
//! (a bucket, or objects under a key pattern: `!GetAtt DataBucket.Arn`,
//! `!Sub ${DataBucket.Arn}/*`); other services' resources (an SES identity,
//! a queue) are not recorded, so any resource of a statement satisfies them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::OnceLock;

use serde_yaml::Value;
use standins::calls::{Access, LEADING_KEYS};

/// The functions of the template and their policies.
#[derive(Debug, Clone)]
pub struct Template {
    /// By binary name.
    pub functions: BTreeMap<String, FunctionPolicy>,
    /// The outbox sender (the table stream's consumer).
    outbox_sender: String,
    /// The worker behind each job queue, by the name of the outbox sender's
    /// variable holding that queue's URL (`USAGE_QUEUE_URL`, ...).
    job_workers: BTreeMap<String, String>,
}

/// One function's grants.
#[derive(Debug, Clone)]
pub struct FunctionPolicy {
    /// Its logical id in the template.
    pub logical_id: String,
    /// Its policy's statements (all `Allow`).
    pub statements: Vec<Statement>,
    /// What the Lambda service does with its role.
    pub platform: Vec<PlatformGrant>,
}

/// One `Allow` statement.
#[derive(Debug, Clone)]
pub struct Statement {
    /// Action names or patterns (`dynamodb:GetItem`, `dynamodb:Get*`).
    pub actions: Vec<String>,
    /// What they apply to.
    pub resources: Vec<Resource>,
    /// Every condition must hold.
    pub conditions: Vec<Condition>,
}

/// A statement's resource, as far as the comparison tells them apart.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Resource {
    /// `*`.
    Any,
    /// The table (`!GetAtt Table.Arn`).
    Table,
    /// An index of the table (`!Sub ${Table.Arn}/index/NAME`; NAME may be a pattern).
    Index(String),
    /// An S3 bucket of the template (its logical id), itself (`objects`
    /// `None`: `!GetAtt B.Arn`) or its objects whose keys match a pattern
    /// (`!Sub ${B.Arn}/PATTERN`).
    Bucket {
        /// The bucket's logical id.
        logical: String,
        /// The key pattern, for objects.
        objects: Option<String>,
    },
    /// Anything else, as written (queues, identities, keys).
    Other(String),
}

/// One condition: `operator` applied to the request's `key`.
#[derive(Debug, Clone)]
pub struct Condition {
    /// E.g. `ForAllValues:StringLike`.
    pub operator: String,
    /// E.g. `dynamodb:LeadingKeys`.
    pub key: String,
    /// The values or patterns allowed.
    pub values: Vec<String>,
}

/// Actions the Lambda service performs with a function's role, not its code.
#[derive(Debug, Clone)]
pub struct PlatformGrant {
    /// The actions.
    pub actions: Vec<String>,
    /// Why they are needed.
    pub why: String,
    /// Who grants them.
    pub granted_by: GrantedBy,
}

/// Who grants a [`PlatformGrant`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantedBy {
    /// SAM attaches it to the function's role by itself.
    Sam,
    /// The function's `Policies` must grant it.
    Template,
}

/// The condition keys the recorder sees, and the actions it sees them for.
/// A condition on another key cannot be checked, so it is refused.
const CHECKED_CONDITION_KEYS: [&str; 3] = [LEADING_KEYS, "events:source", "s3:prefix"];

/// The template's bucket (logical id) behind each stand-in bucket.
const BUCKETS: [(&str, &str); 3] = [
    (standins::DATA_BUCKET, "DataBucket"),
    (standins::SNAPSHOTS_BUCKET, "SnapshotsBucket"),
    ("groups-reports", "ReportsBucket"),
];

/// One disagreement between a policy and the calls.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// The function (binary).
    pub function: String,
    /// The action (or pattern) concerned.
    pub action: String,
    /// What was called, or what is granted.
    pub detail: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.function, self.action, self.detail)
    }
}

/// The outcome of a comparison.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Findings {
    /// Called (or needed by the platform) but granted by no statement:
    /// AccessDenied in AWS.
    pub missing: BTreeSet<Finding>,
    /// Granted (an action, a resource, or a condition's value) but used by
    /// no call and needed by nothing the platform does.
    pub unused: BTreeSet<Finding>,
    /// Functions of the template whose code was never seen to run.
    pub unexercised: BTreeSet<String>,
}

impl Findings {
    /// Nothing to report.
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.unused.is_empty() && self.unexercised.is_empty()
    }
}

impl fmt::Display for Findings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.missing.is_empty() {
            writeln!(
                f,
                "called but not granted (AccessDenied in AWS): grant them in infra/template.yaml"
            )?;
            for finding in &self.missing {
                writeln!(f, "  {finding}")?;
            }
        }
        if !self.unused.is_empty() {
            writeln!(
                f,
                "granted but never called: remove them, or exercise the code that calls them in tests/tests/iam.rs"
            )?;
            for finding in &self.unused {
                writeln!(f, "  {finding}")?;
            }
        }
        if !self.unexercised.is_empty() {
            writeln!(
                f,
                "functions never run: exercise them in tests/tests/iam.rs"
            )?;
            for function in &self.unexercised {
                writeln!(f, "  {function}")?;
            }
        }
        Ok(())
    }
}

/// The deployment's template, read once.
pub fn template() -> &'static Template {
    static TEMPLATE: OnceLock<Template> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        Template::parse(local::routes::TEMPLATE)
            .unwrap_or_else(|e| panic!("infra/template.yaml: {e}"))
    })
}

impl Template {
    /// Reads every `AWS::Serverless::Function` and its policy.
    pub fn parse(text: &str) -> Result<Self, String> {
        let doc: Value = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
        let resources = doc
            .get("Resources")
            .and_then(Value::as_mapping)
            .ok_or("no Resources")?;
        let by_id: BTreeMap<String, &Value> = resources
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v)))
            .collect();
        let table = by_id
            .iter()
            .find(|(_, r)| r.get("Type").and_then(Value::as_str) == Some("AWS::DynamoDB::Table"))
            .map(|(id, _)| id.clone())
            .ok_or("no AWS::DynamoDB::Table")?;
        let reader = Reader {
            table,
            resources: &by_id,
            globals: doc.get("Globals").and_then(|g| g.get("Function")),
        };
        let mut functions = BTreeMap::new();
        let mut outbox_sender = None;
        let mut queue_workers = BTreeMap::new();
        for (id, resource) in &by_id {
            if resource.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
                continue;
            }
            let binary = resource
                .get("Metadata")
                .and_then(|m| m.get("BuildProperties"))
                .and_then(|b| b.get("Binary"))
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{id}: no Metadata.BuildProperties.Binary"))?
                .to_owned();
            let props = resource.get("Properties").unwrap_or(&Value::Null);
            let policy = reader
                .function(id, props)
                .map_err(|e| format!("{id} ({binary}): {e}"))?;
            for event in events(props) {
                match event.get("Type").and_then(Value::as_str) {
                    Some("DynamoDB") => outbox_sender = Some(binary.clone()),
                    Some("SQS") => {
                        if let Some(queue) = event
                            .get("Properties")
                            .and_then(|p| p.get("Queue"))
                            .and_then(referenced)
                        {
                            queue_workers.insert(queue, binary.clone());
                        }
                    }
                    _ => {}
                }
            }
            functions.insert(binary, policy);
        }
        let outbox_sender = outbox_sender.ok_or("no function reads the table stream")?;
        let sender_id = &functions[&outbox_sender].logical_id;
        let job_workers = by_id[sender_id.as_str()]
            .get("Properties")
            .and_then(|p| p.get("Environment"))
            .and_then(|e| e.get("Variables"))
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
            .filter_map(|(name, value)| {
                let worker = queue_workers.get(&referenced(value)?)?;
                Some((name.as_str()?.to_owned(), worker.clone()))
            })
            .collect();
        Ok(Self {
            functions,
            outbox_sender,
            job_workers,
        })
    }

    /// The outbox sender's binary.
    pub fn outbox_sender(&self) -> &str {
        &self.outbox_sender
    }

    /// The binary of the worker that runs jobs of `kind`.
    pub fn job_worker(&self, kind: shared::jobs::JobKind) -> &str {
        self.job_workers
            .get(kind.queue_setting())
            .unwrap_or_else(|| {
                panic!(
                    "infra/template.yaml: no worker consumes the queue in the outbox sender's {}",
                    kind.queue_setting()
                )
            })
    }

    /// Calls that no statement grants (one way only: what every test checks).
    pub fn ungranted(&self, accesses: &BTreeSet<Access>) -> Findings {
        let mut findings = Findings::default();
        let mut missing: BTreeMap<(String, String, String), Vec<&Access>> = BTreeMap::new();
        for access in accesses {
            let granted = self.functions.get(&*access.function).is_some_and(|policy| {
                policy.statements.iter().any(|s| s.allows(access))
                    || policy.platform.iter().any(|g| {
                        g.granted_by == GrantedBy::Sam
                            && g.actions.iter().any(|a| action_like(a, &access.action))
                    })
            });
            if !granted {
                let resource = match (&access.index, access.action.starts_with("dynamodb:")) {
                    (Some(index), _) => format!("index {index}"),
                    (None, true) => "table".to_owned(),
                    (None, false) => match &access.resource {
                        Some(resource) => s3_resource_label(resource),
                        None => "its resource".to_owned(),
                    },
                };
                missing
                    .entry((access.function.to_string(), access.action.clone(), resource))
                    .or_default()
                    .push(access);
            }
        }
        for ((function, action, resource), calls) in missing {
            let mut detail = format!("on {resource}, by {}", summary(&calls));
            if !self.functions.contains_key(&function) {
                detail.push_str("; no such function in the template");
            }
            findings.missing.insert(Finding {
                function,
                action,
                detail,
            });
        }
        findings
    }

    /// Both ways: calls not granted, platform needs not granted, grants
    /// that no call and no platform need uses, and functions never run.
    pub fn compare(&self, accesses: &BTreeSet<Access>) -> Findings {
        let mut findings = self.ungranted(accesses);
        for (function, policy) in &self.functions {
            let calls: Vec<&Access> = accesses
                .iter()
                .filter(|a| &*a.function == function)
                .collect();
            if calls.is_empty() {
                findings.unexercised.insert(function.clone());
            }
            for need in policy
                .platform
                .iter()
                .filter(|g| g.granted_by == GrantedBy::Template)
            {
                for action in &need.actions {
                    let granted = policy
                        .statements
                        .iter()
                        .any(|s| s.actions.iter().any(|a| action_like(a, action)));
                    if !granted {
                        findings.missing.insert(Finding {
                            function: function.clone(),
                            action: action.clone(),
                            detail: need.why.clone(),
                        });
                    }
                }
            }
            for (n, statement) in policy.statements.iter().enumerate() {
                let finding = |action: &str, detail: String| Finding {
                    function: function.clone(),
                    action: action.to_owned(),
                    detail: format!("statement {} {detail}", n + 1),
                };
                let allowed: Vec<&Access> = calls
                    .iter()
                    .copied()
                    .filter(|a| statement.allows(a))
                    .collect();
                for action in &statement.actions {
                    if action.contains(['*', '?']) {
                        findings.unused.insert(finding(
                            action,
                            "grants a pattern: list the actions the code calls instead".into(),
                        ));
                        continue;
                    }
                    let by_code = allowed.iter().any(|a| action_like(action, &a.action));
                    let by_platform = policy
                        .platform
                        .iter()
                        .any(|g| g.actions.iter().any(|p| action_like(action, p)));
                    if !by_code && !by_platform {
                        findings.unused.insert(finding(
                            action,
                            format!("on {}: never called", resources(&statement.resources)),
                        ));
                    }
                }
                // A DynamoDB or S3 resource nothing reached (e.g. the table
                // granted where only an index is queried, a bucket's objects
                // where only the bucket is listed).
                if statement
                    .actions
                    .iter()
                    .all(|a| a.starts_with("dynamodb:") || a.starts_with("s3:"))
                {
                    for resource in &statement.resources {
                        let reached = allowed.iter().any(|a| resource.covers(a));
                        if !reached && !allowed.is_empty() {
                            findings.unused.insert(finding(
                                &statement.actions.join(", "),
                                format!("resource {}: no call reaches it", resource),
                            ));
                        }
                    }
                }
                // A condition value no call needed (a leading-key prefix no
                // request touches widens the grant for nothing).
                for condition in &statement.conditions {
                    for value in &condition.values {
                        let needed = allowed.iter().any(|a| {
                            a.context
                                .get(&condition.key)
                                .is_some_and(|vs| vs.iter().any(|v| condition.matches(value, v)))
                        });
                        if !needed && !allowed.is_empty() {
                            findings.unused.insert(finding(
                                &statement.actions.join(", "),
                                format!(
                                    "condition {} {} value {value:?}: no call needs it",
                                    condition.operator, condition.key
                                ),
                            ));
                        }
                    }
                }
            }
        }
        findings
    }
}

/// The operations and leading-key prefixes of some calls, for a finding.
fn summary(calls: &[&Access]) -> String {
    let operations: BTreeSet<&str> = calls.iter().map(|a| a.operation.as_str()).collect();
    let prefixes: BTreeSet<String> = calls
        .iter()
        .flat_map(|a| a.context.get(LEADING_KEYS).into_iter().flatten())
        .map(|k| match k.find('#') {
            Some(i) => format!("{}*", &k[..=i]),
            None => k.clone(),
        })
        .collect();
    let mut text = operations.into_iter().collect::<Vec<_>>().join(", ");
    if !prefixes.is_empty() {
        text.push_str(&format!(
            "; partition keys {}",
            prefixes.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    text
}

fn resources(resources: &[Resource]) -> String {
    resources
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("*"),
            Self::Table => f.write_str("the table"),
            Self::Index(name) => write!(f, "index {name}"),
            Self::Bucket {
                logical,
                objects: None,
            } => write!(f, "bucket {logical}"),
            Self::Bucket {
                logical,
                objects: Some(pattern),
            } => write!(f, "objects {logical}/{pattern}"),
            Self::Other(text) => f.write_str(text),
        }
    }
}

impl Statement {
    /// Whether this statement grants `access`: its action, its resource
    /// and every condition.
    pub fn allows(&self, access: &Access) -> bool {
        self.actions.iter().any(|a| action_like(a, &access.action))
            && self.resources.iter().any(|r| r.covers(access))
            && self.conditions.iter().all(|c| c.holds(access))
    }
}

impl Resource {
    /// Whether a call's resource is this one. Only DynamoDB and S3
    /// resources are recorded; for other services any resource does.
    fn covers(&self, access: &Access) -> bool {
        if access.action.starts_with("s3:") {
            let Some((bucket, key)) = access.resource.as_deref().map(split_object) else {
                return matches!(self, Self::Any);
            };
            return match self {
                Self::Any => true,
                Self::Bucket { logical, objects } => {
                    Some(logical.as_str()) == bucket_logical(bucket)
                        && match (objects, key) {
                            (None, None) => true,
                            (Some(pattern), Some(key)) => like(pattern, key),
                            _ => false,
                        }
                }
                _ => false,
            };
        }
        if !access.action.starts_with("dynamodb:") {
            return true;
        }
        match (self, &access.index) {
            (Self::Any, _) | (Self::Table, None) => true,
            (Self::Index(pattern), Some(index)) => like(pattern, index),
            _ => false,
        }
    }
}

impl Condition {
    fn parse(operator: &str, key: &str, values: &Value) -> Result<Self, String> {
        let base = operator
            .strip_prefix("ForAllValues:")
            .or_else(|| operator.strip_prefix("ForAnyValue:"))
            .unwrap_or(operator);
        if !matches!(base, "StringEquals" | "StringLike") {
            return Err(format!(
                "condition operator {operator}: tests/src/iam.rs cannot evaluate it"
            ));
        }
        if !CHECKED_CONDITION_KEYS.contains(&key) {
            return Err(format!(
                "condition key {key}: the call recorder does not see it, so the IAM test cannot check it"
            ));
        }
        let values = match values {
            Value::Sequence(list) => list.iter().map(scalar).collect::<Result<_, _>>()?,
            other => vec![scalar(other)?],
        };
        Ok(Self {
            operator: operator.to_owned(),
            key: key.to_owned(),
            values,
        })
    }

    /// Whether a policy `value` matches a request's value `v`.
    fn matches(&self, value: &str, v: &str) -> bool {
        if self.operator.ends_with("StringLike") {
            like(value, v)
        } else {
            value == v
        }
    }

    /// IAM's evaluation for this request: `ForAllValues` holds when every
    /// value matches (or the request has none), `ForAnyValue` and a plain
    /// operator when one does.
    fn holds(&self, access: &Access) -> bool {
        let given = access.context.get(&self.key);
        let matched = |v: &String| self.values.iter().any(|p| self.matches(p, v));
        if self.operator.starts_with("ForAllValues:") {
            given.is_none_or(|vs| vs.iter().all(matched))
        } else {
            given.is_some_and(|vs| vs.iter().any(matched))
        }
    }
}

/// A recorded S3 resource as bucket and key (`None` for the bucket itself).
fn split_object(resource: &str) -> (&str, Option<&str>) {
    match resource.split_once('/') {
        Some((bucket, key)) => (bucket, Some(key)),
        None => (resource, None),
    }
}

/// The template's logical id of a stand-in bucket.
fn bucket_logical(bucket: &str) -> Option<&'static str> {
    BUCKETS
        .iter()
        .find(|(name, _)| *name == bucket)
        .map(|(_, logical)| *logical)
}

/// An S3 resource for a finding: the template's bucket and the key.
fn s3_resource_label(resource: &str) -> String {
    match split_object(resource) {
        (bucket, None) => format!("bucket {}", bucket_logical(bucket).unwrap_or(bucket)),
        (bucket, Some(key)) => format!("object {}/{key}", bucket_logical(bucket).unwrap_or(bucket)),
    }
}

/// IAM's wildcard match (`*` any run, `?` one character).
fn like(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some(('?', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

/// Action names match case-insensitively, with wildcards.
fn action_like(pattern: &str, action: &str) -> bool {
    like(&pattern.to_ascii_lowercase(), &action.to_ascii_lowercase())
}

/// A plain value of the template (a tag such as `!Ref X` is written out:
/// a condition comparing with it can never match a recorded value).
fn scalar(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Tagged(t) => Ok(format!("{} {}", t.tag, scalar(&t.value)?)),
        other => Err(format!("unexpected value {other:?}")),
    }
}

/// The logical id a `!Ref X` or `!GetAtt X.Attr` names.
fn referenced(value: &Value) -> Option<String> {
    let Value::Tagged(tagged) = value else {
        return None;
    };
    let text = tagged.value.as_str()?;
    if tagged.tag == "Ref" {
        Some(text.to_owned())
    } else if tagged.tag == "GetAtt" {
        Some(text.split('.').next()?.to_owned())
    } else {
        None
    }
}

/// A function's events.
fn events(props: &Value) -> impl Iterator<Item = &Value> {
    props
        .get("Events")
        .and_then(Value::as_mapping)
        .into_iter()
        .flat_map(|m| m.values())
}

/// What reading a function needs from the rest of the template.
struct Reader<'a> {
    /// The table's logical id.
    table: String,
    resources: &'a BTreeMap<String, &'a Value>,
    globals: Option<&'a Value>,
}

impl Reader<'_> {
    fn function(&self, id: &str, props: &Value) -> Result<FunctionPolicy, String> {
        for unsupported in ["Role", "VpcConfig", "PermissionsBoundary"] {
            if props.get(unsupported).is_some() {
                return Err(format!(
                    "{unsupported}: teach tests/src/iam.rs what it grants"
                ));
            }
        }
        let mut statements = Vec::new();
        for policy in props
            .get("Policies")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            let list = policy
                .get("Statement")
                .and_then(Value::as_sequence)
                .ok_or_else(|| {
                    format!(
                        "policy {policy:?} is not inline statements: write it as `- Statement:` so the IAM test reads what it grants (a SAM policy template or managed policy grants unseen actions)"
                    )
                })?;
            for statement in list {
                statements.push(self.statement(statement)?);
            }
        }
        let platform = self.platform(props, &statements)?;
        Ok(FunctionPolicy {
            logical_id: id.to_owned(),
            statements,
            platform,
        })
    }

    fn statement(&self, s: &Value) -> Result<Statement, String> {
        if s.get("Effect").and_then(Value::as_str) != Some("Allow") {
            return Err(format!("statement {s:?}: only Effect: Allow is understood"));
        }
        for unsupported in ["NotAction", "NotResource", "Principal"] {
            if s.get(unsupported).is_some() {
                return Err(format!("statement {s:?}: {unsupported} is not understood"));
            }
        }
        let list = |v: Option<&Value>| -> Vec<Value> {
            match v {
                Some(Value::Sequence(items)) => items.clone(),
                Some(other) => vec![other.clone()],
                None => vec![],
            }
        };
        let actions = list(s.get("Action"))
            .iter()
            .map(|a| a.as_str().map(str::to_owned).ok_or(format!("action {a:?}")))
            .collect::<Result<Vec<_>, _>>()?;
        let resources = list(s.get("Resource"))
            .iter()
            .map(|r| self.resource(r))
            .collect();
        let mut conditions = Vec::new();
        for (operator, keys) in s
            .get("Condition")
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
        {
            let operator = operator.as_str().ok_or("condition operator")?;
            for (key, values) in keys.as_mapping().into_iter().flatten() {
                let key = key.as_str().ok_or("condition key")?;
                conditions.push(Condition::parse(operator, key, values)?);
            }
        }
        if actions.is_empty() || list(s.get("Resource")).is_empty() {
            return Err(format!("statement {s:?}: no Action or no Resource"));
        }
        Ok(Statement {
            actions,
            resources,
            conditions,
        })
    }

    fn resource(&self, r: &Value) -> Resource {
        let table_arn = format!("{}.Arn", self.table);
        let bucket = |id: &str| -> bool {
            self.resources
                .get(id)
                .and_then(|b| b.get("Type"))
                .and_then(Value::as_str)
                == Some("AWS::S3::Bucket")
        };
        match r {
            Value::String(s) if s == "*" => Resource::Any,
            Value::Tagged(t) if t.tag == "GetAtt" && t.value.as_str() == Some(&table_arn) => {
                Resource::Table
            }
            Value::Tagged(t)
                if t.tag == "GetAtt"
                    && t.value
                        .as_str()
                        .and_then(|v| v.strip_suffix(".Arn"))
                        .is_some_and(bucket) =>
            {
                Resource::Bucket {
                    logical: t
                        .value
                        .as_str()
                        .and_then(|v| v.strip_suffix(".Arn"))
                        .unwrap_or_default()
                        .to_owned(),
                    objects: None,
                }
            }
            Value::Tagged(t) if t.tag == "Sub" => {
                // `!Sub TEXT` or `!Sub [TEXT, {variables}]`.
                let text = match &t.value {
                    Value::Sequence(parts) => parts.first().and_then(Value::as_str),
                    text => text.as_str(),
                }
                .unwrap_or_default();
                if let Some(index) = text.strip_prefix(&format!("${{{table_arn}}}/index/")) {
                    return Resource::Index(index.to_owned());
                }
                let object = text
                    .strip_prefix("${")
                    .and_then(|rest| rest.split_once(".Arn}/"))
                    .filter(|(id, _)| bucket(id));
                match object {
                    Some((id, pattern)) => Resource::Bucket {
                        logical: id.to_owned(),
                        objects: Some(pattern.to_owned()),
                    },
                    None => Resource::Other(text.to_owned()),
                }
            }
            other => Resource::Other(scalar(other).unwrap_or_else(|_| format!("{other:?}"))),
        }
    }

    /// The queue (logical id) a value names, if it is encrypted with a KMS key.
    fn encrypted_queue(&self, value: Option<&Value>) -> Option<String> {
        self.encrypted_queue_id(&referenced(value?)?)
    }

    /// `id`, if it is a queue encrypted with a KMS key.
    fn encrypted_queue_id(&self, id: &str) -> Option<String> {
        let queue = self.resources.get(id)?;
        (queue.get("Type").and_then(Value::as_str) == Some("AWS::SQS::Queue")
            && queue
                .get("Properties")
                .and_then(|p| p.get("KmsMasterKeyId"))
                .is_some())
        .then(|| id.to_owned())
    }

    /// What the Lambda service does with the function's role.
    fn platform(
        &self,
        props: &Value,
        statements: &[Statement],
    ) -> Result<Vec<PlatformGrant>, String> {
        let grant = |actions: &[&str], why: String, granted_by| PlatformGrant {
            actions: actions.iter().map(|a| (*a).to_owned()).collect(),
            why,
            granted_by,
        };
        let send_encrypted = |queue: &str, what: &str| {
            grant(
                &["kms:GenerateDataKey", "kms:Decrypt"],
                format!(
                    "{what} {queue} is encrypted with a KMS key: sending to it needs a data key"
                ),
                GrantedBy::Template,
            )
        };
        let mut out = vec![grant(
            &[
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
            ],
            "SAM attaches AWSLambdaBasicExecutionRole: Lambda writes the function's logs".into(),
            GrantedBy::Sam,
        )];
        let invite_secret = props
            .get("Environment")
            .and_then(|e| e.get("Variables"))
            .and_then(|v| v.get("INVITE_SECRET_ARN"));
        if invite_secret.is_some() {
            out.push(grant(
                &["secretsmanager:GetSecretValue", "kms:Decrypt"],
                "the invitation-token secret (encrypted with OperationsKey) is read once at cold start \
                 (shared::deps::invite_secret_from_env, tested against moto), outside the handlers the scenario runs"
                    .into(),
                GrantedBy::Template,
            ));
        }
        let tracing = props
            .get("Tracing")
            .or_else(|| self.globals.and_then(|g| g.get("Tracing")));
        if tracing.and_then(Value::as_str) == Some("Active") {
            out.push(grant(
                &["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                "SAM attaches AWSXRayDaemonWriteAccess for active tracing".into(),
                GrantedBy::Sam,
            ));
        }
        if let Some(dlq) = props.get("DeadLetterQueue") {
            if dlq.get("Type").and_then(Value::as_str) != Some("SQS") {
                return Err("DeadLetterQueue other than SQS: teach tests/src/iam.rs".into());
            }
            out.push(grant(
                &["sqs:SendMessage"],
                "SAM grants sending to the function's DeadLetterQueue".into(),
                GrantedBy::Sam,
            ));
            if let Some(queue) = self.encrypted_queue(dlq.get("TargetArn")) {
                out.push(send_encrypted(&queue, "the dead-letter queue"));
            }
        }
        for event in events(props) {
            let event_props = event.get("Properties");
            match event.get("Type").and_then(Value::as_str) {
                // Pushed by a service that invokes through the function's
                // resource policy: nothing on the role.
                Some(
                    "HttpApi" | "Api" | "Schedule" | "ScheduleV2" | "EventBridgeRule"
                    | "CloudWatchEvent" | "S3" | "SNS",
                ) => {}
                Some("DynamoDB") => {
                    out.push(grant(
                        &[
                            "dynamodb:DescribeStream",
                            "dynamodb:GetRecords",
                            "dynamodb:GetShardIterator",
                            "dynamodb:ListStreams",
                        ],
                        "SAM attaches AWSLambdaDynamoDBExecutionRole: the event source mapping reads the stream".into(),
                        GrantedBy::Sam,
                    ));
                    let on_failure = event_props
                        .and_then(|p| p.get("DestinationConfig"))
                        .and_then(|d| d.get("OnFailure"));
                    if let Some(on_failure) = on_failure {
                        out.push(grant(
                            &["sqs:SendMessage"],
                            "SAM grants sending to the event's on-failure destination".into(),
                            GrantedBy::Sam,
                        ));
                        if let Some(queue) = self.encrypted_queue(on_failure.get("Destination")) {
                            out.push(send_encrypted(&queue, "the on-failure destination"));
                        }
                    }
                }
                Some("SQS") => {
                    out.push(grant(
                        &[
                            "sqs:ReceiveMessage",
                            "sqs:DeleteMessage",
                            "sqs:GetQueueAttributes",
                        ],
                        "SAM attaches AWSLambdaSQSQueueExecutionRole: the event source mapping polls the queue".into(),
                        GrantedBy::Sam,
                    ));
                    if let Some(queue) =
                        self.encrypted_queue(event_props.and_then(|p| p.get("Queue")))
                    {
                        out.push(grant(
                            &["kms:Decrypt"],
                            format!("queue {queue} is encrypted with a KMS key: the event source mapping decrypts what it receives"),
                            GrantedBy::Template,
                        ));
                    }
                }
                other => {
                    return Err(format!(
                        "event type {other:?}: teach tests/src/iam.rs what Lambda does with the role for it"
                    ));
                }
            }
        }
        // The code's own sends to an encrypted queue need a data key too
        // (the statement granting sqs:SendMessage is itself held to the calls).
        let queues: BTreeSet<String> = statements
            .iter()
            .filter(|s| s.actions.iter().any(|a| action_like(a, "sqs:SendMessage")))
            .flat_map(|s| &s.resources)
            .filter_map(|r| match r {
                Resource::Other(text) => text.strip_prefix("!GetAtt ")?.strip_suffix(".Arn"),
                _ => None,
            })
            .filter_map(|id| self.encrypted_queue_id(id))
            .collect();
        for queue in queues {
            out.push(send_encrypted(&queue, "the code sends to queue"));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const TEMPLATE: &str = r#"
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      KmsMasterKeyId: !GetAtt Key.Arn
  Reader:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: reader}}
    Properties:
      Policies:
        - Statement:
            - Effect: Allow
              Action: [dynamodb:GetItem, dynamodb:BatchGetItem]
              Resource: !GetAtt Table.Arn
              Condition:
                ForAllValues:StringLike:
                  dynamodb:LeadingKeys: ["GROUP#*", "TOKEN#*"]
            - Effect: Allow
              Action: [dynamodb:Query]
              Resource: !Sub ${Table.Arn}/index/GSI1
  Sender:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: sender}}
    Properties:
      Environment: {Variables: {USAGE_QUEUE_URL: !Ref Queue}}
      Policies:
        - Statement:
            - Effect: Allow
              Action: [sqs:SendMessage]
              Resource: !GetAtt Queue.Arn
            - Effect: Allow
              Action: [kms:GenerateDataKey, kms:Decrypt]
              Resource: !GetAtt Key.Arn
      Events:
        Stream:
          Type: DynamoDB
          Properties: {Stream: !GetAtt Table.StreamArn}
  Worker:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: worker}}
    Properties:
      Policies:
        - Statement:
            - Effect: Allow
              Action: [dynamodb:PutItem]
              Resource: !GetAtt Table.Arn
            - Effect: Allow
              Action: [kms:Decrypt]
              Resource: !GetAtt Key.Arn
      Events:
        Jobs:
          Type: SQS
          Properties: {Queue: !GetAtt Queue.Arn}
"#;

    fn access(function: &str, action: &str, index: Option<&str>, keys: &[&str]) -> Access {
        let mut context = BTreeMap::new();
        if !keys.is_empty() {
            context.insert(
                LEADING_KEYS.to_owned(),
                keys.iter().map(|k| (*k).to_owned()).collect(),
            );
        }
        Access {
            resource: None,
            function: Arc::from(function),
            action: action.to_owned(),
            index: index.map(str::to_owned),
            context,
            operation: action.rsplit(':').next().unwrap_or_default().to_owned(),
        }
    }

    fn calls() -> BTreeSet<Access> {
        BTreeSet::from([
            access("reader", "dynamodb:GetItem", None, &["GROUP#1"]),
            access(
                "reader",
                "dynamodb:BatchGetItem",
                None,
                &["GROUP#1", "TOKEN#2"],
            ),
            access("reader", "dynamodb:Query", Some("GSI1"), &["ACCOUNT#3"]),
            access("sender", "sqs:SendMessage", None, &[]),
            access("worker", "dynamodb:PutItem", None, &["ACCOUNT#3"]),
        ])
    }

    fn template() -> Template {
        Template::parse(TEMPLATE).expect("test template")
    }

    fn names(findings: &BTreeSet<Finding>) -> Vec<String> {
        findings
            .iter()
            .map(|f| format!("{} {}", f.function, f.action))
            .collect()
    }

    #[test]
    fn a_policy_that_matches_the_calls_has_no_findings() {
        let findings = template().compare(&calls());
        assert!(findings.is_empty(), "{findings}");
    }

    #[test]
    fn the_worker_of_each_job_queue_is_found_through_the_senders_variable() {
        let t = template();
        assert_eq!(t.outbox_sender(), "sender");
        assert_eq!(t.job_worker(shared::jobs::JobKind::RecordUsage), "worker");
    }

    #[test]
    fn an_encrypted_queue_needs_kms_on_both_sides() {
        let mut t = template();
        let worker = t.functions.get_mut("worker").expect("worker");
        worker.statements.retain(|s| s.actions != ["kms:Decrypt"]);
        let sender = t.functions.get_mut("sender").expect("sender");
        sender.statements[1]
            .actions
            .retain(|a| a != "kms:GenerateDataKey");
        assert_eq!(
            names(&t.compare(&calls()).missing),
            ["sender kms:GenerateDataKey", "worker kms:Decrypt"]
        );
    }

    #[test]
    fn a_call_outside_the_granted_partitions_is_missing() {
        let mut accesses = calls();
        accesses.insert(access("reader", "dynamodb:GetItem", None, &["ACCOUNT#9"]));
        let findings = template().compare(&accesses);
        assert_eq!(names(&findings.missing), ["reader dynamodb:GetItem"]);
        assert!(
            findings
                .missing
                .iter()
                .any(|f| f.detail.contains("ACCOUNT#*")),
            "{findings}"
        );
    }

    #[test]
    fn a_query_of_the_table_is_not_granted_by_the_index() {
        let mut accesses = calls();
        accesses.insert(access("reader", "dynamodb:Query", None, &["GROUP#1"]));
        let findings = template().compare(&accesses);
        assert_eq!(names(&findings.missing), ["reader dynamodb:Query"]);
    }

    #[test]
    fn an_unused_action_partition_or_function_is_reported() {
        let accesses = BTreeSet::from([
            access("reader", "dynamodb:BatchGetItem", None, &["GROUP#1"]),
            access("reader", "dynamodb:Query", Some("GSI1"), &["ACCOUNT#3"]),
            access("sender", "sqs:SendMessage", None, &[]),
        ]);
        let findings = template().compare(&accesses);
        assert!(findings.missing.is_empty(), "{findings}");
        assert_eq!(
            names(&findings.unused),
            [
                "reader dynamodb:GetItem",
                "reader dynamodb:GetItem, dynamodb:BatchGetItem",
                "worker dynamodb:PutItem",
            ],
            "{findings}"
        );
        assert!(
            findings
                .unused
                .iter()
                .any(|f| f.detail.contains("\"TOKEN#*\"")),
            "{findings}"
        );
        assert_eq!(findings.unexercised, BTreeSet::from(["worker".to_owned()]));
    }

    #[test]
    fn granting_the_table_where_only_an_index_is_queried_is_unused() {
        let mut t = template();
        t.functions.get_mut("reader").expect("reader").statements[1]
            .resources
            .push(Resource::Table);
        let findings = t.compare(&calls());
        assert_eq!(
            names(&findings.unused),
            ["reader dynamodb:Query"],
            "{findings}"
        );
    }

    #[test]
    fn policies_the_test_cannot_read_are_refused() {
        for (what, policy) in [
            (
                "a SAM policy template",
                "- DynamoDBCrudPolicy: {TableName: !Ref Table}",
            ),
            ("a managed policy", "- AWSLambdaExecute"),
            (
                "an unknown condition key",
                "- Statement: [{Effect: Allow, Action: dynamodb:GetItem, Resource: '*', Condition: {StringEquals: {dynamodb:Attributes: [a]}}}]",
            ),
        ] {
            let text = format!(
                "Resources:\n  Table: {{Type: AWS::DynamoDB::Table}}\n  F:\n    Type: AWS::Serverless::Function\n    Metadata: {{BuildProperties: {{Binary: f}}}}\n    Properties:\n      Policies:\n        {policy}\n"
            );
            assert!(Template::parse(&text).is_err(), "{what} is accepted");
        }
    }
}
