//! Email: the `Mailer` port and its two adapters (SES v2 in AWS, a folder of
//! `.eml` files locally). Owned by the mail work; see DESIGN §6.
