-- Verify before paying (see the PostgreSQL migration of the same name). The state CHECKs are
-- triggers in SQLite (see 2026-12-01-000002_payment_runs): they are dropped and made again with the
-- new values.

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

DROP TRIGGER bulk_state_check_insert;
DROP TRIGGER bulk_state_check_update;
CREATE TRIGGER bulk_state_check_insert BEFORE INSERT ON bulk_transfers
    WHEN NEW.state NOT IN ('VERIFYING', 'AWAITING_APPROVAL', 'SCHEDULED', 'PENDING', 'PROCESSING',
                           'COMPLETED', 'PARTIALLY_COMPLETED', 'FAILED', 'REJECTED', 'CANCELLED')
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: bulk_state_check'); END;
CREATE TRIGGER bulk_state_check_update BEFORE UPDATE OF state ON bulk_transfers
    WHEN NEW.state NOT IN ('VERIFYING', 'AWAITING_APPROVAL', 'SCHEDULED', 'PENDING', 'PROCESSING',
                           'COMPLETED', 'PARTIALLY_COMPLETED', 'FAILED', 'REJECTED', 'CANCELLED')
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: bulk_state_check'); END;
DROP TRIGGER transfer_status_check_insert;
DROP TRIGGER transfer_status_check_update;
CREATE TRIGGER transfer_status_check_insert BEFORE INSERT ON individual_transfers
    WHEN NEW.status NOT IN ('PENDING', 'PROCESSING', 'UNKNOWN', 'COMPLETED', 'FAILED', 'CANCELLED',
                            'EXCLUDED')
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: transfer_status_check'); END;
CREATE TRIGGER transfer_status_check_update BEFORE UPDATE OF status ON individual_transfers
    WHEN NEW.status NOT IN ('PENDING', 'PROCESSING', 'UNKNOWN', 'COMPLETED', 'FAILED', 'CANCELLED',
                            'EXCLUDED')
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: transfer_status_check'); END;

-- The rows a verification still has to look up, for the workers' claims (most rows of a large run
-- already have their answer while the last ones are claimed).
CREATE INDEX transfers_to_look_up_idx ON individual_transfers (bulk_pk, id)
    WHERE status = 'PENDING' AND (party_result IS NULL OR party_result = 'ERROR');
