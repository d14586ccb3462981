-- The payment run a fund can sign (see the PostgreSQL migration of the same name). SQLite cannot
-- alter a CHECK constraint: `users` is rebuilt (foreign keys are switched off around migrations by
-- db::connection::run_migrations, and checked afterwards), and the state CHECKs of the two big
-- tables are triggers, which refuse the same values a CHECK would.

ALTER TABLE organisations ADD COLUMN approval_mode TEXT NOT NULL DEFAULT 'off'
    CHECK (approval_mode IN ('off', 'required'));
ALTER TABLE organisations ADD COLUMN approval_threshold BIGINT
    CHECK (approval_threshold IS NULL OR approval_threshold >= 0);
ALTER TABLE organisations ADD COLUMN period_guard BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE users_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    username TEXT NOT NULL UNIQUE,
    email TEXT UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('GESTIONNAIRE', 'SUPERVISEUR', 'APPROBATEUR')),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO users_new (id, organisation_id, username, email, password_hash, role, active, created_at)
    SELECT id, organisation_id, username, email, password_hash, role, active, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_organisation_idx ON users (organisation_id);

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
CREATE INDEX bulk_parent_idx ON bulk_transfers (parent_bulk_pk) WHERE parent_bulk_pk IS NOT NULL;
CREATE INDEX bulk_scheduled_idx ON bulk_transfers (execute_at) WHERE state = 'SCHEDULED';
CREATE TRIGGER bulk_state_check_insert BEFORE INSERT ON bulk_transfers
    WHEN NEW.state NOT IN ('AWAITING_APPROVAL', 'SCHEDULED', 'PENDING', 'PROCESSING', 'COMPLETED',
                           'PARTIALLY_COMPLETED', 'FAILED', 'REJECTED', 'CANCELLED')
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: bulk_state_check'); END;
CREATE TRIGGER bulk_state_check_update BEFORE UPDATE OF state ON bulk_transfers
    WHEN NEW.state NOT IN ('AWAITING_APPROVAL', 'SCHEDULED', 'PENDING', 'PROCESSING', 'COMPLETED',
                           'PARTIALLY_COMPLETED', 'FAILED', 'REJECTED', 'CANCELLED')
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: bulk_state_check'); END;

ALTER TABLE individual_transfers ADD COLUMN repeat_in_period BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TRIGGER transfer_status_check_insert BEFORE INSERT ON individual_transfers
    WHEN NEW.status NOT IN ('PENDING', 'PROCESSING', 'UNKNOWN', 'COMPLETED', 'FAILED', 'CANCELLED')
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: transfer_status_check'); END;
CREATE TRIGGER transfer_status_check_update BEFORE UPDATE OF status ON individual_transfers
    WHEN NEW.status NOT IN ('PENDING', 'PROCESSING', 'UNKNOWN', 'COMPLETED', 'FAILED', 'CANCELLED')
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: transfer_status_check'); END;

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
