DROP INDEX transfers_to_look_up_idx;
DROP TRIGGER transfer_status_check_update;
DROP TRIGGER transfer_status_check_insert;
CREATE TRIGGER transfer_status_check_insert BEFORE INSERT ON individual_transfers
    WHEN NEW.status NOT IN ('PENDING', 'PROCESSING', 'UNKNOWN', 'COMPLETED', 'FAILED', 'CANCELLED')
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: transfer_status_check'); END;
CREATE TRIGGER transfer_status_check_update BEFORE UPDATE OF status ON individual_transfers
    WHEN NEW.status NOT IN ('PENDING', 'PROCESSING', 'UNKNOWN', 'COMPLETED', 'FAILED', 'CANCELLED')
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: transfer_status_check'); END;
DROP TRIGGER bulk_state_check_update;
DROP TRIGGER bulk_state_check_insert;
CREATE TRIGGER bulk_state_check_insert BEFORE INSERT ON bulk_transfers
    WHEN NEW.state NOT IN ('AWAITING_APPROVAL', 'SCHEDULED', 'PENDING', 'PROCESSING', 'COMPLETED',
                           'PARTIALLY_COMPLETED', 'FAILED', 'REJECTED', 'CANCELLED')
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: bulk_state_check'); END;
CREATE TRIGGER bulk_state_check_update BEFORE UPDATE OF state ON bulk_transfers
    WHEN NEW.state NOT IN ('AWAITING_APPROVAL', 'SCHEDULED', 'PENDING', 'PROCESSING', 'COMPLETED',
                           'PARTIALLY_COMPLETED', 'FAILED', 'REJECTED', 'CANCELLED')
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: bulk_state_check'); END;
ALTER TABLE individual_transfers DROP COLUMN party_checked_at;
ALTER TABLE individual_transfers DROP COLUMN party_lease_until;
ALTER TABLE individual_transfers DROP COLUMN party_retry_at;
ALTER TABLE individual_transfers DROP COLUMN party_error;
ALTER TABLE individual_transfers DROP COLUMN party_attempts;
ALTER TABLE individual_transfers DROP COLUMN name_match;
ALTER TABLE individual_transfers DROP COLUMN party_birth_date;
ALTER TABLE individual_transfers DROP COLUMN party_last_name;
ALTER TABLE individual_transfers DROP COLUMN party_middle_name;
ALTER TABLE individual_transfers DROP COLUMN party_first_name;
ALTER TABLE individual_transfers DROP COLUMN party_name;
ALTER TABLE individual_transfers DROP COLUMN party_fsp_id;
ALTER TABLE individual_transfers DROP COLUMN party_result;
ALTER TABLE bulk_transfers DROP COLUMN excluded_amount;
ALTER TABLE bulk_transfers DROP COLUMN excluded_count;
ALTER TABLE bulk_transfers DROP COLUMN approved_verification_version;
ALTER TABLE bulk_transfers DROP COLUMN verified_at;
ALTER TABLE bulk_transfers DROP COLUMN verification_version;
ALTER TABLE bulk_transfers DROP COLUMN verification_mode;
ALTER TABLE organisations DROP COLUMN verification_mode;
