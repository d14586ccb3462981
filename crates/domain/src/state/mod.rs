//! State machines of a bulk and of an individual transfer.
//!
//! ```text
//! bulk:      AWAITING_APPROVAL → PENDING | SCHEDULED | REJECTED | CANCELLED
//!            SCHEDULED         → PENDING | CANCELLED
//!            PENDING           → PROCESSING | CANCELLED
//!            PROCESSING        → COMPLETED | PARTIALLY_COMPLETED | FAILED
//!
//! transfer:  PENDING → PROCESSING → COMPLETED | FAILED | UNKNOWN
//!                                    UNKNOWN → COMPLETED | FAILED
//!            PROCESSING | UNKNOWN → PENDING   (proved never prepared: sent again, same transferId)
//!            PENDING → CANCELLED              (never sent: the run was rejected or cancelled)
//! ```
//!
//! An upload starts in [`BulkState::start_state`]: AWAITING_APPROVAL when a second person must sign it
//! (four eyes), else SCHEDULED when it runs later, else PENDING. A bulk can be cancelled only before
//! its first row leaves: PENDING → CANCELLED is legal here, but whether no row was sent yet is for the
//! database's conditional update to decide, not for this table.
//!
//! A transition to the same state is not a transition and is refused like any other illegal one;
//! callers that may see a duplicate job check the current state first (or let the database's
//! conditional update decide).

mod bulk;
mod transfer;

pub use crate::error::TransitionError;
pub use bulk::BulkState;
pub use transfer::TransferStatus;
