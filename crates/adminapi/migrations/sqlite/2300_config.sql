-- adminapi: each community's settings, one JSON document per kind (crate::domain::config).
CREATE TABLE IF NOT EXISTS community_settings (
    community_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (community_id, kind)
);

-- Who changed what in a community's configuration, and when (crate::domain::audit): the names of
-- the changed fields (a JSON array), never their values.
CREATE TABLE IF NOT EXISTS config_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    community_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    record TEXT NOT NULL,
    action TEXT NOT NULL,
    fields TEXT NOT NULL,
    actor TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS config_changes_by_community ON config_changes (community_id, at);
