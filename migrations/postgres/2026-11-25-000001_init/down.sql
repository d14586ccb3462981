DROP TABLE login_failures;
DROP TABLE revoked_tokens;
DROP TABLE ledger_entries;
DROP TABLE individual_transfers;
DROP TABLE bulk_transfers;
DROP TABLE accounts;
DROP TABLE users;
DROP TABLE organisations;
