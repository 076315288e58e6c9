-- Contact discovery (see src/discovery/). Appended after the vault; holds no identifier,
-- number, email or name in the clear.

-- One row: the mode and server key the cache was built for, and the server's published
-- filter (public data: the server hands the same bytes to every client).
CREATE TABLE discovery_state (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    mode           TEXT    NOT NULL,
    server_key_id  BLOB    NOT NULL,
    filter_version INTEGER,
    filter         BLOB,
    last_sync_ms   INTEGER,
    last_run_ms    INTEGER
);

-- One row per normalized identifier of the last address book. `lookup` is an HMAC of the
-- identifier under a key derived from the vault key; `sealed` holds the identifier's filter
-- key and its contacts' app-side ids, sealed under the same derived key; `contacts_tag` is an
-- HMAC of the contact ids, so an unchanged row is recognized without opening it. `matched`
-- is in the clear so the data export can count matches without the key.
CREATE TABLE discovery_cache (
    lookup       BLOB    PRIMARY KEY,
    key_id       INTEGER NOT NULL,
    contacts_tag BLOB    NOT NULL,
    sealed       BLOB    NOT NULL,
    matched      INTEGER NOT NULL CHECK (matched IN (0, 1)),
    refreshed_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX discovery_cache_refreshed ON discovery_cache (refreshed_ms);
