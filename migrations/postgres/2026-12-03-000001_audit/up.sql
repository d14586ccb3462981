-- The audit log: who logged in, uploaded, verified, approved, rejected, cancelled, retried, started,
-- created, credited, resolved or changed what. Append-only and hash-chained: each event's hash is
-- SHA-256 over the previous event's hash and the event's canonical form (see `domain::audit`), one
-- chain for every organisation, so an edited, removed or reordered event shows when the chain is
-- checked (`gateway-api audit verify`).
--
-- `id` is the event's position in the chain, numbered from `audit_head` under the chain's lock
-- (1, 2, 3… without gaps: a missing number is itself visible) rather than by a sequence, whose
-- numbers are taken in another order than the chain's and lost on rollback.
-- `prev_hash` is UNIQUE: two events can never follow the same one (the chain cannot fork).
CREATE TABLE audit_events (
    id BIGINT PRIMARY KEY,
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

-- The end of the chain, one row. Every append updates it first: that row lock serialises appends
-- (held until the appending transaction commits), and it gives the next id and the hash to follow.
-- It also lets `verify` notice events removed from the end of the chain.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_id BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_id, last_hash)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Append-only: no UPDATE, DELETE or TRUNCATE of events (a superuser can still disable triggers;
-- the chain is what shows it then). Retention never truncates this table.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
END
$$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
