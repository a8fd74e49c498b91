-- adminapi: each community's RADIUS and Auth Proxy configurations (crate::domain::radius), one
-- table per kind: the settings as a JSON document, the shared secret sealed with AES-256-GCM
-- under the deployment's key, bound to the community, the kind and the configuration ('' when
-- none is set).
CREATE TABLE IF NOT EXISTS radius_configs (
    community_id TEXT NOT NULL,
    id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    settings TEXT NOT NULL,
    sealed_secret TEXT NOT NULL,
    created_ts BIGINT NOT NULL,
    PRIMARY KEY (community_id, id)
);
CREATE TABLE IF NOT EXISTS authproxy_configs (
    community_id TEXT NOT NULL,
    id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    settings TEXT NOT NULL,
    sealed_secret TEXT NOT NULL,
    created_ts BIGINT NOT NULL,
    PRIMARY KEY (community_id, id)
);
