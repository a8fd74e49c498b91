-- users-mgmt: a user's urn (urn:dns:<tenant dns>:community:<community>:mod:<module>:uid:<uid>), fixed at creation.
ALTER TABLE users ADD COLUMN urn TEXT NOT NULL DEFAULT '';
