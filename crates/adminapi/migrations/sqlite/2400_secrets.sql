-- adminapi: each community's secret store (crate::domain::secrets): values sealed with
-- AES-256-GCM under the deployment's key, bound to the community and the tag.
CREATE TABLE IF NOT EXISTS secrets (
    community_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    sealed TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_ts BIGINT NOT NULL,
    PRIMARY KEY (community_id, tag)
);
