//! How a member signs in beyond the password: which second factors are on
//! and which one Cognito asks for first.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// A second sign-in factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MfaMethod {
    /// A code sent by SMS to the account's verified phone.
    Sms,
    /// A code from an authenticator app (TOTP), set up by the member.
    SoftwareToken,
}

/// The whole of an account's second-factor settings, as one value: setting
/// them states every factor, so a change never depends on what was there
/// before (Cognito's `AdminSetUserMFAPreference` is sent both factors).
///
/// Built by [`SignInSettings::new`], which refuses a preferred factor that is
/// not enabled, so an impossible combination never reaches the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "Raw")]
pub struct SignInSettings {
    sms: bool,
    software_token: bool,
    preferred: Option<MfaMethod>,
}

/// The stored form, checked on the way in like any other input.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    #[serde(default)]
    sms: bool,
    #[serde(default)]
    software_token: bool,
    #[serde(default)]
    preferred: Option<MfaMethod>,
}

impl TryFrom<Raw> for SignInSettings {
    type Error = String;
    fn try_from(raw: Raw) -> Result<Self, Self::Error> {
        Self::new(raw.sms, raw.software_token, raw.preferred).map_err(|e| e.reason)
    }
}

impl SignInSettings {
    /// Password only: no second factor.
    pub const PASSWORD_ONLY: Self = Self {
        sms: false,
        software_token: false,
        preferred: None,
    };

    /// Settings with the given factors on; `preferred` (the one asked for
    /// first when both are on) must be one of them. With one factor on and
    /// no preference, that factor is the preferred one, as Cognito would
    /// treat it.
    pub fn new(
        sms: bool,
        software_token: bool,
        preferred: Option<MfaMethod>,
    ) -> Result<Self, FieldError> {
        let enabled = |m: MfaMethod| match m {
            MfaMethod::Sms => sms,
            MfaMethod::SoftwareToken => software_token,
        };
        if preferred.is_some_and(|m| !enabled(m)) {
            return Err(FieldError::new(
                "preferredMfa",
                "must be a second factor that is turned on",
            ));
        }
        let preferred = preferred.or(match (sms, software_token) {
            (true, false) => Some(MfaMethod::Sms),
            (false, true) => Some(MfaMethod::SoftwareToken),
            _ => None,
        });
        Ok(Self {
            sms,
            software_token,
            preferred,
        })
    }

    /// Whether SMS codes are a second factor.
    pub fn sms(&self) -> bool {
        self.sms
    }

    /// Whether authenticator-app codes are a second factor.
    pub fn software_token(&self) -> bool {
        self.software_token
    }

    /// The factor asked for first, if any is on.
    pub fn preferred(&self) -> Option<MfaMethod> {
        self.preferred
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preferred_factor_must_be_turned_on() {
        let cases = [
            (false, false, Some(MfaMethod::Sms)),
            (false, true, Some(MfaMethod::Sms)),
            (true, false, Some(MfaMethod::SoftwareToken)),
        ];
        for (sms, totp, preferred) in cases {
            let error = SignInSettings::new(sms, totp, preferred).expect_err("refused");
            assert_eq!(error.field, "preferredMfa", "{sms} {totp} {preferred:?}");
        }
    }

    #[test]
    fn a_single_factor_is_the_preferred_one() {
        let cases = [
            ((false, false), None),
            ((true, false), Some(MfaMethod::Sms)),
            ((false, true), Some(MfaMethod::SoftwareToken)),
            ((true, true), None),
        ];
        for ((sms, totp), preferred) in cases {
            let settings = SignInSettings::new(sms, totp, None).expect("valid");
            assert_eq!(settings.preferred(), preferred, "{sms} {totp}");
        }
    }

    #[test]
    fn stored_settings_are_checked_when_read() {
        let ok: SignInSettings = serde_json::from_str(
            r#"{"sms":true,"softwareToken":true,"preferred":"softwareToken"}"#,
        )
        .expect("valid");
        assert_eq!(ok.preferred(), Some(MfaMethod::SoftwareToken));
        assert_eq!(
            serde_json::from_str::<SignInSettings>("{}").expect("defaults"),
            SignInSettings::PASSWORD_ONLY
        );
        assert!(serde_json::from_str::<SignInSettings>(r#"{"preferred":"sms"}"#).is_err());
    }
}
