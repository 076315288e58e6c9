-- Ledger integrity (see src/consent/seal.rs). The sealed head lives in `meta`
-- (`ledger_head_seal`) beside the head; this table keeps what was set aside when a ledger did
-- not verify and the app chose to start afresh (`PrivacyKit::open_setting_aside_tampered_ledger`
-- or `set_aside_unverified_ledger`). Each record is one stored row, its columns as JSON: a
-- tampered row need not be one PrivacyKit could read. It is the user's own history, exported
-- as unverified and erased with the ledger.
CREATE TABLE ledger_set_aside (
    id           INTEGER PRIMARY KEY,
    set_aside_ms INTEGER NOT NULL,
    reason       TEXT    NOT NULL,
    origin       TEXT    NOT NULL CHECK (origin IN ('entry', 'summary')),
    content      TEXT    NOT NULL
);
