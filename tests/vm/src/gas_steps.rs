//! Where an execute's VM gas goes, from the marks of a profile build.
//!
//! A contract built with the `gas-profile` feature exports `execute`
//! wrapped by `ve_cw::gas_profile_entry_point!`: it calls `api.debug` once
//! cosmwasm-std has parsed env, info and message, and again when the
//! contract's handler returns; the VM hands the debug handler the gas left
//! at each. The gas between two marks is the cost of the step the second
//! one names, so a call splits into the entry (the VM's call and the
//! parsing), the handler, and what comes after the last mark: the answer
//! written for the VM. Nothing is marked inside the handlers. Each mark
//! costs a debug host call, which falls into the step it ends.

use std::cell::RefCell;
use std::rc::Rc;

use cosmwasm_vm::DebugInfo;

/// What follows the last mark: the response written as JSON for the VM.
pub const ANSWER_STEP: &str = "answer written (response to JSON)";

/// One step of a call and the VM gas it used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub name: String,
    pub gas: u64,
}

/// The marks of the running call: (step, gas left), in order.
#[derive(Clone, Default)]
pub struct GasMarks(Rc<RefCell<Vec<(String, u64)>>>);

impl GasMarks {
    /// The VM's debug handler that records the marks.
    pub fn handler(&self) -> impl for<'a, 'b> FnMut(&'a str, DebugInfo<'b>) + 'static {
        let marks = self.clone();
        move |step, info| marks.record(step, info.gas_remaining)
    }

    fn record(&self, step: &str, gas_remaining: u64) {
        self.0.borrow_mut().push((step.to_string(), gas_remaining));
    }

    pub fn clear(&self) {
        self.0.borrow_mut().clear();
    }

    /// The steps of a call that had `before` gas left when it started and
    /// `after` when it ended; empty when it made no marks.
    pub fn steps(&self, before: u64, after: u64) -> Vec<Step> {
        let marks = self.0.borrow();
        if marks.is_empty() {
            return Vec::new();
        }
        let mut steps: Vec<Step> = Vec::new();
        let mut add = |name: &str, gas: u64| match steps.iter_mut().find(|s| s.name == name) {
            Some(step) => step.gas += gas,
            None => steps.push(Step {
                name: name.to_string(),
                gas,
            }),
        };
        let mut left = before;
        for (name, remaining) in marks.iter() {
            add(name, left.saturating_sub(*remaining));
            left = *remaining;
        }
        add(ANSWER_STEP, left.saturating_sub(after));
        steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marks(list: &[(&str, u64)]) -> GasMarks {
        let m = GasMarks::default();
        for (step, gas) in list {
            m.record(step, *gas);
        }
        m
    }

    fn step(name: &str, gas: u64) -> Step {
        Step {
            name: name.into(),
            gas,
        }
    }

    #[test]
    fn no_marks_no_steps() {
        assert!(marks(&[]).steps(1_000, 400).is_empty());
    }

    #[test]
    fn each_step_is_the_gas_since_the_mark_before() {
        let steps = marks(&[("parsed", 900), ("loaded", 600)]).steps(1_000, 550);
        assert_eq!(
            steps,
            vec![
                step("parsed", 100),
                step("loaded", 300),
                step(ANSWER_STEP, 50)
            ]
        );
        let total: u64 = steps.iter().map(|s| s.gas).sum();
        assert_eq!(total, 1_000 - 550);
    }

    #[test]
    fn a_step_marked_again_adds_up_in_first_seen_order() {
        let steps = marks(&[("a", 90), ("b", 70), ("a", 60), ("b", 30)]).steps(100, 0);
        assert_eq!(
            steps,
            vec![step("a", 20), step("b", 50), step(ANSWER_STEP, 30)]
        );
    }

    #[test]
    fn marks_are_cleared_between_calls() {
        let m = marks(&[("a", 50)]);
        m.clear();
        assert!(m.steps(100, 0).is_empty());
    }
}
