//! Closing a connection without answering, from inside actix-web.
//!
//! actix-http encodes the response head into its write buffer and polls the body in the same pass;
//! a body whose first poll fails makes the dispatcher return an error BEFORE that buffer is flushed,
//! and the connection is dropped. The client sees the request sent and the connection closed with
//! no status line — exactly a crash of the adapter after reading the request. (Verified by the
//! `drop_rule_closes_without_status_line` test, which reads the raw socket.)

use actix_web::body::{BodySize, MessageBody};
use actix_web::web::Bytes;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A response body that fails at once.
pub(crate) struct DropConnection;

impl MessageBody for DropConnection {
    type Error = io::Error;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Poll::Ready(Some(Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "simulated adapter crash: connection dropped without an answer",
        ))))
    }
}
