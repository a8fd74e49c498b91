-- users-mgmt: a user's PIN, as the SHA-512 hex digest the reference stores (one per user).
CREATE TABLE IF NOT EXISTS user_pins (
    uid TEXT PRIMARY KEY NOT NULL,
    pin_hash TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
