-- adminapi: the Reports group (crate::domain::reports). One row per reported event (PUT
-- /reports/event and adminapi's own logins): the whole event as JSON in `data`, the fields the
-- reports filter on beside it, found by community and time.
CREATE TABLE IF NOT EXISTS report_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    community_id TEXT NOT NULL,
    event_name TEXT NOT NULL,
    user_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    session_id TEXT NOT NULL,
    broker_id TEXT NOT NULL,
    auth_method TEXT NOT NULL,
    application TEXT NOT NULL,
    event_ts BIGINT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS report_events_by_community ON report_events (community_id, event_ts);

-- Download jobs: a report asked for as a CSV file, produced in the background, kept here with
-- its status; `notify` is the JSON array of addresses told when it is ready.
CREATE TABLE IF NOT EXISTS report_jobs (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    tenant_dns TEXT NOT NULL,
    community_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_by_uid TEXT NOT NULL,
    notify TEXT NOT NULL,
    window_from BIGINT,
    window_to BIGINT,
    created_at BIGINT NOT NULL,
    completed_at BIGINT,
    size BIGINT,
    content TEXT
);
CREATE INDEX IF NOT EXISTS report_jobs_by_community ON report_jobs (community_id, created_at);
CREATE INDEX IF NOT EXISTS report_jobs_by_requester ON report_jobs (requested_by_uid, created_at);
