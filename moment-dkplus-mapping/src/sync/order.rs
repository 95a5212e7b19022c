//! In-order posting: invoices of a backfill are prepared concurrently but posted one at a time
//! in Moment's invoice-number order, so DK+ (which numbers invoices as it receives them) numbers
//! them in the same order as Moment did.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

/// Hands out turns 0, 1, 2, … A turn ends when its holder finishes (posted or not); the next
/// turn starts when every earlier one has ended.
#[derive(Debug)]
pub(crate) struct Sequencer {
    state: Mutex<State>,
    next_tx: watch::Sender<u64>,
}

#[derive(Debug, Default)]
struct State {
    next: u64,
    finished_early: BTreeSet<u64>,
}

impl Sequencer {
    pub(crate) fn new() -> Arc<Self> {
        let (next_tx, _) = watch::channel(0);
        Arc::new(Self {
            state: Mutex::new(State::default()),
            next_tx,
        })
    }

    /// The turn of the `index`-th invoice; ends (at the latest) when dropped.
    pub(crate) fn turn(self: &Arc<Self>, index: u64) -> Turn {
        Turn {
            sequencer: self.clone(),
            index,
        }
    }

    fn finish(&self, index: u64) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if index < state.next {
            return;
        }
        state.finished_early.insert(index);
        loop {
            let next = state.next;
            if !state.finished_early.remove(&next) {
                break;
            }
            state.next = next + 1;
        }
        self.next_tx.send_replace(state.next);
    }
}

/// One invoice's place in the posting order.
#[derive(Debug)]
pub(crate) struct Turn {
    sequencer: Arc<Sequencer>,
    index: u64,
}

impl Turn {
    /// Waits until every earlier invoice has been posted or given up.
    pub(crate) async fn wait(&self) {
        let mut next = self.sequencer.next_tx.subscribe();
        // The sender lives in the sequencer we hold, so the channel cannot close.
        let _ = next.wait_for(|next| *next >= self.index).await;
    }
}

impl Turn {
    /// Ends the turn now (the invoice's post has its answer): the next invoice may post while
    /// this one's answer is reconciled. Ending it again, or dropping it, changes nothing.
    pub(crate) fn end(&self) {
        self.sequencer.finish(self.index);
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.sequencer.finish(self.index);
    }
}

/// Moment's invoice-number order: numeric numbers by value, then other numbers as text, then
/// invoices without a number; ties by Moment id.
pub(crate) fn posting_order(a: (Option<&str>, i64), b: (Option<&str>, i64)) -> Ordering {
    fn key(number: Option<&str>) -> (u8, u128, &str) {
        match number.map(str::trim) {
            Some(n) if !n.is_empty() && n.len() <= 38 && n.bytes().all(|b| b.is_ascii_digit()) => {
                (0, n.parse().unwrap_or(u128::MAX), n)
            }
            Some(n) if !n.is_empty() => (1, 0, n),
            _ => (2, 0, ""),
        }
    }
    key(a.0).cmp(&key(b.0)).then(a.1.cmp(&b.1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn invoice(id: i64, number: Option<&str>) -> (Option<&str>, i64) {
        (number, id)
    }

    #[test]
    fn posting_order_is_numeric_then_text_then_none() {
        let mut invoices = [
            invoice(1, Some("1010")),
            invoice(2, None),
            invoice(3, Some("999")),
            invoice(4, Some("A-7")),
            invoice(5, Some("1010")),
            invoice(6, Some(" 1001 ")),
        ];
        invoices.sort_by(|a, b| posting_order(*a, *b));
        let ids: Vec<i64> = invoices.iter().map(|i| i.1).collect();
        assert_eq!(ids, [3, 6, 1, 5, 4, 2]);
    }

    #[tokio::test]
    async fn turns_come_in_order_whatever_order_the_holders_finish() {
        let sequencer = Sequencer::new();
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        // Turn i is ready to post after (5 - i) ms: later turns are ready first.
        for i in 0..5u64 {
            let turn = sequencer.turn(i);
            let log = log.clone();
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(5 - i)).await;
                turn.wait().await;
                log.lock().unwrap().push(i);
                drop(turn);
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*log.lock().unwrap(), [0, 1, 2, 3, 4]);
    }

    #[tokio::test]
    async fn a_turn_given_up_early_does_not_block_the_others() {
        let sequencer = Sequencer::new();
        let first = sequencer.turn(0);
        let second = sequencer.turn(1);
        let third = sequencer.turn(2);
        drop(second); // gave up (e.g. a mapping error) before the first posted
        drop(first);
        tokio::time::timeout(Duration::from_secs(5), third.wait())
            .await
            .expect("turn 2 starts once 0 and 1 ended");
    }
}
