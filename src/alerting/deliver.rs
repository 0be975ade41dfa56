//! Delivery channels: email over SMTP (lettre) and a generic JSON webhook for chat bridges.

use super::message::Message;
use super::Alert;
use crate::domain::Contact;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;

#[derive(Clone)]
pub struct Deliverer {
    smtp: Option<(AsyncSmtpTransport<Tokio1Executor>, lettre::message::Mailbox)>,
    http: reqwest::Client,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("--smtp-url: {0}")]
    Smtp(String),
    #[error("--smtp-from {0:?} is not a mailbox (e.g. \"dvc-monitor <canhbao@tinh.gov.vn>\")")]
    From(String),
}

impl Deliverer {
    /// `smtp_url` like `smtp://relay:25` (plain), `smtp://relay:587?tls=required` (STARTTLS) or
    /// `smtps://user:pass@relay:465`, with the sender's mailbox in `from`.
    pub fn new(smtp_url: Option<&str>, from: &str) -> Result<Deliverer, ConfigError> {
        let smtp = match smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| ConfigError::Smtp(e.to_string()))?
                    .timeout(Some(Duration::from_secs(20)))
                    .build();
                Some((transport, from.parse().map_err(|_| ConfigError::From(from.to_string()))?))
            }
            None => None,
        };
        let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().expect("http client");
        Ok(Deliverer { smtp, http })
    }

    pub fn can_email(&self) -> bool {
        self.smtp.is_some()
    }

    pub async fn email(&self, to: &Contact, message: &Message) -> Result<String, String> {
        let (transport, from) = self.smtp.as_ref().ok_or("no SMTP server configured (--smtp-url)")?;
        let address = to.email.as_deref().ok_or("no email address")?;
        let mailbox = lettre::message::Mailbox::new(Some(to.name.clone()), address.parse().map_err(|e| format!("{address}: {e}"))?);
        let builder = lettre::Message::builder().from(from.clone()).to(mailbox).subject(&message.subject);
        let email = match &message.attachment {
            None => builder.header(ContentType::TEXT_PLAIN).body(message.text.clone()),
            Some(a) => {
                use lettre::message::{Attachment, MultiPart, SinglePart};
                let kind = ContentType::parse(&a.content_type).map_err(|e| e.to_string())?;
                builder.multipart(
                    MultiPart::mixed()
                        .singlepart(SinglePart::plain(message.text.clone()))
                        .singlepart(Attachment::new(a.filename.clone()).body(a.bytes.clone(), kind)),
                )
            }
        }
        .map_err(|e| e.to_string())?;
        transport.send(email).await.map_err(|e| e.to_string())?;
        Ok(address.to_string())
    }

    pub async fn webhook(&self, to: &Contact, message: &Message, alerts: &[Alert]) -> Result<String, String> {
        let url = to.webhook.as_deref().ok_or("no webhook")?;
        let body = serde_json::json!({
            "recipient": {"unit": to.unit, "name": to.name},
            "title": message.subject,
            "text": message.text,
            "alerts": alerts,
        });
        let r = self.http.post(url).json(&body).send().await.map_err(|e| e.to_string())?;
        if r.status().is_success() {
            Ok(url.to_string())
        } else {
            Err(format!("{url} answered {}", r.status()))
        }
    }
}
