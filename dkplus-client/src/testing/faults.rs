//! Injected failures for the fake DK+.

use std::time::Duration;

pub use crate::shared::faults::Failure;
pub(crate) use crate::shared::faults::Fault;

/// What happens to the next invoice `POST` with
/// [`store_then_fail_next_invoice`](super::FakeDkPlus::store_then_fail_next_invoice): the invoice
/// is stored, and then the answer is lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterStore {
    /// The answer is held back this long (longer than the client's timeout → the client times out
    /// after DK+ stored the invoice).
    Delay(Duration),
    /// A gateway error with this status (502 or 504) is returned instead of the invoice.
    Status(u16),
}

/// Faults at random, at set rates, for long runs with many processes (see
/// [`set_chaos`](super::FakeDkPlus::set_chaos)). Rates are per thousand requests; the same `seed`
/// gives the same sequence of rolls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Chaos {
    /// Seeds the rolls.
    pub seed: u64,
    /// Requests answered `503 Service Unavailable` without being handled, per thousand.
    pub server_errors: u16,
    /// Requests answered `429 Too Many Requests` (`Retry-After: 1`) without being handled, per
    /// thousand.
    pub rate_limited: u16,
    /// Invoice `POST`s that are stored (with a number) and then answered `502 Bad Gateway`, as
    /// when the connection drops after DK+ booked the invoice, per thousand.
    pub lost_invoice_answers: u16,
}

/// How many faults [`Chaos`] caused so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ChaosCounts {
    /// Requests answered 503.
    pub server_errors: u64,
    /// Requests answered 429.
    pub rate_limited: u64,
    /// Invoices stored whose answer was lost.
    pub lost_invoice_answers: u64,
}

impl ChaosCounts {
    /// All faults together.
    pub fn total(&self) -> u64 {
        self.server_errors + self.rate_limited + self.lost_invoice_answers
    }
}

/// The state of the rolls: a SplitMix64 sequence (small, fast, and the same for the same seed).
#[derive(Debug, Clone, Default)]
pub(crate) struct Dice {
    chaos: Option<Chaos>,
    state: u64,
    pub(crate) counts: ChaosCounts,
}

/// Which fault a request meets before it is handled.
pub(crate) enum Roll {
    ServerError,
    RateLimited,
}

impl Dice {
    pub(crate) fn set(&mut self, chaos: Option<Chaos>) {
        self.state = chaos.map_or(0, |c| c.seed);
        self.chaos = chaos;
    }

    /// `true` with `per_mille` chances in a thousand.
    fn chance(&mut self, per_mille: u16) -> bool {
        if per_mille == 0 {
            return false;
        }
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        z % 1000 < u64::from(per_mille)
    }

    /// The fault a request meets before it is handled, if any.
    pub(crate) fn before(&mut self) -> Option<Roll> {
        let chaos = self.chaos?;
        if self.chance(chaos.server_errors) {
            self.counts.server_errors += 1;
            return Some(Roll::ServerError);
        }
        if self.chance(chaos.rate_limited) {
            self.counts.rate_limited += 1;
            return Some(Roll::RateLimited);
        }
        None
    }

    /// `true` when a stored invoice's answer is to be lost.
    pub(crate) fn lose_invoice_answer(&mut self) -> bool {
        let Some(chaos) = self.chaos else {
            return false;
        };
        let lost = self.chance(chaos.lost_invoice_answers);
        if lost {
            self.counts.lost_invoice_answers += 1;
        }
        lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rates_hold_over_many_rolls_and_a_seed_repeats_itself() {
        let chaos = Chaos {
            seed: 7,
            server_errors: 100,
            rate_limited: 50,
            lost_invoice_answers: 200,
        };
        let roll = || {
            let mut dice = Dice::default();
            dice.set(Some(chaos));
            for _ in 0..10_000 {
                dice.before();
                dice.lose_invoice_answer();
            }
            dice.counts
        };
        let counts = roll();
        assert_eq!(counts, roll(), "the same seed, the same faults");
        assert!((900..1100).contains(&counts.server_errors), "{counts:?}");
        // Rolled only for the 90 % that did not meet a server error.
        assert!((380..520).contains(&counts.rate_limited), "{counts:?}");
        assert!(
            (1850..2150).contains(&counts.lost_invoice_answers),
            "{counts:?}"
        );
        let mut off = Dice::default();
        off.set(None);
        assert!(off.before().is_none() && !off.lose_invoice_answer());
    }
}
