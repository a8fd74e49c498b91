-- adminapi: uploaded images, content-addressed by the SHA-256 of their bytes
-- (crate::domain::images), served at GET /images/{sha256}.
CREATE TABLE IF NOT EXISTS images (
    sha256 TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    content BYTEA NOT NULL,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
