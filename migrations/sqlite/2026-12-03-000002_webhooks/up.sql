-- Webhooks: each organisation's signing secret, the outbox of events to deliver (written in the
-- same transaction as the state change it tells of, so no event is lost and none is invented), and
-- one line per delivery attempt.

CREATE TABLE webhook_secrets (
    organisation_id BIGINT PRIMARY KEY REFERENCES organisations(id),
    secret TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    bulk_pk BIGINT NOT NULL REFERENCES bulk_transfers(id),
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    event TEXT NOT NULL,
    url TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'PENDING'
        CONSTRAINT webhook_state_check CHECK (state IN ('PENDING', 'DELIVERED', 'FAILED', 'BLOCKED')),
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TIMESTAMP NOT NULL,
    lease_until TIMESTAMP,
    last_status INTEGER,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
-- What the senders poll: only undelivered events are in it.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE state = 'PENDING';
CREATE INDEX webhook_deliveries_bulk_idx ON webhook_deliveries (bulk_pk, id);

CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries(id),
    attempt INTEGER NOT NULL,
    started_at TIMESTAMP NOT NULL,
    duration_ms BIGINT NOT NULL,
    status INTEGER,
    error TEXT
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, attempt);
