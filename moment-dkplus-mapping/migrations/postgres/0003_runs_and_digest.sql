-- What each sync run did (for the status page): a summary as JSON, kept 30 days.
CREATE TABLE runs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    moment_company TEXT NOT NULL,
    dkplus_company TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX runs_by_scope ON runs (moment_company, dkplus_company, started_at);

-- Warnings waiting for the next digest mail, one row per warned object or run warning.
CREATE TABLE alert_digest (
    moment_company TEXT NOT NULL,
    dkplus_company TEXT NOT NULL,
    key TEXT NOT NULL,
    text TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (moment_company, dkplus_company, key)
);
