//! Email templates (text and HTML) for every membership notification.
//! Rendering is pure: it happens when the change is written, and the outbox
//! stores the result, so what is sent is what the change described at the
//! time, whatever happens to the group afterwards.
//!
//! Every template is a [`Letter`]: a subject, paragraphs of plain and
//! emphasised runs, and at most one call to action. The letter renders both
//! bodies, escaping every run in HTML, so no template can forget to escape a
//! group name or an address.

use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use crate::model::{EmailAddress, GroupName};
use crate::outbox::OutboxEmail;

mod letter;
mod reports;

use letter::{Letter, Para};
pub use reports::{SUMMARY_COMPUTERS, admin_report, backup_summary, human_bytes};

/// Product name shown in subjects and signatures.
const PRODUCT: &str = "Groups";

/// Invites someone by email to join `group`: who invited them, whether the
/// group's admins will be able to access their data (managed groups), when
/// the invitation expires and the link to accept it.
/// The join link holds the seal's placeholder (`join_url` is built from
/// it): the sender puts the token there when it sends.
pub fn invitation(
    to: &EmailAddress,
    group: &GroupName,
    inviter: &EmailAddress,
    join_url: &str,
    seal: &crate::model::TokenSeal,
    expires_at: OffsetDateTime,
    managed: bool,
) -> OutboxEmail {
    let mut email = invitation_letter(to, group, inviter, join_url, expires_at, managed);
    email.seal = Some(seal.clone());
    email
}

fn invitation_letter(
    to: &EmailAddress,
    group: &GroupName,
    inviter: &EmailAddress,
    join_url: &str,
    expires_at: OffsetDateTime,
    managed: bool,
) -> OutboxEmail {
    Letter::new(format!("{inviter} invited you to join {group}"))
        .para(
            Para::new()
                .strong(inviter.as_str())
                .text(" invited you to join the group ")
                .strong(group.as_str())
                .text(" on Groups."),
        )
        .para(access_notice(managed))
        .para(
            Para::new()
                .text("This invitation expires on ")
                .strong(human_time(expires_at))
                .text("."),
        )
        .action("Accept the invitation", join_url)
        .closing(Para::new().text(
            "If you did not expect this invitation, ignore this email: nothing changes until you accept.",
        ))
        .to(vec![to.clone()])
}

/// Tells a group's admins that someone asked to join and where to accept or
/// deny the request.
pub fn request_received(
    admins: Vec<EmailAddress>,
    group: &GroupName,
    requester: &EmailAddress,
    review_url: &str,
) -> OutboxEmail {
    Letter::new(format!("{requester} asked to join {group}"))
        .para(
            Para::new()
                .strong(requester.as_str())
                .text(" asked to join your group ")
                .strong(group.as_str())
                .text("."),
        )
        .para(Para::new().text(
            "Any administrator of the group can accept or deny the request; the requester is emailed either way.",
        ))
        .action("Review the request", review_url)
        .to(admins)
}

/// Tells a group's admins that someone became a member.
pub fn member_joined(
    admins: Vec<EmailAddress>,
    group: &GroupName,
    member: &EmailAddress,
) -> OutboxEmail {
    Letter::new(format!("{member} joined {group}"))
        .para(
            Para::new()
                .strong(member.as_str())
                .text(" is now a member of your group ")
                .strong(group.as_str())
                .text("."),
        )
        .to(admins)
}

/// Tells a group's admins that an administrator was added or removed, and
/// by whom: admin rights reach members' data in a managed group, so every
/// change of them is announced to all the admins.
pub fn admins_changed(
    admins: Vec<EmailAddress>,
    group: &GroupName,
    target: &EmailAddress,
    by: &EmailAddress,
    added: bool,
) -> OutboxEmail {
    let (subject, verb) = if added {
        (
            format!("{target} is now an administrator of {group}"),
            " made ",
        )
    } else {
        (
            format!("{target} is no longer an administrator of {group}"),
            " removed ",
        )
    };
    let para = Para::new()
        .strong(by.as_str())
        .text(verb)
        .strong(target.as_str());
    let para = if added {
        para.text(" an administrator of your group ")
    } else {
        para.text(" as an administrator of your group ")
    };
    Letter::new(subject)
        .para(para.strong(group.as_str()).text("."))
        .para(Para::new().text(
            "If you did not expect this change, review the group's audit log and its administrators.",
        ))
        .to(admins)
}

/// Tells a group's admins that the daily re-check no longer finds the DNS
/// record proving one of its domains: its addresses now ask to join, until
/// an admin publishes the record again and verifies the domain.
pub fn domain_suspended(
    admins: Vec<EmailAddress>,
    group: &GroupName,
    domain: &crate::model::EmailDomain,
    record: (&str, &str),
    domains_url: &str,
) -> OutboxEmail {
    Letter::new(format!("{domain} no longer joins {group} automatically"))
        .para(
            Para::new()
                .text("The DNS record that proves your group ")
                .strong(group.as_str())
                .text(" controls ")
                .strong(domain.as_str())
                .text(" is gone, so people with an address at that domain now ask to join instead of joining directly."),
        )
        .para(
            Para::new()
                .text("To restore it, publish a TXT record named ")
                .strong(record.0)
                .text(" with the value ")
                .strong(record.1)
                .text(", then verify the domain again."),
        )
        .action("Review the group's domains", domains_url)
        .closing(Para::new().text(
            "If you removed the record on purpose, remove the domain from the group's accepted domains.",
        ))
        .to(admins)
}

/// The code that proves a new sign-in address is the member's, sent to that
/// address when a group administrator changes it on their behalf.
pub fn email_change_code(to: &EmailAddress, group: &GroupName, code: &str) -> OutboxEmail {
    Letter::new(format!("Your verification code for {group}"))
        .para(
            Para::new()
                .text("An administrator of ")
                .strong(group.as_str())
                .text(" is making this the email address of your account. Give them this code to confirm it: ")
                .strong(code)
                .text(". It expires in 10 minutes."),
        )
        .para(Para::new().text(
            "If you did not expect this, do not share the code, and tell your group's administrators.",
        ))
        .to(vec![to.clone()])
}

/// Welcomes a new member and restates what the group's admins can do with
/// their account.
pub fn welcome(to: &EmailAddress, group: &GroupName, managed: bool) -> OutboxEmail {
    Letter::new(format!("Welcome to {group}"))
        .para(
            Para::new()
                .text("You are now a member of the group ")
                .strong(group.as_str())
                .text("."),
        )
        .para(access_notice(managed))
        .to(vec![to.clone()])
}

/// Tells a requester whether their request to join was accepted or denied.
pub fn request_decided(to: &EmailAddress, group: &GroupName, approved: bool) -> OutboxEmail {
    if approved {
        Letter::new(format!("Your request to join {group} was accepted"))
            .para(
                Para::new()
                    .text("An administrator accepted your request: you are now a member of the group ")
                    .strong(group.as_str())
                    .text("."),
            )
            .to(vec![to.clone()])
    } else {
        Letter::new(format!("Your request to join {group} was denied"))
            .para(
                Para::new()
                    .text("An administrator of the group ")
                    .strong(group.as_str())
                    .text(" denied your request to join it."),
            )
            .para(Para::new().text("Your account and its data are unchanged."))
            .to(vec![to.clone()])
    }
}

/// Tells a removed member they left the group, that their account and data
/// remain, and that they must add a payment method to keep the service.
pub fn removed_from_group(to: &EmailAddress, group: &GroupName) -> OutboxEmail {
    Letter::new(format!("You are no longer a member of {group}"))
        .para(
            Para::new()
                .text("An administrator removed you from the group ")
                .strong(group.as_str())
                .text(
                    ". You are no longer a member, and the group no longer pays for your account.",
                ),
        )
        .now_pay_yourself()
        .to(vec![to.clone()])
}

/// Confirms to a member that they left a group, and (as a removal does)
/// that they must now add a payment method.
pub fn left_group(to: &EmailAddress, group: &GroupName, managed: bool) -> OutboxEmail {
    let mut letter = Letter::new(format!("You left {group}")).para(
        Para::new()
            .text("You left the group ")
            .strong(group.as_str())
            .text(". You are no longer a member, and the group no longer pays for your account."),
    );
    if managed {
        letter = letter.para(
            Para::new().text("Its administrators can no longer access or manage your account."),
        );
    }
    letter.now_pay_yourself().to(vec![to.clone()])
}

/// Tells a group's admins that a member left (in a managed group, that their
/// access to that account ended).
pub fn member_left(
    admins: Vec<EmailAddress>,
    group: &GroupName,
    member: &EmailAddress,
    managed: bool,
) -> OutboxEmail {
    let mut letter = Letter::new(format!("{member} left {group}")).para(
        Para::new()
            .strong(member.as_str())
            .text(" left your group ")
            .strong(group.as_str())
            .text(", which no longer pays for their account."),
    );
    if managed {
        letter = letter.para(Para::new().text(
            "They withdrew their consent to managed access: administrators can no longer access or manage their account.",
        ));
    }
    letter.to(admins)
}

/// Tells a member of a dissolved group that the group's coverage of their
/// account ended, that their account and data remain, and that they must
/// add a payment method to keep the service.
pub fn coverage_ended(to: &EmailAddress, group: &GroupName) -> OutboxEmail {
    Letter::new(format!("{group} was dissolved: add a payment method"))
        .para(
            Para::new().text("The group ").strong(group.as_str()).text(
                " was dissolved by its administrators, so it no longer pays for your account.",
            ),
        )
        .now_pay_yourself()
        .to(vec![to.clone()])
}

/// Tells a group's admins that its dissolution is complete: how many
/// members were detached, and that the final usage will be billed.
pub fn group_dissolved(
    admins: Vec<EmailAddress>,
    group: &GroupName,
    members_detached: u32,
) -> OutboxEmail {
    Letter::new(format!("{group} has been dissolved"))
        .para(
            Para::new()
                .text("The group ")
                .strong(group.as_str())
                .text(" has been dissolved. ")
                .strong(members_detached.to_string())
                .text(" members were detached; their accounts and data remain, and each was asked to add a payment method."),
        )
        .para(Para::new().text(
            "Usage up to the dissolution is billed once all of it is collected. The group's billing information is no longer available.",
        ))
        .to(admins)
}

/// What the group's administrators can do with a member's account: the fact
/// a joiner must know before accepting (managed groups).
fn access_notice(managed: bool) -> Para {
    if managed {
        Para::new()
            .text("This is a managed group: ")
            .strong("its administrators can access your account's data")
            .text(", including your backed-up files and buckets, and every such access is logged.")
    } else {
        Para::new()
            .text("The group's administrators pay for your account; they cannot access your account's data.")
    }
}

/// `26 November 2026 at 14:32 UTC`: unambiguous for every reader.
pub(crate) fn human_time(at: OffsetDateTime) -> String {
    let utc = at.to_offset(UtcOffset::UTC);
    let format =
        format_description!("[day padding:none] [month repr:long] [year] at [hour]:[minute] UTC");
    // Formatting a UTC time with this description cannot fail; fall back to
    // RFC 3339 rather than panic.
    utc.format(&format)
        .unwrap_or_else(|_| crate::model::rfc3339(utc))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::letter::one_line;
    use super::*;

    fn email(raw: &str) -> EmailAddress {
        EmailAddress::parse("email", raw).expect("valid address")
    }

    fn group(raw: &str) -> GroupName {
        GroupName::parse("name", raw).expect("valid name")
    }

    /// Every template rendered for `name`, with the facts each must state
    /// (in its text body) and its expected recipients.
    fn all_templates(
        name: &GroupName,
    ) -> Vec<(&'static str, OutboxEmail, Vec<&'static str>, usize)> {
        let ana = email("ana@example.com");
        let admins = vec![email("admin1@example.com"), email("admin2@example.com")];
        let expires = datetime!(2026-11-26 14:32 UTC);
        vec![
            (
                "invitation (managed)",
                invitation_letter(
                    &ana,
                    name,
                    &email("boss@example.com"),
                    "https://groups.example.com/invitations/tok?x=1&y=2",
                    expires,
                    true,
                ),
                vec![
                    "boss@example.com",
                    "can access your account's data",
                    "expires on 26 November 2026 at 14:32 UTC",
                    "https://groups.example.com/invitations/tok?x=1&y=2",
                ],
                1,
            ),
            (
                "invitation (unmanaged)",
                invitation_letter(
                    &ana,
                    name,
                    &email("boss@example.com"),
                    "https://groups.example.com/invitations/tok",
                    expires,
                    false,
                ),
                vec![
                    "boss@example.com",
                    "cannot access your account's data",
                    "expires on 26 November 2026",
                    "https://groups.example.com/invitations/tok",
                ],
                1,
            ),
            (
                "request received",
                request_received(
                    admins.clone(),
                    name,
                    &ana,
                    "https://groups.example.com/groups/g/requests",
                ),
                vec![
                    "ana@example.com asked to join",
                    "https://groups.example.com/groups/g/requests",
                ],
                2,
            ),
            (
                "member joined",
                member_joined(admins, name, &ana),
                vec!["ana@example.com is now a member"],
                2,
            ),
            (
                "welcome (managed)",
                welcome(&ana, name, true),
                vec!["You are now a member", "can access your account's data"],
                1,
            ),
            (
                "welcome (unmanaged)",
                welcome(&ana, name, false),
                vec!["You are now a member", "cannot access your account's data"],
                1,
            ),
            (
                "request accepted",
                request_decided(&ana, name, true),
                vec!["accepted your request", "you are now a member"],
                1,
            ),
            (
                "request denied",
                request_decided(&ana, name, false),
                vec!["denied your request"],
                1,
            ),
            (
                "removed",
                removed_from_group(&ana, name),
                vec![
                    "no longer a member",
                    "Add a payment method",
                    "uninterrupted",
                    "Your account and its data remain",
                ],
                1,
            ),
        ]
    }

    #[test]
    fn every_template_names_the_group_and_states_its_facts() {
        let name = group("Acme Backup Team");
        for (case, email, facts, recipients) in all_templates(&name) {
            assert_eq!(email.to.len(), recipients, "case {case}: recipients");
            assert!(
                email.subject.contains("Acme Backup Team"),
                "case {case}: subject {:?}",
                email.subject
            );
            assert!(email.text.contains("Acme Backup Team"), "case {case}: text");
            assert!(email.html.contains("Acme Backup Team"), "case {case}: html");
            for fact in facts {
                assert!(
                    email.text.contains(fact),
                    "case {case}: text lacks {fact:?}:\n{}",
                    email.text
                );
            }
        }
    }

    #[test]
    fn user_controlled_text_is_escaped_in_html() {
        let name = group("<script>alert(1)</script>");
        for (case, email, _, _) in all_templates(&name) {
            assert!(
                !email.html.contains("<script>"),
                "case {case}: raw script tag in html"
            );
            assert!(
                email.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                "case {case}: escaped name missing from html"
            );
            // The text body is not HTML: the name stays as typed.
            assert!(
                email.text.contains("<script>alert(1)</script>"),
                "case {case}: text"
            );
        }
    }

    #[test]
    fn links_are_escaped_as_attributes() {
        let email = invitation_letter(
            &email("ana@example.com"),
            &group("Acme"),
            &email("boss@example.com"),
            r#"https://groups.example.com/i/t?a=1&b="x""#,
            datetime!(2026-11-26 14:32 UTC),
            false,
        );
        assert!(
            email
                .html
                .contains(r#"href="https://groups.example.com/i/t?a=1&amp;b=&quot;x&quot;""#),
            "{}",
            email.html
        );
    }

    #[test]
    fn subjects_are_one_line() {
        let name = group("Acme Backup Team");
        for (case, email, _, _) in all_templates(&name) {
            assert!(
                !email.subject.contains(['\r', '\n']),
                "case {case}: {:?}",
                email.subject
            );
            assert!(!email.subject.is_empty(), "case {case}");
        }
        assert_eq!(one_line("a\r\nBcc: x"), "a  Bcc: x");
    }

    #[test]
    fn html_is_one_document_with_the_subject_as_title() {
        let email = welcome(&email("ana@example.com"), &group("R&D"), true);
        assert!(email.html.starts_with("<!DOCTYPE html>"));
        assert!(
            email.html.contains("<title>Welcome to R&amp;D</title>"),
            "{}",
            email.html
        );
        assert_eq!(email.html.matches("<html").count(), 1);
    }

    #[test]
    fn expiry_is_shown_in_utc() {
        let at = datetime!(2026-11-27 01:05 +10:00);
        assert_eq!(human_time(at), "26 November 2026 at 15:05 UTC");
    }
}
