DROP INDEX bulk_msg_id_idx;
ALTER TABLE bulk_transfers DROP COLUMN payment_blocks;
ALTER TABLE bulk_transfers DROP COLUMN msg_name_id;
ALTER TABLE bulk_transfers DROP COLUMN msg_id;
