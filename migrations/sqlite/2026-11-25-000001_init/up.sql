-- Money is BIGINT minor units everywhere; CHECK constraints are the last line of defence for the ledger.
CREATE TABLE organisations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    username TEXT NOT NULL UNIQUE,
    email TEXT UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('GESTIONNAIRE', 'SUPERVISEUR')),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX users_organisation_idx ON users (organisation_id);

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    account_id TEXT NOT NULL UNIQUE,
    party_id_type TEXT NOT NULL,
    party_identifier TEXT NOT NULL,
    currency TEXT NOT NULL,
    balance BIGINT NOT NULL DEFAULT 0 CHECK (balance >= 0),
    reserved BIGINT NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= balance),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (organisation_id, currency)
);

CREATE TABLE bulk_transfers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    bulk_id TEXT NOT NULL UNIQUE,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    account_pk BIGINT NOT NULL REFERENCES accounts(id),
    currency TEXT NOT NULL,
    total_amount BIGINT NOT NULL CHECK (total_amount > 0),
    total_count BIGINT NOT NULL CHECK (total_count > 0),
    succeeded_count BIGINT NOT NULL DEFAULT 0,
    failed_count BIGINT NOT NULL DEFAULT 0,
    succeeded_amount BIGINT NOT NULL DEFAULT 0,
    failed_amount BIGINT NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    file_name TEXT,
    idempotency_key TEXT,
    callback_url TEXT,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP
);
CREATE UNIQUE INDEX bulk_idempotency_idx ON bulk_transfers (organisation_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX bulk_org_created_idx ON bulk_transfers (organisation_id, id DESC);
CREATE INDEX bulk_org_sha_idx ON bulk_transfers (organisation_id, file_sha256);
CREATE INDEX bulk_state_idx ON bulk_transfers (state, updated_at);

CREATE TABLE individual_transfers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    bulk_pk BIGINT NOT NULL REFERENCES bulk_transfers(id),
    line BIGINT NOT NULL,
    transfer_id TEXT NOT NULL,
    mojaloop_transfer_id TEXT NOT NULL UNIQUE,
    party_id_type TEXT NOT NULL,
    party_identifier TEXT NOT NULL,
    payee_name TEXT,
    amount BIGINT NOT NULL CHECK (amount > 0),
    status TEXT NOT NULL,
    error_code TEXT,
    error_message TEXT,
    attempt_count INTEGER NOT NULL DEFAULT 0,
    lookup_count INTEGER NOT NULL DEFAULT 0,
    claimed_at TIMESTAMP,
    next_lookup_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP,
    UNIQUE (bulk_pk, transfer_id)
);
CREATE INDEX transfers_bulk_status_idx ON individual_transfers (bulk_pk, status, id);
CREATE INDEX transfers_inflight_idx ON individual_transfers (status, claimed_at)
    WHERE status IN ('PROCESSING', 'UNKNOWN');

CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_pk BIGINT NOT NULL REFERENCES accounts(id),
    bulk_pk BIGINT REFERENCES bulk_transfers(id),
    transfer_pk BIGINT REFERENCES individual_transfers(id),
    kind TEXT NOT NULL CHECK (kind IN ('CREDIT', 'RESERVE', 'CONSUME', 'RELEASE')),
    amount BIGINT NOT NULL CHECK (amount > 0),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ledger_account_idx ON ledger_entries (account_pk);
CREATE INDEX ledger_bulk_idx ON ledger_entries (bulk_pk);

CREATE TABLE revoked_tokens (
    jti TEXT PRIMARY KEY,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX revoked_tokens_expiry_idx ON revoked_tokens (expires_at);

CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_user_idx ON login_failures (username, failed_at);
