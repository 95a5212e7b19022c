-- The sync state of moment-dkplus-mapping (SQLite). Times are Unix milliseconds (UTC).
-- Every table is keyed by the Moment company and the DK+ company, so one file serves several.

CREATE TABLE ledger (
    moment_company TEXT NOT NULL,
    dkplus_company TEXT NOT NULL,
    reference TEXT NOT NULL,
    moment_id BIGINT,
    state TEXT NOT NULL,
    dkplus_number TEXT,
    owner TEXT,
    lease_until BIGINT,
    posting_at BIGINT,
    posts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (moment_company, dkplus_company, reference)
);

CREATE TABLE flags (
    moment_company TEXT NOT NULL,
    dkplus_company TEXT NOT NULL,
    name TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (moment_company, dkplus_company, name)
);

CREATE TABLE objects (
    moment_company TEXT NOT NULL,
    dkplus_company TEXT NOT NULL,
    kind TEXT NOT NULL,
    moment_id BIGINT NOT NULL,
    dkplus_key TEXT,
    last_status TEXT NOT NULL,
    fingerprint TEXT,
    last_error TEXT,
    next_attempt_at BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (moment_company, dkplus_company, kind, moment_id)
);

CREATE TABLE cursors (
    moment_company TEXT NOT NULL,
    dkplus_company TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (moment_company, dkplus_company)
);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    moment_company TEXT NOT NULL,
    dkplus_company TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    due BIGINT NOT NULL,
    worker TEXT,
    lease_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);

CREATE INDEX jobs_due ON jobs (moment_company, dkplus_company, state, due);

CREATE TABLE notified (
    moment_company TEXT NOT NULL,
    dkplus_company TEXT NOT NULL,
    key TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (moment_company, dkplus_company, key)
);
