-- Re-sending a row whose failure certainly came before the transfer's prepare (same transferId):
-- how many times that happened, when the row may be sent again, and when it was first sent
-- (the overall deadline counts from there).
ALTER TABLE individual_transfers ADD COLUMN resend_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE individual_transfers ADD COLUMN retry_at TIMESTAMP;
ALTER TABLE individual_transfers ADD COLUMN first_attempt_at TIMESTAMP;
