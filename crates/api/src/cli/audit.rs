//! `gateway-api audit verify [--expect <id>:<hash>]`: recomputes the audit chain.

use anyhow::Context;
use db::DbConn;
use db::queries::audit::{self, ChainCheck};

use super::CliError;

/// Checks the whole chain; prints `audit chain intact: N events` and the last event's hash (to keep
/// elsewhere), or fails with [`CliError::ChainBroken`] naming the first broken event. With
/// `expect`, an event's hash kept earlier must still be its hash: a chain rewritten consistently
/// from before that event onward passes the chain check but not this one.
pub(super) fn verify(c: &mut DbConn, expect: Option<(i64, String)>) -> Result<(), CliError> {
    let check = audit::verify_chain(c).context("reading the audit log")?;
    let ChainCheck::Intact { events } = check else {
        return Err(CliError::ChainBroken(check.to_string()));
    };
    if let Some((id, kept)) = expect {
        let stored = audit::range(c, id - 1, 1)
            .context("reading the audit log")?
            .into_iter()
            .find(|e| e.id == id);
        match stored {
            Some(e) if e.hash.eq_ignore_ascii_case(kept.trim()) => {}
            Some(e) => {
                return Err(CliError::ChainBroken(format!(
                    "audit chain rewritten: event {id} has hash {}, not the {kept} kept",
                    e.hash
                )));
            }
            None => {
                return Err(CliError::ChainBroken(format!(
                    "audit chain rewritten: event {id}, whose hash was kept, is not in the chain"
                )));
            }
        }
    }
    let (last, hash) = audit::last_hash(c).context("reading the audit log")?;
    println!("{check}");
    if events > 0 {
        println!("last event {last}, hash {hash} (keep it: `audit verify --expect {last}:{hash}`)");
    }
    Ok(())
}
