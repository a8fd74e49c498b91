-- users-mgmt: the properties of a user (mobiles, landlines and aliases, as JSON), one row per user;
-- each alias also in user_aliases, unique per module whatever its case, so a user is found by alias.
CREATE TABLE IF NOT EXISTS user_properties (
    id TEXT PRIMARY KEY NOT NULL,
    uid TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL,
    community_id TEXT NOT NULL,
    module_id TEXT NOT NULL,
    username TEXT NOT NULL,
    mobiles TEXT NOT NULL,
    landlines TEXT NOT NULL,
    aliases TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS user_aliases (
    community_id TEXT NOT NULL,
    module_id TEXT NOT NULL,
    alias_key TEXT NOT NULL,
    uid TEXT NOT NULL,
    PRIMARY KEY (community_id, module_id, alias_key)
);

CREATE INDEX IF NOT EXISTS user_aliases_by_uid ON user_aliases (uid);
