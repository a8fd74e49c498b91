-- adminapi: access codes (crate::domain::access_codes), one-time codes a user redeems (invitations).
-- The code itself is never stored: `code_hash` is its HMAC-SHA256 under a subkey of the
-- deployment's key (hex). `id` is the short, non-secret id the lists show. `status` is active,
-- redeemed or revoked; an active code past `expires_at` is expired.
CREATE TABLE IF NOT EXISTS access_codes (
    id TEXT PRIMARY KEY,
    code_hash TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL,
    community_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    uid TEXT NOT NULL,
    username TEXT NOT NULL,
    module_id TEXT NOT NULL,
    email_to TEXT,
    sms_to TEXT,
    template_key TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_by_uid TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    redeemed_at BIGINT,
    redeem_result TEXT
);
CREATE INDEX IF NOT EXISTS access_codes_user ON access_codes (community_id, uid);
