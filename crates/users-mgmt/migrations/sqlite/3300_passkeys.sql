-- users-mgmt: server-held passkeys (crate::domain::passkeys): the private key JWK given at
-- registration, sealed under the service's key (AES-256-GCM, bound to the community and the
-- credential id); one row per credential, a user may hold several (the newest is fetched).
CREATE TABLE IF NOT EXISTS passkeys (
    community_id TEXT NOT NULL,
    credential_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    uid TEXT NOT NULL,
    username TEXT NOT NULL,
    user_handle TEXT NOT NULL,
    user_display_name TEXT,
    rp_id TEXT NOT NULL,
    entra_auth_method_id TEXT,
    sealed_private_key TEXT NOT NULL,
    sign_count BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    -- epoch milliseconds
    registered_at BIGINT NOT NULL,
    PRIMARY KEY (community_id, credential_id)
);
CREATE INDEX IF NOT EXISTS passkeys_user ON passkeys (community_id, uid);
