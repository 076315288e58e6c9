//! The access report as stored: allowed uses per day, like the platforms' privacy reports.
//! The guard counts in memory (`guard::access_log`); counts land here with each write.

use rusqlite::{params, Connection};

use crate::data_holder::{Cutoff, DataHolder, Erased, PersonalData, Purged};
use crate::error::Result;
use crate::keys::KeyProvider;
use crate::time::format_day;

/// Allowed uses of one (category, purpose) on one local day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, uniffi::Record)]
pub struct AccessReportRow {
    /// `YYYY-MM-DD` in the time zone the app configured.
    pub day: String,
    pub category: String,
    pub purpose: String,
    pub count: u64,
}

/// Uses of one pair on one day, waiting to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AccessCount {
    pub day: i64,
    pub category: String,
    pub purpose: String,
    pub count: u64,
}

/// Adds counts to the stored ones.
pub(crate) fn store(conn: &Connection, counts: &[AccessCount]) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO access_count (day, category, purpose, count) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (day, category, purpose) DO UPDATE SET count = count + excluded.count",
    )?;
    for c in counts {
        stmt.execute(params![c.day, c.category, c.purpose, c.count as i64])?;
    }
    Ok(())
}

/// Stored rows for days `from..=to`, by day, then category, then purpose.
pub(crate) fn load(conn: &Connection, from: i64, to: i64) -> Result<Vec<AccessReportRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT day, category, purpose, count FROM access_count
         WHERE day BETWEEN ?1 AND ?2 ORDER BY day, category, purpose",
    )?;
    let rows = stmt.query_map(params![from, to], |r| {
        Ok(AccessReportRow {
            day: format_day(r.get(0)?),
            category: r.get(1)?,
            purpose: r.get(2)?,
            // Checked: a negative count in the file reads as none, not as a huge number.
            count: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The access report as personal data, kept per local day.
pub(crate) struct AccessReportHolder;

impl DataHolder for AccessReportHolder {
    fn data(&self) -> PersonalData {
        PersonalData::AccessReport
    }

    fn erase(&self, conn: &Connection, _now_ms: i64) -> Result<Erased> {
        Ok(Erased {
            records: conn.execute("DELETE FROM access_count", [])? as u64,
            keys_destroyed: false,
        })
    }

    /// Allowed uses per day (the access report).
    fn retention_id(&self) -> Option<&'static str> {
        Some("access_log")
    }

    fn purge(
        &self,
        conn: &Connection,
        cutoff: Cutoff,
        _keys: Option<&dyn KeyProvider>,
    ) -> Result<Purged> {
        let deleted = conn
            .prepare_cached("DELETE FROM access_count WHERE day < ?1")?
            .execute([cutoff.first_kept_day])?;
        Ok(Purged::Records(deleted as u64))
    }
}
