-- adminapi: tenants, their communities, and the license keys of the platform.
CREATE TABLE IF NOT EXISTS tenants (
    id TEXT PRIMARY KEY NOT NULL,
    dns TEXT NOT NULL UNIQUE,
    tag TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS communities (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

-- Keys are found by secret_hash (SHA-512 hex of the secret); the secret itself is compared in
-- constant time. communities is a JSON array of community ids, NULL for all.
CREATE TABLE IF NOT EXISTS licenses (
    key_id TEXT PRIMARY KEY NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    key_secret TEXT NOT NULL,
    key_type TEXT NOT NULL,
    auth_level TEXT NOT NULL,
    tag TEXT NOT NULL,
    expiry BIGINT NOT NULL,
    disabled BIGINT NOT NULL DEFAULT 0,
    communities TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS licenses_tag ON licenses (tag);
