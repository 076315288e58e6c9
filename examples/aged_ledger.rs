//! Writes a store whose consent history was recorded long ago, to try the `consent_records`
//! retention on (the Kotlin suite compacts such a store through the generated bindings):
//!
//! ```sh
//! cargo run --example aged_ledger -- privacy.db policy.json 800
//! ```
//!
//! The six entries, all dated `days_ago` days back: accept the policy, grant `analytics`,
//! grant `advertising`, withdraw `analytics`, grant `analytics` again, object to `marketing`.
//! Entries 2 and 4 are superseded; the other four stay in force.

use std::error::Error;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use privacykit::{Clock, Platform, PrivacyKit, PrivacyKitConfig};

const MS_PER_DAY: i64 = 86_400_000;

/// The real clock, moved back by a fixed amount.
struct PastClock {
    offset_ms: i64,
}

impl Clock for PastClock {
    fn now_ms(&self) -> i64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        now.as_millis() as i64 - self.offset_ms
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [database, policy, days_ago] = args.as_slice() else {
        return Err("usage: aged_ledger <database> <policy.json> <days-ago>".into());
    };
    let days_ago: i64 = days_ago.parse()?;
    let kit = PrivacyKit::open_with_clock(
        PrivacyKitConfig {
            database_path: Some(database.clone()),
            policy_json: std::fs::read_to_string(policy)?,
            platform: Platform::Android,
            utc_offset_minutes: 0,
            key_provider: None,
        },
        Arc::new(PastClock {
            offset_ms: days_ago * MS_PER_DAY,
        }),
    )?;
    kit.accept_policy()?;
    kit.grant_consent("analytics".into(), None)?;
    kit.grant_consent("advertising".into(), None)?;
    kit.withdraw_consent("analytics".into(), None)?;
    kit.grant_consent("analytics".into(), None)?;
    let last = kit.object_to("marketing".into(), None)?;
    kit.close_store()?;
    println!("{} ledger entries dated {days_ago} days ago", last.seq);
    Ok(())
}
