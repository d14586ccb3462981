-- Issue 16 item 10: a row the switch COMPLETED whose quote, accepted by the adapter itself
-- (AUTO_ACCEPT_QUOTES on), carried a payee fee above MAX_PAYEE_FEE: the money moved with a fee
-- the gateway would have refused. Flagged for the fund to take up with the payee's FSP.
ALTER TABLE individual_transfers ADD COLUMN fee_above_limit BOOLEAN NOT NULL DEFAULT FALSE;
