-- users-mgmt: system users (type systemuser, communityId any), one per username in the deployment
-- whatever its case (username_key is the lowercase form), since they authenticate by username alone.
-- The fields a query may filter on are columns; the rest of the profile is JSON.
CREATE TABLE IF NOT EXISTS system_users (
    uid TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    disabled BIGINT NOT NULL,
    email1 TEXT,
    firstname TEXT,
    lastname TEXT,
    profile TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS system_users_by_tenant ON system_users (tenant_id, username_key);
