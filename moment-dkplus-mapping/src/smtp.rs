//! Failure reports by e-mail over SMTP (feature `smtp`): [`SmtpNotifier`], a [`Notifier`] on
//! `lettre` with rustls. A report goes out as one message with a plain-text body and an HTML
//! alternative, UTF-8 throughout (Icelandic letters in the subject and body), from one address
//! to one or more, with an optional reply-to.
//!
//! The server is named by a URL ([`SmtpServer::parse`]): `smtps://user:password@host:465` (TLS
//! from the first byte), `smtp://user:password@host:587` (STARTTLS required: a password is never
//! sent in clear), `smtp://host:587` without a login (STARTTLS when the server offers it; add
//! `?tls=required` to insist). Only a server on this machine (a loopback address) is spoken to
//! without TLS. The URL — its password above all — never appears in Debug, Display, logs, errors
//! or mails.

use std::time::Duration;

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncTransport, Message, Tokio1Executor};

use crate::sync::{FailureReport, Notifier, NotifyError};

/// How long one delivery may take before it fails.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// How the connection to the mail server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// TLS from the first byte (`smtps://`).
    ImplicitTls,
    /// STARTTLS, or no mail at all (`smtp://` with a login, or `?tls=required`): a password is
    /// never sent in clear.
    StartTlsRequired,
    /// STARTTLS when the server offers it (`smtp://` without a login).
    StartTlsIfOffered,
    /// No TLS: only to a server on this machine (`smtp://` to a loopback address), or when the
    /// URL says `?tls=none` for a loopback address.
    LoopbackPlain,
}

/// The mail server a URL names, with its login and how the connection is protected.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpServer {
    host: String,
    port: u16,
    login: Option<(String, String)>,
    security: SmtpSecurity,
}

impl std::fmt::Debug for SmtpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpServer")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("login", &self.login.as_ref().map(|(user, _)| user))
            .field("security", &self.security)
            .finish()
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl SmtpServer {
    /// Reads `smtp://[user:password@]host[:port][?tls=required|none]` or
    /// `smtps://[user:password@]host[:port]`.
    ///
    /// # Errors
    /// [`SmtpError::Url`] saying what is wrong, never showing the URL.
    pub fn parse(url: &str) -> Result<Self, SmtpError> {
        let bad = |reason: &str| SmtpError::Url {
            reason: reason.to_owned(),
        };
        let scheme = url.split(':').next().unwrap_or_default();
        if !matches!(scheme, "smtp" | "smtps") {
            return Err(SmtpError::Url {
                reason: format!("the scheme must be smtp or smtps, not {scheme:?}"),
            });
        }
        let parsed = url::Url::parse(url).map_err(|_| bad("it cannot be read as a URL"))?;
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("it names no server"))?
            .to_owned();
        let decode = |text: &str| {
            percent_decode(text).ok_or_else(|| bad("its user or password is not valid UTF-8"))
        };
        let login = match (parsed.username(), parsed.password()) {
            ("", None) => None,
            (user, password) => Some((decode(user)?, decode(password.unwrap_or_default())?)),
        };
        let tls = parsed
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let loopback = is_loopback(&host);
        let security = match (scheme, tls.as_deref()) {
            ("smtps", None) => SmtpSecurity::ImplicitTls,
            ("smtps", Some(_)) => return Err(bad("smtps:// takes no tls= setting")),
            (_, Some("required")) => SmtpSecurity::StartTlsRequired,
            (_, Some("none")) if loopback => SmtpSecurity::LoopbackPlain,
            (_, Some("none")) => {
                return Err(bad(
                    "tls=none is only for a server on this machine; use smtps:// or tls=required",
                ));
            }
            (_, Some(_)) => return Err(bad("tls= must be required or none")),
            (_, None) if loopback => SmtpSecurity::LoopbackPlain,
            (_, None) if login.is_some() => SmtpSecurity::StartTlsRequired,
            (_, None) => SmtpSecurity::StartTlsIfOffered,
        };
        let port = parsed.port().unwrap_or(match security {
            SmtpSecurity::ImplicitTls => 465,
            SmtpSecurity::LoopbackPlain => 25,
            _ => 587,
        });
        Ok(Self {
            host,
            port,
            login,
            security,
        })
    }

    /// How the connection is protected.
    pub fn security(&self) -> SmtpSecurity {
        self.security
    }

    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, SmtpError> {
        let tls = |host: &str| {
            TlsParameters::new(host.to_owned()).map_err(|e| SmtpError::Url {
                reason: format!("TLS cannot be set up for the server: {e}"),
            })
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.port)
            .timeout(Some(SMTP_TIMEOUT))
            .authentication(vec![Mechanism::Plain, Mechanism::Login]);
        builder = match self.security {
            SmtpSecurity::ImplicitTls => builder.tls(Tls::Wrapper(tls(&self.host)?)),
            SmtpSecurity::StartTlsRequired => builder.tls(Tls::Required(tls(&self.host)?)),
            SmtpSecurity::StartTlsIfOffered => builder.tls(Tls::Opportunistic(tls(&self.host)?)),
            SmtpSecurity::LoopbackPlain => builder.tls(Tls::None),
        };
        if let Some((user, password)) = &self.login {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(builder.build())
    }
}

/// `%xx` escapes of a URL's user part decoded.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

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
        let server = SmtpServer::parse(url)?;
        let transport = server.transport()?;
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

use crate::html::escape;

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
    fn a_password_is_never_sent_without_tls_except_to_this_machine() {
        for (url, security, port) in [
            ("smtps://u:p@mail.acme.is", SmtpSecurity::ImplicitTls, 465),
            (
                "smtp://u:p@mail.acme.is",
                SmtpSecurity::StartTlsRequired,
                587,
            ),
            (
                "smtp://u:p@mail.acme.is:2525",
                SmtpSecurity::StartTlsRequired,
                2525,
            ),
            ("smtp://mail.acme.is", SmtpSecurity::StartTlsIfOffered, 587),
            (
                "smtp://mail.acme.is?tls=required",
                SmtpSecurity::StartTlsRequired,
                587,
            ),
            (
                "smtp://u:p@127.0.0.1:2525",
                SmtpSecurity::LoopbackPlain,
                2525,
            ),
            ("smtp://localhost", SmtpSecurity::LoopbackPlain, 25),
            ("smtp://[::1]:25?tls=none", SmtpSecurity::LoopbackPlain, 25),
        ] {
            let server = SmtpServer::parse(url).unwrap();
            assert_eq!((server.security(), server.port), (security, port), "{url}");
        }
        for url in [
            "smtp://u:p@mail.acme.is?tls=none",
            "smtps://mail.acme.is?tls=required",
            "smtp://mail.acme.is?tls=maybe",
        ] {
            assert!(SmtpServer::parse(url).is_err(), "{url}");
        }
        let server = SmtpServer::parse("smtps://mailer:p%40ss%20w@mail.acme.is").unwrap();
        assert_eq!(
            server.login,
            Some(("mailer".to_owned(), "p@ss w".to_owned()))
        );
        assert!(!format!("{server:?}").contains("p@ss"));
    }

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
