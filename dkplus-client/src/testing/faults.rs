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
mod latency_tests {
    use super::*;

    #[test]
    fn drawn_post_delays_have_the_asked_median_and_tail() {
        let mut draw = LatencyDraw::default();
        draw.set(Some(PostLatency {
            median: Duration::from_millis(150),
            p99: Duration::from_secs(2),
            seed: 7,
        }));
        let mut delays: Vec<Duration> = (0..20_000).filter_map(|_| draw.next()).collect();
        delays.sort();
        let median = delays[delays.len() / 2].as_secs_f64();
        let p99 = delays[delays.len() * 99 / 100].as_secs_f64();
        assert!((0.135..0.165).contains(&median), "median {median}");
        assert!((1.7..2.3).contains(&p99), "p99 {p99}");
        assert_eq!(draw.drawn, 20_000);
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

/// A latency with a slow tail for invoice posts: log-normal with the given median and 99th
/// percentile, drawn from a seeded generator (the same seed gives the same delays).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PostLatency {
    /// Half of the posts answer faster than this.
    pub median: Duration,
    /// 99 in 100 posts answer faster than this.
    pub p99: Duration,
    /// The generator's seed.
    pub seed: u64,
}

/// Draws [`PostLatency`] delays and adds up what it drew.
#[derive(Clone, Debug, Default)]
pub(crate) struct LatencyDraw {
    latency: Option<PostLatency>,
    state: u64,
    /// Every delay drawn so far, added up.
    pub(crate) total: Duration,
    /// How many were drawn.
    pub(crate) drawn: u64,
}

impl LatencyDraw {
    pub(crate) fn set(&mut self, latency: Option<PostLatency>) {
        self.state = latency.map_or(0, |l| l.seed);
        self.latency = latency;
        self.total = Duration::ZERO;
        self.drawn = 0;
    }

    /// A uniform number in (0, 1).
    fn uniform(&mut self) -> f64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// The next post's delay, when a distribution is set.
    pub(crate) fn next(&mut self) -> Option<Duration> {
        let latency = self.latency?;
        // Box–Muller: a standard normal from two uniforms.
        let (u1, u2) = (self.uniform(), self.uniform());
        let normal = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        let median = latency.median.as_secs_f64().max(1e-6);
        // The 99th percentile of a standard normal is 2.3263.
        let sigma = (latency.p99.as_secs_f64().max(median) / median).ln() / 2.326_348;
        let delay = Duration::from_secs_f64((median.ln() + sigma * normal).exp().min(3600.0));
        self.total += delay;
        self.drawn += 1;
        Some(delay)
    }
}
