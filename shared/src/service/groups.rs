//! Creating and administering groups.

use super::idempotency::write_once;
use crate::api::{AdminView, GroupView};
use crate::deps::Deps;
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::model::{
    AccountId, AuditAction, Billing, DomainProof, EmailAddress, EmailDomain, Group, GroupChanges,
    GroupId, NewGroup, Origin, administered_by, ensure_sso_keeps_caller,
};
use crate::notify;
use crate::outbox::OutboxItem;
use crate::reply::{IdempotencyRequest, Reply};
use crate::repo::DomainEdit;

/// Creates a group with the caller as its first admin. Only a verified email
/// may create one (the product's "Verify Email" step), and only with an SSO
/// setting the caller's own session satisfies (or they could not
/// administer what they made). Replies 201 with the group.
pub async fn create_group(
    deps: &Deps,
    caller: &Caller,
    new: NewGroup,
    idem: Option<IdempotencyRequest>,
) -> Result<Reply> {
    if !caller.email_verified {
        return Err(Error::Forbidden(
            "verify your email address before creating a group".into(),
        ));
    }
    ensure_sso_keeps_caller(&new.sso, caller.sign_in)?;
    let now = deps.clock.now();
    let group = new.into_group(
        GroupId::new(),
        caller.account_id.clone(),
        caller.email.clone(),
        now,
    );
    let billing = Billing::new(now, deps.settings.prices);
    // Listing a domain proves nothing: each starts pending, with its record
    // to publish (`GET /groups/{gid}/domains`).
    let proofs: Vec<DomainProof> = group
        .join_policy
        .auto_accept_domains
        .iter()
        .map(|d| DomainProof::new(group.id, d.clone(), now))
        .collect();
    let reply = Reply::json(201, &GroupView::from(&group))?;
    write_once(idem.as_ref(), reply, |record| async move {
        deps.repo
            .create_group(
                &group,
                &proofs,
                caller,
                &billing,
                deps.settings.groups_per_account_per_day,
                record.as_ref(),
                now,
            )
            .await
    })
    .await
}

/// The group if the caller administers it (otherwise the same 404 as a
/// missing group) and their session satisfies its SSO setting (otherwise
/// `sso-required`).
pub async fn get_group(deps: &Deps, caller: &Caller, gid: &GroupId) -> Result<Group> {
    administered_by(deps.repo.get_group(gid).await?, caller)
}

/// The groups the caller administers from this session: a group whose SSO
/// setting the session does not satisfy is left out, as its `GET` would
/// refuse it (the caller sees it again signed in with one of its providers).
pub async fn list_groups(deps: &Deps, caller: &Caller) -> Result<Vec<Group>> {
    let mut groups = deps.repo.list_admin_groups(&caller.account_id).await?;
    groups.retain(|g| g.admits_session(caller.sign_in).is_ok());
    Ok(groups)
}

/// Domains an edit may add and remove together: their proofs join the
/// group's write, and a transaction holds at most 100 items.
pub const MAX_DOMAIN_CHANGES: usize = 2 * crate::model::MAX_AUTO_ACCEPT_DOMAINS;

/// Applies an edit; only the group's admins may, from a session its SSO
/// setting admits, and not after dissolution. A new SSO setting must admit
/// the caller's own session (no admin locks themself out with the request
/// that sets it). The group is read first (one `GetItem`) for the session's
/// rule; an edit of the domain list uses that read too: newly listed
/// domains get a proof (pending, a fresh challenge), removed ones lose
/// theirs, in the group's own write. Domains listed before proofs existed
/// keep none until verified (see `domains::verify`).
pub async fn update_group(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    changes: &GroupChanges,
    origin: &Origin,
) -> Result<Group> {
    if changes.auto_accept_domains.is_none() {
        // (An edit of the domains reads the group for its own plan below.)
        administered(deps, caller, gid).await?;
    }
    if let Some(sso) = &changes.sso {
        ensure_sso_keeps_caller(sso, caller.sign_in)?;
    }
    let action = AuditAction::SettingsChanged {
        fields: changes.fields().into_iter().map(String::from).collect(),
    };
    super::retrying(|| async {
        let entry = super::audit::entry(deps, caller, *gid, None, action.clone(), origin);
        let domains = match &changes.auto_accept_domains {
            Some(listed) => Some(domain_edit(deps, caller, gid, listed).await?),
            None => None,
        };
        deps.repo
            .update_group(
                gid,
                &caller.account_id,
                changes,
                domains.as_ref(),
                &entry,
                deps.clock.now(),
            )
            .await
    })
    .await
}

/// What replacing the group's domain list with `listed` does to the proofs.
async fn domain_edit(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    listed: &std::collections::BTreeSet<EmailDomain>,
) -> Result<DomainEdit> {
    let read = deps.repo.group_for_domain_edit(gid).await?;
    let (group, read_version) = match read {
        Some(read) => (Some(read.group), read.domains_version),
        None => (None, 0),
    };
    let group = administered_by(group, caller)?;
    group.ensure_active()?;
    let before = &group.join_policy.auto_accept_domains;
    let now = deps.clock.now();
    let added: Vec<DomainProof> = listed
        .difference(before)
        .map(|d| DomainProof::new(*gid, d.clone(), now))
        .collect();
    let removed: Vec<EmailDomain> = before.difference(listed).cloned().collect();
    if added.len() + removed.len() > MAX_DOMAIN_CHANGES {
        return Err(Error::invalid(
            "joinPolicy.autoAcceptDomains",
            format!("add and remove at most {MAX_DOMAIN_CHANGES} domains in one edit"),
        ));
    }
    Ok(DomainEdit {
        read_version,
        added,
        removed,
    })
}

/// The group, if the caller administers it (else the same 404 as a
/// missing group, before anything else is looked up, so a stranger learns
/// nothing from what follows) from a session its SSO setting admits. Read
/// for the admins' addresses and the session's rule: the write's
/// conditions decide who administers. One consistent `GetItem`.
async fn administered(deps: &Deps, caller: &Caller, gid: &GroupId) -> Result<Group> {
    administered_by(deps.repo.get_group(gid).await?, caller)
}

/// The email to every admin of `group` (the target included) that an admin
/// changed.
fn admins_changed_email(
    group: &Group,
    caller: &Caller,
    target: (&AccountId, Option<&EmailAddress>),
    added: bool,
    now: time::OffsetDateTime,
) -> Result<OutboxItem> {
    let mut to: Vec<EmailAddress> = group.admin_emails();
    let target_email = match target.1 {
        Some(email) => email.clone(),
        None => group
            .admins
            .get(target.0)
            .map(|a| a.email.clone())
            .ok_or(Error::NotFound("admin"))?,
    };
    if !to.contains(&target_email) {
        to.push(target_email.clone());
    }
    let email = notify::admins_changed(to, &group.name, &target_email, &caller.email, added);
    Ok(OutboxItem::email(email, now))
}

/// Makes the account with `email` an admin. The address must belong to an
/// account with a verified email, so nobody can be granted rights by typo-squatting.
pub async fn add_admin(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    email: &EmailAddress,
    origin: &Origin,
    idem: Option<IdempotencyRequest>,
) -> Result<Reply> {
    // Who may ask first: whether an address has an account is no one
    // else's business.
    let group = administered(deps, caller, gid).await?;
    let no_account = || {
        Error::invalid(
            "email",
            "no account with a verified email uses this address; ask them to sign in once first",
        )
    };
    let target = deps
        .repo
        .account_id_by_email(email)
        .await?
        .ok_or_else(no_account)?;
    // The claim may be stale (its holder's email changed since): only an
    // account that still has this verified address is made an admin.
    let holder = deps.repo.get_account(&target).await?;
    if !holder.is_some_and(|a| a.email_verified && &a.email == email) {
        return Err(no_account());
    }
    let now = deps.clock.now();
    let view = AdminView {
        account_id: target.clone(),
        email: email.clone(),
        email_verified: true,
        added_at: now,
    };
    let reply = Reply::json(201, &view)?;
    let mail = admins_changed_email(&group, caller, (&target, Some(email)), true, now)?;
    let action = AuditAction::AdminAdded {
        account_id: target.clone(),
    };
    let entry = super::audit::entry(deps, caller, *gid, None, action, origin);
    write_once(idem.as_ref(), reply, |record| async move {
        deps.repo
            .add_admin(
                gid,
                &caller.account_id,
                (&target, email),
                (&entry, &mail),
                record.as_ref(),
                now,
            )
            .await
    })
    .await
}

/// Removes an admin (possibly the caller), never the last one.
pub async fn remove_admin(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    target: &AccountId,
    origin: &Origin,
) -> Result<()> {
    let now = deps.clock.now();
    let group = administered(deps, caller, gid).await?;
    let mail = admins_changed_email(&group, caller, (target, None), false, now)?;
    let action = AuditAction::AdminRemoved {
        account_id: target.clone(),
    };
    let entry = super::audit::entry(deps, caller, *gid, None, action, origin);
    deps.repo
        .remove_admin(gid, &caller.account_id, target, (&entry, &mail), now)
        .await
}
