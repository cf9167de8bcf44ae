//! The adapters a Lambda builds once per cold start, from its environment.

use std::sync::Arc;

use super::{CognitoIdentity, IdentityPort, SmsSender, SnsSms};
use crate::deps::{MissingSetting, required_env};

/// The user pool whose members' passwords are checked and changed.
pub const COGNITO_USER_POOL_ID: &str = "COGNITO_USER_POOL_ID";
/// The app client `AdminInitiateAuth` authenticates through (it must allow
/// `ALLOW_ADMIN_USER_PASSWORD_AUTH`).
pub const COGNITO_CLIENT_ID: &str = "COGNITO_CLIENT_ID";

/// The Cognito identity port, from `COGNITO_USER_POOL_ID` and
/// `COGNITO_CLIENT_ID` and the SDK configuration (see
/// [`crate::deps::sdk_config`]); a missing setting stops the cold start,
/// naming it.
pub fn identity_from_env(
    sdk: &aws_config::SdkConfig,
) -> Result<Arc<dyn IdentityPort>, MissingSetting> {
    let pool = required_env(COGNITO_USER_POOL_ID)?;
    let client_id = required_env(COGNITO_CLIENT_ID)?;
    Ok(Arc::new(CognitoIdentity::new(
        aws_sdk_cognitoidentityprovider::Client::new(sdk),
        pool,
        client_id,
    )))
}

/// The SNS text sender. It needs no setting of its own: the account's SMS
/// preferences (sender id, spending limit) are set in SNS, not here.
pub fn sms_from_env(sdk: &aws_config::SdkConfig) -> Arc<dyn SmsSender> {
    Arc::new(SnsSms::new(aws_sdk_sns::Client::new(sdk)))
}
