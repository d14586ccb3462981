DROP TABLE transfer_claims;
ALTER TABLE bulk_transfers DROP COLUMN claimed_through;
