-- Events the app reports that the policy's app_retention periods count from (see
-- src/retention_events.rs): one row per event, holding when it was first reported. A row is
-- the user's data (it says, for instance, that they closed their account): exported, and
-- erased with everything else.
CREATE TABLE retention_event (
    event       TEXT    PRIMARY KEY
                        CHECK (event IN ('account_closure', 'unsubscribe', 'unconfirmed_signup')),
    occurred_ms INTEGER NOT NULL
) WITHOUT ROWID;
