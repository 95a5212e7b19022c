//! What the store remembers of DK+'s customers, projects and products, so that a record that
//! cannot have changed costs no DK+ read.
//!
//! After the engine has confirmed a record in DK+ — read it and checked it, or created it — it
//! notes a *fact*: the fingerprint of the record as the integration would send it (Moment's side)
//! and what DK+ said of it that an invoice needs (a customer's VAT exemption, a product's VAT
//! rate). The next time, a fact with the same fingerprint that is younger than
//! [`recheck_dkplus_after`](crate::IntegrationConfig::recheck_dkplus_after) answers instead of
//! DK+. A change in Moment changes the fingerprint, so it is read at once; a change made in DK+
//! itself is seen within the recheck time, and at once after an invoice failed on it (a VAT
//! check that failed forgets the facts it used).

use chrono::{DateTime, Utc};
use dkplus_client::{CustomerNumber, ItemCode, ProjectNumber};
use rust_decimal::Decimal;

use super::run::Run;
use crate::ports::{DkPlusTarget, MomentSource};
use crate::rules::MappedCustomer;
use moment_client::Customer;

/// The DK+ record a fact is about.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Record<'a> {
    Customer(&'a CustomerNumber),
    Project(&'a ProjectNumber),
    Product(&'a ItemCode),
}

impl Record<'_> {
    fn key(self) -> String {
        match self {
            Self::Customer(number) => format!("customer:{number}"),
            Self::Project(number) => format!("project:{number}"),
            Self::Product(code) => format!("product:{code}"),
        }
    }
}

/// The fingerprint of a customer as the integration would write it — every field it sends —
/// and its kennitala in Moment, which decides the customer's identity (DK+ keeps no kennitala
/// on the customer, so it is not among the fields sent).
pub(crate) fn customer_fingerprint(mapped: &MappedCustomer, customer: &Customer) -> String {
    format!(
        "{}\nkennitala={}",
        serde_json::to_string(&mapped.write).unwrap_or_default(),
        customer
            .organization_number
            .as_deref()
            .map(str::trim)
            .unwrap_or_default()
    )
}

/// What a customer fact says: whether DK+ has the customer VAT-exempt.
pub(crate) fn no_vat_value(no_vat: bool) -> &'static str {
    if no_vat { "no_vat" } else { "vat" }
}

/// What a product fact says: its VAT percent in DK+ (empty when DK+ has none).
pub(crate) fn rate_value(rate: Option<Decimal>) -> String {
    rate.map(|r| r.normalize().to_string()).unwrap_or_default()
}

/// A product fact's VAT percent; `None` for an empty value; `Err` when it is not a number.
pub(crate) fn parse_rate(value: &str) -> Result<Option<Decimal>, ()> {
    if value.is_empty() {
        return Ok(None);
    }
    value.parse::<Decimal>().map(Some).map_err(|_| ())
}

/// A fact as stored: `fingerprint` and value joined, so a different fingerprint never matches.
fn stored(fingerprint: &str, value: &str) -> String {
    format!("{fingerprint}\n{value}")
}

impl<M: MomentSource, D: DkPlusTarget> Run<'_, M, D> {
    /// The value of the fact about `record` when it was noted for `fingerprint` and is younger
    /// than the recheck time; `None` sends the caller to DK+. A store that cannot be read is no
    /// answer either.
    pub(crate) async fn known(&self, record: Record<'_>, fingerprint: &str) -> Option<String> {
        let ctx = self.ctx;
        let recheck = chrono::Duration::from_std(ctx.config.recheck_dkplus_after()).ok()?;
        let (value, at) = match ctx.store.dkplus_fact(&ctx.scope, &record.key()).await {
            Ok(fact) => fact?,
            Err(error) => {
                tracing::warn!(%error, "could not read what the store knows of a DK+ record; reading DK+");
                return None;
            }
        };
        if Utc::now() - at >= recheck {
            return None;
        }
        let (noted_for, value) = value.rsplit_once('\n')?;
        (noted_for == fingerprint).then(|| value.to_owned())
    }

    /// Notes what DK+ holds for `record` now. Nothing in a dry run (DK+ was not changed).
    pub(crate) async fn note(&self, record: Record<'_>, fingerprint: &str, value: &str) {
        self.write_fact(record, &stored(fingerprint, value), Utc::now())
            .await;
    }

    /// Forgets the fact about `record`: the next look at it reads DK+.
    pub(crate) async fn forget(&self, record: Record<'_>) {
        self.write_fact(record, "", DateTime::<Utc>::UNIX_EPOCH)
            .await;
    }

    async fn write_fact(&self, record: Record<'_>, value: &str, at: DateTime<Utc>) {
        let ctx = self.ctx;
        if ctx.dkplus.is_dry_run() {
            return;
        }
        if let Err(error) = ctx
            .store
            .set_dkplus_fact(&ctx.scope, &record.key(), value, at)
            .await
        {
            tracing::warn!(%error, "could not note what DK+ holds; the next run reads DK+ again");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_survive_the_round_trip_through_text() {
        for rate in [None, Some(Decimal::new(24, 0)), Some(Decimal::new(1100, 2))] {
            assert_eq!(
                parse_rate(&rate_value(rate)),
                Ok(rate.map(|r| r.normalize()))
            );
        }
        assert_eq!(parse_rate("twenty"), Err(()));
    }

    #[test]
    fn keys_name_the_kind_of_record() {
        assert_eq!(
            Record::Customer(&CustomerNumber::new("0101")).key(),
            "customer:0101"
        );
        assert_eq!(
            Record::Project(&ProjectNumber::new("P-1")).key(),
            "project:P-1"
        );
        assert_eq!(
            Record::Product(&ItemCode::new("VINNA")).key(),
            "product:VINNA"
        );
    }
}
