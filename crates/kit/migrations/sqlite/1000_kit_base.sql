-- Shared by every service: short-lived state and the service's own key pair.
CREATE TABLE IF NOT EXISTS ephemeral (
    k TEXT PRIMARY KEY NOT NULL,
    v TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS ephemeral_expires_at ON ephemeral (expires_at);

CREATE TABLE IF NOT EXISTS service_keys (
    service TEXT NOT NULL,
    curve TEXT NOT NULL,
    private_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (service, curve)
);
