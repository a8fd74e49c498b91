-- adminapi: authentication journeys (crate::domain::journeys): a community's login policies, the
-- conditions and decision kept as one JSON text (`policy`); names unique in a community.
CREATE TABLE IF NOT EXISTS auth_journeys (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    community_id TEXT NOT NULL,
    name TEXT NOT NULL,
    category TEXT,
    enabled BIGINT NOT NULL,
    policy TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (community_id, name)
);
