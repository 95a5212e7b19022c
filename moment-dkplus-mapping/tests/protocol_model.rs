//! An exhaustive check of the invoice ledger's protocol — claim → look up → post → record →
//! settle — over the real functions of `store::ledger`.
//!
//! A model of two or three processes handling one invoice explores **every** interleaving of
//! their steps (breadth first, each state once), with:
//! - a crash of any process at any step (it restarts under a new owner id and starts over);
//! - every post's answer lost, or late (DK+ books the post at any moment until the poster stops
//!   waiting, plus a processing delay), and every booked invoice shown in look-ups only some
//!   time after it was booked;
//! - time advancing between any two steps, so leases run out and settle times pass anywhere.
//!
//! Each store call is one atomic step, as each is one transaction in the real stores. In every
//! reachable state DK+ holds the invoice at most once and the ledger never says "posted" for an
//! invoice DK+ does not hold; from every end state a fault-free run later books it, so exactly one
//! copy is in DK+ and the ledger has its number. A second check shows the model can fail: with a
//! settle time too short for DK+'s delays it finds the duplicate.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use chrono::{DateTime, Utc};
use moment_dkplus_mapping::store::ledger::{self, Claim, ClaimRequest, Settlement};
use moment_dkplus_mapping::store::{LedgerEntry, LedgerState};

const REFERENCE: &str = "1001";

/// The timing of one model, in ticks (a tick is a second of the real stores' clocks).
#[derive(Clone, Copy, Debug)]
struct Timing {
    /// How long a claim, and a post, holds.
    lease: u32,
    /// How long an unclear post waits before it is looked up again.
    settle: u32,
    /// How long after the poster stops waiting DK+ may still book the post.
    processing: u32,
    /// How long after booking an invoice shows in look-ups.
    visibility: u32,
}

/// What a model explores.
#[derive(Clone, Copy, Debug)]
struct Bounds {
    processes: usize,
    /// Crashes in one execution, of any process at any step (each followed by a restart).
    crashes: u8,
    /// Runs per process life that end in "try again later".
    attempts: u8,
    /// The last tick explored.
    horizon: u32,
}

fn at(tick: u32) -> DateTime<Utc> {
    DateTime::from_timestamp(1_900_000_000 + i64::from(tick), 0).unwrap_or_default()
}

fn secs(ticks: u32) -> Duration {
    Duration::from_secs(u64::from(ticks))
}

/// Where a process is in its handling of the invoice (the engine's order). Each step is one
/// store call or one DK+ request; a purely local step is merged into the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Pc {
    /// Reads the ledger (posted → done) and looks DK+ up before claiming (found → noted in
    /// the ledger, done).
    Start,
    /// Claims the reference.
    Claim,
    /// Under the claim, looks DK+ up: found → recorded, done.
    Lookup,
    /// Records that the post goes out and sends it; DK+ may book it at any moment until the
    /// post's lease has run out plus DK+'s processing delay (a late send is a late booking).
    Post,
    /// Waits for the answer (until its lease runs out).
    Await,
    /// No clear answer: looks DK+ up and records what it finds.
    Reconcile,
    /// Finished (done, or gave up for a later run).
    Done,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Process {
    pc: Pc,
    /// Which life of the process (a restart after a crash is a new owner).
    life: u8,
    attempts: u8,
    /// The id of its post under way.
    post: Option<u8>,
}

impl Process {
    fn owner(&self, index: usize) -> String {
        format!("p{index}.{}", self.life)
    }
}

/// A post sent to DK+ and not yet settled there.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Post {
    id: u8,
    /// The poster stops waiting then (the start of the post plus its lease).
    deadline: u32,
    /// DK+ may book it until then (the deadline plus its processing delay).
    bookable_until: u32,
    /// DK+'s number once booked.
    booked: Option<u32>,
    /// Whether a process still waits for its answer.
    awaited: bool,
}

/// A booked invoice in DK+.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Booked {
    number: u32,
    visible_at: u32,
}

/// The steps that led to a state, newest first (for the report of a violation).
#[derive(Debug)]
struct Step {
    what: String,
    before: Trail,
}

type Trail = Option<std::rc::Rc<Step>>;

fn trail_text(trail: &Trail) -> String {
    let mut steps = Vec::new();
    let mut at = trail.clone();
    while let Some(step) = at {
        steps.push(step.what.clone());
        at = step.before.clone();
    }
    steps.reverse();
    steps.join("\n  ")
}

#[derive(Clone, Debug)]
struct World {
    trail: Trail,
    clock: u32,
    processes: Vec<Process>,
    ledger: Option<LedgerEntry>,
    dkplus: Vec<Booked>,
    posts: Vec<Post>,
    next_post: u8,
    next_number: u32,
}

/// What identifies a state (the ledger entry by its fields).
type Key = (
    u32,
    Vec<Process>,
    Option<(
        String,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<i64>,
        u32,
    )>,
    Vec<Booked>,
    Vec<Post>,
    u32,
);

impl World {
    fn new(processes: usize) -> Self {
        Self {
            trail: None,
            clock: 0,
            processes: vec![
                Process {
                    pc: Pc::Start,
                    life: 0,
                    attempts: 0,
                    post: None,
                };
                processes
            ],
            ledger: None,
            dkplus: Vec::new(),
            posts: Vec::new(),
            next_post: 0,
            next_number: 100_001,
        }
    }

    fn key(&self) -> Key {
        (
            self.clock,
            self.processes.clone(),
            self.ledger.as_ref().map(|e| {
                (
                    e.state.key().to_owned(),
                    e.owner.clone(),
                    e.dkplus_number.clone(),
                    e.lease_until.map(|t| t.timestamp()),
                    e.posting_at.map(|t| t.timestamp()),
                    e.posts,
                )
            }),
            self.dkplus.clone(),
            self.posts.clone(),
            self.next_number,
        )
    }

    /// What a look-up by reference shows now.
    fn visible(&self) -> Option<u32> {
        self.dkplus
            .iter()
            .find(|b| b.visible_at <= self.clock)
            .map(|b| b.number)
    }

    fn request<'a>(&self, owner: &'a str, timing: Timing) -> ClaimRequest<'a> {
        ClaimRequest {
            reference: REFERENCE,
            moment_id: 501,
            owner,
            now: at(self.clock),
            lease: secs(timing.lease),
            settle: secs(timing.settle),
        }
    }

    /// Records a settlement as the store does (refused → nothing written).
    fn settle(&mut self, owner: &str, settlement: &Settlement) {
        if let Some(entry) = &self.ledger
            && let Ok(next) = ledger::settle(entry, owner, at(self.clock), settlement)
        {
            self.ledger = Some(next);
        }
    }

    /// The run ends with "try again later": another run of the same life, or give up.
    fn retry(&mut self, index: usize, bounds: Bounds) {
        let process = &mut self.processes[index];
        process.attempts += 1;
        process.pc = if process.attempts < bounds.attempts {
            Pc::Start
        } else {
            Pc::Done
        };
    }

    /// One step of process `index` (deterministic given the world, except for `Await`, whose
    /// two ways are separate steps).
    fn step(&self, index: usize, timing: Timing, bounds: Bounds) -> Vec<World> {
        let mut next = self.clone();
        let process = self.processes[index].clone();
        let owner = process.owner(index);
        let go = |w: &mut World, pc: Pc| w.processes[index].pc = pc;
        match process.pc {
            Pc::Done => return Vec::new(),
            Pc::Start => {
                let posted = self
                    .ledger
                    .as_ref()
                    .is_some_and(|e| e.state == LedgerState::Posted);
                match self.visible() {
                    _ if posted => go(&mut next, Pc::Done),
                    Some(number) => {
                        if let Some(seeded) = ledger::seeded(
                            self.ledger.as_ref(),
                            REFERENCE,
                            Some(&number.to_string()),
                            at(self.clock),
                        ) {
                            next.ledger = Some(seeded);
                        }
                        go(&mut next, Pc::Done);
                    }
                    None => go(&mut next, Pc::Claim),
                }
            }
            Pc::Claim => {
                let (answer, write) =
                    ledger::claim(self.ledger.as_ref(), &self.request(&owner, timing));
                if let Some(entry) = write {
                    next.ledger = Some(entry);
                }
                match answer {
                    Claim::Granted { .. } => go(&mut next, Pc::Lookup),
                    Claim::Posted { .. } => go(&mut next, Pc::Done),
                    _ => next.retry(index, bounds),
                }
            }
            Pc::Lookup => match self.visible() {
                Some(number) => {
                    next.settle(
                        &owner,
                        &Settlement::Posted {
                            dkplus_number: Some(number.to_string()),
                        },
                    );
                    go(&mut next, Pc::Done);
                }
                None => go(&mut next, Pc::Post),
            },
            Pc::Post => {
                // Within the horizon, so every post is settled in DK+ before it ends.
                let fits = self.clock + timing.lease + timing.processing < bounds.horizon;
                let started = self.ledger.as_ref().and_then(|e| {
                    ledger::start_post(e, &owner, at(self.clock), secs(timing.lease)).ok()
                });
                match started {
                    Some(entry) if fits => {
                        next.ledger = Some(entry);
                        let id = next.next_post;
                        next.next_post += 1;
                        next.posts.push(Post {
                            id,
                            deadline: self.clock + timing.lease,
                            bookable_until: self.clock + timing.lease + timing.processing,
                            booked: None,
                            awaited: true,
                        });
                        next.processes[index].post = Some(id);
                        go(&mut next, Pc::Await);
                    }
                    _ => next.retry(index, bounds),
                }
            }
            Pc::Await => {
                let post = self
                    .posts
                    .iter()
                    .find(|p| Some(p.id) == process.post)
                    .cloned();
                let mut ways = Vec::new();
                // The answer arrives: booked, and still waited for.
                if let Some(post) = &post
                    && let Some(number) = post.booked
                    && self.clock <= post.deadline
                {
                    let mut answered = self.clone();
                    answered.settle(
                        &owner,
                        &Settlement::Posted {
                            dkplus_number: Some(number.to_string()),
                        },
                    );
                    answered.stop_awaiting(index);
                    answered.processes[index].pc = Pc::Done;
                    ways.push(answered);
                }
                // No clear answer (lost, an error, or the lease ran out): any time.
                let mut unclear = self.clone();
                unclear.stop_awaiting(index);
                unclear.processes[index].pc = Pc::Reconcile;
                ways.push(unclear);
                return ways;
            }
            Pc::Reconcile => match self.visible() {
                Some(number) => {
                    next.settle(
                        &owner,
                        &Settlement::Posted {
                            dkplus_number: Some(number.to_string()),
                        },
                    );
                    go(&mut next, Pc::Done);
                }
                None => {
                    next.settle(
                        &owner,
                        &Settlement::OutcomeUnknown {
                            error: "no clear answer".into(),
                        },
                    );
                    next.retry(index, bounds);
                }
            },
        }
        vec![next]
    }

    fn stop_awaiting(&mut self, index: usize) {
        let id = self.processes[index].post.take();
        for post in &mut self.posts {
            if Some(post.id) == id {
                post.awaited = false;
            }
        }
        self.forget_settled_posts();
    }

    /// Posts DK+ booked and nobody waits for, and posts DK+ can no longer book, are done.
    fn forget_settled_posts(&mut self) {
        let clock = self.clock;
        self.posts
            .retain(|p| p.awaited || p.booked.is_none() && clock <= p.bookable_until);
    }

    /// Notes a step on the trail.
    fn noted(mut self, what: String) -> Self {
        self.trail = Some(std::rc::Rc::new(Step {
            what: format!("t={} {what}", self.clock),
            before: self.trail.take(),
        }));
        self
    }

    /// Every state one step away.
    fn successors(&self, timing: Timing, bounds: Bounds) -> Vec<World> {
        let mut out = Vec::new();
        for index in 0..self.processes.len() {
            let pc = self.processes[index].pc;
            out.extend(self.step(index, timing, bounds).into_iter().map(|w| {
                let what = format!(
                    "p{index} {pc:?} → {:?}; ledger {:?}",
                    w.processes[index].pc,
                    w.ledger.as_ref().map(|e| (
                        e.state,
                        e.owner.clone(),
                        e.lease_until.map(|t| t.timestamp() - 1_900_000_000),
                        e.posting_at.map(|t| t.timestamp() - 1_900_000_000)
                    ))
                );
                w.noted(what)
            }));
            // A crash at this step: the process restarts under a new owner id.
            let process = &self.processes[index];
            let crashed_so_far: u8 = self.processes.iter().map(|p| p.life).sum();
            if process.pc != Pc::Done && crashed_so_far < bounds.crashes {
                let mut crashed = self.clone();
                crashed.stop_awaiting(index);
                let p = &mut crashed.processes[index];
                p.pc = Pc::Start;
                p.life += 1;
                p.attempts = 0;
                out.push(crashed.noted(format!("p{index} crashes")));
            }
        }
        // DK+ books a post, at any moment until it can no longer.
        for (i, post) in self.posts.iter().enumerate() {
            if post.booked.is_none() && self.clock <= post.bookable_until {
                let mut booked = self.clone();
                let number = booked.next_number;
                booked.next_number += 1;
                booked.dkplus.push(Booked {
                    number,
                    visible_at: self.clock + timing.visibility,
                });
                booked.posts[i].booked = Some(number);
                booked.forget_settled_posts();
                out.push(booked.noted(format!("DK+ books post {} as {number}", post.id)));
            }
        }
        // Time passes.
        if self.clock < bounds.horizon {
            let mut later = self.clone();
            later.clock += 1;
            later.forget_settled_posts();
            out.push(later.noted("tick".into()));
        }
        out
    }

    /// Nothing left to happen: every process finished and DK+ has settled every post.
    fn is_end(&self) -> bool {
        self.processes.iter().all(|p| p.pc == Pc::Done) && self.posts.is_empty()
    }

    /// Something wrong with this state.
    fn violation(&self) -> Option<String> {
        if self.dkplus.len() > 1 {
            return Some(format!("DK+ holds the invoice {} times", self.dkplus.len()));
        }
        if let Some(entry) = &self.ledger
            && entry.state == LedgerState::Posted
        {
            let number = entry.dkplus_number.as_deref();
            if !self
                .dkplus
                .iter()
                .any(|b| Some(b.number.to_string().as_str()) == number)
            {
                return Some(format!(
                    "the ledger says posted as {number:?}, DK+ does not hold it"
                ));
            }
        }
        None
    }

    /// A fault-free run long after the end: the invoice ends in DK+ exactly once, with its
    /// number in the ledger.
    fn clean_run(mut self, timing: Timing) -> Result<(), String> {
        self.clock += timing.settle + timing.lease + timing.processing + timing.visibility + 1;
        self.posts.clear();
        let owner = "clean";
        for _ in 0..3 {
            if self
                .ledger
                .as_ref()
                .is_some_and(|e| e.state == LedgerState::Posted)
            {
                break;
            }
            if let Some(number) = self.visible() {
                if let Some(seeded) = ledger::seeded(
                    self.ledger.as_ref(),
                    REFERENCE,
                    Some(&number.to_string()),
                    at(self.clock),
                ) {
                    self.ledger = Some(seeded);
                }
                continue;
            }
            let (answer, write) = ledger::claim(self.ledger.as_ref(), &self.request(owner, timing));
            if let Some(entry) = write {
                self.ledger = Some(entry);
            }
            if !matches!(answer, Claim::Granted { .. }) {
                return Err(format!("the clean run could not claim: {answer:?}"));
            }
            let entry = self.ledger.clone().unwrap_or_else(|| unreachable!());
            let posting = ledger::start_post(&entry, owner, at(self.clock), secs(timing.lease))
                .map_err(|e| e.to_string())?;
            self.ledger = Some(posting);
            let number = self.next_number;
            self.next_number += 1;
            self.dkplus.push(Booked {
                number,
                visible_at: self.clock,
            });
            self.settle(
                owner,
                &Settlement::Posted {
                    dkplus_number: Some(number.to_string()),
                },
            );
        }
        match (&self.dkplus[..], &self.ledger) {
            ([one], Some(entry))
                if entry.state == LedgerState::Posted
                    && entry.dkplus_number == Some(one.number.to_string()) =>
            {
                Ok(())
            }
            (dkplus, entry) => Err(format!(
                "after a clean run DK+ holds {dkplus:?} and the ledger {entry:?}"
            )),
        }
    }
}

/// What an exploration found.
#[derive(Debug)]
struct Explored {
    states: usize,
    ends: usize,
    /// The first violation, with the steps' states that led there (the last one first).
    violation: Option<String>,
}

/// A state's key as 128 bits (two independent 64-bit hashes): the visited set stays small, and
/// two of some ten million states share one with a chance far below one in a billion.
fn fingerprint(key: &Key) -> u128 {
    use std::hash::{BuildHasher, Hash, Hasher};
    let hash = |salt: u8| {
        let mut hasher =
            std::hash::BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default()
                .build_hasher();
        salt.hash(&mut hasher);
        key.hash(&mut hasher);
        hasher.finish()
    };
    (u128::from(hash(1)) << 64) | u128::from(hash(2))
}

fn explore(timing: Timing, bounds: Bounds) -> Explored {
    let start = World::new(bounds.processes);
    let mut seen: HashSet<u128> = HashSet::new();
    let mut queue = VecDeque::from([start]);
    let mut ends = 0;
    while let Some(world) = queue.pop_front() {
        if !seen.insert(fingerprint(&world.key())) {
            continue;
        }
        if let Some(problem) = world.violation() {
            return Explored {
                states: seen.len(),
                ends,
                violation: Some(format!("{problem} after\n  {}", trail_text(&world.trail))),
            };
        }
        if world.is_end() {
            ends += 1;
            if let Err(problem) = world.clone().clean_run(timing) {
                return Explored {
                    states: seen.len(),
                    ends,
                    violation: Some(format!(
                        "{problem}; end state after\n  {}",
                        trail_text(&world.trail)
                    )),
                };
            }
        }
        for next in world.successors(timing, bounds) {
            if !seen.contains(&fingerprint(&next.key())) {
                queue.push_back(next);
            }
        }
    }
    Explored {
        states: seen.len(),
        ends,
        violation: None,
    }
}

/// The production relation: the settle time exceeds the lease by more than DK+ takes to book
/// a post it got late and to show it.
const SOUND: Timing = Timing {
    lease: 1,
    settle: 3,
    processing: 1,
    visibility: 1,
};

#[test]
fn two_processes_never_post_an_invoice_twice_or_lose_it_in_any_interleaving() {
    let bounds = Bounds {
        processes: 2,
        crashes: 2,
        attempts: 3,
        horizon: 9,
    };
    let explored = explore(SOUND, bounds);
    assert_eq!(explored.violation, None);
    assert!(explored.ends > 0);
    println!(
        "protocol model: 2 processes, {} states, {} end states, 0 duplicates, 0 lost",
        explored.states, explored.ends
    );
}

#[test]
fn three_processes_never_post_an_invoice_twice_or_lose_it_in_any_interleaving() {
    let bounds = Bounds {
        processes: 3,
        crashes: 1,
        attempts: 2,
        horizon: 6,
    };
    let explored = explore(SOUND, bounds);
    assert_eq!(explored.violation, None);
    assert!(explored.ends > 0);
    println!(
        "protocol model: 3 processes, {} states, {} end states, 0 duplicates, 0 lost",
        explored.states, explored.ends
    );
}

#[test]
fn a_settle_time_too_short_for_dkplus_delays_is_found_to_post_twice() {
    // settle − lease = 1 tick, but DK+ may book a post 1 tick after its poster stopped waiting
    // and show it 1 tick later: the model must find the duplicate.
    let short = Timing { settle: 2, ..SOUND };
    let bounds = Bounds {
        processes: 2,
        crashes: 1,
        attempts: 3,
        horizon: 10,
    };
    let explored = explore(short, bounds);
    let violation = explored.violation.expect("the model found no duplicate");
    assert!(
        violation.starts_with("DK+ holds the invoice 2 times"),
        "{violation}"
    );
}
