-- pain.001 uploads (see the PostgreSQL migration of the same name): the file's GrpHdr/MsgId, its
-- message name and its PmtInf blocks as JSON `[["<PmtInfId>", <transactions>], …]`; NULL for CSV
-- uploads and retries.
ALTER TABLE bulk_transfers ADD COLUMN msg_id TEXT;
ALTER TABLE bulk_transfers ADD COLUMN msg_name_id TEXT;
ALTER TABLE bulk_transfers ADD COLUMN payment_blocks TEXT;

-- One MsgId per organisation, whatever became of the earlier run.
CREATE UNIQUE INDEX bulk_msg_id_idx ON bulk_transfers (organisation_id, msg_id)
    WHERE msg_id IS NOT NULL;
