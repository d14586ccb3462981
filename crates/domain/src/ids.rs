//! Identifiers and digests.

use sha2::{Digest, Sha256};

/// A new bulk id: `bulk-<uuid v4>`.
pub fn new_bulk_id() -> String {
    format!("bulk-{}", uuid::Uuid::new_v4())
}

/// A new transfer id for the Mojaloop API (a bare uuid v4, as the API requires).
pub fn new_mojaloop_transfer_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Lower-case hex SHA-256 of `bytes` (used to recognise a file uploaded twice).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn bulk_ids() {
        let a = new_bulk_id();
        assert!(a.starts_with("bulk-"));
        assert_eq!(a.len(), 5 + 36);
        assert!(uuid::Uuid::parse_str(&a[5..]).is_ok());
        assert_ne!(a, new_bulk_id());
    }

    #[test]
    fn transfer_ids() {
        let id = new_mojaloop_transfer_id();
        let parsed = uuid::Uuid::parse_str(&id).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
    }

    #[test]
    fn sha256() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
