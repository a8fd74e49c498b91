-- users-mgmt: behavior auth (typing pattern) enrollments, keyed by SHA-512 of the user's urn
-- (lowercase hex). samples is a JSON array of the samples' timing features (never raw
-- keystrokes); sample_count is its length, for the compare-and-set of a registration step;
-- complete is 1 once every sample is in.
CREATE TABLE IF NOT EXISTS behavior_enrollments (
    user_key TEXT PRIMARY KEY NOT NULL,
    phrase TEXT NOT NULL,
    samples TEXT NOT NULL,
    sample_count BIGINT NOT NULL,
    complete BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
