//! The table, created from `infra/template.yaml` itself so the stand-in and
//! the deployed table can never disagree on keys, indexes, TTL or streams.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use serde_yaml::Value;

use crate::StartError;

/// The template the deployment uses.
const TEMPLATE: &str = include_str!("../../../infra/template.yaml");

/// The table's shape as the template declares it.
#[derive(Debug, Clone)]
pub struct TableDefinition {
    attributes: Vec<(String, String)>,
    key: Vec<(String, String)>,
    indexes: Vec<(String, Vec<(String, String)>)>,
    stream_view: Option<String>,
    ttl_attribute: Option<String>,
}

fn text(v: &Value, field: &str) -> Result<String, StartError> {
    v.get(field)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            StartError::Table(format!("template table: `{field}` missing or not a string"))
        })
}

fn key_schema(v: &Value) -> Result<Vec<(String, String)>, StartError> {
    v.as_sequence()
        .ok_or_else(|| StartError::Table("template table: KeySchema is not a list".into()))?
        .iter()
        .map(|k| Ok((text(k, "AttributeName")?, text(k, "KeyType")?)))
        .collect()
}

impl TableDefinition {
    /// The partition (HASH) key attribute of the table (under `None`) and of
    /// each index (under its name).
    pub fn partition_keys(&self) -> std::collections::BTreeMap<Option<String>, String> {
        let hash = |key: &[(String, String)]| {
            key.iter()
                .find(|(_, kind)| kind == "HASH")
                .map(|(name, _)| name.clone())
        };
        std::iter::once((None, hash(&self.key)))
            .chain(
                self.indexes
                    .iter()
                    .map(|(index, key)| (Some(index.clone()), hash(key))),
            )
            .filter_map(|(index, key)| Some((index, key?)))
            .collect()
    }

    /// The same table without its stream (see `StandIns::start_without_stream`).
    pub fn drop_stream(&mut self) {
        self.stream_view = None;
    }

    /// Reads the `AWS::DynamoDB::Table` resource of the template.
    pub fn from_template() -> Result<Self, StartError> {
        let doc: Value =
            serde_yaml::from_str(TEMPLATE).map_err(|e| StartError::Table(e.to_string()))?;
        let table = doc
            .get("Resources")
            .and_then(Value::as_mapping)
            .and_then(|r| {
                r.values().find(|res| {
                    res.get("Type").and_then(Value::as_str) == Some("AWS::DynamoDB::Table")
                })
            })
            .and_then(|res| res.get("Properties"))
            .ok_or_else(|| StartError::Table("template has no AWS::DynamoDB::Table".into()))?;
        let attributes = table
            .get("AttributeDefinitions")
            .and_then(Value::as_sequence)
            .ok_or_else(|| {
                StartError::Table("template table: AttributeDefinitions missing".into())
            })?
            .iter()
            .map(|a| Ok((text(a, "AttributeName")?, text(a, "AttributeType")?)))
            .collect::<Result<_, StartError>>()?;
        let key = key_schema(table.get("KeySchema").unwrap_or(&Value::Null))?;
        let indexes = table
            .get("GlobalSecondaryIndexes")
            .and_then(Value::as_sequence)
            .map(|list| {
                list.iter()
                    .map(|i| {
                        Ok((
                            text(i, "IndexName")?,
                            key_schema(i.get("KeySchema").unwrap_or(&Value::Null))?,
                        ))
                    })
                    .collect::<Result<Vec<_>, StartError>>()
            })
            .transpose()?
            .unwrap_or_default();
        let stream_view = table
            .get("StreamSpecification")
            .map(|s| text(s, "StreamViewType"))
            .transpose()?;
        let ttl_attribute = table
            .get("TimeToLiveSpecification")
            .filter(|t| t.get("Enabled").and_then(Value::as_bool) == Some(true))
            .map(|t| text(t, "AttributeName"))
            .transpose()?;
        Ok(Self {
            attributes,
            key,
            indexes,
            stream_view,
            ttl_attribute,
        })
    }
}

fn schema(key: &[(String, String)]) -> Result<Vec<KeySchemaElement>, StartError> {
    key.iter()
        .map(|(name, kind)| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(KeyType::from(kind.as_str()))
                .build()
                .map_err(|e| StartError::Table(e.to_string()))
        })
        .collect()
}

/// Creates the table if it does not exist yet (a folder-backed run keeps it).
pub async fn create_table(
    client: &Client,
    name: &str,
    def: &TableDefinition,
) -> Result<(), StartError> {
    let err = |e: &dyn std::fmt::Display| StartError::Table(e.to_string());
    // Listing, not DescribeTable, so a first start logs no "not found" error.
    let existing = client
        .list_tables()
        .send()
        .await
        .map_err(|e| err(&e.into_service_error()))?;
    if existing.table_names().iter().any(|t| t == name) {
        return Ok(());
    }
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(schema(&def.key)?));
    for (attr, kind) in &def.attributes {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(attr)
                .attribute_type(ScalarAttributeType::from(kind.as_str()))
                .build()
                .map_err(|e| err(&e))?,
        );
    }
    for (index, key) in &def.indexes {
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index)
                .set_key_schema(Some(schema(key)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(|e| err(&e))?,
        );
    }
    if let Some(view) = &def.stream_view {
        request = request.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(view.as_str()))
                .build()
                .map_err(|e| err(&e))?,
        );
    }
    request
        .send()
        .await
        .map_err(|e| err(&e.into_service_error()))?;
    if let Some(attr) = &def.ttl_attribute {
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(attr)
                    .build()
                    .map_err(|e| err(&e))?,
            )
            .send()
            .await
            .map_err(|e| err(&e.into_service_error()))?;
    }
    Ok(())
}
