-- The payment run a fund can sign: organisation policy, the approver role, approval / rejection /
-- cancellation records, scheduling, the pension period and its guard, retry runs. Everything new is
-- off or empty by default, so existing organisations and runs behave exactly as before.

ALTER TABLE organisations ADD COLUMN approval_mode TEXT NOT NULL DEFAULT 'off'
    CHECK (approval_mode IN ('off', 'required'));
ALTER TABLE organisations ADD COLUMN approval_threshold BIGINT
    CHECK (approval_threshold IS NULL OR approval_threshold >= 0);
ALTER TABLE organisations ADD COLUMN period_guard BOOLEAN NOT NULL DEFAULT FALSE;

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('GESTIONNAIRE', 'SUPERVISEUR', 'APPROBATEUR'));

ALTER TABLE bulk_transfers ADD COLUMN period TEXT;
ALTER TABLE bulk_transfers ADD COLUMN execute_at TIMESTAMP;
ALTER TABLE bulk_transfers ADD COLUMN approval_required BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE bulk_transfers ADD COLUMN approved_by BIGINT REFERENCES users(id);
ALTER TABLE bulk_transfers ADD COLUMN approved_at TIMESTAMP;
ALTER TABLE bulk_transfers ADD COLUMN approved_sha256 TEXT;
ALTER TABLE bulk_transfers ADD COLUMN rejected_by BIGINT REFERENCES users(id);
ALTER TABLE bulk_transfers ADD COLUMN rejected_at TIMESTAMP;
ALTER TABLE bulk_transfers ADD COLUMN rejection_reason TEXT;
ALTER TABLE bulk_transfers ADD COLUMN cancelled_by BIGINT REFERENCES users(id);
ALTER TABLE bulk_transfers ADD COLUMN cancelled_at TIMESTAMP;
ALTER TABLE bulk_transfers ADD COLUMN parent_bulk_pk BIGINT REFERENCES bulk_transfers(id);
ALTER TABLE bulk_transfers ADD CONSTRAINT bulk_state_check CHECK (state IN (
    'AWAITING_APPROVAL', 'SCHEDULED', 'PENDING', 'PROCESSING', 'COMPLETED', 'PARTIALLY_COMPLETED',
    'FAILED', 'REJECTED', 'CANCELLED'));
CREATE INDEX bulk_parent_idx ON bulk_transfers (parent_bulk_pk) WHERE parent_bulk_pk IS NOT NULL;
CREATE INDEX bulk_scheduled_idx ON bulk_transfers (execute_at) WHERE state = 'SCHEDULED';

ALTER TABLE individual_transfers ADD COLUMN repeat_in_period BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE individual_transfers ADD CONSTRAINT transfer_status_check CHECK (status IN (
    'PENDING', 'PROCESSING', 'UNKNOWN', 'COMPLETED', 'FAILED', 'CANCELLED'));

-- One row per payee paid (or being paid) in a pension period of an organisation. The primary key is
-- the guard: two runs racing for the same payee and period cannot both insert it. A FAILED,
-- CANCELLED or REJECTED row gives its claim back; a retry run takes it again.
CREATE TABLE period_claims (
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    period TEXT NOT NULL,
    party_id_type TEXT NOT NULL,
    party_identifier TEXT NOT NULL,
    bulk_pk BIGINT NOT NULL REFERENCES bulk_transfers(id),
    transfer_pk BIGINT NOT NULL REFERENCES individual_transfers(id),
    PRIMARY KEY (organisation_id, period, party_id_type, party_identifier)
);
CREATE INDEX period_claims_transfer_idx ON period_claims (transfer_pk);
