-- users-mgmt: the broker connections of directory modules in `mode: broker`
-- (crate::domain::brokers). Times are epoch seconds.
CREATE TABLE IF NOT EXISTS broker_connections (
    uid TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    community_id TEXT NOT NULL,
    module_id TEXT NOT NULL,
    name TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    authorized BIGINT NOT NULL,
    connected BIGINT NOT NULL,
    version TEXT NOT NULL,
    connected_at BIGINT,
    last_ping_at BIGINT,
    last_disconnected_at BIGINT,
    last_notification_sent_at BIGINT,
    ip TEXT NOT NULL,
    port TEXT NOT NULL,
    -- SHA-256 (hex) of the broker key it registered with: only that key polls as it.
    key_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS broker_connections_by_module ON broker_connections (community_id, module_id);
