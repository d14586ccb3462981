ALTER TABLE individual_transfers DROP COLUMN first_attempt_at;
ALTER TABLE individual_transfers DROP COLUMN retry_at;
ALTER TABLE individual_transfers DROP COLUMN resend_count;
