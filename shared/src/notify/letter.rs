//! The one shape of every email: a subject, paragraphs of plain and
//! emphasised runs, at most one call to action and a closing. A letter
//! renders both bodies, escaping every run in HTML, so no template can
//! forget to escape a group name or an address.

use html_escape::{encode_double_quoted_attribute, encode_text};

use crate::model::EmailAddress;
use crate::outbox::OutboxEmail;

use super::PRODUCT;

/// One run of text in a paragraph; both kinds are escaped in HTML.
pub(super) enum Run {
    Plain(String),
    Strong(String),
}

/// A paragraph, built from runs so user-controlled text is never HTML.
pub(super) struct Para(Vec<Run>);

impl Para {
    pub(super) fn new() -> Self {
        Self(Vec::new())
    }

    pub(super) fn text(mut self, text: impl Into<String>) -> Self {
        self.0.push(Run::Plain(text.into()));
        self
    }

    pub(super) fn strong(mut self, text: impl Into<String>) -> Self {
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
pub(super) struct Action {
    label: &'static str,
    url: String,
}

/// One email before rendering.
pub(super) struct Letter {
    subject: String,
    body: Vec<Para>,
    action: Option<Action>,
    closing: Vec<Para>,
}

impl Letter {
    pub(super) fn new(subject: String) -> Self {
        Self {
            subject: one_line(&subject),
            body: Vec::new(),
            action: None,
            closing: Vec::new(),
        }
    }

    pub(super) fn para(mut self, para: Para) -> Self {
        self.body.push(para);
        self
    }

    pub(super) fn action(mut self, label: &'static str, url: &str) -> Self {
        self.action = Some(Action {
            label,
            url: url.to_owned(),
        });
        self
    }

    /// What someone the group stopped paying for must know: their account
    /// stays, and they need their own payment method.
    pub(super) fn now_pay_yourself(self) -> Self {
        self.para(Para::new().text("Your account and its data remain."))
            .para(
                Para::new()
                    .strong("Add a payment method to your account")
                    .text(" so that your service continues uninterrupted."),
            )
    }

    pub(super) fn closing(mut self, para: Para) -> Self {
        self.closing.push(para);
        self
    }

    /// Renders both bodies for `to`.
    pub(super) fn to(self, to: Vec<EmailAddress>) -> OutboxEmail {
        OutboxEmail {
            to,
            text: self.text(),
            html: self.html(),
            subject: self.subject,
            seal: None,
            report: None,
        }
    }

    pub(super) fn text(&self) -> String {
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
pub(super) fn layout(title: &str, content: &str) -> String {
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
pub(super) fn one_line(subject: &str) -> String {
    subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
