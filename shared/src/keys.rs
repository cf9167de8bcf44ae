//! Single-table key builders: the only place key shapes are spelled out
//! (DESIGN §4; the access-pattern table is in `docs/access-patterns.md`).

use crate::model::{AccountId, BucketName, ComputerId, EmailAddress, FilePath, GroupId, TokenHash};

/// Partition key attribute.
pub const PK: &str = "PK";
/// Sort key attribute.
pub const SK: &str = "SK";
/// First GSI's partition key attribute.
pub const GSI1PK: &str = "GSI1PK";
/// First GSI's sort key attribute.
pub const GSI1SK: &str = "GSI1SK";
/// First GSI's name.
pub const GSI1: &str = "GSI1";
/// Entity-type attribute, so a stream consumer or a human can tell items apart.
pub const ENTITY: &str = "entity";
/// TTL attribute (epoch seconds).
pub const EXPIRES_AT: &str = "expiresAt";

/// A full primary key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// Partition key value.
    pub pk: String,
    /// Sort key value.
    pub sk: String,
}

fn key(pk: String, sk: impl Into<String>) -> Key {
    Key { pk, sk: sk.into() }
}

/// Partition of everything about one group.
pub fn group_pk(gid: &GroupId) -> String {
    format!("GROUP#{gid}")
}

/// The group's settings item.
pub fn group(gid: &GroupId) -> Key {
    key(group_pk(gid), "GROUP")
}

/// One admin's link item (feeds the "groups I administer" index).
pub fn admin(gid: &GroupId, aid: &AccountId) -> Key {
    key(group_pk(gid), format!("ADMIN#{aid}"))
}

/// GSI1 partition for everything indexed under an account.
pub fn account_gsi_pk(aid: &AccountId) -> String {
    format!("ACCOUNT#{aid}")
}

/// GSI1 sort-key prefix of the groups an account administers.
pub const ADMIN_OF_PREFIX: &str = "ADMINOF#";

/// GSI1 sort key of an admin link.
pub fn admin_of(gid: &GroupId) -> String {
    format!("{ADMIN_OF_PREFIX}{gid}")
}

/// The account's profile item.
pub fn account(aid: &AccountId) -> Key {
    key(account_gsi_pk(aid), "ACCOUNT")
}

/// The uniqueness claim of a verified email address, pointing at its account.
pub fn email_claim(email: &EmailAddress) -> Key {
    key(format!("EMAIL#{email}"), "EMAIL")
}

/// Sort-key prefix of members.
pub const MEMBER_PREFIX: &str = "MEMBER#";
/// Sort-key prefix of pending membership requests.
pub const REQUEST_PREFIX: &str = "REQUEST#";
/// Sort-key prefix of pending email invitations.
pub const INVITE_PREFIX: &str = "INVITE#";

/// Sorts after every member's sort key (`$` follows `#`), to bound a range.
pub const MEMBERS_END: &str = "MEMBER$";

/// A member of a group.
pub fn member(gid: &GroupId, aid: &AccountId) -> Key {
    key(group_pk(gid), format!("{MEMBER_PREFIX}{aid}"))
}

/// A pending membership request.
pub fn request(gid: &GroupId, aid: &AccountId) -> Key {
    key(group_pk(gid), format!("{REQUEST_PREFIX}{aid}"))
}

/// A pending email invitation, one per address.
pub fn invitation(gid: &GroupId, email: &EmailAddress) -> Key {
    key(group_pk(gid), format!("{INVITE_PREFIX}{email}"))
}

/// A live invite token (link or invitation), by the SHA-256 of its text.
pub fn token(hash: &TokenHash) -> Key {
    key(format!("TOKEN#{}", hash.as_str()), "TOKEN")
}

/// The per-group, per-day invitation counter behind the daily cap.
pub fn invite_quota(gid: &GroupId, day: time::Date) -> Key {
    key(group_pk(gid), format!("INVITES#{day}"))
}

/// An account's per-day counter of `what` (`INVITES`, `GROUPS`), behind the
/// caps on what one account may do in a day.
pub fn account_quota(aid: &AccountId, what: &str, day: time::Date) -> Key {
    key(account_gsi_pk(aid), format!("QUOTA#{what}#{day}"))
}

/// Shards of the sparse index of unsettled outbox items (GSI1), so a burst
/// of writes never heats one index partition.
pub const OUTBOX_UNSETTLED_SHARDS: u8 = 8;

/// GSI1 partition of the unsettled outbox items of one shard; an item leaves
/// it when it is settled.
pub fn outbox_unsettled(shard: u8) -> String {
    format!("OUTBOX#UNSETTLED#{shard}")
}

/// The shard of an outbox item (from its id's random bits).
pub fn outbox_shard(id: &uuid::Uuid) -> u8 {
    id.as_bytes()[15] % OUTBOX_UNSETTLED_SHARDS
}

/// An outbox item (email or event) awaiting delivery.
pub fn outbox(id: &uuid::Uuid) -> Key {
    key(format!("OUTBOX#{id}"), "OUTBOX")
}

/// Sort-key prefix of an account's computers.
pub const COMPUTER_PREFIX: &str = "COMPUTER#";
/// Sort-key prefix of an account's buckets.
pub const BUCKET_PREFIX: &str = "BUCKET#";
/// Sort-key prefix of dated usage records.
pub const USAGE_PREFIX: &str = "USAGE#";

/// A computer of an account.
pub fn computer(aid: &AccountId, cid: &ComputerId) -> Key {
    key(account_gsi_pk(aid), format!("{COMPUTER_PREFIX}{cid}"))
}

/// A B2 bucket of an account.
pub fn bucket(aid: &AccountId, name: &BucketName) -> Key {
    key(account_gsi_pk(aid), format!("{BUCKET_PREFIX}{name}"))
}

/// The claim that makes a bucket name unique across the service.
pub fn bucket_name_claim(name: &BucketName) -> Key {
    key(format!("BUCKETNAME#{}", name.claim_form()), "BUCKETNAME")
}

/// An account's usage on one day (what it stored, how many computers).
pub fn account_usage(aid: &AccountId, day: time::Date) -> Key {
    key(account_gsi_pk(aid), format!("{USAGE_PREFIX}{day}"))
}

/// A group's usage on one day: its members' totals, what billing reads.
pub fn group_usage(gid: &GroupId, day: time::Date) -> Key {
    key(group_pk(gid), format!("{USAGE_PREFIX}{day}"))
}

/// A group's counters for the Users/Computers synopsis (computers, alerts,
/// bytes), apart from the group item so check-ins never contend with edits.
pub fn group_stats(gid: &GroupId) -> Key {
    key(group_pk(gid), "STATS")
}

/// A group's billing data: renewal day, prices in force, payment method.
pub fn billing(gid: &GroupId) -> Key {
    key(group_pk(gid), "BILLING")
}

/// A group's dissolution: the preview's token hash, then its progress.
pub fn dissolution(gid: &GroupId) -> Key {
    key(group_pk(gid), "DISSOLUTION")
}

/// GSI1 partition of the groups a schedule visits (a sparse index: only
/// groups on that schedule carry it).
pub fn schedule_gsi_pk(schedule: &str) -> String {
    format!("SCHEDULE#{schedule}")
}

/// A group's entry on a schedule (its presence puts the group on it).
pub fn schedule_entry(gid: &GroupId, schedule: &str) -> Key {
    key(group_pk(gid), format!("SCHEDULE#{schedule}"))
}

/// Sort-key prefix of a group's domain proofs.
pub const DOMAIN_PREFIX: &str = "DOMAIN#";

/// The proof of one domain a group lists (challenge and state). Named by
/// the domain's text, so a join can name the joiner's own domain before it
/// has read the group.
pub fn domain_proof(gid: &GroupId, domain: &str) -> Key {
    key(group_pk(gid), format!("{DOMAIN_PREFIX}{domain}"))
}

/// GSI1 partition of the verified domains (a sparse index: only a verified
/// proof carries it), which the daily re-check walks.
pub const VERIFIED_DOMAINS: &str = "DOMAINS#VERIFIED";

/// The GSI1 sort keys of verified domains last looked up before `t` are
/// those below this bound.
pub fn verified_domains_before(t: time::OffsetDateTime) -> String {
    format!("{:015}#", t.unix_timestamp_nanos() / 1_000_000)
}

/// GSI1 sort key of a verified domain: when it was last looked up (epoch
/// milliseconds, zero-padded), then `<gid>#<domain>`, so the re-check
/// visits the least recently checked first and a run cut short resumes
/// fairly the next day.
pub fn verified_domain(checked_at: time::OffsetDateTime, gid: &GroupId, domain: &str) -> String {
    format!(
        "{:015}#{gid}#{domain}",
        checked_at.unix_timestamp_nanos() / 1_000_000
    )
}

/// Sort-key prefix of a group's reports.
pub const REPORT_PREFIX: &str = "REPORT#";

/// A group's report of a period: sorted by the period's first day, so the
/// newest period lists first.
pub fn report(gid: &GroupId, period: &crate::model::ReportPeriod) -> Key {
    key(
        group_pk(gid),
        format!("{REPORT_PREFIX}{}#{period}", period.starts_on()),
    )
}

/// Sort-key prefix of an account's uploads awaiting confirmation.
pub const UPLOAD_PREFIX: &str = "UPLOAD#";
/// Sort-key prefix of an account's confirmed files.
pub const FILE_PREFIX: &str = "FILE#";
/// Sort-key prefix of the snapshots of an account's data.
pub const SNAPSHOT_PREFIX: &str = "SNAPSHOT#";
/// Sort-key prefix of audit entries, on GSI1 under the account acted on.
pub const AUDIT_PREFIX: &str = "AUDIT#";

/// An upload handed out and not yet confirmed.
pub fn upload(aid: &AccountId, id: &uuid::Uuid) -> Key {
    key(account_gsi_pk(aid), format!("{UPLOAD_PREFIX}{id}"))
}

/// A confirmed file: its counted size, by bucket and path.
pub fn file(aid: &AccountId, bucket: &BucketName, path: &FilePath) -> Key {
    key(account_gsi_pk(aid), format!("{FILE_PREFIX}{bucket}#{path}"))
}

/// A snapshot of an account's data (ids are UUIDv7: newest sorts last).
pub fn snapshot(aid: &AccountId, id: &uuid::Uuid) -> Key {
    key(account_gsi_pk(aid), format!("{SNAPSHOT_PREFIX}{id}"))
}

/// An order of a snapshot on a USB hard drive.
pub fn usb_order(aid: &AccountId, snapshot: &uuid::Uuid, order: &uuid::Uuid) -> Key {
    key(account_gsi_pk(aid), format!("USBORDER#{snapshot}#{order}"))
}

/// A group's audit log: its own partition, so the admins' view is one Query
/// and the log never crowds the group's partition.
pub fn audit_pk(gid: &GroupId) -> String {
    format!("AUDIT#{gid}")
}

/// One audit entry: sorted by time (milliseconds, zero-padded), then id.
pub fn audit(gid: &GroupId, at: time::OffsetDateTime, id: &uuid::Uuid) -> Key {
    key(audit_pk(gid), audit_sort(at, id))
}

/// An audit entry's sort key in either view: `<millis>#<id>`.
pub fn audit_sort(at: time::OffsetDateTime, id: &uuid::Uuid) -> String {
    format!("{:015}#{id}", at.unix_timestamp_nanos() / 1_000_000)
}

/// GSI1 sort key of an audit entry under the account acted on.
pub fn audit_of_account(at: time::OffsetDateTime, id: &uuid::Uuid) -> String {
    format!("{AUDIT_PREFIX}{}", audit_sort(at, id))
}

/// The failed-password counter of an account for one hour, behind the limit
/// on wrong current passwords given for it.
pub fn password_failures(aid: &AccountId, hour: i64) -> Key {
    key(account_gsi_pk(aid), format!("PWFAIL#{hour}"))
}

/// The counter of codes sent for an account's phone and email changes in
/// one hour, behind the limit on codes one member can be sent.
pub fn contact_codes(aid: &AccountId, hour: i64) -> Key {
    key(account_gsi_pk(aid), format!("CONTACTCODES#{hour}"))
}

/// A phone or email change waiting for the code sent to the new address.
pub fn contact_change(aid: &AccountId) -> Key {
    key(account_gsi_pk(aid), "CONTACTCHANGE")
}

/// An account's local credential (the Argon2 password hash and the
/// sign-in attributes the local identity adapter keeps, where Cognito keeps
/// them in AWS).
pub fn credential(aid: &AccountId) -> Key {
    key(account_gsi_pk(aid), "CREDENTIAL")
}

/// A stored idempotent response, scoped to the caller so keys never collide across users.
pub fn idempotency(aid: &AccountId, key_digest: &str) -> Key {
    key(format!("IDEMPOTENCY#{aid}#{key_digest}"), "IDEMPOTENCY")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_their_documented_shapes() {
        let gid = GroupId::parse("g", "0190a0b8-7c6e-7a51-9b1e-1a2b3c4d5e6f").expect("uuid");
        let aid = AccountId::parse("a", "acc-1").expect("id");
        let email = EmailAddress::parse("e", "Ana@Example.com").expect("email");
        assert_eq!(
            group(&gid),
            Key {
                pk: "GROUP#0190a0b8-7c6e-7a51-9b1e-1a2b3c4d5e6f".into(),
                sk: "GROUP".into()
            }
        );
        assert_eq!(admin(&gid, &aid).sk, "ADMIN#acc-1");
        assert_eq!(
            admin_of(&gid),
            "ADMINOF#0190a0b8-7c6e-7a51-9b1e-1a2b3c4d5e6f"
        );
        assert_eq!(
            account(&aid),
            Key {
                pk: "ACCOUNT#acc-1".into(),
                sk: "ACCOUNT".into()
            }
        );
        assert_eq!(email_claim(&email).pk, "EMAIL#ana@example.com");
        assert_eq!(
            credential(&aid),
            Key {
                pk: "ACCOUNT#acc-1".into(),
                sk: "CREDENTIAL".into()
            }
        );
        assert_eq!(idempotency(&aid, "abc").pk, "IDEMPOTENCY#acc-1#abc");
        assert_eq!(
            domain_proof(&gid, "example.com"),
            Key {
                pk: "GROUP#0190a0b8-7c6e-7a51-9b1e-1a2b3c4d5e6f".into(),
                sk: "DOMAIN#example.com".into()
            }
        );
        assert_eq!(
            verified_domain(
                time::OffsetDateTime::UNIX_EPOCH + time::Duration::milliseconds(1500),
                &gid,
                "example.com"
            ),
            "000000000001500#0190a0b8-7c6e-7a51-9b1e-1a2b3c4d5e6f#example.com"
        );
    }
}
