//! Email templates (text and HTML) for every membership notification.
//! Rendering is pure: it happens when the change is written, and the outbox
//! stores the result, so what is sent is what the change described at the
//! time, whatever happens to the group afterwards.
//!
//! Every template is a [`Letter`]: a subject, paragraphs of plain and
//! emphasised runs, and at most one call to action. The letter renders both
//! bodies, escaping every run in HTML, so no template can forget to escape a
//! group name or an address.

use html_escape::{encode_double_quoted_attribute, encode_text};
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use crate::model::{EmailAddress, GroupName};
use crate::outbox::OutboxEmail;

/// Product name shown in subjects and signatures.
const PRODUCT: &str = "Groups";

/// Invites someone by email to join `group`: who invited them, whether the
/// group's admins will be able to access their data (managed groups), when
/// the invitation expires and the link to accept it.
pub fn invitation(
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
        .para(Para::new().text("Your account and its data remain."))
        .para(
            Para::new()
                .strong("Add a payment method to your account")
                .text(" so that your service continues uninterrupted."),
        )
        .to(vec![to.clone()])
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
fn human_time(at: OffsetDateTime) -> String {
    let utc = at.to_offset(UtcOffset::UTC);
    let format =
        format_description!("[day padding:none] [month repr:long] [year] at [hour]:[minute] UTC");
    // Formatting a UTC time with this description cannot fail; fall back to
    // RFC 3339 rather than panic.
    utc.format(&format)
        .unwrap_or_else(|_| crate::model::rfc3339(utc))
}

/// One run of text in a paragraph; both kinds are escaped in HTML.
enum Run {
    Plain(String),
    Strong(String),
}

/// A paragraph, built from runs so user-controlled text is never HTML.
struct Para(Vec<Run>);

impl Para {
    fn new() -> Self {
        Self(Vec::new())
    }

    fn text(mut self, text: impl Into<String>) -> Self {
        self.0.push(Run::Plain(text.into()));
        self
    }

    fn strong(mut self, text: impl Into<String>) -> Self {
        self.0.push(Run::Strong(text.into()));
        self
    }

    fn plain(&self) -> String {
        self.0
            .iter()
            .map(|run| match run {
                Run::Plain(s) | Run::Strong(s) => s.as_str(),
            })
            .collect()
    }

    fn html(&self) -> String {
        let mut out = String::from(r#"<p style="margin:0 0 16px;line-height:1.5">"#);
        for run in &self.0 {
            match run {
                Run::Plain(s) => out.push_str(&encode_text(s)),
                Run::Strong(s) => {
                    out.push_str("<strong>");
                    out.push_str(&encode_text(s));
                    out.push_str("</strong>");
                }
            }
        }
        out.push_str("</p>\n");
        out
    }
}

/// A call to action: a button in HTML, a labelled link in text.
struct Action {
    label: &'static str,
    url: String,
}

/// One email before rendering.
struct Letter {
    subject: String,
    body: Vec<Para>,
    action: Option<Action>,
    closing: Vec<Para>,
}

impl Letter {
    fn new(subject: String) -> Self {
        Self {
            subject: one_line(&subject),
            body: Vec::new(),
            action: None,
            closing: Vec::new(),
        }
    }

    fn para(mut self, para: Para) -> Self {
        self.body.push(para);
        self
    }

    fn action(mut self, label: &'static str, url: &str) -> Self {
        self.action = Some(Action {
            label,
            url: url.to_owned(),
        });
        self
    }

    fn closing(mut self, para: Para) -> Self {
        self.closing.push(para);
        self
    }

    /// Renders both bodies for `to`.
    fn to(self, to: Vec<EmailAddress>) -> OutboxEmail {
        OutboxEmail {
            to,
            text: self.text(),
            html: self.html(),
            subject: self.subject,
        }
    }

    fn text(&self) -> String {
        let mut blocks: Vec<String> = self.body.iter().map(Para::plain).collect();
        if let Some(action) = &self.action {
            blocks.push(format!("{}:\n{}", action.label, action.url));
        }
        blocks.extend(self.closing.iter().map(Para::plain));
        blocks.push(format!("-- \nThe {PRODUCT} team"));
        let mut text = blocks.join("\n\n");
        text.push('\n');
        text
    }

    fn html(&self) -> String {
        let mut content: String = self.body.iter().map(Para::html).collect();
        if let Some(action) = &self.action {
            content.push_str(&format!(
                concat!(
                    r#"<p style="margin:24px 0">"#,
                    r#"<a href="{url}" style="background:#1a56db;color:#ffffff;padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block">{label}</a>"#,
                    "</p>\n",
                    r#"<p style="margin:0 0 16px;font-size:13px;color:#57606a">Or open this link: <a href="{url}">{url_text}</a></p>"#,
                    "\n"
                ),
                url = encode_double_quoted_attribute(&action.url),
                label = encode_text(action.label),
                url_text = encode_text(&action.url),
            ));
        }
        content.extend(self.closing.iter().map(Para::html));
        layout(&self.subject, &content)
    }
}

/// The HTML shell every email shares. `content` is already-escaped HTML.
fn layout(title: &str, content: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
</head>
<body style="margin:0;padding:24px;background:#f6f8fa;font-family:Helvetica,Arial,sans-serif;color:#1f2328">
<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px">
{content}</div>
<p style="max-width:560px;margin:16px auto 0;font-size:12px;color:#57606a">The {product} team</p>
</body>
</html>
"#,
        title = encode_text(title),
        product = PRODUCT,
    )
}

/// Subjects are one header line: control characters (never in a valid group
/// name or address, but this is the last line of defence) become spaces.
fn one_line(subject: &str) -> String {
    subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

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
                invitation(
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
                invitation(
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
        let email = invitation(
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
