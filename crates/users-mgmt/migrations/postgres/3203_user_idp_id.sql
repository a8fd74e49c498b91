-- users-mgmt: a user's idpId (its object id at the identity provider, e.g. an Azure AD oid) as a
-- lowercase column, so a user is found by it (EAM fetch_by_oid); filled from the profile of existing users.
ALTER TABLE users ADD COLUMN idp_id TEXT;
UPDATE users SET idp_id = lower(profile::json ->> 'idpId');
CREATE INDEX IF NOT EXISTS users_by_idp_id ON users (community_id, idp_id);
