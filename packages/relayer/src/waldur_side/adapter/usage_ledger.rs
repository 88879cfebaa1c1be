//! Exact usage accounting between Waldur and the chain, without HTTP.
//!
//! Waldur keeps usage as `Decimal(20,2)` month-to-date totals, one row per
//! (resource, component, plan period, billing period), each replaced by
//! the next report (waldur-mastermind `marketplace/models.py`
//! `ComponentUsage` constraints, `marketplace/serializers.py`
//! `ComponentUsageCreateSerializer.save` `update_or_create`). A plan switch
//! mid-month starts a second row in the same month, so a month's total is
//! the SUM of its rows.
//!
//! The chain prices usage per whole unit: settlement's `RecordUsage` takes
//! integer `units` and costs them `unit_price * units`, where `unit_price`
//! is the escrow's rate per unit in the smallest denomination
//! (`contracts/settlement/src/execute/usage.rs`, `ve-types` `price.rs`).
//! Billing in hundredths would change what a unit means on chain and
//! divide every rate by 100 (inexact for rates not divisible by 100), so
//! the ledger bills whole units and carries the remainder instead: it
//! keeps the exact all-time total in hundredths and bills
//! `floor(total / 100) - units_billed`. 12.5 hours in one month and 0.5
//! in the next bill 12 then 1.
//!
//! A total that goes down (a correction in Waldur) lowers the all-time
//! total. Units already recorded on chain cannot be taken back by a usage
//! report, so nothing more is billed until the total climbs past what was
//! billed: the correction is absorbed by later usage, never billed twice
//! and never lost. Over a resource's life the chain holds
//! `floor(highest all-time total / 100)`; when the last total is the
//! highest (no correction after billing), that is exactly
//! `floor(final total / 100)`.
//!
//! The adapter lists only the current and the previous billing period (a
//! month older than that is closed in Waldur: `Billing period is closed.`).
//! A month that leaves the listing keeps the total last seen, moved into
//! `closed_hundredths`; the ledger is saved after every pass so that total
//! is the last one listed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One (resource, component)'s usage as the chain has been told of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageLedger {
    /// Sum of the months no longer listed, in hundredths.
    pub closed_hundredths: i128,
    /// Listed billing period (`YYYY-MM-01`) -> sum of its rows (one per
    /// plan period), in hundredths, as last listed.
    pub open: BTreeMap<String, i128>,
    /// Whole units recorded on chain so far.
    pub units_billed: u128,
}

/// One listed `ComponentUsage` row of a resource and component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRow {
    pub billing_period: String,
    pub hundredths: i128,
}

impl UsageLedger {
    /// A ledger carried over from the format before it, which kept the
    /// whole units reported per listed month (their fractions were never
    /// known): those units count as billed and as the months' totals.
    pub fn from_whole_units_reported(reported: &BTreeMap<String, u128>) -> Self {
        let mut ledger = UsageLedger::default();
        for (period, units) in reported {
            let hundredths = i128::try_from(*units)
                .ok()
                .and_then(|u| u.checked_mul(100))
                .unwrap_or(i128::MAX);
            ledger.open.insert(period.clone(), hundredths);
            ledger.units_billed = ledger.units_billed.saturating_add(*units);
        }
        ledger
    }

    /// The exact all-time total in hundredths (`None` on overflow, far
    /// beyond `Decimal(20,2)` times any number of months).
    pub fn total_hundredths(&self) -> Option<i128> {
        self.open
            .values()
            .try_fold(self.closed_hundredths, |sum, v| sum.checked_add(*v))
    }

    /// Takes in one listing of `listed_periods` (all rows of those
    /// periods for this resource and component) and returns the units to
    /// bill now; the ledger already counts them as billed, so the caller
    /// must save it with the bill (or drop it if the bill is not sent).
    pub fn observe(&mut self, listed_periods: &[String], rows: &[UsageRow]) -> Option<u128> {
        let mut listed: BTreeMap<String, i128> = listed_periods
            .iter()
            .map(|period| (period.clone(), 0))
            .collect();
        for row in rows {
            // A row of a period that was not asked for is not trusted to
            // be the whole of that period.
            if let Some(sum) = listed.get_mut(&row.billing_period) {
                *sum = sum.checked_add(row.hundredths)?;
            }
        }
        // A month older than every listed one has left the listing: its
        // last seen total is final.
        if let Some(oldest_listed) = listed.keys().next().cloned() {
            let aged: Vec<String> = self
                .open
                .range(..oldest_listed)
                .map(|(period, _)| period.clone())
                .collect();
            for period in aged {
                if let Some(total) = self.open.remove(&period) {
                    self.closed_hundredths = self.closed_hundredths.checked_add(total)?;
                }
            }
        }
        for (period, total) in listed {
            if total == 0 {
                // Nothing (or a net zero) listed: no need to keep it.
                self.open.remove(&period);
            } else {
                self.open.insert(period, total);
            }
        }
        let total = self.total_hundredths()?;
        // A negative net total bills nothing.
        let whole_units = u128::try_from(total.max(0) / 100).ok()?;
        let due = whole_units.saturating_sub(self.units_billed);
        self.units_billed = self.units_billed.checked_add(due)?;
        Some(due)
    }
}

/// Waldur's usage text (`Decimal(20,2)`, sent as a string, or a number as
/// the schema's `integer` says) in hundredths. `None` for anything else,
/// including a non-zero digit past the second decimal.
pub fn parse_hundredths(text: &str) -> Option<i128> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    // Decimal(20,2) has at most 18 whole digits; more cannot be Waldur's.
    if whole.len() > 18 {
        return None;
    }
    let (kept, dropped) = fraction.split_at(fraction.len().min(2));
    if dropped.bytes().any(|b| b != b'0') {
        return None;
    }
    let whole_value: i128 = whole.parse().ok()?;
    let kept_value: i128 = match kept.len() {
        0 => 0,
        1 => kept.parse::<i128>().ok()?.checked_mul(10)?,
        _ => kept.parse().ok()?,
    };
    let value = whole_value.checked_mul(100)?.checked_add(kept_value)?;
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(period: &str, amount: &str) -> UsageRow {
        UsageRow {
            billing_period: period.to_string(),
            hundredths: parse_hundredths(amount).unwrap_or_else(|| panic!("bad {amount}")),
        }
    }

    fn periods(list: &[&str]) -> Vec<String> {
        list.iter().map(|p| (*p).to_string()).collect()
    }

    #[test]
    fn amounts_parse_to_hundredths() {
        assert_eq!(parse_hundredths("12.50"), Some(1250));
        assert_eq!(parse_hundredths("12.5"), Some(1250));
        assert_eq!(parse_hundredths("7"), Some(700));
        assert_eq!(parse_hundredths("0.99"), Some(99));
        assert_eq!(parse_hundredths("-1.25"), Some(-125));
        assert_eq!(parse_hundredths("1.500"), Some(150));
        assert_eq!(parse_hundredths("1.005"), None);
        assert_eq!(parse_hundredths("1e3"), None);
        assert_eq!(parse_hundredths(".5"), None);
        assert_eq!(parse_hundredths(""), None);
        assert_eq!(parse_hundredths("1234567890123456789"), None);
    }

    #[test]
    fn the_fraction_of_a_month_is_carried_into_the_next() {
        let mut ledger = UsageLedger::default();
        let nov = periods(&["2026-10-01", "2026-11-01"]);
        assert_eq!(
            ledger.observe(&nov, &[row("2026-11-01", "12.50")]),
            Some(12)
        );
        let dec = periods(&["2026-11-01", "2026-12-01"]);
        assert_eq!(
            ledger.observe(
                &dec,
                &[row("2026-11-01", "12.50"), row("2026-12-01", "0.50")]
            ),
            Some(1)
        );
        // November leaves the listing: its total is kept, nothing is billed again.
        let jan = periods(&["2026-12-01", "2027-01-01"]);
        assert_eq!(ledger.observe(&jan, &[row("2026-12-01", "0.50")]), Some(0));
        assert_eq!(ledger.total_hundredths(), Some(1300));
        assert_eq!(ledger.units_billed, 13);
    }

    #[test]
    fn rows_of_two_plan_periods_in_a_month_add_up() {
        let mut ledger = UsageLedger::default();
        let listed = periods(&["2026-11-01", "2026-12-01"]);
        let rows = [row("2026-12-01", "3.60"), row("2026-12-01", "2.40")];
        assert_eq!(ledger.observe(&listed, &rows), Some(6));
    }

    #[test]
    fn a_correction_down_is_absorbed_not_billed_twice() {
        let mut ledger = UsageLedger::default();
        let listed = periods(&["2026-11-01", "2026-12-01"]);
        assert_eq!(
            ledger.observe(&listed, &[row("2026-12-01", "10")]),
            Some(10)
        );
        assert_eq!(ledger.observe(&listed, &[row("2026-12-01", "8")]), Some(0));
        assert_eq!(
            ledger.observe(&listed, &[row("2026-12-01", "10.99")]),
            Some(0)
        );
        assert_eq!(ledger.observe(&listed, &[row("2026-12-01", "11")]), Some(1));
        assert_eq!(ledger.units_billed, 11);
    }

    #[test]
    fn the_old_format_counts_its_units_as_billed() {
        let reported = BTreeMap::from([("2026-12-01".to_string(), 12u128)]);
        let mut ledger = UsageLedger::from_whole_units_reported(&reported);
        let listed = periods(&["2026-11-01", "2026-12-01"]);
        assert_eq!(
            ledger.observe(&listed, &[row("2026-12-01", "12.50")]),
            Some(0)
        );
        assert_eq!(ledger.observe(&listed, &[row("2026-12-01", "13")]), Some(1));
    }

    mod property {
        use super::super::*;
        use proptest::prelude::*;

        /// What happens next in Waldur, or in the relayer.
        #[derive(Debug, Clone)]
        enum Step {
            /// A new month-to-date total for the current plan period:
            /// the last one plus `delta` hundredths (a negative delta is a
            /// correction). `late` reports into the previous month, which
            /// Waldur still shows while the new month starts.
            Report { delta: i64, late: bool },
            /// The resource's plan changes: a new plan period (and row)
            /// in the same month.
            SwitchPlan,
            /// A relayer pass.
            Observe,
            /// The month turns (after a pass: the relayer polls far more
            /// often than monthly).
            NextMonth,
        }

        fn step() -> impl Strategy<Value = Step> {
            prop_oneof![
                6 => (-800i64..=5_000, proptest::bool::weighted(0.15))
                    .prop_map(|(delta, late)| Step::Report { delta, late }),
                1 => Just(Step::SwitchPlan),
                4 => Just(Step::Observe),
                2 => Just(Step::NextMonth),
            ]
        }

        fn period(month: u32) -> String {
            format!("{:04}-{:02}-01", 2026 + month / 12, month % 12 + 1)
        }

        /// Waldur's rows: (month, plan period) -> month-to-date hundredths.
        #[derive(Default)]
        struct Waldur {
            rows: BTreeMap<(u32, u32), i128>,
            month: u32,
            plan_period: u32,
        }

        impl Waldur {
            fn total(&self) -> i128 {
                self.rows.values().sum()
            }

            fn listing(&self) -> (Vec<String>, Vec<UsageRow>) {
                let first = self.month.saturating_sub(1);
                let listed = (first..=self.month).map(period).collect();
                let rows = self
                    .rows
                    .iter()
                    .filter(|((month, _), _)| *month >= first)
                    .map(|((month, _), hundredths)| UsageRow {
                        billing_period: period(*month),
                        hundredths: *hundredths,
                    })
                    .collect();
                (listed, rows)
            }
        }

        /// The relayer's side and what the chain has been told.
        struct Relayer {
            ledger: UsageLedger,
            on_chain: u128,
            highest_total: i128,
        }

        impl Relayer {
            fn observe(&mut self, waldur: &Waldur) -> Result<(), TestCaseError> {
                let (listed, rows) = waldur.listing();
                let due = self.ledger.observe(&listed, &rows);
                prop_assert!(due.is_some(), "no overflow at these sizes");
                self.on_chain += due.unwrap_or(0);
                let total = waldur.total();
                self.highest_total = self.highest_total.max(total);
                let highest_units = u128::try_from(self.highest_total.max(0) / 100)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                // Never more than the highest total Waldur has shown...
                prop_assert!(self.on_chain * 100 <= self.highest_total.max(0) as u128);
                // ...and never less: every whole unit is billed at once.
                prop_assert_eq!(self.on_chain, highest_units);
                prop_assert_eq!(self.ledger.units_billed, self.on_chain);
                prop_assert_eq!(self.ledger.total_hundredths(), Some(total));
                Ok(())
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn units_on_chain_follow_waldur_totals_exactly(
                steps in proptest::collection::vec(step(), 1..120)
            ) {
                let mut waldur = Waldur::default();
                let mut relayer = Relayer {
                    ledger: UsageLedger::default(),
                    on_chain: 0,
                    highest_total: 0,
                };
                for step in steps {
                    match step {
                        Step::Report { delta, late } => {
                            let month = if late {
                                waldur.month.saturating_sub(1)
                            } else {
                                waldur.month
                            };
                            let row = waldur.rows.entry((month, waldur.plan_period)).or_insert(0);
                            *row += i128::from(delta);
                        }
                        Step::SwitchPlan => waldur.plan_period += 1,
                        Step::Observe => relayer.observe(&waldur)?,
                        Step::NextMonth => {
                            relayer.observe(&waldur)?;
                            waldur.month += 1;
                        }
                    }
                }
                // Two more months: everything reported is closed.
                for _ in 0..3 {
                    relayer.observe(&waldur)?;
                    waldur.month += 1;
                }
                relayer.observe(&waldur)?;
                let final_total = waldur.total();
                if final_total >= relayer.highest_total {
                    // No correction after billing: exactly the final total.
                    prop_assert_eq!(
                        relayer.on_chain,
                        u128::try_from(final_total.max(0) / 100).unwrap_or(0)
                    );
                }
            }
        }
    }
}
