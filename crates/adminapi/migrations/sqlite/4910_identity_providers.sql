-- adminapi: each community's identity providers (`/idp`) and external IdPs (`/external_idp`)
-- (crate::domain::identity_providers), one table per kind: the provider as a JSON document, an
-- OIDC client secret sealed with AES-256-GCM under the deployment's key, bound to the
-- community, the kind and the provider ('' when none). One provider of each type per community.
CREATE TABLE IF NOT EXISTS identity_providers (
    id TEXT PRIMARY KEY,
    community_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    idp_type TEXT NOT NULL,
    document TEXT NOT NULL,
    sealed_secret TEXT NOT NULL,
    created_ts BIGINT NOT NULL,
    UNIQUE (community_id, idp_type)
);
CREATE TABLE IF NOT EXISTS external_idps (
    id TEXT PRIMARY KEY,
    community_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    idp_type TEXT NOT NULL,
    document TEXT NOT NULL,
    sealed_secret TEXT NOT NULL,
    created_ts BIGINT NOT NULL,
    UNIQUE (community_id, idp_type)
);
