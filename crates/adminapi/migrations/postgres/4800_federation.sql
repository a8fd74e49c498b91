-- adminapi: service providers (crate::domain::service_providers) and the OpenID Connect provider's
-- signing keys (crate::domain::oidc::keys).
--
-- A service provider's configuration is `document` (JSON, without secrets). An OIDC client's
-- secret is never stored: `client_secret_mac` is its HMAC-SHA256 under a subkey of the
-- deployment's key (hex). `idp_initiated` is 1 for a SAML provider offering IdP-initiated login.
CREATE TABLE IF NOT EXISTS service_providers (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    community_id TEXT NOT NULL,
    sp_type TEXT NOT NULL,
    name TEXT NOT NULL,
    client_id TEXT UNIQUE,
    client_secret_mac TEXT,
    entity_id TEXT,
    idp_initiated BIGINT NOT NULL,
    document TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS service_providers_community ON service_providers (community_id, sp_type);

-- A community's ID token signing keys: the private key (PKCS#8 DER, base64) sealed by the
-- deployment's key for its community and kid, the public JWK in clear. The key without
-- `retired_at` signs; a retired key stays published until `publish_until` (the lifetime of the
-- last tokens it signed). At most one signing key per community and algorithm.
CREATE TABLE IF NOT EXISTS oidc_signing_keys (
    kid TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    community_id TEXT NOT NULL,
    alg TEXT NOT NULL,
    private_sealed TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT,
    publish_until BIGINT
);
CREATE UNIQUE INDEX IF NOT EXISTS oidc_signing_keys_current ON oidc_signing_keys (community_id, alg) WHERE retired_at IS NULL;
