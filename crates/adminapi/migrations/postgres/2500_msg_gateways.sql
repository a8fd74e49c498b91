-- adminapi: each community's message gateways (crate::domain::msg_gateway): the settings as a
-- JSON document, the credentials as a JSON object of values sealed with AES-256-GCM under the
-- deployment's key, each bound to the community, the gateway and the field.
CREATE TABLE IF NOT EXISTS msg_gateways (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    community_id TEXT NOT NULL,
    settings TEXT NOT NULL,
    sealed TEXT NOT NULL,
    created_ts BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS msg_gateways_by_community ON msg_gateways (community_id, created_ts);
