-- adminapi: the devices linked to users (crate::domain::devices): a phone's wallet (its DID and
-- public key) linked by a logged-in user through a QR session, which then signs that user in.
-- A DID is linked to at most one user of a community.
CREATE TABLE IF NOT EXISTS linked_devices (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    community_id TEXT NOT NULL,
    uid TEXT NOT NULL,
    username TEXT NOT NULL,
    module_id TEXT NOT NULL,
    did TEXT NOT NULL,
    public_key TEXT NOT NULL,
    app_id TEXT NOT NULL,
    ial TEXT,
    details TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS linked_devices_by_did ON linked_devices (community_id, did);
CREATE INDEX IF NOT EXISTS linked_devices_by_user ON linked_devices (community_id, uid);
