//! One source of truth for the API surface: the template's routes, the local
//! gateway's handlers, the OpenAPI paths and the crates under `functions/`
//! must all name the same things.

use std::collections::BTreeSet;

use serde_yaml::Value;

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn template_routes() -> BTreeSet<String> {
    local::routes::from_template(local::routes::TEMPLATE)
        .expect("template parses")
        .iter()
        .map(local::Route::key)
        .collect()
}

fn openapi_routes() -> BTreeSet<String> {
    let text =
        std::fs::read_to_string(root().join("infra/openapi.yaml")).expect("infra/openapi.yaml");
    let doc: Value = serde_yaml::from_str(&text).expect("openapi parses");
    let paths = doc
        .get("paths")
        .and_then(Value::as_mapping)
        .expect("openapi has paths");
    let methods = ["get", "put", "post", "delete", "patch", "head", "options"];
    paths
        .iter()
        .flat_map(|(path, item)| {
            let path = path.as_str().expect("path is a string").to_owned();
            item.as_mapping()
                .into_iter()
                .flat_map(|m| m.keys())
                .filter_map(Value::as_str)
                .filter(|k| methods.contains(k))
                .map(move |m| format!("{} {path}", m.to_uppercase()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn template_routes_and_openapi_paths_are_the_same_set() {
    let template = template_routes();
    let openapi = openapi_routes();
    assert!(!template.is_empty());
    assert_eq!(
        template,
        openapi,
        "only in template: {:?}; only in OpenAPI: {:?}",
        template.difference(&openapi).collect::<Vec<_>>(),
        openapi.difference(&template).collect::<Vec<_>>()
    );
}

#[test]
fn every_function_crate_has_exactly_one_template_function() {
    let crates: BTreeSet<String> = std::fs::read_dir(root().join("functions"))
        .expect("functions/")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let functions = local::routes::functions(local::routes::TEMPLATE).expect("template parses");
    let unique: BTreeSet<String> = functions.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        functions.len(),
        "a binary appears twice in the template: {functions:?}"
    );
    assert_eq!(
        crates, unique,
        "functions/ crates and template functions differ"
    );
}

#[test]
fn the_local_gateway_serves_every_http_function_of_the_template() {
    let handlers = local::handlers();
    let http_functions: BTreeSet<String> = local::routes::from_template(local::routes::TEMPLATE)
        .expect("template parses")
        .into_iter()
        .map(|r| r.function)
        .collect();
    let mounted: BTreeSet<String> = handlers.keys().map(|k| (*k).to_owned()).collect();
    assert_eq!(http_functions, mounted);
}

#[test]
fn the_openapi_documents_exactly_the_problem_types_the_service_answers_with() {
    let text =
        std::fs::read_to_string(root().join("infra/openapi.yaml")).expect("infra/openapi.yaml");
    let doc: Value = serde_yaml::from_str(&text).expect("openapi parses");
    let documented: BTreeSet<String> =
        doc["components"]["schemas"]["Problem"]["properties"]["type"]["enum"]
            .as_sequence()
            .expect("Problem.type lists its values")
            .iter()
            .map(|v| v.as_str().expect("a string").to_owned())
            .collect();
    let answered: BTreeSet<String> = shared::ProblemKind::ALL
        .iter()
        .map(|k| k.type_uri())
        .collect();
    assert_eq!(
        documented,
        answered,
        "only in OpenAPI: {:?}; only in the service: {:?}",
        documented.difference(&answered).collect::<Vec<_>>(),
        answered.difference(&documented).collect::<Vec<_>>()
    );
}

/// Routes whose function reads `Idempotency-Key` (its handler calls
/// `http::idempotency_request`), and routes whose OpenAPI operation takes the
/// header and documents the 422 `idempotency-key-reused` its reuse gets: the
/// same set, so a client knows which writes are safe to retry, and what a
/// reused key answers.
#[test]
fn every_write_that_reads_an_idempotency_key_documents_the_header_and_its_422() {
    let text =
        std::fs::read_to_string(root().join("infra/openapi.yaml")).expect("infra/openapi.yaml");
    let doc: Value = serde_yaml::from_str(&text).expect("openapi parses");
    let refers_to = |list: Option<&Value>, target: &str| {
        list.and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .any(|p| p.get("$ref").and_then(Value::as_str) == Some(target))
    };
    let mut reading = BTreeSet::new();
    let mut documented = BTreeSet::new();
    let mut problems = Vec::new();
    for route in local::routes::from_template(local::routes::TEMPLATE).expect("template parses") {
        let source = root()
            .join("functions")
            .join(&route.function)
            .join("src/lib.rs");
        let code = std::fs::read_to_string(&source).expect("function source");
        if code.contains("idempotency_request(") {
            reading.insert(route.key());
        }
        let item = &doc["paths"][route.path.as_str()];
        let op = &item[route.method.to_lowercase().as_str()];
        let takes_key = refers_to(
            op.get("parameters"),
            "#/components/parameters/IdempotencyKey",
        ) || refers_to(
            item.get("parameters"),
            "#/components/parameters/IdempotencyKey",
        );
        if takes_key {
            documented.insert(route.key());
            let reused = op["responses"]["422"]["$ref"].as_str();
            if reused != Some("#/components/responses/IdempotencyKeyReused") {
                problems.push(format!(
                    "{}: takes Idempotency-Key but its 422 is {reused:?}",
                    route.key()
                ));
            }
        }
    }
    let reused = &doc["components"]["responses"]["IdempotencyKeyReused"]["content"]["application/problem+json"]
        ["example"]["type"];
    assert_eq!(reused, "/problems/idempotency-key-reused");
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(!reading.is_empty());
    assert_eq!(
        reading,
        documented,
        "read by the code only: {:?}; documented only: {:?}",
        reading.difference(&documented).collect::<Vec<_>>(),
        documented.difference(&reading).collect::<Vec<_>>()
    );
}
