//! The route table, read from `infra/template.yaml`: the deployed API and the
//! local gateway cannot disagree because there is only one list.

use serde_yaml::Value;

/// The template the deployment uses.
pub const TEMPLATE: &str = include_str!("../../../infra/template.yaml");

/// One HTTP route and the function (binary) behind it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    /// Upper-case HTTP method.
    pub method: String,
    /// Path template with `{param}` segments, as API Gateway writes it.
    pub path: String,
    /// The Lambda binary (crate) that serves it.
    pub function: String,
    /// No JWT authorizer on this route (`Auth: { Authorizer: NONE }`).
    pub public: bool,
}

impl Route {
    /// API Gateway's route key, e.g. `POST /groups`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// Every `HttpApi` event of every `AWS::Serverless::Function` in the template.
pub fn from_template(template: &str) -> anyhow::Result<Vec<Route>> {
    let doc: Value = serde_yaml::from_str(template)?;
    let resources = doc
        .get("Resources")
        .and_then(Value::as_mapping)
        .ok_or_else(|| anyhow::anyhow!("template has no Resources"))?;
    let mut routes = Vec::new();
    for (name, resource) in resources {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
            continue;
        }
        let function = resource
            .get("Metadata")
            .and_then(|m| m.get("BuildProperties"))
            .and_then(|b| b.get("Binary"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                anyhow::anyhow!("function {name:?} has no Metadata.BuildProperties.Binary")
            })?;
        let Some(events) = resource
            .get("Properties")
            .and_then(|p| p.get("Events"))
            .and_then(Value::as_mapping)
        else {
            continue;
        };
        for event in events.values() {
            if event.get("Type").and_then(Value::as_str) != Some("HttpApi") {
                continue;
            }
            let props = event.get("Properties");
            let field = |f: &str| {
                props
                    .and_then(|p| p.get(f))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| anyhow::anyhow!("function {name:?}: HttpApi event without {f}"))
            };
            let public = props
                .and_then(|p| p.get("Auth"))
                .and_then(|a| a.get("Authorizer"))
                .and_then(Value::as_str)
                == Some("NONE");
            routes.push(Route {
                method: field("Method")?.to_ascii_uppercase(),
                path: field("Path")?,
                function: function.to_owned(),
                public,
            });
        }
    }
    routes.sort();
    Ok(routes)
}

/// Every function binary named in the template (HTTP or not).
pub fn functions(template: &str) -> anyhow::Result<Vec<String>> {
    let doc: Value = serde_yaml::from_str(template)?;
    let mut names: Vec<String> = doc
        .get("Resources")
        .and_then(Value::as_mapping)
        .into_iter()
        .flat_map(|r| r.values())
        .filter(|r| r.get("Type").and_then(Value::as_str) == Some("AWS::Serverless::Function"))
        .filter_map(|r| {
            r.get("Metadata")?
                .get("BuildProperties")?
                .get("Binary")?
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    names.sort();
    Ok(names)
}
