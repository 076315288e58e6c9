-- Schema version 1: policy, consent ledger, permission history, access report.

-- Every policy version the app shipped, as its canonical JSON.
CREATE TABLE policy (
    version      INTEGER PRIMARY KEY,
    policy_id    TEXT    NOT NULL,
    document     TEXT    NOT NULL,
    sha256       BLOB    NOT NULL,
    loaded_at_ms INTEGER NOT NULL
);

-- The consent ledger: append-only and hash-chained (see src/consent/ledger.rs).
CREATE TABLE consent_ledger (
    seq            INTEGER PRIMARY KEY,
    time_ms        INTEGER NOT NULL,
    policy_version INTEGER NOT NULL,
    action         TEXT    NOT NULL,
    purpose        TEXT,
    category       TEXT,
    source         TEXT    NOT NULL,
    prev_hash      BLOB    NOT NULL,
    hash           BLOB    NOT NULL
);
CREATE TRIGGER consent_ledger_no_update BEFORE UPDATE ON consent_ledger
BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END;
CREATE TRIGGER consent_ledger_no_delete BEFORE DELETE ON consent_ledger
BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END;

-- Every OS permission observation and request result, in order.
CREATE TABLE permission_event (
    id                 INTEGER PRIMARY KEY,
    time_ms            INTEGER NOT NULL,
    permission         TEXT    NOT NULL,
    kind               TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    accuracy           TEXT,
    os_shows_rationale INTEGER
);

-- Allowed uses per local day, for the access report.
CREATE TABLE access_count (
    day      INTEGER NOT NULL,
    category TEXT    NOT NULL,
    purpose  TEXT    NOT NULL,
    count    INTEGER NOT NULL,
    PRIMARY KEY (day, category, purpose)
) WITHOUT ROWID;

-- Small named values: the ledger head.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;
