//! The invoice ledger and its protocol: claim → look up → post → record → settle.
//!
//! Every store keeps one [`LedgerEntry`] per invoice reference (Moment's invoice number, sent to
//! DK+ as `Reference`) and changes it only through the pure functions of this module, inside one
//! transaction each — the in-memory store under a lock, SQLite in an immediate transaction,
//! PostgreSQL with the row locked. So every store follows exactly the rules below, and the model
//! check (`tests/protocol_model.rs`) explores these same functions.
//!
//! 1. **Claim** ([`claim`]). Before the look-up and the post, a process claims the reference for
//!    a lease. A posted invoice is never claimed again; a reference another process holds is left
//!    to it; an invoice whose post had no clear answer is left alone until the settle time has
//!    passed since that post.
//! 2. **Look up** the invoice in DK+ by reference — always, after every claim, so a crashed owner's
//!    post or another writer's is found before anything is sent.
//! 3. **Post**, after recording that the post is about to be sent ([`start_post`]), which gives
//!    the post a fresh lease: the poster sends nothing after it runs out. A process whose lease
//!    ran out before is refused and sends nothing; a claim taken over from a process that
//!    crashed while posting counts as an unclear post and waits for the settle time, counted
//!    from when the post started. So between the last moment the crashed post can reach DK+
//!    and the next look-up lie at least `settle − lease`: that must exceed the time DK+ takes
//!    to show a booked invoice.
//! 4. **Record** what DK+ answered ([`settle`]): posted with its number; outcome unknown (waits for
//!    the settle time, then is looked up again and posted only if DK+ still does not show it);
//!    failed (nothing reached DK+); needs a person (DK+ holds something else under the
//!    reference). A posted invoice is recorded whoever holds the claim: DK+ has it.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where an invoice stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LedgerState {
    /// A process holds the reference; it has not sent the post (yet).
    Claimed,
    /// A process holds the reference and may have sent the post.
    Posting,
    /// In DK+, with its DK+ number.
    Posted,
    /// The post was sent and no clear answer came back, and DK+ did not show it: it is looked
    /// up again once the settle time has passed, and posted only if it is still missing.
    OutcomeUnknown,
    /// Not in DK+; the last attempt failed before anything reached DK+. The next run tries again.
    Failed,
    /// DK+ holds something under the reference that is not this invoice, or holds it twice or
    /// changed: a person must look. Each run checks again (the person may have fixed DK+).
    NeedsPerson,
}

impl LedgerState {
    /// The stable machine key (`claimed`, `posting`, `posted`, `outcome_unknown`, `failed`,
    /// `needs_person`), as stored.
    pub fn key(self) -> &'static str {
        match self {
            Self::Claimed => "claimed",
            Self::Posting => "posting",
            Self::Posted => "posted",
            Self::OutcomeUnknown => "outcome_unknown",
            Self::Failed => "failed",
            Self::NeedsPerson => "needs_person",
        }
    }

    /// The state of a stored key.
    pub fn from_key(key: &str) -> Option<Self> {
        Some(match key {
            "claimed" => Self::Claimed,
            "posting" => Self::Posting,
            "posted" => Self::Posted,
            "outcome_unknown" => Self::OutcomeUnknown,
            "failed" => Self::Failed,
            "needs_person" => Self::NeedsPerson,
            _ => return None,
        })
    }
}

impl fmt::Display for LedgerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// One invoice in the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// Moment's invoice number, DK+'s `Reference`.
    pub reference: String,
    /// Moment's id of the invoice, when known (not for entries seeded from DK+).
    pub moment_id: Option<i64>,
    /// Where it stands.
    pub state: LedgerState,
    /// DK+'s invoice number, once posted.
    pub dkplus_number: Option<String>,
    /// Who holds the claim (a process's owner id), while claimed or posting.
    pub owner: Option<String>,
    /// Until when the claim holds; a claim whose lease ran out may be taken over.
    pub lease_until: Option<DateTime<Utc>>,
    /// When the post was last sent: the settle time of an unclear post counts from here.
    pub posting_at: Option<DateTime<Utc>>,
    /// How many posts were sent for it.
    pub posts: u32,
    /// The last failure, in words.
    pub last_error: Option<String>,
    /// When the entry last changed.
    pub updated_at: DateTime<Utc>,
}

impl LedgerEntry {
    /// A new entry, as a claim or a seed writes it.
    pub fn new(reference: impl Into<String>, state: LedgerState, now: DateTime<Utc>) -> Self {
        Self {
            reference: reference.into(),
            moment_id: None,
            state,
            dkplus_number: None,
            owner: None,
            lease_until: None,
            posting_at: None,
            posts: 0,
            last_error: None,
            updated_at: now,
        }
    }
}

/// What a process asks for when it claims a reference.
#[derive(Clone, Debug)]
pub struct ClaimRequest<'a> {
    /// The reference.
    pub reference: &'a str,
    /// Moment's id of the invoice.
    pub moment_id: i64,
    /// The claiming process's owner id.
    pub owner: &'a str,
    /// Now, by the claiming process's clock.
    pub now: DateTime<Utc>,
    /// How long the claim holds.
    pub lease: Duration,
    /// How long an unclear post is left alone before it is looked up again.
    pub settle: Duration,
}

/// The answer to a claim.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// The claim is the caller's: look the invoice up, then post it if DK+ does not have it.
    Granted {
        /// Where it stood before (`None` for a new reference).
        previous: Option<LedgerState>,
    },
    /// The invoice is posted: nothing to do.
    Posted {
        /// Its DK+ number.
        dkplus_number: Option<String>,
        /// The Moment invoice it was posted for, when known (a reference seeded from DK+'s
        /// invoices has none): another Moment id means two Moment invoices share the number.
        moment_id: Option<i64>,
    },
    /// Another process holds the reference until then.
    HeldElsewhere {
        /// That process's owner id.
        owner: String,
        /// When its lease runs out.
        until: DateTime<Utc>,
    },
    /// A post of it had no clear answer; it is left alone until then.
    Settling {
        /// When that post was sent.
        since: DateTime<Utc>,
        /// When it is looked up again.
        until: DateTime<Utc>,
    },
}

/// What became of a claimed invoice, to record.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Settlement {
    /// DK+ has it (the post's answer, or a look-up found it).
    Posted {
        /// Its DK+ number.
        dkplus_number: Option<String>,
    },
    /// The post was sent and no clear answer came back, and a look-up did not show it.
    OutcomeUnknown {
        /// What happened.
        error: String,
    },
    /// Nothing reached DK+ (refused before or by DK+, or not attempted).
    Failed {
        /// What happened.
        error: String,
    },
    /// DK+ holds something else under the reference; a person must look.
    NeedsPerson {
        /// What DK+ holds.
        error: String,
    },
}

fn after(at: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    at + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX)
}

/// Decides a claim on `entry` (`None`: the reference is new) and returns the answer and, when
/// granted, the entry to write.
pub fn claim(
    entry: Option<&LedgerEntry>,
    request: &ClaimRequest<'_>,
) -> (Claim, Option<LedgerEntry>) {
    let granted = |previous: Option<&LedgerEntry>| {
        let mut next = previous.cloned().unwrap_or_else(|| {
            LedgerEntry::new(request.reference, LedgerState::Claimed, request.now)
        });
        next.moment_id = Some(request.moment_id);
        next.state = LedgerState::Claimed;
        next.owner = Some(request.owner.to_owned());
        next.lease_until = Some(after(request.now, request.lease));
        next.updated_at = request.now;
        (
            Claim::Granted {
                previous: previous.map(|e| e.state),
            },
            Some(next),
        )
    };
    let Some(entry) = entry else {
        return granted(None);
    };
    let held_by_other = entry.owner.as_deref().is_some_and(|o| o != request.owner)
        && entry.lease_until.is_some_and(|until| until > request.now);
    // A post with no clear answer — recorded as such, or left behind by a process that crashed
    // while posting — waits for the settle time, counted from when it was sent.
    let unclear_since = match entry.state {
        LedgerState::OutcomeUnknown => Some(entry.posting_at.unwrap_or(entry.updated_at)),
        LedgerState::Posting if !held_by_other => {
            Some(entry.posting_at.unwrap_or(entry.updated_at))
        }
        _ => None,
    };
    match entry.state {
        LedgerState::Posted => (
            Claim::Posted {
                dkplus_number: entry.dkplus_number.clone(),
                moment_id: entry.moment_id,
            },
            None,
        ),
        LedgerState::Claimed | LedgerState::Posting if held_by_other => (
            Claim::HeldElsewhere {
                owner: entry.owner.clone().unwrap_or_default(),
                until: entry.lease_until.unwrap_or(request.now),
            },
            None,
        ),
        _ => match unclear_since {
            Some(since) if after(since, request.settle) > request.now => (
                Claim::Settling {
                    since,
                    until: after(since, request.settle),
                },
                None,
            ),
            Some(_) => {
                // Settled: look it up again; as far as the ledger knows, it is not in DK+.
                let mut previous = entry.clone();
                previous.state = LedgerState::OutcomeUnknown;
                granted(Some(&previous))
            }
            None => granted(Some(entry)),
        },
    }
}

/// Why a recorded step was refused: the caller no longer holds the claim (its lease ran out and
/// another process took it over, or it was never its claim).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the claim on invoice reference {reference} is no longer held by this process")]
pub struct Fenced {
    /// The reference.
    pub reference: String,
}

/// Records that the post is about to be sent, and gives the post a fresh `lease`: the caller
/// sends nothing after `now + lease` (it stops waiting for DK+ then), so every send of this post
/// happens before the claim can be taken over. Refused unless `owner` holds an unexpired claim:
/// a process that lost its claim must not post.
///
/// # Errors
/// [`Fenced`] when the claim is not the caller's any more.
pub fn start_post(
    entry: &LedgerEntry,
    owner: &str,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<LedgerEntry, Fenced> {
    let holds = entry.state == LedgerState::Claimed
        && entry.owner.as_deref() == Some(owner)
        && entry.lease_until.is_some_and(|until| until > now);
    if !holds {
        return Err(Fenced {
            reference: entry.reference.clone(),
        });
    }
    let mut next = entry.clone();
    next.state = LedgerState::Posting;
    next.posting_at = Some(now);
    next.lease_until = Some(after(now, lease));
    next.posts = next.posts.saturating_add(1);
    next.updated_at = now;
    Ok(next)
}

/// Records what became of a claimed invoice and releases the claim. `Posted` is recorded
/// whoever holds the claim (DK+ has the invoice); anything else only by the claim's holder —
/// another holder's outcome is not overwritten.
///
/// # Errors
/// [`Fenced`] when the caller does not hold the claim (except for `Posted`).
pub fn settle(
    entry: &LedgerEntry,
    owner: &str,
    now: DateTime<Utc>,
    settlement: &Settlement,
) -> Result<LedgerEntry, Fenced> {
    let holder = matches!(entry.state, LedgerState::Claimed | LedgerState::Posting)
        && entry.owner.as_deref() == Some(owner);
    let mut next = entry.clone();
    next.updated_at = now;
    match settlement {
        Settlement::Posted { dkplus_number } => {
            next.state = LedgerState::Posted;
            next.dkplus_number = dkplus_number.clone().or(next.dkplus_number);
            next.last_error = None;
            if holder || entry.state != LedgerState::Posted {
                next.owner = None;
                next.lease_until = None;
            }
            return Ok(next);
        }
        _ if !holder => {
            return Err(Fenced {
                reference: entry.reference.clone(),
            });
        }
        Settlement::OutcomeUnknown { error } => {
            next.state = LedgerState::OutcomeUnknown;
            next.last_error = Some(error.clone());
        }
        Settlement::Failed { error } => {
            next.state = LedgerState::Failed;
            next.last_error = Some(error.clone());
        }
        Settlement::NeedsPerson { error } => {
            next.state = LedgerState::NeedsPerson;
            next.last_error = Some(error.clone());
        }
    }
    next.owner = None;
    next.lease_until = None;
    Ok(next)
}

/// A person confirms that an invoice with an unclear post is not in DK+: the next run posts it
/// (after looking it up once more) without waiting for the settle time. `None` when the entry
/// is not an unclear post.
pub fn confirm_not_posted(entry: &LedgerEntry, now: DateTime<Utc>) -> Option<LedgerEntry> {
    (entry.state == LedgerState::OutcomeUnknown).then(|| {
        let mut next = entry.clone();
        next.state = LedgerState::Failed;
        next.last_error = Some("a person confirmed that DK+ does not have it".to_owned());
        next.updated_at = now;
        next
    })
}

/// How DK+'s invoices are written into the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seeding {
    /// Going live, or an invoice found by its own look-up: every reference DK+ holds is posted
    /// ([`seeded`]).
    Complete,
    /// A scan of DK+'s recent invoices: only references the ledger does not know yet are added,
    /// so "not in the ledger" keeps meaning "not in DK+"; an entry already there keeps its
    /// state (its invoice is looked up on its own anyway).
    NewOnly,
}

impl Seeding {
    /// The entry to write for an invoice DK+ holds, given the ledger's entry.
    pub fn apply(
        self,
        entry: Option<&LedgerEntry>,
        reference: &str,
        dkplus_number: Option<&str>,
        now: DateTime<Utc>,
    ) -> Option<LedgerEntry> {
        match (self, entry) {
            (Self::NewOnly, Some(_)) => None,
            _ => seeded(entry, reference, dkplus_number, now),
        }
    }
}

/// The entry for an invoice DK+ already holds (seeding the ledger from DK+'s invoices before
/// the first post): posted, with its DK+ number. An existing entry is only completed.
pub fn seeded(
    entry: Option<&LedgerEntry>,
    reference: &str,
    dkplus_number: Option<&str>,
    now: DateTime<Utc>,
) -> Option<LedgerEntry> {
    match entry {
        Some(e) if e.state == LedgerState::Posted => None,
        // A process holds it right now: it looks DK+ up itself and records what it finds. (A
        // claim whose lease ran out was left by a process that stopped: DK+'s word counts.)
        Some(e)
            if matches!(e.state, LedgerState::Claimed | LedgerState::Posting)
                && e.lease_until.is_some_and(|until| until > now) =>
        {
            None
        }
        other => {
            let mut next = other
                .cloned()
                .unwrap_or_else(|| LedgerEntry::new(reference, LedgerState::Posted, now));
            next.state = LedgerState::Posted;
            next.dkplus_number = dkplus_number.map(str::to_owned);
            next.updated_at = now;
            Some(next)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap_or_default()
    }

    const LEASE: Duration = Duration::from_secs(60);

    fn request<'a>(owner: &'a str, now: i64) -> ClaimRequest<'a> {
        ClaimRequest {
            reference: "1001",
            moment_id: 501,
            owner,
            now: at(now),
            lease: Duration::from_secs(60),
            settle: Duration::from_secs(600),
        }
    }

    #[test]
    fn a_new_reference_is_granted_and_held_for_the_lease() {
        let (answer, entry) = claim(None, &request("a", 0));
        assert_eq!(answer, Claim::Granted { previous: None });
        let entry = entry.unwrap();
        assert_eq!(entry.state, LedgerState::Claimed);
        assert_eq!(entry.lease_until, Some(at(60)));
        // Another process is told to leave it, until the lease runs out.
        let (answer, write) = claim(Some(&entry), &request("b", 30));
        assert!(matches!(answer, Claim::HeldElsewhere { .. }), "{answer:?}");
        assert!(write.is_none());
        let (answer, _) = claim(Some(&entry), &request("b", 61));
        assert_eq!(
            answer,
            Claim::Granted {
                previous: Some(LedgerState::Claimed)
            }
        );
    }

    #[test]
    fn a_posted_invoice_is_never_claimed_again() {
        let entry = claim(None, &request("a", 0)).1.unwrap();
        let posting = start_post(&entry, "a", at(1), LEASE).unwrap();
        let posted = settle(
            &posting,
            "a",
            at(2),
            &Settlement::Posted {
                dkplus_number: Some("100001".into()),
            },
        )
        .unwrap();
        for owner in ["a", "b"] {
            assert_eq!(
                claim(Some(&posted), &request(owner, 10_000)).0,
                Claim::Posted {
                    dkplus_number: Some("100001".into()),
                    moment_id: Some(501)
                }
            );
        }
    }

    #[test]
    fn an_unclear_post_waits_for_the_settle_time_then_is_looked_up_again() {
        let entry = claim(None, &request("a", 0)).1.unwrap();
        let posting = start_post(&entry, "a", at(5), LEASE).unwrap();
        let unknown = settle(
            &posting,
            "a",
            at(40),
            &Settlement::OutcomeUnknown {
                error: "timed out".into(),
            },
        )
        .unwrap();
        assert_eq!(unknown.posting_at, Some(at(5)));
        let (answer, _) = claim(Some(&unknown), &request("b", 604));
        assert_eq!(
            answer,
            Claim::Settling {
                since: at(5),
                until: at(605)
            }
        );
        let (answer, write) = claim(Some(&unknown), &request("b", 605));
        assert_eq!(
            answer,
            Claim::Granted {
                previous: Some(LedgerState::OutcomeUnknown)
            }
        );
        assert_eq!(write.unwrap().posts, 1, "the earlier post is remembered");
    }

    #[test]
    fn a_process_that_crashed_while_posting_leaves_an_unclear_post() {
        let entry = claim(None, &request("a", 0)).1.unwrap();
        let posting = start_post(&entry, "a", at(10), LEASE).unwrap();
        // "a" is killed. While its lease (renewed when the post went out, so until 70)
        // holds, nobody touches it; after, it settles first.
        assert_eq!(posting.lease_until, Some(at(70)));
        assert!(matches!(
            claim(Some(&posting), &request("b", 69)).0,
            Claim::HeldElsewhere { .. }
        ));
        assert_eq!(
            claim(Some(&posting), &request("b", 71)).0,
            Claim::Settling {
                since: at(10),
                until: at(610)
            }
        );
        assert_eq!(
            claim(Some(&posting), &request("b", 610)).0,
            Claim::Granted {
                previous: Some(LedgerState::OutcomeUnknown)
            }
        );
    }

    #[test]
    fn a_process_whose_lease_ran_out_cannot_post_nor_overwrite_the_new_owner() {
        let entry = claim(None, &request("a", 0)).1.unwrap();
        let taken = claim(Some(&entry), &request("b", 61)).1.unwrap();
        assert!(start_post(&entry, "a", at(61), LEASE).is_err(), "expired");
        assert!(
            start_post(&taken, "a", at(62), LEASE).is_err(),
            "not its claim"
        );
        let failed = Settlement::Failed { error: "x".into() };
        assert!(settle(&taken, "a", at(62), &failed).is_err());
        // But what DK+ has is recorded whoever says so.
        let posted = settle(
            &taken,
            "a",
            at(62),
            &Settlement::Posted {
                dkplus_number: Some("7".into()),
            },
        )
        .unwrap();
        assert_eq!(posted.state, LedgerState::Posted);
    }

    #[test]
    fn failures_and_conflicts_are_claimed_again_by_the_next_run() {
        for settlement in [
            Settlement::Failed {
                error: "400".into(),
            },
            Settlement::NeedsPerson {
                error: "another invoice".into(),
            },
        ] {
            let entry = claim(None, &request("a", 0)).1.unwrap();
            let done = settle(&entry, "a", at(1), &settlement).unwrap();
            assert_eq!(done.owner, None);
            assert!(matches!(
                claim(Some(&done), &request("b", 2)).0,
                Claim::Granted { .. }
            ));
        }
    }

    #[test]
    fn a_person_can_release_an_unclear_post_and_seeds_never_hide_a_claim() {
        let entry = claim(None, &request("a", 0)).1.unwrap();
        let posting = start_post(&entry, "a", at(1), LEASE).unwrap();
        assert_eq!(seeded(Some(&posting), "1001", Some("9"), at(2)), None);
        // The poster stopped (its lease ran out) and DK+ shows the invoice: posted.
        let left = seeded(Some(&posting), "1001", Some("9"), at(62)).unwrap();
        assert_eq!(
            (left.state, left.dkplus_number.as_deref()),
            (LedgerState::Posted, Some("9"))
        );
        let unknown = settle(
            &posting,
            "a",
            at(2),
            &Settlement::OutcomeUnknown { error: "?".into() },
        )
        .unwrap();
        let released = confirm_not_posted(&unknown, at(3)).unwrap();
        assert!(matches!(
            claim(Some(&released), &request("b", 4)).0,
            Claim::Granted { .. }
        ));
        let from_dkplus = seeded(Some(&unknown), "1001", Some("9"), at(5)).unwrap();
        assert_eq!(from_dkplus.state, LedgerState::Posted);
        assert_eq!(
            LedgerState::from_key(LedgerState::NeedsPerson.key()),
            Some(LedgerState::NeedsPerson)
        );
    }
}
