//! The caller's own account (`/me`).

use serde::Deserialize;

use crate::error::Error;
use crate::model::AccountChanges;

/// `PATCH /me`: every field optional (absent means unchanged), but at
/// least one must be sent.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateMeRequest {
    /// Get the backup summary emails the caller's group sends (`false`: opt out).
    #[serde(default, deserialize_with = "super::json::present")]
    pub backup_summary_emails: Option<bool>,
}

impl TryFrom<UpdateMeRequest> for AccountChanges {
    type Error = Error;

    fn try_from(req: UpdateMeRequest) -> Result<Self, Error> {
        let changes = AccountChanges {
            backup_summary_emails: req.backup_summary_emails,
        };
        if changes.is_empty() {
            // One setting so far: name it, so the client knows what to send.
            return Err(Error::invalid(
                "backupSummaryEmails",
                "nothing to change: send backupSummaryEmails (true or false)",
            ));
        }
        Ok(changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::body::parse_json;

    fn update(json: &str) -> Result<AccountChanges, Error> {
        AccountChanges::try_from(parse_json::<UpdateMeRequest>(json.as_bytes())?)
    }

    fn field_errors(json: &str) -> Vec<(String, String)> {
        match update(json) {
            Err(Error::Validation(errors)) => {
                errors.into_iter().map(|e| (e.field, e.reason)).collect()
            }
            other => panic!("expected validation errors for {json}, got {other:?}"),
        }
    }

    #[test]
    fn the_flag_is_set_either_way() {
        for flag in [false, true] {
            let body = format!(r#"{{"backupSummaryEmails": {flag}}}"#);
            assert_eq!(
                update(&body).expect("valid"),
                AccountChanges {
                    backup_summary_emails: Some(flag)
                }
            );
        }
    }

    #[test]
    fn bad_bodies_name_the_field() {
        let cases = [
            ("{}", "backupSummaryEmails", "nothing to change"),
            (
                r#"{"backupSummaryEmails": "no"}"#,
                "backupSummaryEmails",
                "invalid type",
            ),
            (
                r#"{"backupSummaryEmails": null}"#,
                "backupSummaryEmails",
                "invalid type",
            ),
            (
                r#"{"backupSummaryEmails": false, "email": "x@y.com"}"#,
                "email",
                "unknown field",
            ),
            ("", "body", "required"),
        ];
        for (json, field, reason) in cases {
            let errors = field_errors(json);
            assert_eq!(errors.len(), 1, "{json}: {errors:?}");
            assert_eq!(errors[0].0, field, "{json}");
            assert!(errors[0].1.contains(reason), "{json}: {:?}", errors[0].1);
        }
    }
}
