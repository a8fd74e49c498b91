-- adminapi: the custom script of an auth module (crate::domain::module_scripts), kept here because
-- users-mgmt's module update has no field for it; the module itself stays users-mgmt's.
CREATE TABLE IF NOT EXISTS module_scripts (
    module_id TEXT PRIMARY KEY,
    community_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    script TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
