-- adminapi: hardware tokens (crate::domain::hardware_tokens), HOTP and TOTP, their seeds sealed
-- under the deployment's key; `counter` is the first counter (or TOTP step) still acceptable.
CREATE TABLE IF NOT EXISTS hardware_tokens (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    community_id TEXT NOT NULL,
    serial_number TEXT NOT NULL,
    token_type TEXT NOT NULL,
    sealed_seed TEXT NOT NULL,
    digits BIGINT NOT NULL,
    period BIGINT NOT NULL,
    counter BIGINT NOT NULL,
    drift BIGINT NOT NULL,
    username TEXT,
    user_uid TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_used_at BIGINT,
    UNIQUE (community_id, serial_number)
);
CREATE INDEX IF NOT EXISTS hardware_tokens_user ON hardware_tokens (community_id, username);
