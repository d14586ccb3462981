//! Payloads of the background jobs the API enqueues and the workers run.
//!
//! They carry ids only: the database holds the work, so a job run twice finds it already claimed.

use serde::{Deserialize, Serialize};

/// Start (or resume) a bulk: the worker moves it to PROCESSING and fans it out in chunk jobs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BulkJob {
    /// The bulk (`bulk-<uuid>`).
    pub bulk_id: String,
}

/// Execute up to `max_rows` pending transfers of a bulk.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChunkJob {
    /// The bulk (`bulk-<uuid>`).
    pub bulk_id: String,
    /// Upper bound on the transfers this job claims.
    pub max_rows: u32,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn round_trip() {
        let job = ChunkJob {
            bulk_id: "bulk-1".into(),
            max_rows: 100,
        };
        let json = serde_json::to_string(&job).unwrap();
        assert_eq!(json, r#"{"bulk_id":"bulk-1","max_rows":100}"#);
        assert_eq!(serde_json::from_str::<ChunkJob>(&json).unwrap(), job);
        let bulk = BulkJob {
            bulk_id: "bulk-2".into(),
        };
        let json = serde_json::to_string(&bulk).unwrap();
        assert_eq!(serde_json::from_str::<BulkJob>(&json).unwrap(), bulk);
    }
}
