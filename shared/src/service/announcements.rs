//! What each membership journey announces: the emails and events a change
//! causes, built in one place so an operation reads top to bottom and every
//! announcement of a kind looks the same. Each function returns the outbox
//! items to write in the change's own transaction.

use time::OffsetDateTime;

use crate::identity::Caller;
use crate::model::{AccountId, EmailAddress, Group, GroupId, Member, MembershipRequest, TokenSeal};
use crate::notify;
use crate::outbox::{MembershipChange, MembershipEvent, OutboxItem};

fn event(
    change: MembershipChange,
    group: &GroupId,
    account: Option<&AccountId>,
    email: &EmailAddress,
    actor: &AccountId,
    at: OffsetDateTime,
) -> OutboxItem {
    OutboxItem::event(MembershipEvent {
        change,
        group_id: *group,
        account_id: account.cloned(),
        email: Some(email.clone()),
        actor: Some(actor.clone()),
        at,
    })
}

/// An email invitation: the invitee's email (with the join link) and `Invited`.
pub(crate) fn invited(
    group: &Group,
    inviter: &Caller,
    email: &EmailAddress,
    join_url: &str,
    seal: &TokenSeal,
    expires_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Vec<OutboxItem> {
    let mail = notify::invitation(
        email,
        &group.name,
        &inviter.email,
        join_url,
        seal,
        expires_at,
        group.managed,
    );
    vec![
        OutboxItem::email(mail, now),
        event(
            MembershipChange::Invited,
            &group.id,
            None,
            email,
            &inviter.account_id,
            now,
        ),
    ]
}

/// A join by token: the welcome email, `Joined`, and the admins' notice
/// when they asked for one.
pub(crate) fn joined(group: &Group, joiner: &Caller, now: OffsetDateTime) -> Vec<OutboxItem> {
    let mut items = vec![
        OutboxItem::email(
            notify::welcome(&joiner.email, &group.name, group.managed),
            now,
        ),
        event(
            MembershipChange::Joined,
            &group.id,
            Some(&joiner.account_id),
            &joiner.email,
            &joiner.account_id,
            now,
        ),
    ];
    if group.admin_notifications {
        items.push(OutboxItem::email(
            notify::member_joined(group.admin_emails(), &group.name, &joiner.email),
            now,
        ));
    }
    items
}

/// A request filed: `Requested`, and the admins' notice (with where to
/// review it) when they asked for one.
pub(crate) fn requested(
    group: &Group,
    requester: &Caller,
    review_url: &str,
    now: OffsetDateTime,
) -> Vec<OutboxItem> {
    let mut items = vec![event(
        MembershipChange::Requested,
        &group.id,
        Some(&requester.account_id),
        &requester.email,
        &requester.account_id,
        now,
    )];
    if group.admin_notifications {
        items.push(OutboxItem::email(
            notify::request_received(
                group.admin_emails(),
                &group.name,
                &requester.email,
                review_url,
            ),
            now,
        ));
    }
    items
}

/// A request decided by `admin`: `Joined` or `Denied` is published, and the
/// requester is emailed either way if their address was verified.
pub(crate) fn decided(
    group: &Group,
    request: &MembershipRequest,
    admin: &AccountId,
    approved: bool,
    now: OffsetDateTime,
) -> Vec<OutboxItem> {
    let change = if approved {
        MembershipChange::Joined
    } else {
        MembershipChange::Denied
    };
    let mut items = vec![event(
        change,
        &group.id,
        Some(&request.account_id),
        &request.email,
        admin,
        now,
    )];
    // Never mail an unverified address the service did not invite.
    if request.email_verified {
        items.push(OutboxItem::email(
            notify::request_decided(&request.email, &group.name, approved),
            now,
        ));
    }
    items
}

/// An admin added themself: `Joined` only (they know).
pub(crate) fn added_myself(
    group: &GroupId,
    admin: &Caller,
    now: OffsetDateTime,
) -> Vec<OutboxItem> {
    vec![event(
        MembershipChange::Joined,
        group,
        Some(&admin.account_id),
        &admin.email,
        &admin.account_id,
        now,
    )]
}

/// A member removed by `admin`: the member is told to add a payment
/// method, and `Removed` is published.
pub(crate) fn removed(
    group: &Group,
    member: &Member,
    email_verified: bool,
    admin: &AccountId,
    now: OffsetDateTime,
) -> Vec<OutboxItem> {
    let mut items = vec![event(
        MembershipChange::Removed,
        &group.id,
        Some(&member.account_id),
        &member.email,
        admin,
        now,
    )];
    // Never mail an unverified address (a member an admin approved).
    if email_verified {
        items.push(OutboxItem::email(
            notify::removed_from_group(&member.email, &group.name),
            now,
        ));
    }
    items
}

/// A member left: their payment-method email, the admins' notice (always:
/// in a managed group it ends their access), and `Left`.
pub(crate) fn left(
    group: &Group,
    member: &Member,
    email_verified: bool,
    now: OffsetDateTime,
) -> Vec<OutboxItem> {
    let mut items = vec![
        OutboxItem::email(
            notify::member_left(
                group.admin_emails(),
                &group.name,
                &member.email,
                group.managed,
            ),
            now,
        ),
        event(
            MembershipChange::Left,
            &group.id,
            Some(&member.account_id),
            &member.email,
            &member.account_id,
            now,
        ),
    ];
    // Never mail an unverified address (a member an admin approved).
    if email_verified {
        items.push(OutboxItem::email(
            notify::left_group(&member.email, &group.name, group.managed),
            now,
        ));
    }
    items
}
