-- adminapi: each community's auth scheme (the auth modules its login offers by default, a JSON
-- array of module ids, in order).
CREATE TABLE IF NOT EXISTS auth_schemes (
    community_id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL,
    default_modules TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
