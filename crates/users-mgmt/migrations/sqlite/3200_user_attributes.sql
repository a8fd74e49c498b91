-- users-mgmt: the custom user attributes of a community's auth modules (name -> attribute of the
-- module's data source). Names are unique per module whatever their case (name_key is the lowercase form).
CREATE TABLE IF NOT EXISTS user_attributes (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL,
    community_id TEXT NOT NULL,
    module_id TEXT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    attribute TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (community_id, module_id, name_key)
);
