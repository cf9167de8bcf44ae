//! Spacing calls to a rate: SES accepts a fixed number of emails per second
//! per account (1 in the sandbox, 14 on a new production account), and a
//! burst beyond it is throttled, retried, and at worst dead-lettered. The
//! sender takes one slot per email, so a bulk invitation is delivered at
//! the rate, not refused.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Hands out one slot per call, `interval` apart, to concurrent callers.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    /// At most `per_second` calls a second (at least one a minute, so a
    /// mistyped rate cannot stop delivery).
    pub fn per_second(per_second: f64) -> Self {
        let per_second = if per_second.is_finite() {
            per_second.max(1.0 / 60.0)
        } else {
            1.0
        };
        Self {
            interval: Duration::from_secs_f64(1.0 / per_second),
            next: Mutex::new(None),
        }
    }

    /// Waits for this caller's slot.
    pub async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn calls_are_spaced_to_the_rate_and_an_idle_pacer_starts_at_once() {
        let pacer = std::sync::Arc::new(Pacer::per_second(4.0));
        let start = Instant::now();
        let waits: Vec<_> = (0..8)
            .map(|_| {
                let pacer = pacer.clone();
                tokio::spawn(async move {
                    pacer.wait().await;
                    Instant::now() - start
                })
            })
            .collect();
        let mut done = Vec::new();
        for wait in waits {
            done.push(wait.await.expect("joined"));
        }
        done.sort();
        assert_eq!(done[0], Duration::ZERO, "the first goes at once");
        for pair in done.windows(2) {
            assert_eq!(pair[1] - pair[0], Duration::from_millis(250), "{done:?}");
        }
        // After a quiet spell, no backlog of slots: the next call goes now.
        tokio::time::sleep(Duration::from_secs(10)).await;
        let before = Instant::now();
        pacer.wait().await;
        assert_eq!(Instant::now(), before);
        assert_eq!(
            Pacer::per_second(0.0).interval,
            Duration::from_secs(60),
            "at least one a minute"
        );
    }
}
