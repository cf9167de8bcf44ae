//! The vocabulary of refusals: every problem type the API can answer with,
//! each with its one status, type URI and title. `http::problem` renders
//! them; the OpenAPI document lists the same set (a contract test keeps the
//! two equal), so clients can switch on `type` safely.

/// One kind of problem, as clients see it in a problem+json `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProblemKind {
    /// The request is malformed (field errors say where).
    Validation,
    /// No verified identity on the request.
    Unauthenticated,
    /// The caller is known but may not do this.
    Forbidden,
    /// Missing, or not visible to this caller.
    NotFound,
    /// The body is too large.
    PayloadTooLarge,
    /// An `Idempotency-Key` reused with another request.
    IdempotencyKeyReused,
    /// Anything unplanned (logged, never explained).
    Internal,
    /// The group has been dissolved: it accepts no changes.
    GroupDissolved,
    /// The group has reached its member limit.
    GroupFull,
    /// The account is already a member of this group.
    AlreadyMember,
    /// The account already belongs to another group.
    AlreadyInAGroup,
    /// A request to join is already pending.
    AlreadyRequested,
    /// The account is already an administrator.
    AlreadyAdmin,
    /// Removing this admin would leave the group without one.
    LastAdmin,
    /// A verified address already belongs to another account.
    EmailInUse,
    /// A single-use invitation was already used.
    InvitationUsed,
    /// An invitation ran out of time.
    InvitationExpired,
    /// An invitation changed while it was being resent.
    InvitationChanged,
    /// The invite link changed while it was being rotated.
    LinkChanged,
    /// The group has as many administrators as it may.
    AdminLimit,
    /// A daily invitation cap (the group's or the sending account's) is reached.
    InviteLimit,
    /// Something the request relied on changed while it ran; a retry reads again.
    ConcurrentChange,
    /// The account has as many computers as it may.
    ComputerLimit,
    /// The account has as many buckets as it may.
    BucketLimit,
    /// The bucket name is taken (names are unique across the service).
    BucketNameTaken,
    /// A bucket must be empty to be deleted.
    BucketNotEmpty,
    /// The dissolution was not previewed, or with another token.
    DissolutionTokenInvalid,
    /// The dissolution preview ran out of time.
    DissolutionExpired,
    /// The account created as many groups today as it may.
    GroupLimit,
    /// The invitation was resent as often, or as recently, as it may be.
    ResendLimit,
    /// The database is too contended or throttled right now; retry later.
    Busy,
    /// The snapshot is still being built, or failed: nothing to download.
    SnapshotNotReady,
    /// The confirmed upload is not in storage as declared (missing, or another size).
    UploadIncomplete,
    /// The member's current password did not match.
    WrongPassword,
    /// Too many wrong passwords or codes: wait before trying again.
    TooManyAttempts,
    /// The verification code does not match.
    CodeInvalid,
    /// The verification code ran out of time (or none is pending).
    CodeExpired,
    /// The report is still being built: nothing to download yet.
    ReportNotReady,
    /// A domain's DNS record was not found (or holds another value).
    DomainNotVerified,
    /// The DNS look-up could not tell (timeout, server failure): retry later.
    DnsUnavailable,
    /// The group admits only sessions signed in with one of its single
    /// sign-on providers (the problem's `ssoProviders` lists them).
    SsoRequired,
}

impl ProblemKind {
    /// Every kind, for documentation and the contract test.
    pub const ALL: [ProblemKind; 41] = [
        Self::Validation,
        Self::Unauthenticated,
        Self::Forbidden,
        Self::NotFound,
        Self::PayloadTooLarge,
        Self::IdempotencyKeyReused,
        Self::Internal,
        Self::GroupDissolved,
        Self::GroupFull,
        Self::AlreadyMember,
        Self::AlreadyInAGroup,
        Self::AlreadyRequested,
        Self::AlreadyAdmin,
        Self::LastAdmin,
        Self::EmailInUse,
        Self::InvitationUsed,
        Self::InvitationExpired,
        Self::InvitationChanged,
        Self::LinkChanged,
        Self::AdminLimit,
        Self::InviteLimit,
        Self::ConcurrentChange,
        Self::ComputerLimit,
        Self::BucketLimit,
        Self::BucketNameTaken,
        Self::BucketNotEmpty,
        Self::DissolutionTokenInvalid,
        Self::DissolutionExpired,
        Self::GroupLimit,
        Self::ResendLimit,
        Self::Busy,
        Self::SnapshotNotReady,
        Self::UploadIncomplete,
        Self::WrongPassword,
        Self::TooManyAttempts,
        Self::CodeInvalid,
        Self::CodeExpired,
        Self::ReportNotReady,
        Self::DomainNotVerified,
        Self::DnsUnavailable,
        Self::SsoRequired,
    ];

    /// The stable last segment of the type URI, e.g. `last-admin`.
    pub const fn slug(self) -> &'static str {
        match self {
            Self::Validation => "validation",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not-found",
            Self::PayloadTooLarge => "payload-too-large",
            Self::IdempotencyKeyReused => "idempotency-key-reused",
            Self::Internal => "internal",
            Self::GroupDissolved => "group-dissolved",
            Self::GroupFull => "group-full",
            Self::AlreadyMember => "already-member",
            Self::AlreadyInAGroup => "already-in-a-group",
            Self::AlreadyRequested => "already-requested",
            Self::AlreadyAdmin => "already-admin",
            Self::LastAdmin => "last-admin",
            Self::EmailInUse => "email-in-use",
            Self::InvitationUsed => "invitation-used",
            Self::InvitationExpired => "invitation-expired",
            Self::InvitationChanged => "invitation-changed",
            Self::LinkChanged => "link-changed",
            Self::AdminLimit => "admin-limit",
            Self::InviteLimit => "invite-limit",
            Self::ConcurrentChange => "concurrent-change",
            Self::ComputerLimit => "computer-limit",
            Self::BucketLimit => "bucket-limit",
            Self::BucketNameTaken => "bucket-name-taken",
            Self::BucketNotEmpty => "bucket-not-empty",
            Self::DissolutionTokenInvalid => "dissolution-token-invalid",
            Self::DissolutionExpired => "dissolution-expired",
            Self::GroupLimit => "group-limit",
            Self::ResendLimit => "resend-limit",
            Self::Busy => "busy",
            Self::SnapshotNotReady => "snapshot-not-ready",
            Self::UploadIncomplete => "upload-incomplete",
            Self::WrongPassword => "wrong-password",
            Self::TooManyAttempts => "too-many-attempts",
            Self::CodeInvalid => "code-invalid",
            Self::CodeExpired => "code-expired",
            Self::ReportNotReady => "report-not-ready",
            Self::DomainNotVerified => "domain-not-verified",
            Self::DnsUnavailable => "dns-unavailable",
            Self::SsoRequired => "sso-required",
        }
    }

    /// The problem's `type`, e.g. `/problems/last-admin`.
    pub fn type_uri(self) -> String {
        format!("/problems/{}", self.slug())
    }

    /// The HTTP status every problem of this kind has.
    pub const fn status(self) -> u16 {
        match self {
            Self::Validation => 400,
            Self::Unauthenticated => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::PayloadTooLarge => 413,
            Self::IdempotencyKeyReused => 422,
            Self::Internal => 500,
            Self::WrongPassword | Self::CodeInvalid | Self::SsoRequired => 403,
            Self::InvitationExpired | Self::DissolutionExpired | Self::CodeExpired => 410,
            Self::AdminLimit
            | Self::InviteLimit
            | Self::GroupLimit
            | Self::ResendLimit
            | Self::TooManyAttempts => 429,
            Self::Busy | Self::DnsUnavailable => 503,
            Self::GroupDissolved
            | Self::GroupFull
            | Self::AlreadyMember
            | Self::AlreadyInAGroup
            | Self::AlreadyRequested
            | Self::AlreadyAdmin
            | Self::LastAdmin
            | Self::EmailInUse
            | Self::InvitationUsed
            | Self::InvitationChanged
            | Self::LinkChanged
            | Self::ConcurrentChange
            | Self::ComputerLimit
            | Self::BucketLimit
            | Self::BucketNameTaken
            | Self::BucketNotEmpty
            | Self::DissolutionTokenInvalid
            | Self::SnapshotNotReady
            | Self::ReportNotReady
            | Self::DomainNotVerified
            | Self::UploadIncomplete => 409,
        }
    }

    /// The short summary that goes with the status (RFC 9457 `title`):
    /// each status has one.
    pub const fn title(self) -> &'static str {
        match self.status() {
            400 => "Invalid request",
            401 => "Authentication required",
            403 => "Forbidden",
            404 => "Not found",
            409 => "Conflict",
            410 => "Gone",
            413 => "Payload too large",
            422 => "Idempotency key reused",
            429 => "Limit reached",
            503 => "Service busy",
            _ => "Internal error",
        }
    }
}

impl std::fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.slug())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_listed_once_with_a_distinct_slug() {
        let slugs: std::collections::BTreeSet<&str> =
            ProblemKind::ALL.iter().map(|k| k.slug()).collect();
        assert_eq!(slugs.len(), ProblemKind::ALL.len());
    }

    #[test]
    fn statuses_are_errors_and_titles_are_known() {
        for kind in ProblemKind::ALL {
            assert!((400..600).contains(&kind.status()), "{kind}");
            assert!(
                kind.status() == 500 || kind.title() != "Internal error",
                "{kind} has no title of its own"
            );
        }
        assert_eq!(ProblemKind::LastAdmin.title(), "Conflict");
        assert_eq!(ProblemKind::InvitationExpired.title(), "Gone");
        assert_eq!(ProblemKind::InviteLimit.title(), "Limit reached");
    }
}
