-- adminapi: WebAuthn credentials (crate::domain::webauthn), security keys and platform
-- authenticators registered by a user of a community; `passkey` is the verified credential
-- (webauthn-rs `Passkey`, JSON: its id, public key and counter, no secret); `counter` is the last
-- signature counter accepted, moved only forward by a conditional update.
CREATE TABLE IF NOT EXISTS webauthn_credentials (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    community_id TEXT NOT NULL,
    uid TEXT NOT NULL,
    username TEXT NOT NULL,
    module_id TEXT NOT NULL,
    credential_id TEXT NOT NULL,
    aaguid TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    key_type TEXT NOT NULL,
    passkey TEXT NOT NULL,
    counter BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    UNIQUE (community_id, credential_id)
);
CREATE INDEX IF NOT EXISTS webauthn_credentials_user ON webauthn_credentials (community_id, username);

-- The community's authenticator models (AAGUIDs): `disabled` ones may not register; when any is
-- enabled, only the enabled ones may (an allow list).
CREATE TABLE IF NOT EXISTS webauthn_vendor_metadata (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    community_id TEXT NOT NULL,
    aaguid TEXT NOT NULL,
    metadata TEXT NOT NULL,
    name TEXT NOT NULL,
    disabled BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (community_id, aaguid)
);
