//! The scheduling queue, as kube-scheduler's: an active queue of pods to try, the pods found unschedulable
//! waiting for a cluster change, and a backoff per pod that doubles with each failed attempt (1 s up to
//! 10 s), so that a pod that keeps failing does not crowd out the others.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// How long a pod waits after its `attempts`-th failure.
fn backoff(attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(16);
    INITIAL_BACKOFF
        .saturating_mul(1 << doublings)
        .min(MAX_BACKOFF)
}

#[derive(Default)]
pub struct Queue {
    active: VecDeque<String>,
    queued: HashSet<String>,
    /// Failed pods waiting for a cluster change that may let them fit.
    unschedulable: HashSet<String>,
    /// Pods a cluster change released that are still backing off.
    backing_off: HashSet<String>,
    /// Failed attempts so far, and when the pod's backoff ends.
    attempts: HashMap<String, (u32, Instant)>,
}

impl Queue {
    /// A pod waiting to be scheduled; ignored while it waits as unschedulable or backs off.
    pub fn add(&mut self, k: String) {
        if !self.unschedulable.contains(&k) && !self.backing_off.contains(&k) {
            self.activate(k);
        }
    }

    fn activate(&mut self, k: String) {
        if self.queued.insert(k.clone()) {
            self.active.push_back(k);
        }
    }

    pub fn pop(&mut self) -> Option<String> {
        let k = self.active.pop_front()?;
        self.queued.remove(&k);
        Some(k)
    }

    pub fn has_active(&self) -> bool {
        !self.active.is_empty()
    }

    /// The pod could not be placed (or bound): it waits for a cluster change, and backs off.
    pub fn failed(&mut self, k: String, now: Instant) {
        let entry = self.attempts.entry(k.clone()).or_insert((0, now));
        entry.0 = entry.0.saturating_add(1);
        entry.1 = now + backoff(entry.0);
        self.unschedulable.insert(k);
    }

    /// The cluster changed in a way that may let waiting pods fit: those done backing off go back to the
    /// active queue, the others when their backoff ends.
    pub fn wake(&mut self, now: Instant) {
        for k in std::mem::take(&mut self.unschedulable) {
            self.backing_off.insert(k);
        }
        self.flush(now);
    }

    /// Moves released pods whose backoff has ended to the active queue.
    pub fn flush(&mut self, now: Instant) {
        let ready: Vec<String> = self
            .backing_off
            .iter()
            .filter(|k| self.attempts.get(*k).is_none_or(|(_, until)| *until <= now))
            .cloned()
            .collect();
        for k in ready {
            self.backing_off.remove(&k);
            self.activate(k);
        }
    }

    /// The pod is gone or bound: forget it.
    pub fn forget(&mut self, k: &str) {
        self.unschedulable.remove(k);
        self.backing_off.remove(k);
        self.attempts.remove(k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_ten_seconds() {
        let secs: Vec<u64> = (1..=6).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 10, 10]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }

    #[test]
    fn failed_pods_wait_for_a_change_and_their_backoff() {
        let mut q = Queue::default();
        let t0 = Instant::now();
        q.add("a".into());
        q.add("a".into());
        assert_eq!(q.pop().as_deref(), Some("a"));
        assert!(q.pop().is_none(), "queued once");
        q.failed("a".into(), t0);
        q.add("a".into());
        assert!(
            !q.has_active(),
            "an unschedulable pod waits for a cluster change"
        );
        q.wake(t0);
        assert!(!q.has_active(), "still backing off");
        q.flush(t0 + Duration::from_millis(1001));
        assert_eq!(q.pop().as_deref(), Some("a"));
        // The second failure backs off twice as long.
        q.failed("a".into(), t0);
        q.wake(t0 + Duration::from_millis(1500));
        assert!(!q.has_active());
        q.flush(t0 + Duration::from_millis(2001));
        assert_eq!(q.pop().as_deref(), Some("a"));
        // A bound or deleted pod is forgotten.
        q.failed("a".into(), t0);
        q.forget("a");
        q.add("a".into());
        assert_eq!(q.pop().as_deref(), Some("a"));
    }
}
