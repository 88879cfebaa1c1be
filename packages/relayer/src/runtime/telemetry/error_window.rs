//! `waldur_api_error_rate`: the share of failed Waldur calls among the
//! last `capacity` calls. A window of calls, not of time, so a quiet
//! relayer keeps its last known rate instead of dropping to 0, and the
//! count is exact (integers; the ratio is only formed when rendered).

use std::collections::VecDeque;

/// Calls the relayer's error rate is taken over.
pub const ERROR_WINDOW_CALLS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorWindow {
    capacity: usize,
    /// Oldest first; `true` for a failed call.
    outcomes: VecDeque<bool>,
    failed: usize,
}

impl Default for ErrorWindow {
    fn default() -> Self {
        ErrorWindow::new(ERROR_WINDOW_CALLS)
    }
}

impl ErrorWindow {
    /// A window of at least one call.
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        ErrorWindow {
            capacity,
            outcomes: VecDeque::with_capacity(capacity),
            failed: 0,
        }
    }

    pub fn record(&mut self, failed: bool) {
        if self.outcomes.len() == self.capacity && self.outcomes.pop_front() == Some(true) {
            self.failed -= 1;
        }
        self.outcomes.push_back(failed);
        if failed {
            self.failed += 1;
        }
    }

    /// Calls in the window (at most the capacity).
    pub fn calls(&self) -> usize {
        self.outcomes.len()
    }

    pub fn failed(&self) -> usize {
        self.failed
    }

    /// Failed / all calls in the window; 0 before the first call.
    pub fn rate(&self) -> f64 {
        if self.outcomes.is_empty() {
            return 0.0;
        }
        self.failed as f64 / self.outcomes.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_window_has_no_errors() {
        let w = ErrorWindow::default();
        assert_eq!((w.calls(), w.failed(), w.rate()), (0, 0, 0.0));
    }

    #[test]
    fn rate_is_failed_over_calls_while_filling() {
        let mut w = ErrorWindow::new(4);
        w.record(true);
        assert_eq!(w.rate(), 1.0);
        w.record(false);
        w.record(false);
        assert_eq!((w.calls(), w.failed()), (3, 1));
        assert_eq!(w.rate(), 1.0 / 3.0);
    }

    #[test]
    fn oldest_calls_slide_out() {
        let mut w = ErrorWindow::new(4);
        // f f s s: 2 of 4.
        for failed in [true, true, false, false] {
            w.record(failed);
        }
        assert_eq!(w.rate(), 0.5);
        // The first failure leaves: f s s s.
        w.record(false);
        assert_eq!((w.calls(), w.failed()), (4, 1));
        assert_eq!(w.rate(), 0.25);
        // A success leaving changes nothing but the newcomer: s s s f.
        w.record(false);
        w.record(true);
        assert_eq!((w.calls(), w.failed()), (4, 1));
        // All successes again.
        for _ in 0..4 {
            w.record(false);
        }
        assert_eq!((w.calls(), w.failed(), w.rate()), (4, 0, 0.0));
    }

    #[test]
    fn a_zero_capacity_still_holds_the_last_call() {
        let mut w = ErrorWindow::new(0);
        w.record(true);
        w.record(true);
        assert_eq!((w.calls(), w.failed(), w.rate()), (1, 1, 1.0));
    }
}
