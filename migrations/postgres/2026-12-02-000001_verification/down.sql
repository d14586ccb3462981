DROP INDEX transfers_to_look_up_idx;
ALTER TABLE individual_transfers DROP CONSTRAINT transfer_status_check;
ALTER TABLE individual_transfers ADD CONSTRAINT transfer_status_check CHECK (status IN (
    'PENDING', 'PROCESSING', 'UNKNOWN', 'COMPLETED', 'FAILED', 'CANCELLED'));
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
ALTER TABLE bulk_transfers DROP CONSTRAINT bulk_state_check;
ALTER TABLE bulk_transfers ADD CONSTRAINT bulk_state_check CHECK (state IN (
    'AWAITING_APPROVAL', 'SCHEDULED', 'PENDING', 'PROCESSING', 'COMPLETED', 'PARTIALLY_COMPLETED',
    'FAILED', 'REJECTED', 'CANCELLED'));
ALTER TABLE bulk_transfers DROP COLUMN excluded_amount;
ALTER TABLE bulk_transfers DROP COLUMN excluded_count;
ALTER TABLE bulk_transfers DROP COLUMN approved_verification_version;
ALTER TABLE bulk_transfers DROP COLUMN verified_at;
ALTER TABLE bulk_transfers DROP COLUMN verification_version;
ALTER TABLE bulk_transfers DROP COLUMN verification_mode;
ALTER TABLE organisations DROP COLUMN verification_mode;
