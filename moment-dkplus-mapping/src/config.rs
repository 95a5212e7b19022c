//! [`IntegrationConfig`]: what the integration transfers and how, validated when it is built.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use dkplus_client::{ItemClass, SalesPersonNumber};

/// Where a line's DK+ item code comes from when the line is not linked to a product.
///
/// The product number always wins. Moment's current rule falls back to the accounting VAT code
/// of the line's financial account; an older version of Moment's DK+ page used the account's
/// *external revenue class* ("Vörunúmer") instead, offered here as an opt-in further fallback.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ItemCodeFallback {
    /// Product number, then the account's accounting VAT code (`externalTaxCode`). Moment's rule.
    #[default]
    AccountVatCode,
    /// Product number, then the account's VAT code, then its external revenue class.
    AccountVatCodeThenRevenueClass,
}

/// Which DK+ address line holds Moment's town. DK+'s published customer model has `Address1`–
/// `Address3` and `ZipCode` but no town field (DK's own examples put the town in `Address2`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TownLine {
    /// The first address line after Moment's street lines (the default): `Address2` for a
    /// customer with one street line, `Address3` for one with two, `Address1` for one with none.
    #[default]
    FirstFree,
    /// Always `Address2`; a second street line moves to `Address3`.
    Address2,
    /// Always `Address3`.
    Address3,
    /// The town is not sent.
    NotSent,
}

/// The longest texts the integration sends to DK+, in characters. DK+ cuts over-long values
/// silently, so a longer text is refused with a problem naming the field and the limit — except an
/// invoice line's description, which continues in the line's `Text2` before it is refused.
///
/// DK's published limits are only those of item codes (20), product descriptions (40) and
/// invoice texts (2000), which the DK+ client enforces itself. The defaults here follow the
/// rule of thumb of maintained DK connectors ("assume 20 or 40 characters") and are **assumed**:
/// raise a limit when your DK+ keeps longer values (see `docs/configuration.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TextLimits {
    /// A customer's name (default 40).
    pub customer_name: usize,
    /// Each customer address line, the town included (default 40).
    pub address_line: usize,
    /// A customer's postal code (default 10).
    pub postal_code: usize,
    /// A customer's phone number (default 20).
    pub phone: usize,
    /// A customer's e-mail address (default 80).
    pub email: usize,
    /// A project's name (default 40).
    pub project_name: usize,
    /// An invoice line's `Text` and, for the rest of a long description, its `Text2` (default 40
    /// each).
    pub line_text: usize,
}

impl Default for TextLimits {
    fn default() -> Self {
        Self {
            customer_name: 40,
            address_line: 40,
            postal_code: 10,
            phone: 20,
            email: 80,
            project_name: 40,
            line_text: 40,
        }
    }
}

/// What to do when the amount DK+ would book differs from Moment's by more than rounding (a line
/// total or the invoice total without VAT).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TotalMismatch {
    /// Refuse the invoice, naming the line and both amounts (the default): a different amount
    /// usually means a Moment field was read wrongly, and a posted invoice can only be undone
    /// with a credit note.
    #[default]
    Refuse,
    /// Post it and warn with both amounts.
    Warn,
}

/// Configuration of the Moment → DK+ integration.
///
/// Build it with [`IntegrationConfig::builder`]; an invalid combination (for example invoices on
/// but no sales person) is refused by [`IntegrationConfigBuilder::build`], never halfway through
/// a run. Credentials are not part of this type: they live in the two clients.
///
/// It also reads from any serde format (a TOML file, JSON, environment overlays) with the
/// builder's names and defaults, and is checked the same way: a refused combination is a
/// deserialization error that lists every problem. Unknown keys are refused (a misspelt key
/// would otherwise silently keep its default).
///
/// ```
/// use moment_dkplus_mapping::IntegrationConfig;
///
/// let config: IntegrationConfig = serde_json::from_str(r#"{
///     "sales_person": "vef",
///     "error_email": "bokhald@firma.is",
///     "town_line": "address2",
///     "text_limits": { "customer_name": 60 },
///     "payment_terms": { "30": "m30" }
/// }"#)?;
/// assert_eq!(config.text_limits().customer_name, 60);
/// assert_eq!(config.text_limits().phone, 20); // the default
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(
    try_from = "IntegrationConfigBuilder",
    into = "IntegrationConfigBuilder"
)]
pub struct IntegrationConfig {
    transfer_customers: bool,
    transfer_projects: bool,
    transfer_invoices: bool,
    sales_person: Option<SalesPersonNumber>,
    error_email: Option<String>,
    item_code_fallback: ItemCodeFallback,
    create_missing_products: bool,
    new_product_item_class: Option<ItemClass>,
    price_decimals: u32,
    town_line: TownLine,
    text_limits: TextLimits,
    payment_terms: BTreeMap<i64, String>,
    concurrency: usize,
    post_invoices_in_order: bool,
    total_mismatch: TotalMismatch,
    notify_warnings: bool,
    credit_note_text: String,
    claim_lease: Duration,
    settle_time: Duration,
    recheck_dkplus_after: Duration,
}

impl IntegrationConfig {
    /// Starts a builder with the defaults: all three object types on, product creation on,
    /// unit prices rounded to 2 decimals, concurrency 4.
    pub fn builder() -> IntegrationConfigBuilder {
        IntegrationConfigBuilder::default()
    }

    /// Whether customers are transferred.
    pub fn transfer_customers(&self) -> bool {
        self.transfer_customers
    }

    /// Whether projects are transferred.
    pub fn transfer_projects(&self) -> bool {
        self.transfer_projects
    }

    /// Whether invoices are transferred.
    pub fn transfer_invoices(&self) -> bool {
        self.transfer_invoices
    }

    /// The DK+ sales person set on every invoice (always present when invoices are on).
    pub fn sales_person(&self) -> Option<&SalesPersonNumber> {
        self.sales_person.as_ref()
    }

    /// The address that receives failure reports, if any.
    pub fn error_email(&self) -> Option<&str> {
        self.error_email.as_deref()
    }

    /// How a line's item code is found when the line has no product.
    pub fn item_code_fallback(&self) -> ItemCodeFallback {
        self.item_code_fallback
    }

    /// Whether an item code that is not a DK+ product is created as one (otherwise: an error).
    pub fn create_missing_products(&self) -> bool {
        self.create_missing_products
    }

    /// The DK+ item class given to products the integration creates (default: service item,
    /// since Moment invoices work and services that have no stock).
    pub fn new_product_item_class(&self) -> Option<&ItemClass> {
        self.new_product_item_class.as_ref()
    }

    /// The fewest decimals of a unit price with a surcharge folded in: more are kept where DK+'s
    /// line total needs them to equal Moment's. Prices without a surcharge are sent unchanged.
    pub fn price_decimals(&self) -> u32 {
        self.price_decimals
    }

    /// Which DK+ address line holds Moment's town.
    pub fn town_line(&self) -> TownLine {
        self.town_line
    }

    /// The longest texts sent to DK+.
    pub fn text_limits(&self) -> TextLimits {
        self.text_limits
    }

    /// Moment credit days → DK+ payment term code. Empty (the default) means payment terms are
    /// not sent, as in Moment's own integration.
    pub fn payment_terms(&self) -> &BTreeMap<i64, String> {
        &self.payment_terms
    }

    /// How many objects a backfill transfers at the same time.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Whether a backfill posts its invoices one at a time in Moment's invoice-number order
    /// (preparing them concurrently), so DK+ numbers them in the same order (default on).
    pub fn post_invoices_in_order(&self) -> bool {
        self.post_invoices_in_order
    }

    /// What happens when an amount differs from Moment's by more than rounding.
    pub fn total_mismatch(&self) -> TotalMismatch {
        self.total_mismatch
    }

    /// Whether a report that has warnings but no failures also goes to the notifier.
    pub fn notify_warnings(&self) -> bool {
        self.notify_warnings
    }

    /// How long a process holds an invoice reference it claimed before another may take it
    /// over (the look-up and the post must fit in it).
    pub fn claim_lease(&self) -> Duration {
        self.claim_lease
    }

    /// How long an invoice whose post had no clear answer is left alone before it is looked up
    /// again (and posted only if DK+ still does not show it).
    pub fn settle_time(&self) -> Duration {
        self.settle_time
    }

    /// How long what the store remembers of a DK+ customer, project or product (that it exists
    /// as the integration would send it, its VAT exemption or VAT rate) is trusted without
    /// reading DK+ again.
    pub fn recheck_dkplus_after(&self) -> Duration {
        self.recheck_dkplus_after
    }

    /// Invoice text of a credit note; `{original}` is replaced by the credited invoice's number.
    pub fn credit_note_text(&self) -> &str {
        &self.credit_note_text
    }
}

/// Builder of [`IntegrationConfig`]. Every setter is optional; see [`IntegrationConfig::builder`]
/// for the defaults.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
#[must_use]
pub struct IntegrationConfigBuilder {
    transfer_customers: bool,
    transfer_projects: bool,
    transfer_invoices: bool,
    sales_person: Option<String>,
    error_email: Option<String>,
    item_code_fallback: ItemCodeFallback,
    create_missing_products: bool,
    new_product_item_class: Option<ItemClass>,
    price_decimals: u32,
    town_line: TownLine,
    text_limits: TextLimits,
    #[serde(with = "payment_terms_by_days")]
    payment_terms: BTreeMap<i64, String>,
    concurrency: usize,
    post_invoices_in_order: bool,
    total_mismatch: TotalMismatch,
    notify_warnings: bool,
    credit_note_text: String,
    #[serde(rename = "claim_lease_seconds", with = "seconds")]
    claim_lease: Duration,
    #[serde(rename = "settle_time_seconds", with = "seconds")]
    settle_time: Duration,
    #[serde(rename = "recheck_dkplus_after_seconds", with = "seconds")]
    recheck_dkplus_after: Duration,
}

/// A duration as whole seconds in configuration files (`settle_time_seconds = 900`).
mod seconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        value: &Duration,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(value.as_secs())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_secs)
    }
}

/// Payment terms keyed by credit days: map keys are strings in TOML and JSON (`"30" = "m30"`).
mod payment_terms_by_days {
    use std::collections::BTreeMap;

    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<S: Serializer>(
        terms: &BTreeMap<i64, String>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        terms
            .iter()
            .map(|(days, code)| (days.to_string(), code))
            .collect::<BTreeMap<_, _>>()
            .serialize(serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<i64, String>, D::Error> {
        let mut terms = BTreeMap::new();
        for (key, code) in BTreeMap::<String, String>::deserialize(deserializer)? {
            let days = key.trim().parse::<i64>().map_err(|_| {
                D::Error::custom(format!(
                    "payment term key {key:?} is not a number of credit days: write e.g. \"30\" = \"m30\""
                ))
            })?;
            if terms.insert(days, code).is_some() {
                return Err(D::Error::custom(format!(
                    "payment terms name {days} credit days twice (e.g. \"30\" and \" 30\"): keep one"
                )));
            }
        }
        Ok(terms)
    }
}

impl TryFrom<IntegrationConfigBuilder> for IntegrationConfig {
    type Error = ConfigError;

    fn try_from(builder: IntegrationConfigBuilder) -> Result<Self, ConfigError> {
        builder.build()
    }
}

impl From<IntegrationConfig> for IntegrationConfigBuilder {
    fn from(config: IntegrationConfig) -> Self {
        Self {
            transfer_customers: config.transfer_customers,
            transfer_projects: config.transfer_projects,
            transfer_invoices: config.transfer_invoices,
            sales_person: config.sales_person.map(|s| s.as_str().to_owned()),
            error_email: config.error_email,
            item_code_fallback: config.item_code_fallback,
            create_missing_products: config.create_missing_products,
            new_product_item_class: config.new_product_item_class,
            price_decimals: config.price_decimals,
            town_line: config.town_line,
            text_limits: config.text_limits,
            payment_terms: config.payment_terms,
            concurrency: config.concurrency,
            post_invoices_in_order: config.post_invoices_in_order,
            total_mismatch: config.total_mismatch,
            notify_warnings: config.notify_warnings,
            credit_note_text: config.credit_note_text,
            claim_lease: config.claim_lease,
            settle_time: config.settle_time,
            recheck_dkplus_after: config.recheck_dkplus_after,
        }
    }
}

/// The default credit-note invoice text (Icelandic: "Credit note for invoice no. {original}").
pub const DEFAULT_CREDIT_NOTE_TEXT: &str = "Kreditreikningur vegna reiknings nr. {original}";

/// Largest number of decimals accepted for unit prices.
pub const MAX_PRICE_DECIMALS: u32 = 10;

/// Longest credit-note text template accepted: DK+'s 2000-character invoice text, less room for
/// the credited invoice's number.
pub const MAX_CREDIT_NOTE_TEXT_CHARS: usize = 1900;

/// The default claim lease: how long a process holds an invoice reference it claimed.
pub const DEFAULT_CLAIM_LEASE: Duration = Duration::from_secs(5 * 60);

/// The default settle time: how long an invoice whose post had no clear answer is left alone.
pub const DEFAULT_SETTLE_TIME: Duration = Duration::from_secs(15 * 60);

/// The longest claim lease accepted.
pub const MAX_CLAIM_LEASE: Duration = Duration::from_secs(24 * 60 * 60);

/// The longest settle time accepted.
pub const MAX_SETTLE_TIME: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// The default time what the store remembers of a DK+ record is trusted without a DK+ read.
pub const DEFAULT_RECHECK_DKPLUS_AFTER: Duration = Duration::from_secs(60 * 60);

/// Largest backfill concurrency accepted.
pub const MAX_CONCURRENCY: usize = 64;

impl Default for IntegrationConfigBuilder {
    fn default() -> Self {
        Self {
            transfer_customers: true,
            transfer_projects: true,
            transfer_invoices: true,
            sales_person: None,
            error_email: None,
            item_code_fallback: ItemCodeFallback::default(),
            create_missing_products: true,
            new_product_item_class: Some(ItemClass::ServiceItem),
            price_decimals: 2,
            town_line: TownLine::default(),
            text_limits: TextLimits::default(),
            payment_terms: BTreeMap::new(),
            concurrency: 4,
            post_invoices_in_order: true,
            total_mismatch: TotalMismatch::Refuse,
            notify_warnings: true,
            credit_note_text: DEFAULT_CREDIT_NOTE_TEXT.to_owned(),
            claim_lease: DEFAULT_CLAIM_LEASE,
            settle_time: DEFAULT_SETTLE_TIME,
            recheck_dkplus_after: DEFAULT_RECHECK_DKPLUS_AFTER,
        }
    }
}

impl IntegrationConfigBuilder {
    /// Turns the transfer of customers on or off (default on).
    pub fn transfer_customers(mut self, on: bool) -> Self {
        self.transfer_customers = on;
        self
    }

    /// Turns the transfer of projects on or off (default on).
    pub fn transfer_projects(mut self, on: bool) -> Self {
        self.transfer_projects = on;
        self
    }

    /// Turns the transfer of invoices on or off (default on).
    pub fn transfer_invoices(mut self, on: bool) -> Self {
        self.transfer_invoices = on;
        self
    }

    /// The DK+ sales person number put on every invoice. Required when invoices are on.
    pub fn sales_person(mut self, number: impl Into<String>) -> Self {
        self.sales_person = Some(number.into());
        self
    }

    /// The e-mail address that receives failure reports.
    pub fn error_email(mut self, address: impl Into<String>) -> Self {
        self.error_email = Some(address.into());
        self
    }

    /// Where item codes come from for lines without a product (default: the account VAT code).
    pub fn item_code_fallback(mut self, fallback: ItemCodeFallback) -> Self {
        self.item_code_fallback = fallback;
        self
    }

    /// Whether item codes missing in DK+ are created as products (default on).
    pub fn create_missing_products(mut self, on: bool) -> Self {
        self.create_missing_products = on;
        self
    }

    /// The item class of products the integration creates; `None` leaves it to DK+.
    pub fn new_product_item_class(mut self, class: Option<ItemClass>) -> Self {
        self.new_product_item_class = class;
        self
    }

    /// The fewest decimals of a unit price with a surcharge folded in (default 2, at most 10):
    /// the price keeps more decimals where DK+'s line total needs them to equal Moment's. Prices
    /// without a surcharge are sent as Moment has them.
    pub fn price_decimals(mut self, decimals: u32) -> Self {
        self.price_decimals = decimals;
        self
    }

    /// Which DK+ address line holds Moment's town (default: the first free one).
    pub fn town_line(mut self, line: TownLine) -> Self {
        self.town_line = line;
        self
    }

    /// The longest texts sent to DK+ (default [`TextLimits::default`]); each must be at least 1.
    pub fn text_limits(mut self, limits: TextLimits) -> Self {
        self.text_limits = limits;
        self
    }

    /// Maps Moment credit days to a DK+ payment term code (e.g. `30 → "m30"`). Off by default.
    pub fn payment_term(mut self, credit_days: i64, dkplus_code: impl Into<String>) -> Self {
        self.payment_terms.insert(credit_days, dkplus_code.into());
        self
    }

    /// How many objects a backfill transfers at the same time (default 4, 1 to 64).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }

    /// Whether a backfill posts invoices in Moment's invoice-number order (default on).
    ///
    /// DK+ numbers an invoice when it receives it. With this on, a backfill still reads, maps
    /// and prepares `concurrency` invoices at a time, but posts them one at a time in Moment's
    /// number order, so DK+'s numbers follow Moment's order (as they must when both systems
    /// use the same number series). Off, posts run concurrently too: faster for large
    /// backfills, but DK+ numbers them in whatever order they arrive. Single transfers and
    /// webhooks are not affected.
    pub fn post_invoices_in_order(mut self, on: bool) -> Self {
        self.post_invoices_in_order = on;
        self
    }

    /// What happens when an amount DK+ would book differs from Moment's by more than rounding
    /// (default: the invoice is refused).
    pub fn total_mismatch(mut self, policy: TotalMismatch) -> Self {
        self.total_mismatch = policy;
        self
    }

    /// Whether reports with warnings but no failures also go to the notifier (default on):
    /// warnings such as a project changed in Moment need a person.
    pub fn notify_warnings(mut self, on: bool) -> Self {
        self.notify_warnings = on;
        self
    }

    /// How long a process holds an invoice reference it claimed (default 5 minutes, 1 second
    /// to 1 day, at most half the settle time). A process that dies while holding one is taken over
    /// after it; a process still working past it may not post any more.
    pub fn claim_lease(mut self, lease: Duration) -> Self {
        self.claim_lease = lease;
        self
    }

    /// How long an invoice whose post had no clear answer is left alone before it is looked up
    /// again (default 15 minutes; at least twice the claim lease, at most 7 days): the settle
    /// time less the lease must exceed the time DK+ takes to show a booked invoice in
    /// look-ups. DK+ may show a stored invoice in
    /// look-ups only minutes later at peak times, and posting it again before then could book
    /// it twice.
    pub fn settle_time(mut self, settle: Duration) -> Self {
        self.settle_time = settle;
        self
    }

    /// How long what the store remembers of a DK+ customer, project or product is trusted
    /// without reading DK+ again (default 1 hour; 0 reads DK+ once in every run). A record whose
    /// data in Moment changed is read again at once; this bounds how long a change made in DK+
    /// itself (a customer made VAT-exempt, a product's VAT rate) goes unseen.
    pub fn recheck_dkplus_after(mut self, after: Duration) -> Self {
        self.recheck_dkplus_after = after;
        self
    }

    /// The invoice text of credit notes; must contain `{original}`.
    pub fn credit_note_text(mut self, template: impl Into<String>) -> Self {
        self.credit_note_text = template.into();
        self
    }

    /// Checks the combination and builds the configuration; lists every problem found.
    pub fn build(self) -> Result<IntegrationConfig, ConfigError> {
        let mut problems = Vec::new();
        if !self.transfer_customers && !self.transfer_projects && !self.transfer_invoices {
            problems.push(ConfigProblem::NothingToTransfer);
        }
        let sales_person = match self.sales_person.as_deref().map(str::trim) {
            Some("") => {
                problems.push(ConfigProblem::SalesPersonBlank);
                None
            }
            Some(number) if has_control_chars(number) => {
                problems.push(ConfigProblem::SalesPersonBlank);
                None
            }
            Some(number) => Some(SalesPersonNumber::new(number)),
            None => None,
        };
        if self.transfer_invoices && sales_person.is_none() && self.sales_person.is_none() {
            problems.push(ConfigProblem::SalesPersonMissing);
        }
        let error_email = match self.error_email.map(|e| e.trim().to_owned()) {
            Some(address) if !looks_like_email(&address) => {
                problems.push(ConfigProblem::ErrorEmailInvalid(address));
                None
            }
            other => other,
        };
        // DK+'s item classes are published as integers without names: another integer may be
        // a class this crate does not name, but an unknown name is a typo.
        if let Some(ItemClass::Unknown(raw @ dkplus_client::EnumValue::Name(_))) =
            &self.new_product_item_class
        {
            problems.push(ConfigProblem::ItemClassUnknown(raw.to_string()));
        }
        if self.price_decimals > MAX_PRICE_DECIMALS {
            problems.push(ConfigProblem::PriceDecimalsTooMany(self.price_decimals));
        }
        let l = self.text_limits;
        if [
            l.customer_name,
            l.address_line,
            l.postal_code,
            l.phone,
            l.email,
            l.project_name,
            l.line_text,
        ]
        .contains(&0)
        {
            problems.push(ConfigProblem::TextLimitZero);
        }
        if self.concurrency == 0 || self.concurrency > MAX_CONCURRENCY {
            problems.push(ConfigProblem::ConcurrencyOutOfRange(self.concurrency));
        }
        for (days, code) in &self.payment_terms {
            if *days < 0 || code.trim().is_empty() {
                problems.push(ConfigProblem::PaymentTermInvalid {
                    credit_days: *days,
                    code: code.clone(),
                });
            }
        }
        if self.transfer_invoices && !self.credit_note_text.contains("{original}") {
            problems.push(ConfigProblem::CreditNoteTextWithoutPlaceholder);
        }
        let length = self.credit_note_text.chars().count();
        if self.transfer_invoices && length > MAX_CREDIT_NOTE_TEXT_CHARS {
            problems.push(ConfigProblem::CreditNoteTextTooLong(length));
        }
        let lease_ok = (Duration::from_secs(1)..=MAX_CLAIM_LEASE).contains(&self.claim_lease);
        let settle_ok = self.settle_time <= MAX_SETTLE_TIME
            && self.settle_time >= self.claim_lease.saturating_mul(2);
        if !lease_ok || !settle_ok {
            problems.push(ConfigProblem::ClaimLeaseOutOfRange {
                lease_seconds: self.claim_lease.as_secs(),
                settle_seconds: self.settle_time.as_secs(),
            });
        }
        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }
        Ok(IntegrationConfig {
            transfer_customers: self.transfer_customers,
            transfer_projects: self.transfer_projects,
            transfer_invoices: self.transfer_invoices,
            sales_person,
            error_email,
            item_code_fallback: self.item_code_fallback,
            create_missing_products: self.create_missing_products,
            new_product_item_class: self.new_product_item_class,
            price_decimals: self.price_decimals,
            town_line: self.town_line,
            text_limits: self.text_limits,
            payment_terms: self.payment_terms,
            concurrency: self.concurrency,
            post_invoices_in_order: self.post_invoices_in_order,
            total_mismatch: self.total_mismatch,
            notify_warnings: self.notify_warnings,
            credit_note_text: self.credit_note_text,
            claim_lease: self.claim_lease,
            settle_time: self.settle_time,
            recheck_dkplus_after: self.recheck_dkplus_after,
        })
    }
}

fn has_control_chars(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// A deliberately small check: one `@` with text on both sides, a dot in the domain, no spaces.
fn looks_like_email(address: &str) -> bool {
    let mut parts = address.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !address.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        _ => false,
    }
}

/// The configuration was refused; [`ConfigError::problems`] lists every reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    problems: Vec<ConfigProblem>,
}

impl ConfigError {
    /// Every problem found, in a stable order.
    pub fn problems(&self) -> &[ConfigProblem] {
        &self.problems
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid integration configuration:")?;
        for problem in &self.problems {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

/// One reason a configuration was refused.
///
/// Serializes as `{"kind": "…", "details": …, "message": "…"}`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize, strum::VariantNames)]
#[serde(
    remote = "Self",
    tag = "kind",
    content = "details",
    rename_all = "snake_case"
)]
#[strum(serialize_all = "snake_case")]
#[non_exhaustive]
pub enum ConfigProblem {
    /// Customers, projects and invoices are all off.
    #[error("customers, projects and invoices are all turned off: turn on at least one")]
    NothingToTransfer,
    /// Invoices are on but no sales person is set.
    #[error(
        "invoices are on but no sales person is set: set the DK+ sales person number \
         (it must exist under Sales persons in DK+)"
    )]
    SalesPersonMissing,
    /// The sales person number is blank or holds control characters.
    #[error(
        "the sales person number is blank or holds control characters: set the DK+ sales person number, e.g. \"vef\""
    )]
    SalesPersonBlank,
    /// The error e-mail address does not look like one.
    #[error(
        "the error e-mail address {0:?} is not a valid e-mail address: expected name@domain.tld without spaces"
    )]
    ErrorEmailInvalid(String),
    /// Too many price decimals.
    #[error("price decimals is {0}; use 0 to {MAX_PRICE_DECIMALS}")]
    PriceDecimalsTooMany(u32),
    /// A text limit is 0.
    #[error("a text limit is 0: every limit must be at least 1 character")]
    TextLimitZero,
    /// Concurrency outside 1..=64.
    #[error("concurrency is {0}; use 1 to {MAX_CONCURRENCY}")]
    ConcurrencyOutOfRange(usize),
    /// A payment term mapping with negative days or a blank code.
    #[error(
        "payment term mapping {credit_days} days → {code:?} is invalid: days must be ≥ 0 and the code non-blank"
    )]
    PaymentTermInvalid {
        /// The Moment credit days.
        credit_days: i64,
        /// The DK+ payment term code.
        code: String,
    },
    /// The credit-note text is too long for DK+'s invoice text.
    #[error(
        "the credit-note text is {0} characters long; use at most {MAX_CREDIT_NOTE_TEXT_CHARS} \
         (DK+ keeps 2000 and the credited invoice's number needs room)"
    )]
    CreditNoteTextTooLong(usize),
    /// The claim lease is under a second or over a day, or the settle time is less than twice
    /// the lease or over a week.
    #[error(
        "the claim lease is {lease_seconds} s and the settle time {settle_seconds} s: the lease \
         must be 1 s to 1 day and the settle time at least twice the lease and at most 7 days \
         (defaults 300 s and 900 s)"
    )]
    ClaimLeaseOutOfRange {
        /// The claim lease in seconds.
        lease_seconds: u64,
        /// The settle time in seconds.
        settle_seconds: u64,
    },
    /// The item class for new products is a name this crate does not know.
    #[error(
        "the item class {0} for new products is unknown: use \"ServiceItem\" (1), \"StockItem\" \
         (0) or DK+'s number of the class"
    )]
    ItemClassUnknown(String),
    /// The credit-note text has no `{original}` placeholder.
    #[error(
        "the credit-note text must contain {{original}} where the credited invoice number goes"
    )]
    CreditNoteTextWithoutPlaceholder,
}

serialize_with_message!(ConfigProblem);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_settle_time_must_leave_dkplus_at_least_the_lease_to_show_a_post() {
        let secs = Duration::from_secs;
        for (lease, settle, accepted) in [
            (300, 900, true),
            (2, 4, true),
            (300, 599, false),
            (300, 301, false),
            (0, 900, false),
            (2 * 24 * 3600, 5 * 24 * 3600, false),
            (60, 8 * 24 * 3600, false),
            (u64::MAX / 4, u64::MAX / 2, false),
        ] {
            let built = IntegrationConfig::builder()
                .sales_person("vef")
                .claim_lease(secs(lease))
                .settle_time(secs(settle))
                .build();
            assert_eq!(
                built.is_ok(),
                accepted,
                "lease {lease} s, settle {settle} s"
            );
        }
    }

    #[test]
    fn defaults_need_only_a_sales_person() {
        let config = IntegrationConfig::builder()
            .sales_person("vef")
            .build()
            .unwrap();
        assert!(
            config.transfer_customers() && config.transfer_projects() && config.transfer_invoices()
        );
        assert_eq!(config.sales_person().map(|s| s.as_str()), Some("vef"));
        assert_eq!(config.price_decimals(), 2);
        assert_eq!(config.concurrency(), 4);
        assert!(config.create_missing_products());
        assert!(config.payment_terms().is_empty());
        assert_eq!(
            config.item_code_fallback(),
            ItemCodeFallback::AccountVatCode
        );
    }

    #[test]
    fn invoices_without_sales_person_are_refused_at_build() {
        let err = IntegrationConfig::builder().build().unwrap_err();
        assert_eq!(err.problems(), &[ConfigProblem::SalesPersonMissing]);
        assert!(err.to_string().contains("sales person"));
    }

    #[test]
    fn sales_person_not_needed_without_invoices() {
        let config = IntegrationConfig::builder()
            .transfer_invoices(false)
            .build()
            .unwrap();
        assert!(config.sales_person().is_none());
    }

    #[test]
    fn every_problem_is_listed() {
        let err = IntegrationConfig::builder()
            .sales_person("  ")
            .error_email("not an address")
            .price_decimals(11)
            .concurrency(0)
            .payment_term(-1, "m30")
            .credit_note_text("Credit")
            .build()
            .unwrap_err();
        assert_eq!(
            err.problems(),
            &[
                ConfigProblem::SalesPersonBlank,
                ConfigProblem::ErrorEmailInvalid("not an address".into()),
                ConfigProblem::PriceDecimalsTooMany(11),
                ConfigProblem::ConcurrencyOutOfRange(0),
                ConfigProblem::PaymentTermInvalid {
                    credit_days: -1,
                    code: "m30".into()
                },
                ConfigProblem::CreditNoteTextWithoutPlaceholder,
            ]
        );
        assert_eq!(err.to_string().lines().count(), 7);
    }

    #[test]
    fn an_over_long_credit_note_text_is_refused() {
        let err = IntegrationConfig::builder()
            .sales_person("vef")
            .credit_note_text(format!(
                "{{original}}{}",
                "x".repeat(MAX_CREDIT_NOTE_TEXT_CHARS)
            ))
            .build()
            .unwrap_err();
        assert_eq!(
            err.problems(),
            &[ConfigProblem::CreditNoteTextTooLong(
                MAX_CREDIT_NOTE_TEXT_CHARS + 10
            )]
        );
    }

    #[test]
    fn all_off_is_refused() {
        let err = IntegrationConfig::builder()
            .transfer_customers(false)
            .transfer_projects(false)
            .transfer_invoices(false)
            .build()
            .unwrap_err();
        assert_eq!(err.problems(), &[ConfigProblem::NothingToTransfer]);
    }

    #[test]
    fn email_check_table() {
        for (address, ok) in [
            ("bokhald@firma.is", true),
            ("a.b+c@sub.example.com", true),
            ("no-at.example.com", false),
            ("two@@example.com", false),
            ("@example.com", false),
            ("x@localhost", false),
            ("x@.is", false),
            ("x y@firma.is", false),
        ] {
            assert_eq!(looks_like_email(address), ok, "{address}");
        }
    }

    #[test]
    fn sales_person_is_trimmed_and_concurrency_bounds() {
        let config = IntegrationConfig::builder()
            .sales_person(" 12 ")
            .concurrency(MAX_CONCURRENCY)
            .build()
            .unwrap();
        assert_eq!(config.sales_person().map(|s| s.as_str()), Some("12"));
        let err = IntegrationConfig::builder()
            .sales_person("12")
            .concurrency(MAX_CONCURRENCY + 1)
            .build()
            .unwrap_err();
        assert_eq!(
            err.problems(),
            &[ConfigProblem::ConcurrencyOutOfRange(MAX_CONCURRENCY + 1)]
        );
    }

    #[test]
    fn the_configuration_reads_from_a_file_with_the_builders_names_and_defaults() {
        let config: IntegrationConfig = serde_json::from_str(
            r#"{
                "sales_person": "vef",
                "transfer_projects": false,
                "item_code_fallback": "account_vat_code_then_revenue_class",
                "new_product_item_class": "StockItem",
                "town_line": "not_sent",
                "text_limits": { "line_text": 60 },
                "payment_terms": { "30": "m30", "14": "m14" },
                "total_mismatch": "warn",
                "notify_warnings": false
            }"#,
        )
        .unwrap();
        assert!(!config.transfer_projects() && config.transfer_invoices());
        assert_eq!(
            config.item_code_fallback(),
            ItemCodeFallback::AccountVatCodeThenRevenueClass
        );
        assert_eq!(config.new_product_item_class(), Some(&ItemClass::StockItem));
        assert_eq!(config.town_line(), TownLine::NotSent);
        assert_eq!(config.text_limits().line_text, 60);
        assert_eq!(config.text_limits().customer_name, 40);
        assert_eq!(
            config.payment_terms().get(&30).map(String::as_str),
            Some("m30")
        );
        assert_eq!(config.total_mismatch(), TotalMismatch::Warn);
        assert!(!config.notify_warnings());
        assert_eq!(config.concurrency(), 4);
        // And back: what is written reads as the same configuration.
        let written = serde_json::to_string(&config).unwrap();
        let read: IntegrationConfig = serde_json::from_str(&written).unwrap();
        assert_eq!(read, config);
    }

    #[test]
    fn a_refused_configuration_file_lists_every_problem() {
        let error = serde_json::from_str::<IntegrationConfig>(
            r#"{ "concurrency": 0, "error_email": "not an address" }"#,
        )
        .unwrap_err()
        .to_string();
        for expected in [
            "no sales person is set",
            "concurrency is 0",
            "\"not an address\"",
        ] {
            assert!(
                error.contains(expected),
                "{expected:?} missing from {error}"
            );
        }
    }

    #[test]
    fn a_misspelt_key_or_value_is_refused_not_defaulted() {
        let misspelt = serde_json::from_str::<IntegrationConfig>(
            r#"{ "sales_person": "vef", "notify_warning": false }"#,
        )
        .unwrap_err()
        .to_string();
        assert!(misspelt.contains("notify_warning"), "{misspelt}");
        let class = serde_json::from_str::<IntegrationConfig>(
            r#"{ "sales_person": "vef", "new_product_item_class": "ServiceItm" }"#,
        )
        .unwrap_err()
        .to_string();
        assert!(class.contains("item class ServiceItm"), "{class}");
        let days = serde_json::from_str::<IntegrationConfig>(
            r#"{ "sales_person": "vef", "payment_terms": { "thirty": "m30" } }"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            days.contains("\"thirty\" is not a number of credit days"),
            "{days}"
        );
        let twice = serde_json::from_str::<IntegrationConfig>(
            r#"{ "sales_person": "vef", "payment_terms": { "30": "m30", " 30": "m31" } }"#,
        )
        .unwrap_err()
        .to_string();
        assert!(twice.contains("name 30 credit days twice"), "{twice}");
        // An item class DK+ numbers but this crate does not name is taken as given.
        let numbered: IntegrationConfig =
            serde_json::from_str(r#"{ "sales_person": "vef", "new_product_item_class": 3 }"#)
                .unwrap();
        assert!(matches!(
            numbered.new_product_item_class(),
            Some(ItemClass::Unknown(dkplus_client::EnumValue::Int(3)))
        ));
    }
}
