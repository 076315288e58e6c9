-- Schema version 3: the user's rights on the device (see src/rights/, src/retention/, src/age/).

-- What a `declare_facts` ledger entry declared, as JSON. Older rows have none.
ALTER TABLE consent_ledger ADD COLUMN detail TEXT;

-- Each permission's state folded from the history rows that retention purged, so the rows
-- that remain still give the right state (Android counts denials across requests).
CREATE TABLE permission_baseline (
    permission TEXT    PRIMARY KEY,
    status     TEXT    NOT NULL,
    accuracy   TEXT,
    denials    INTEGER NOT NULL,
    through_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- The ledger entries that outlived the consent-proof retention period, compacted: the state
-- they established and the chain link that the next entry continues from, sealed with a MAC
-- under a platform-wrapped key. At most one row.
CREATE TABLE ledger_summary (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    through_seq     INTEGER NOT NULL,
    through_hash    BLOB    NOT NULL,
    through_time_ms INTEGER NOT NULL,
    state           TEXT    NOT NULL,
    created_ms      INTEGER NOT NULL,
    mac             BLOB    NOT NULL
);

-- When a linked account's tokens were last read, for "unused for N days" retention.
ALTER TABLE vault_account ADD COLUMN last_used_ms INTEGER;
