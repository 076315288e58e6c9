//! Per-account evaluation budgets: what stops one account from enumerating the number space
//! through the evaluation endpoint.

use std::collections::HashMap;

const MS_PER_DAY: i64 = 86_400_000;

/// How many identifiers an account may have evaluated: `upfront` at once, then `per_day`
/// more for each day since its first request. Padding counts: the server cannot tell it
/// from real identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetPolicy {
    pub upfront: u64,
    pub per_day: u64,
}

impl Default for BudgetPolicy {
    fn default() -> Self {
        BudgetPolicy {
            upfront: 10_000,
            per_day: 100,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Account {
    first_ms: i64,
    used: u64,
}

/// Budgets by account, in memory (a production server keeps them in its database).
#[derive(Debug, Default)]
pub struct Budgets {
    policy: BudgetPolicy,
    accounts: HashMap<String, Account>,
}

impl Budgets {
    pub fn new(policy: BudgetPolicy) -> Self {
        Budgets {
            policy,
            accounts: HashMap::new(),
        }
    }

    /// Charges `n` evaluations to `account`, or refuses (charging nothing) with the seconds
    /// until the budget covers them, `u32::MAX` if it never will.
    pub fn charge(&mut self, account: &str, n: u64, now_ms: i64) -> Result<(), u32> {
        let policy = self.policy;
        let entry = self.accounts.entry(account.to_owned()).or_insert(Account {
            first_ms: now_ms,
            used: 0,
        });
        let days = (now_ms - entry.first_ms).max(0) / MS_PER_DAY;
        let allowance = policy
            .upfront
            .saturating_add(policy.per_day.saturating_mul(days as u64));
        let wanted = entry.used.saturating_add(n);
        if wanted <= allowance {
            entry.used = wanted;
            return Ok(());
        }
        if policy.per_day == 0 {
            return Err(u32::MAX);
        }
        let days_short = (wanted - allowance).div_ceil(policy.per_day) as i64;
        let ready_ms = entry.first_ms + (days + days_short) * MS_PER_DAY;
        let seconds = ((ready_ms - now_ms).max(1) + 999) / 1000;
        Err(u32::try_from(seconds).unwrap_or(u32::MAX))
    }

    /// Evaluations `account` may still have now.
    pub fn remaining(&self, account: &str, now_ms: i64) -> u64 {
        match self.accounts.get(account) {
            None => self.policy.upfront,
            Some(a) => {
                let days = (now_ms - a.first_ms).max(0) / MS_PER_DAY;
                (self.policy.upfront + self.policy.per_day * days as u64).saturating_sub(a.used)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upfront_then_daily() {
        let mut b = Budgets::new(BudgetPolicy::default());
        assert_eq!(b.charge("a", 9_984, 0), Ok(()));
        let retry = b.charge("a", 64, 1000).unwrap_err();
        assert_eq!(retry, 86_399, "one day after the first request");
        assert_eq!(b.remaining("a", 1000), 16);
        assert_eq!(b.charge("b", 64, 1000), Ok(()), "accounts are separate");
        assert_eq!(b.charge("a", 64, MS_PER_DAY), Ok(()));
        assert_eq!(b.remaining("a", MS_PER_DAY), 52);
        let mut none = Budgets::new(BudgetPolicy {
            upfront: 0,
            per_day: 0,
        });
        assert_eq!(none.charge("a", 1, 0), Err(u32::MAX));
    }
}
