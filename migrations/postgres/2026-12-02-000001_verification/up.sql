-- Verify before paying: the organisation's verification policy, the run's verification record and
-- each row's party lookup (what the switch said, and how well its name matches the file's). A row
-- that verification keeps out of the run is EXCLUDED. Everything new is off or empty by default.

ALTER TABLE organisations ADD COLUMN verification_mode TEXT NOT NULL DEFAULT 'off'
    CHECK (verification_mode IN ('off', 'report', 'exclude'));

-- The mode the run was verified under (copied from the policy at upload), how many times its
-- verification completed (the report's version, which an approval binds), the version approved,
-- and how many rows (and how much) were excluded. Excluded rows also count as failed: not paid.
ALTER TABLE bulk_transfers ADD COLUMN verification_mode TEXT NOT NULL DEFAULT 'off'
    CHECK (verification_mode IN ('off', 'report', 'exclude'));
ALTER TABLE bulk_transfers ADD COLUMN verification_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE bulk_transfers ADD COLUMN verified_at TIMESTAMP;
ALTER TABLE bulk_transfers ADD COLUMN approved_verification_version INTEGER;
ALTER TABLE bulk_transfers ADD COLUMN excluded_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE bulk_transfers ADD COLUMN excluded_amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE bulk_transfers DROP CONSTRAINT bulk_state_check;
ALTER TABLE bulk_transfers ADD CONSTRAINT bulk_state_check CHECK (state IN (
    'VERIFYING', 'AWAITING_APPROVAL', 'SCHEDULED', 'PENDING', 'PROCESSING', 'COMPLETED',
    'PARTIALLY_COMPLETED', 'FAILED', 'REJECTED', 'CANCELLED'));

ALTER TABLE individual_transfers ADD COLUMN party_result TEXT
    CHECK (party_result IS NULL OR party_result IN ('FOUND', 'NOT_FOUND', 'ERROR'));
ALTER TABLE individual_transfers ADD COLUMN party_fsp_id TEXT;
ALTER TABLE individual_transfers ADD COLUMN party_name TEXT;
ALTER TABLE individual_transfers ADD COLUMN party_first_name TEXT;
ALTER TABLE individual_transfers ADD COLUMN party_middle_name TEXT;
ALTER TABLE individual_transfers ADD COLUMN party_last_name TEXT;
ALTER TABLE individual_transfers ADD COLUMN party_birth_date TEXT;
ALTER TABLE individual_transfers ADD COLUMN name_match TEXT
    CHECK (name_match IS NULL OR name_match IN
           ('MATCH', 'PARTIAL', 'MISMATCH', 'NO_NAME_IN_FILE', 'NO_NAME_AT_SWITCH'));
ALTER TABLE individual_transfers ADD COLUMN party_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE individual_transfers ADD COLUMN party_error TEXT;
ALTER TABLE individual_transfers ADD COLUMN party_retry_at TIMESTAMP;
ALTER TABLE individual_transfers ADD COLUMN party_lease_until TIMESTAMP;
ALTER TABLE individual_transfers ADD COLUMN party_checked_at TIMESTAMP;
ALTER TABLE individual_transfers DROP CONSTRAINT transfer_status_check;
ALTER TABLE individual_transfers ADD CONSTRAINT transfer_status_check CHECK (status IN (
    'PENDING', 'PROCESSING', 'UNKNOWN', 'COMPLETED', 'FAILED', 'CANCELLED', 'EXCLUDED'));

-- The rows a verification still has to look up, for the workers' claims (most rows of a large run
-- already have their answer while the last ones are claimed).
CREATE INDEX transfers_to_look_up_idx ON individual_transfers (bulk_pk, id)
    WHERE status = 'PENDING' AND (party_result IS NULL OR party_result = 'ERROR');
