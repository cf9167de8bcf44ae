//! The managed-access rule (`model::acting_for`) as transaction conditions,
//! so a write on a member's behalf commits only if, at that instant, the
//! group is managed and active, the caller administers it and the member
//! accepted managed access. Every refusal is the outsiders' 404.

use aws_sdk_dynamodb::types::AttributeValue;

use super::s;
use super::tx::{Expr, Guard, Refusal, Tx};
use crate::error::{Error, Result};
use crate::keys;
use crate::model::{AccountId, GroupId};

/// Adds the rule's two condition checks (group, member) to `tx`.
pub(crate) fn check_acting_for(
    tx: &mut Tx<'_>,
    gid: &GroupId,
    member: &AccountId,
    caller: &AccountId,
) -> Result<()> {
    tx.check(
        &keys::group(gid),
        Guard::new(
            Expr::new("managed = :yes AND attribute_exists(admins.#caller) AND #status = :active")
                .name("#caller", caller.as_str())
                .name("#status", "status")
                .value(":yes", AttributeValue::Bool(true))
                .value(":active", s("active")),
            Refusal::always(|| Error::NotFound("group")),
        ),
    )?;
    tx.check(
        &keys::member(gid, member),
        Guard::new(
            Expr::new("managedAccessAccepted = :yes").value(":yes", AttributeValue::Bool(true)),
            Refusal::always(|| Error::NotFound("group")),
        ),
    )
}
