-- The audit log (see the PostgreSQL migration of the same name for what it holds and why `id` is
-- numbered from `audit_head`). SQLite has one writer at a time: an append updates `audit_head`
-- first, so its transaction holds the write lock before it reads the hash it follows.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT REFERENCES organisations(id),
    actor_user_id BIGINT REFERENCES users(id),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    details TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    prev_hash TEXT NOT NULL UNIQUE,
    hash TEXT NOT NULL
);
CREATE INDEX audit_events_org_idx ON audit_events (organisation_id, id);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_id BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_id, last_hash)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Append-only (dropping the triggers is what it takes to change an event; the chain shows it).
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused'); END;
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused'); END;
