//! RFC 9457 problem details: the one place errors become HTTP.

use lambda_http::{Body, Response};
use serde::Serialize;

use crate::error::{Error, FieldError};
use crate::model::SsoProvider;

/// Media type of every error response.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

#[derive(Debug, Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    errors: &'a [FieldError],
    /// `sso-required` only: the providers whose sessions the group admits.
    #[serde(rename = "ssoProviders", skip_serializing_if = "Option::is_none")]
    sso_providers: Option<&'a [SsoProvider]>,
}

/// Maps an error to its problem response: status, type and title come from
/// its [`ProblemKind`]. Unexpected errors are logged with their cause chain
/// and shown only as a generic 500.
pub fn problem_response(error: &Error) -> Response<Body> {
    let kind = error.kind();
    let detail = match error {
        Error::Validation(errors) => errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.reason))
            .collect::<Vec<_>>()
            .join("; "),
        Error::Unauthenticated(why) => (*why).into(),
        Error::Forbidden(why) => why.clone(),
        Error::NotFound(what) => format!("{what} not found"),
        Error::Refused { detail, .. } | Error::SsoRequired { detail, .. } => detail.clone(),
        Error::IdempotencyKeyReused => {
            "this Idempotency-Key was already used with a different request".into()
        }
        Error::PayloadTooLarge { limit } => format!("the body must be at most {limit} bytes"),
        Error::Unexpected(source) => {
            tracing::error!(error = %error_chain(source.as_ref()), "unexpected failure");
            "an unexpected error occurred; it has been logged".into()
        }
    };
    let errors: &[FieldError] = match error {
        Error::Validation(errors) => errors,
        _ => &[],
    };
    let sso_providers = match error {
        Error::SsoRequired { providers, .. } => Some(providers.as_slice()),
        _ => None,
    };
    let problem = Problem {
        kind: kind.type_uri(),
        title: kind.title(),
        status: kind.status(),
        detail,
        errors,
        sso_providers,
    };
    let body = serde_json::to_string(&problem).unwrap_or_else(|_| String::from("{}"));
    let mut response = Response::builder()
        .status(kind.status())
        .header("content-type", PROBLEM_CONTENT_TYPE);
    if let Some(after) = error.retry_after() {
        // Whole seconds, rounded up: never "retry now" for a wait under a second.
        let seconds = after.as_secs() + u64::from(after.subsec_nanos() > 0);
        response = response.header("retry-after", seconds.max(1));
    }
    response.body(Body::Text(body)).unwrap_or_default()
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::ProblemKind;

    fn body_of(r: &Response<Body>) -> serde_json::Value {
        match r.body() {
            Body::Text(t) => serde_json::from_str(t).expect("json"),
            other => panic!("unexpected body {other:?}"),
        }
    }

    #[test]
    fn each_error_has_its_status_and_stable_type() {
        let cases = [
            (
                Error::invalid("name", "must not be empty"),
                400,
                "/problems/validation",
            ),
            (
                Error::Unauthenticated("no token"),
                401,
                "/problems/unauthenticated",
            ),
            (Error::Forbidden("no".into()), 403, "/problems/forbidden"),
            (Error::NotFound("group"), 404, "/problems/not-found"),
            (
                Error::refused(ProblemKind::LastAdmin, "x"),
                409,
                "/problems/last-admin",
            ),
            (
                Error::refused(ProblemKind::AdminLimit, "x"),
                429,
                "/problems/admin-limit",
            ),
            (
                Error::IdempotencyKeyReused,
                422,
                "/problems/idempotency-key-reused",
            ),
            (
                Error::PayloadTooLarge { limit: 1 },
                413,
                "/problems/payload-too-large",
            ),
            (Error::unexpected("secret cause"), 500, "/problems/internal"),
        ];
        for (error, status, kind) in cases {
            let response = problem_response(&error);
            assert_eq!(response.status(), status, "{error:?}");
            assert_eq!(response.headers()["content-type"], PROBLEM_CONTENT_TYPE);
            let body = body_of(&response);
            assert_eq!(body["type"], kind, "{error:?}");
            assert_eq!(body["status"], status, "{error:?}");
            assert!(
                !body["detail"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("secret"),
                "500s never leak causes"
            );
        }
    }

    #[test]
    fn refusals_that_lift_say_when_in_retry_after() {
        let busy = problem_response(&Error::busy());
        assert_eq!(busy.status(), 503);
        assert_eq!(body_of(&busy)["type"], "/problems/busy");
        assert_eq!(busy.headers()["retry-after"], "1");
        let capped = problem_response(&Error::refused_for(
            ProblemKind::InviteLimit,
            "x",
            std::time::Duration::from_millis(90_500),
        ));
        assert_eq!(capped.headers()["retry-after"], "91", "rounded up");
        let conflict = problem_response(&Error::refused(ProblemKind::LastAdmin, "x"));
        assert!(conflict.headers().get("retry-after").is_none());
    }

    #[test]
    fn validation_problems_list_fields() {
        let body = body_of(&problem_response(&Error::invalid(
            "autoAcceptDomains[0]",
            "is a free email provider",
        )));
        assert_eq!(body["errors"][0]["field"], "autoAcceptDomains[0]");
        assert_eq!(body["errors"][0]["reason"], "is a free email provider");
    }

    #[test]
    fn an_sso_refusal_names_the_providers_that_would_do() {
        let providers =
            std::collections::BTreeSet::from([SsoProvider::Microsoft, SsoProvider::Google]);
        let response = problem_response(&Error::sso_required(&providers, "sign in with Google"));
        assert_eq!(response.status(), 403);
        let body = body_of(&response);
        assert_eq!(body["type"], "/problems/sso-required");
        assert_eq!(
            body["ssoProviders"],
            serde_json::json!(["google", "microsoft"])
        );
        assert_eq!(body["detail"], "sign in with Google");
        let other = body_of(&problem_response(&Error::NotFound("group")));
        assert!(
            other.get("ssoProviders").is_none(),
            "only sso-required has it"
        );
    }
}
