-- adminapi: every version of each community's consent documents (crate::domain::consents), by type and
-- by content hash (a CIDv0); the newest of a type is the current one.
CREATE TABLE IF NOT EXISTS consent_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    community_id TEXT NOT NULL,
    consent_type TEXT NOT NULL,
    ipfs_hash TEXT NOT NULL,
    document TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS consent_versions_by_type ON consent_versions (community_id, consent_type, id);
CREATE INDEX IF NOT EXISTS consent_versions_by_hash ON consent_versions (community_id, ipfs_hash);
