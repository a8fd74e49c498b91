-- adminapi: each community's email and SMS templates (crate::domain::templates), by purpose,
-- channel and id; at most one default per purpose and channel.
CREATE TABLE IF NOT EXISTS templates (
    community_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    channel TEXT NOT NULL,
    id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    name TEXT NOT NULL,
    subject TEXT,
    data TEXT NOT NULL,
    is_default BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (community_id, purpose, channel, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS templates_one_default ON templates (community_id, purpose, channel)
    WHERE is_default = 1;
