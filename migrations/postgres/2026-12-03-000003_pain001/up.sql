-- pain.001 uploads (issue 15): what a pain.002 status report must name back. `msg_id` is the
-- file's GrpHdr/MsgId, `msg_name_id` its message name (`pain.001.001.03` or `.09`), and
-- `payment_blocks` its PmtInf blocks as JSON `[["<PmtInfId>", <transactions>], …]` in file order:
-- rows are stored in file order, so counts locate each block's rows without a column per row (the
-- 100,000-row upload is a measured path). All three stay NULL for CSV uploads and retries.
ALTER TABLE bulk_transfers ADD COLUMN msg_id TEXT;
ALTER TABLE bulk_transfers ADD COLUMN msg_name_id TEXT;
ALTER TABLE bulk_transfers ADD COLUMN payment_blocks TEXT;

-- ISO 20022 wants a MsgId unique per sender: two uploads of one MsgId racing each other cannot
-- both commit. A rejected, cancelled or failed run keeps its MsgId.
CREATE UNIQUE INDEX bulk_msg_id_idx ON bulk_transfers (organisation_id, msg_id)
    WHERE msg_id IS NOT NULL;
