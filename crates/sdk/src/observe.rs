//! A hook that times every call to the adapter, so a caller can export latencies (the worker's
//! Prometheus histograms) without this crate knowing about metrics.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The adapter calls the client makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `GET /parties/{Type}/{ID}`: a payee lookup (verification).
    Parties,
    /// `POST /transfers`: the transfer (in auto-accept mode, party lookup, quote and transfer).
    Transfers,
    /// `PUT /transfers/{id}` `{"acceptParty": true}` (manual mode: the quote follows).
    AcceptParty,
    /// `PUT /transfers/{id}` `{"acceptQuote": …}` (manual mode: the prepare follows).
    AcceptQuote,
    /// `GET /transfers/{id}`: what the switch knows (resolving UNKNOWN rows).
    TransferLookup,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 5] = [
        Operation::Parties,
        Operation::Transfers,
        Operation::AcceptParty,
        Operation::AcceptQuote,
        Operation::TransferLookup,
    ];

    /// A short stable name (a metric label).
    pub const fn as_str(self) -> &'static str {
        match self {
            Operation::Parties => "parties",
            Operation::Transfers => "transfers",
            Operation::AcceptParty => "accept_party",
            Operation::AcceptQuote => "accept_quote",
            Operation::TransferLookup => "transfer_lookup",
        }
    }
}

/// Told of every adapter call once it has ended (answered, failed or timed out), with its duration.
pub type Observer = dyn Fn(Operation, Duration) + Send + Sync;

/// The client's observer, if any (`Debug` without printing the closure).
#[derive(Clone, Default)]
pub(crate) struct Observe(Option<Arc<Observer>>);

impl Observe {
    pub(crate) fn new(f: Arc<Observer>) -> Observe {
        Observe(Some(f))
    }

    /// Runs `call`, then tells the observer how long it took.
    pub(crate) async fn time<T>(&self, op: Operation, call: impl Future<Output = T>) -> T {
        let started = Instant::now();
        let out = call.await;
        if let Some(f) = &self.0 {
            f(op, started.elapsed());
        }
        out
    }
}

impl fmt::Debug for Observe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Observe(set)"
        } else {
            "Observe(none)"
        })
    }
}
