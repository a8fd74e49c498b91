-- adminapi: the SAML 2.0 identity provider of each community (crate::domain::saml): its signing
-- key and self-signed certificate, made on first use. The private key (PKCS#8 PEM) is sealed by
-- the deployment's key for its community; the certificate (PEM) is public (the IdP metadata
-- publishes it). One credential per community.
CREATE TABLE IF NOT EXISTS saml_idp_keys (
    community_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    private_sealed TEXT NOT NULL,
    certificate_pem TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- The SAML service providers an AuthnRequest's issuer names.
CREATE INDEX IF NOT EXISTS service_providers_entity_id ON service_providers (entity_id);
