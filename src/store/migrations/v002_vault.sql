-- Schema version 2: the token vault (see src/vault/).

-- The vault key, wrapped by the platform key named by (id, generation). Exactly one row is
-- active; a rotation adds the new key and removes the old one in one transaction.
CREATE TABLE vault_key (
    id         INTEGER PRIMARY KEY,
    generation INTEGER NOT NULL,
    wrapped    BLOB    NOT NULL,
    canary     BLOB    NOT NULL,
    active     INTEGER NOT NULL CHECK (active IN (0, 1)),
    created_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX vault_key_one_active ON vault_key (active) WHERE active = 1;

-- Linked accounts. `lookup` is a keyed hash of (provider, account id); every other
-- identifying or secret field is sealed under the account's own record key.
CREATE TABLE vault_account (
    lookup        BLOB    PRIMARY KEY,
    provider      TEXT    NOT NULL,
    key_id        INTEGER NOT NULL,
    record_key    BLOB    NOT NULL,
    account_id    BLOB    NOT NULL,
    access_token  BLOB    NOT NULL,
    refresh_token BLOB,
    expires_at_ms INTEGER,
    scopes        TEXT    NOT NULL,
    linked_at_ms  INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
