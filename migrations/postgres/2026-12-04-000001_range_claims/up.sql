-- Issue 18 item 2: a run's rows are first handed out by range, not one UPDATE per row. A claim
-- records "rows first_id..last_id of this run, PENDING at claim time, were handed to a worker at
-- claimed_at"; bulk_transfers.claimed_through is the highest row id handed out so far. A row still
-- PENDING with no retry_at at or below claimed_through is in flight exactly as a PROCESSING row is:
-- never handed out again, and after a lost worker (its claim older than the grace) UNKNOWN and
-- looked up, never re-sent. Rows sent again (retry_at set) are claimed one by one as before.
ALTER TABLE bulk_transfers ADD COLUMN claimed_through BIGINT NOT NULL DEFAULT 0;
CREATE TABLE transfer_claims (
    id BIGSERIAL PRIMARY KEY,
    bulk_pk BIGINT NOT NULL REFERENCES bulk_transfers(id),
    first_id BIGINT NOT NULL,
    last_id BIGINT NOT NULL CHECK (last_id >= first_id),
    claimed_at TIMESTAMP NOT NULL
);
CREATE INDEX transfer_claims_age_idx ON transfer_claims (claimed_at);
