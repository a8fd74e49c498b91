-- users-mgmt: the auth modules of a community and the users they hold.

-- doc is the module's configuration as JSON (credentials included: never returned).
CREATE TABLE IF NOT EXISTS auth_modules (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL,
    community_id TEXT NOT NULL,
    module_type TEXT NOT NULL,
    name TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    mode TEXT NOT NULL,
    enhanced_security_on BIGINT NOT NULL,
    last_enabled_at BIGINT,
    config TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (community_id, module_type)
);

-- Usernames are unique per community whatever their case (username_key is the lowercase form).
-- The fields a query may filter on are columns; the rest of the profile is JSON.
CREATE TABLE IF NOT EXISTS users (
    uid TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL,
    community_id TEXT NOT NULL,
    module_id TEXT NOT NULL,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL,
    dguid TEXT NOT NULL,
    status TEXT NOT NULL,
    disabled BIGINT NOT NULL,
    email1 TEXT,
    phone1 TEXT,
    firstname TEXT,
    lastname TEXT,
    profile TEXT NOT NULL,
    password_hash TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (community_id, username_key)
);

CREATE INDEX IF NOT EXISTS users_by_module ON users (community_id, module_id, username_key);
