//! Failure reports by e-mail over SMTP (feature `smtp`): [`SmtpNotifier`], a [`Notifier`] on
//! `lettre` with rustls. A report goes out as one message with a plain-text body and an HTML
//! alternative, UTF-8 throughout (Icelandic letters in the subject and body), from one address
//! to one or more, with an optional reply-to.
//!
//! The server is named by a URL: `smtp://host:587` (STARTTLS when the server offers it),
//! `smtp://host:587?tls=required` (STARTTLS or nothing), `smtps://user:password@host:465`
//! (TLS from the first byte), `smtp://user:password@host` (login). The URL — its password
//! above all — never appears in Debug, Display, logs, errors or mails.

use std::time::Duration;

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::transport::smtp::authentication::Mechanism;
use lettre::{AsyncTransport, Message, Tokio1Executor};

use crate::sync::{FailureReport, Notifier, NotifyError};

/// How long one delivery may take before it fails.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// An SMTP notifier that cannot be built; says which setting to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SmtpError {
    /// The server URL cannot be used.
    #[error(
        "the SMTP server URL is not usable ({reason}): write smtp://host:587, \
         smtp://user:password@host:587?tls=required or smtps://user:password@host:465"
    )]
    Url {
        /// What is wrong, without the URL itself.
        reason: String,
    },
    /// An address is not an e-mail address.
    #[error("the {role} address {address:?} is not an e-mail address: {reason}")]
    Address {
        /// `sender`, `recipient` or `reply-to`.
        role: &'static str,
        /// The address as given.
        address: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No recipient.
    #[error("no recipient: give at least one address to send failure reports to")]
    NoRecipient,
}

/// Mails every failure report it is handed.
pub struct SmtpNotifier {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    timeout: Duration,
    from: Mailbox,
    to: Vec<Mailbox>,
    reply_to: Option<Mailbox>,
}

impl std::fmt::Debug for SmtpNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpNotifier")
            .field("from", &self.from.to_string())
            .field(
                "to",
                &self.to.iter().map(ToString::to_string).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

fn mailbox(role: &'static str, address: &str) -> Result<Mailbox, SmtpError> {
    address
        .trim()
        .parse::<Mailbox>()
        .map_err(|e| SmtpError::Address {
            role,
            address: address.to_owned(),
            reason: e.to_string(),
        })
}

impl SmtpNotifier {
    /// A notifier sending through the server `url`, from `from` to every address in `to`, with
    /// `reply_to` when given. Addresses may carry a name: `Bókhald <bokhald@acme.is>`.
    ///
    /// # Errors
    /// [`SmtpError`] naming the URL (never showing it) or the address that is wrong.
    pub fn new(
        url: &str,
        from: &str,
        to: &[impl AsRef<str>],
        reply_to: Option<&str>,
    ) -> Result<Self, SmtpError> {
        let scheme = url.split(':').next().unwrap_or_default();
        if !matches!(scheme, "smtp" | "smtps") {
            return Err(SmtpError::Url {
                reason: format!("the scheme must be smtp or smtps, not {scheme:?}"),
            });
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| SmtpError::Url {
                // lettre's message describes the part it could not read, not the URL.
                reason: e.to_string().replace(url, "…"),
            })?
            .timeout(Some(SMTP_TIMEOUT))
            .authentication(vec![Mechanism::Plain, Mechanism::Login])
            .build();
        let to = to
            .iter()
            .map(|a| mailbox("recipient", a.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        if to.is_empty() {
            return Err(SmtpError::NoRecipient);
        }
        Ok(Self {
            transport,
            timeout: SMTP_TIMEOUT,
            from: mailbox("sender", from)?,
            to,
            reply_to: reply_to.map(|a| mailbox("reply-to", a)).transpose()?,
        })
    }

    /// Gives a delivery at most `timeout` (default [`SMTP_TIMEOUT`]) before it fails.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The message for a report: its subject, the plain text and an HTML alternative.
    ///
    /// # Errors
    /// [`NotifyError`] when the message cannot be built.
    pub fn message(&self, report: &FailureReport) -> Result<Message, NotifyError> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(report.subject.clone());
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                report.body.clone(),
                html(report),
            ))
            .map_err(|e| NotifyError(format!("the e-mail could not be built: {e}")))
    }
}

/// The report as a small HTML page: the subject as its heading, the body as preformatted text
/// (every line as it is in the plain part), escaped.
fn html(report: &FailureReport) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"is\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family: sans-serif\"><h1 style=\"font-size: 1.2em\">{title}</h1>\
         <pre style=\"white-space: pre-wrap; font-family: inherit\">{body}</pre></body></html>\n",
        title = escape(&report.subject),
        body = escape(&report.body)
    )
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[async_trait]
impl Notifier for SmtpNotifier {
    async fn notify(&self, report: &FailureReport) -> Result<(), NotifyError> {
        let message = self.message(report)?;
        // The whole delivery, not only each exchange, ends within the timeout.
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(NotifyError(format!(
                "the SMTP server did not take the report: {e}"
            ))),
            Err(_) => Err(NotifyError(format!(
                "the SMTP server did not take the report within {} s",
                self.timeout.as_secs()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<b>Jón & \"Gunna\"</b>"),
            "&lt;b&gt;Jón &amp; &quot;Gunna&quot;&lt;/b&gt;"
        );
    }

    #[test]
    fn bad_settings_say_what_to_fix_and_never_show_the_url() {
        let to = ["bokhald@acme.is"];
        for (url, from, says) in [
            (
                "http://mail:pw@host",
                "a@acme.is",
                "scheme must be smtp or smtps",
            ),
            ("smtps://u:pw-secret@", "a@acme.is", "not usable"),
            ("smtp://host", "not an address", "sender address"),
        ] {
            let error = SmtpNotifier::new(url, from, &to, None)
                .unwrap_err()
                .to_string();
            assert!(error.contains(says), "{url}: {error}");
            assert!(!error.contains("pw"), "{error}");
        }
        let none: [&str; 0] = [];
        assert_eq!(
            SmtpNotifier::new("smtp://host", "a@acme.is", &none, None).unwrap_err(),
            SmtpError::NoRecipient
        );
        let notifier =
            SmtpNotifier::new("smtps://u:pw-secret@host", "a@acme.is", &to, None).unwrap();
        assert!(!format!("{notifier:?}").contains("pw-secret"));
    }
}
