ALTER TABLE individual_transfers DROP COLUMN fee_above_limit;
