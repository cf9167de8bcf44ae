//! Daily counters behind the caps (a group's invitations; an account's
//! invitations and new groups): a charge is one conditional update inside
//! the write it pays for, so the cap holds under concurrency and a refused
//! write charges nothing.

use time::OffsetDateTime;

use super::tx::{Expr, Guard, Refusal, Tx};
use super::{n, s};
use crate::error::Result;
use crate::keys::{self, Key};
use crate::model::DailyCap;

/// How long a day's counter is kept (it is read only on its own day).
const KEPT: time::Duration = time::Duration::days(2);

/// Adds `count` to today's counter at `key`, refused whole with `cap`'s
/// problem (and `Retry-After` until midnight UTC) when it would pass `limit`.
pub(super) fn add_charge(
    tx: &mut Tx<'_>,
    key: &Key,
    which: DailyCap,
    count: u32,
    limit: u32,
    now: OffsetDateTime,
) -> Result<()> {
    tx.update(
        key,
        Expr::new("SET sent = if_not_exists(sent, :zero) + :n, expiresAt = :ttl, entity = :entity")
            .value(":zero", n(0))
            .value(":n", n(count))
            .value(":ttl", n((now + KEPT).unix_timestamp()))
            .value(":entity", s("DailyCount")),
        Some(Guard::new(
            Expr::new("(attribute_not_exists(sent) AND :n <= :cap) OR sent <= :room")
                .value(":room", n(i64::from(limit) - i64::from(count)))
                .value(":cap", n(limit)),
            Refusal::always(move || which.refusal(limit, now)),
        )),
    )
}

/// Gives back `count` charged earlier today and not used (addresses the
/// write then refused one by one).
pub(super) fn add_refund(tx: &mut Tx<'_>, key: &Key, count: u32) -> Result<()> {
    tx.update(
        key,
        Expr::new("SET sent = sent - :n").value(":n", n(count)),
        Some(Guard::new(
            Expr::new("sent >= :n").value(":n", n(count)),
            Refusal::always(|| {
                crate::error::Error::unexpected("refund of a daily count larger than its charge")
            }),
        )),
    )
}

/// Today's counter of a group's invitations.
pub(super) fn group_invitations(gid: &crate::model::GroupId, now: OffsetDateTime) -> Key {
    keys::invite_quota(gid, now.date())
}

/// Today's counter of an account's invitations, over all its groups.
pub(super) fn account_invitations(aid: &crate::model::AccountId, now: OffsetDateTime) -> Key {
    keys::account_quota(aid, "INVITES", now.date())
}

/// Today's counter of the groups an account created.
pub(super) fn account_groups(aid: &crate::model::AccountId, now: OffsetDateTime) -> Key {
    keys::account_quota(aid, "GROUPS", now.date())
}
