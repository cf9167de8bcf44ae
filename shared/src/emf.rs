//! CloudWatch metrics from log lines (the embedded metric format): one JSON
//! line on stdout becomes a metric data point, with no SDK call, no extra
//! permission and nothing to fail in the request path.

use serde_json::json;

/// The namespace of the service's own metrics (alarms in the template).
pub const NAMESPACE: &str = "Groups";

/// The EMF line counting `count` of `metric` for `service`, at `timestamp_ms`.
pub fn count_line(service: &str, metric: &str, count: u64, timestamp_ms: i128) -> String {
    json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Service"]],
                "Metrics": [{"Name": metric, "Unit": "Count"}],
            }],
        },
        "Service": service,
        metric: count,
    })
    .to_string()
}

/// Where metric lines go: stdout in Lambda (CloudWatch Logs reads them),
/// a list in tests.
pub trait MetricSink: Send + Sync {
    /// Emits one EMF line.
    fn emit(&self, line: String);
}

/// Prints each line on stdout, where Lambda's log agent finds it.
#[derive(Debug, Default)]
pub struct Stdout;

impl MetricSink for Stdout {
    fn emit(&self, line: String) {
        println!("{line}");
    }
}

/// Keeps the lines, for tests.
#[derive(Debug, Default)]
pub struct Recorded(pub std::sync::Mutex<Vec<String>>);

impl MetricSink for Recorded {
    fn emit(&self, line: String) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_is_one_emf_document() {
        let line = count_line("outbox-sender", "UndeliverableEmails", 1, 1_700_000_000_000);
        assert!(!line.contains('\n'), "one line");
        let doc: serde_json::Value = serde_json::from_str(&line).expect("json");
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "Groups");
        assert_eq!(directive["Dimensions"][0][0], "Service");
        assert_eq!(directive["Metrics"][0]["Name"], "UndeliverableEmails");
        assert_eq!(doc["Service"], "outbox-sender");
        assert_eq!(doc["UndeliverableEmails"], 1);
        assert_eq!(doc["_aws"]["Timestamp"], 1_700_000_000_000_i64);
    }
}
