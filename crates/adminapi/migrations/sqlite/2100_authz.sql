-- adminapi: the roles given to users (a user has at most one role in a community).
CREATE TABLE IF NOT EXISTS authz_assignments (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL,
    community_id TEXT NOT NULL,
    uid TEXT NOT NULL,
    role TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (community_id, uid)
);
