//! The store contract, run against every store: in memory, a SQLite file and PostgreSQL. Each
//! behaviour the engine relies on is one test, run on the three.

mod stores;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use moment_dkplus_mapping::ObjectKind;
use moment_dkplus_mapping::store::{
    Claim, ClaimRequest, DigestItem, JobState, LedgerState, ObjectState, RunRecord, Scope, Seeding,
    Settlement, Store,
};
use stores::{ALL, Kind, open, unique_scope};

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_900_000_000 + seconds, 0).unwrap()
}

const LEASE: Duration = Duration::from_secs(60);

fn claim<'a>(reference: &'a str, owner: &'a str, now: i64) -> ClaimRequest<'a> {
    ClaimRequest {
        reference,
        moment_id: 7,
        owner,
        now: at(now),
        lease: LEASE,
        settle: Duration::from_secs(600),
    }
}

/// Runs `check` on every store kind with a fresh scope.
async fn on_every_store<F, Fut>(test: &str, check: F)
where
    F: Fn(Arc<dyn Store>, Scope, Kind) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for kind in ALL {
        let (store, _file) = open(kind, test).await;
        check(store, unique_scope(test), kind).await;
    }
}

#[tokio::test]
async fn a_claim_is_held_posted_once_and_recorded() {
    on_every_store("claim", |store, scope, kind| async move {
        assert_eq!(
            store.claim(&scope, &claim("1001", "a", 0)).await.unwrap(),
            Claim::Granted { previous: None },
            "{kind:?}"
        );
        assert!(
            matches!(
                store.claim(&scope, &claim("1001", "b", 10)).await.unwrap(),
                Claim::HeldElsewhere { .. }
            ),
            "{kind:?}"
        );
        assert!(
            !store
                .start_post(&scope, "1001", "b", at(11), LEASE)
                .await
                .unwrap()
        );
        assert!(
            store
                .start_post(&scope, "1001", "a", at(12), LEASE)
                .await
                .unwrap()
        );
        // The post gets a fresh lease from when it starts.
        let posting = store.ledger_entry(&scope, "1001").await.unwrap().unwrap();
        assert_eq!(
            (posting.state, posting.lease_until),
            (LedgerState::Posting, Some(at(72))),
            "{kind:?}"
        );
        let posted = Settlement::Posted {
            dkplus_number: Some("100001".into()),
        };
        assert!(
            store
                .settle(&scope, "1001", "a", at(13), &posted)
                .await
                .unwrap()
        );
        let entry = store.ledger_entry(&scope, "1001").await.unwrap().unwrap();
        assert_eq!(entry.state, LedgerState::Posted, "{kind:?}");
        assert_eq!(entry.dkplus_number.as_deref(), Some("100001"));
        assert_eq!(entry.posts, 1);
        assert_eq!(entry.moment_id, Some(7));
        assert_eq!(
            store
                .claim(&scope, &claim("1001", "b", 1_000))
                .await
                .unwrap(),
            Claim::Posted {
                dkplus_number: Some("100001".into()),
                moment_id: Some(7)
            },
            "{kind:?}"
        );
        // Another scope is another company's books.
        let other = Scope::new(scope.moment_company.clone(), "another DK+ company");
        assert!(matches!(
            store
                .claim(&other, &claim("1001", "b", 1_000))
                .await
                .unwrap(),
            Claim::Granted { previous: None }
        ));
    })
    .await;
}

#[tokio::test]
async fn an_unclear_post_settles_before_it_is_claimed_again_or_a_person_releases_it() {
    on_every_store("settle", |store, scope, kind| async move {
        store.claim(&scope, &claim("2001", "a", 0)).await.unwrap();
        assert!(
            store
                .start_post(&scope, "2001", "a", at(5), LEASE)
                .await
                .unwrap()
        );
        let unknown = Settlement::OutcomeUnknown {
            error: "timed out".into(),
        };
        assert!(
            store
                .settle(&scope, "2001", "a", at(6), &unknown)
                .await
                .unwrap()
        );
        assert_eq!(
            store.claim(&scope, &claim("2001", "b", 300)).await.unwrap(),
            Claim::Settling {
                since: at(5),
                until: at(605)
            },
            "{kind:?}"
        );
        assert!(matches!(
            store.claim(&scope, &claim("2001", "b", 605)).await.unwrap(),
            Claim::Granted {
                previous: Some(LedgerState::OutcomeUnknown)
            }
        ));
        // A process killed while posting leaves the same: settle first.
        store.claim(&scope, &claim("2002", "a", 0)).await.unwrap();
        assert!(
            store
                .start_post(&scope, "2002", "a", at(1), LEASE)
                .await
                .unwrap()
        );
        assert!(matches!(
            store.claim(&scope, &claim("2002", "b", 61)).await.unwrap(),
            Claim::Settling { .. }
        ));
        // A person may release an unclear post.
        store.claim(&scope, &claim("2003", "a", 0)).await.unwrap();
        store
            .start_post(&scope, "2003", "a", at(1), LEASE)
            .await
            .unwrap();
        store
            .settle(&scope, "2003", "a", at(2), &unknown)
            .await
            .unwrap();
        assert!(
            store
                .confirm_not_posted(&scope, "2003", at(3))
                .await
                .unwrap()
        );
        assert!(
            !store
                .confirm_not_posted(&scope, "2003", at(4))
                .await
                .unwrap()
        );
        assert!(matches!(
            store.claim(&scope, &claim("2003", "b", 5)).await.unwrap(),
            Claim::Granted { .. }
        ));
    })
    .await;
}

#[tokio::test]
async fn a_seeded_ledger_knows_dkplus_invoices_and_leaves_claims_alone() {
    on_every_store("seed", |store, scope, kind| async move {
        store.claim(&scope, &claim("3002", "a", 0)).await.unwrap();
        let from_dkplus = vec![
            ("3001".to_owned(), Some("90001".to_owned())),
            ("3002".to_owned(), Some("90002".to_owned())),
        ];
        assert_eq!(
            store
                .seed_ledger(&scope, &from_dkplus, at(1), Seeding::Complete)
                .await
                .unwrap(),
            1,
            "{kind:?}"
        );
        assert_eq!(
            store
                .seed_ledger(&scope, &from_dkplus, at(2), Seeding::Complete)
                .await
                .unwrap(),
            0
        );
        let ledger = store.ledger(&scope).await.unwrap();
        let states: Vec<_> = ledger
            .iter()
            .map(|e| (e.reference.as_str(), e.state))
            .collect();
        assert_eq!(
            states,
            [
                ("3001", LedgerState::Posted),
                ("3002", LedgerState::Claimed)
            ],
            "{kind:?}"
        );
        // A scan of DK+'s recent invoices adds only what the ledger does not know.
        store
            .settle(
                &scope,
                "3002",
                "a",
                at(2),
                &Settlement::Failed {
                    error: "refused".into(),
                },
            )
            .await
            .unwrap();
        let recent = vec![
            ("3002".to_owned(), Some("90002".to_owned())),
            ("3003".to_owned(), Some("90003".to_owned())),
        ];
        assert_eq!(
            store
                .seed_ledger(&scope, &recent, at(3), Seeding::NewOnly)
                .await
                .unwrap(),
            1,
            "{kind:?}"
        );
        let states: Vec<_> = store
            .ledger(&scope)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.reference, e.state))
            .collect();
        assert_eq!(
            states,
            [
                ("3001".to_owned(), LedgerState::Posted),
                ("3002".to_owned(), LedgerState::Failed),
                ("3003".to_owned(), LedgerState::Posted)
            ],
            "{kind:?}"
        );
        assert_eq!(store.flag(&scope, "seeded").await.unwrap(), None);
        store.set_flag(&scope, "seeded", at(3)).await.unwrap();
        assert_eq!(store.flag(&scope, "seeded").await.unwrap(), Some(at(3)));
    })
    .await;
}

#[tokio::test]
async fn object_states_cursors_notifications_and_dkplus_facts_are_kept() {
    on_every_store("objects", |store, scope, kind| async move {
        let state = ObjectState {
            kind: ObjectKind::Customer,
            moment_id: 101,
            dkplus_key: Some("10001".into()),
            last_status: "created".into(),
            fingerprint: Some("abc".into()),
            last_error: None,
            next_attempt_at: Some(at(9)),
            updated_at: at(8),
        };
        store.record_object(&scope, &state).await.unwrap();
        assert_eq!(
            store
                .object_state(&scope, ObjectKind::Customer, 101)
                .await
                .unwrap(),
            Some(state.clone()),
            "{kind:?}"
        );
        assert_eq!(
            store
                .object_state(&scope, ObjectKind::Invoice, 101)
                .await
                .unwrap(),
            None
        );
        assert_eq!(store.cursor(&scope).await.unwrap(), None);
        store.set_cursor(&scope, at(100), true).await.unwrap();
        store.set_cursor(&scope, at(50), true).await.unwrap();
        assert_eq!(
            store.cursor(&scope).await.unwrap(),
            Some(at(100)),
            "{kind:?}"
        );
        store.set_cursor(&scope, at(50), false).await.unwrap();
        assert_eq!(store.cursor(&scope).await.unwrap(), Some(at(50)));
        assert_eq!(store.notified(&scope, "alert").await.unwrap(), None);
        store.mark_notified(&scope, "alert", at(7)).await.unwrap();
        assert_eq!(store.notified(&scope, "alert").await.unwrap(), Some(at(7)));
        assert_eq!(
            store.dkplus_fact(&scope, "customer:42").await.unwrap(),
            None
        );
        store
            .set_dkplus_fact(&scope, "customer:42", "v1;no_vat=false", at(8))
            .await
            .unwrap();
        store
            .set_dkplus_fact(&scope, "customer:42", "v2;no_vat=true", at(9))
            .await
            .unwrap();
        assert_eq!(
            store.dkplus_fact(&scope, "customer:42").await.unwrap(),
            Some(("v2;no_vat=true".to_owned(), at(9))),
            "{kind:?}"
        );
        let other = Scope::new(scope.moment_company.clone(), "another-dkplus");
        assert_eq!(
            store.dkplus_fact(&other, "customer:42").await.unwrap(),
            None
        );
    })
    .await;
}

#[tokio::test]
async fn a_job_goes_to_one_worker_is_retried_and_dead_lettered() {
    on_every_store("jobs", |store, scope, kind| async move {
        let lease = Duration::from_secs(150);
        let first = store.enqueue(&scope, "{\"a\":1}", at(0)).await.unwrap();
        let second = store.enqueue(&scope, "{\"b\":2}", at(1)).await.unwrap();
        let job = store
            .lease(&scope, "w1", at(2), lease)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((job.id, job.attempts), (first, 1), "{kind:?}");
        let next = store
            .lease(&scope, "w2", at(2), lease)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(next.id, second, "{kind:?}");
        assert_eq!(store.lease(&scope, "w3", at(3), lease).await.unwrap(), None);
        // w1 gives it back for later; only its holder may.
        assert!(!store.retry_job(first, "w2", at(100), "no").await.unwrap());
        assert!(
            store
                .retry_job(first, "w1", at(100), "DK+ down")
                .await
                .unwrap()
        );
        assert_eq!(
            store.lease(&scope, "w3", at(50), lease).await.unwrap(),
            None
        );
        let again = store
            .lease(&scope, "w3", at(100), lease)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((again.id, again.attempts), (first, 2));
        assert_eq!(again.last_error.as_deref(), Some("DK+ down"));
        // w2 dies: its lease runs out and another worker gets the job.
        let taken = store
            .lease(&scope, "w4", at(200), lease)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(taken.id, second, "{kind:?}");
        assert!(!store.complete(second, "w2", at(201)).await.unwrap());
        assert!(store.complete(second, "w4", at(201)).await.unwrap());
        assert!(
            store
                .dead_letter(first, "w3", "gave up", at(202))
                .await
                .unwrap()
        );
        assert_eq!(store.jobs(&scope, JobState::Done).await.unwrap().len(), 1);
        let dead = store.jobs(&scope, JobState::Dead).await.unwrap();
        assert_eq!((dead.len(), dead[0].payload.as_str()), (1, "{\"a\":1}"));
        assert_eq!(
            store.lease(&scope, "w5", at(10_000), lease).await.unwrap(),
            None
        );
        // Handled jobs are pruned once old; the dead letter stays for a person.
        assert_eq!(store.prune_jobs(&scope, at(201)).await.unwrap(), 0);
        assert_eq!(store.prune_jobs(&scope, at(300)).await.unwrap(), 1);
        assert!(store.jobs(&scope, JobState::Done).await.unwrap().is_empty());
        assert_eq!(store.jobs(&scope, JobState::Dead).await.unwrap().len(), 1);
        // A person hands the dead letter out again: counted from its first attempt, once.
        assert!(!store.requeue_dead(&scope, second, at(400)).await.unwrap());
        assert!(store.requeue_dead(&scope, first, at(400)).await.unwrap());
        assert!(!store.requeue_dead(&scope, first, at(400)).await.unwrap());
        assert!(
            !store
                .requeue_dead(&unique_scope("elsewhere"), first, at(400))
                .await
                .unwrap()
        );
        assert!(store.jobs(&scope, JobState::Dead).await.unwrap().is_empty());
        let again = store
            .lease(&scope, "w6", at(400), lease)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((again.id, again.attempts), (first, 1), "{kind:?}");
    })
    .await;
}

#[tokio::test]
async fn every_object_runs_and_digest_items_are_listed() {
    on_every_store("listing", |store, scope, kind| async move {
        for (id, updated) in [(1, 10), (2, 30), (3, 20)] {
            let state = ObjectState {
                kind: ObjectKind::Invoice,
                moment_id: id,
                dkplus_key: None,
                last_status: "needs_person".into(),
                fingerprint: None,
                last_error: Some("the customer has no kennitala: add it in Moment".into()),
                next_attempt_at: Some(at(updated)),
                updated_at: at(updated),
            };
            store.record_object(&scope, &state).await.unwrap();
        }
        let listed: Vec<i64> = store
            .objects(&scope)
            .await
            .unwrap()
            .iter()
            .map(|o| o.moment_id)
            .collect();
        assert_eq!(
            listed,
            [2, 3, 1],
            "{kind:?}: the most recently changed first"
        );
        assert!(
            store
                .objects(&unique_scope("other"))
                .await
                .unwrap()
                .is_empty()
        );

        let run = |started: i64, failed: usize| {
            let mut counts = moment_dkplus_mapping::sync::Counts::default();
            counts.failed = failed;
            RunRecord {
                started_at: at(started),
                finished_at: at(started + 5),
                counts,
                stopped: (failed > 1).then(|| "DK+ could not be reached".to_owned()),
                listing_failures: Vec::new(),
            }
        };
        store.record_run(&scope, &run(0, 0)).await.unwrap();
        store.record_run(&scope, &run(100, 2)).await.unwrap();
        store.record_run(&scope, &run(50, 1)).await.unwrap();
        let recent = store.recent_runs(&scope, 2).await.unwrap();
        assert_eq!(recent, vec![run(100, 2), run(50, 1)], "{kind:?}");
        // A run 31 days later forgets those older than 30 days.
        let later = 31 * 24 * 3600;
        store.record_run(&scope, &run(later, 0)).await.unwrap();
        assert_eq!(
            store.recent_runs(&scope, 10).await.unwrap(),
            vec![run(later, 0)],
            "{kind:?}"
        );

        let item = |key: &str, text: &str, t: i64| DigestItem {
            key: key.into(),
            text: text.into(),
            at: at(t),
        };
        store
            .add_digest_item(&scope, &item("b", "Íslenskt nafn vantar", 2))
            .await
            .unwrap();
        store
            .add_digest_item(&scope, &item("a", "first", 1))
            .await
            .unwrap();
        // A second note under the same key keeps the first.
        store
            .add_digest_item(&scope, &item("a", "second", 3))
            .await
            .unwrap();
        assert_eq!(
            store.digest_items(&scope).await.unwrap(),
            vec![item("a", "first", 1), item("b", "Íslenskt nafn vantar", 2)],
            "{kind:?}"
        );
        for key in [
            "open:invoice:7",
            "open:customer:3",
            "opened",
            "closed:invoice:7",
        ] {
            store.mark_notified(&scope, key, at(5)).await.unwrap();
        }
        let open: Vec<String> = store
            .notified_keys(&scope, "open:")
            .await
            .unwrap()
            .into_iter()
            .map(|(key, when)| {
                assert_eq!(when, at(5));
                key
            })
            .collect();
        assert_eq!(open, ["open:customer:3", "open:invoice:7"], "{kind:?}");
        // One claim of a key wins until the key is older than asked; a forgotten key is free.
        assert!(
            !store
                .claim_notified(&scope, "opened", at(9), at(5))
                .await
                .unwrap()
        );
        assert!(
            store
                .claim_notified(&scope, "opened", at(9), at(6))
                .await
                .unwrap()
        );
        assert_eq!(store.notified(&scope, "opened").await.unwrap(), Some(at(9)));
        assert!(
            store
                .claim_notified(&scope, "fresh", at(9), at(0))
                .await
                .unwrap()
        );
        assert!(
            !store
                .claim_notified(&scope, "fresh", at(10), at(0))
                .await
                .unwrap()
        );
        store.forget_notified(&scope, "fresh").await.unwrap();
        assert_eq!(store.notified(&scope, "fresh").await.unwrap(), None);
        assert!(
            store
                .claim_notified(&scope, "fresh", at(11), at(0))
                .await
                .unwrap()
        );
        store.clear_digest(&scope, &["a".to_owned()]).await.unwrap();
        assert_eq!(
            store.digest_items(&scope).await.unwrap(),
            vec![item("b", "Íslenskt nafn vantar", 2)]
        );
    })
    .await;
}

#[tokio::test]
async fn concurrent_claims_of_one_reference_grant_exactly_one() {
    // Many tasks (on PostgreSQL and SQLite: many connections) claim the same references at
    // once: each reference is granted to one of them.
    for kind in ALL {
        let (store, _file) = open(kind, "race").await;
        let scope = unique_scope("race");
        let mut tasks = Vec::new();
        for worker in 0..8 {
            let store = store.clone();
            let scope = scope.clone();
            tasks.push(tokio::spawn(async move {
                let owner = format!("w{worker}");
                let mut granted = Vec::new();
                for reference in 0..20 {
                    let reference = reference.to_string();
                    let request = ClaimRequest {
                        reference: &reference,
                        moment_id: 1,
                        owner: &owner,
                        now: Utc::now(),
                        lease: Duration::from_secs(60),
                        settle: Duration::from_secs(600),
                    };
                    if let Claim::Granted { .. } = store.claim(&scope, &request).await.unwrap() {
                        granted.push(reference);
                    }
                }
                granted
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        all.sort();
        let mut unique = all.clone();
        unique.dedup();
        assert_eq!(
            all.len(),
            20,
            "{kind:?}: every reference granted once: {all:?}"
        );
        assert_eq!(unique.len(), 20, "{kind:?}");
    }
}
