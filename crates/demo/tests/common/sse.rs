//! A minimal Server-Sent Events reader over `reqwest::Response::chunk` (frames are separated by a
//! blank line; `id:`, `event:`, `data:`, `retry:` and `:` comments are read).

use serde_json::Value;
use std::collections::VecDeque;
use std::time::Duration;

/// One SSE frame.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    pub id: Option<i64>,
    pub event: Option<String>,
    pub data: Option<Value>,
    pub retry: Option<u64>,
    pub comments: Vec<String>,
}

impl Frame {
    pub fn is(&self, kind: &str) -> bool {
        self.event.as_deref() == Some(kind)
    }

    /// A number of the `data` JSON (`completed`, `total`, `seq`…).
    pub fn num(&self, field: &str) -> i64 {
        self.data
            .as_ref()
            .and_then(|d| d[field].as_i64())
            .unwrap_or_else(|| panic!("no {field} in {self:?}"))
    }

    pub fn state(&self) -> &str {
        self.data
            .as_ref()
            .and_then(|d| d["state"].as_str())
            .unwrap_or_else(|| panic!("no state in {self:?}"))
    }
}

/// Parses one frame (the text between two blank lines).
pub fn parse_frame(text: &str) -> Frame {
    let mut f = Frame::default();
    let mut data = String::new();
    for line in text.lines() {
        if let Some(c) = line.strip_prefix(':') {
            f.comments.push(c.trim().to_string());
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "id" => f.id = Some(value.parse().unwrap_or_else(|_| panic!("bad id {value:?}"))),
            "event" => f.event = Some(value.to_string()),
            "retry" => {
                f.retry = Some(
                    value
                        .parse()
                        .unwrap_or_else(|_| panic!("bad retry {value:?}")),
                )
            }
            "data" => {
                if !data.is_empty() {
                    data.push('\n');
                }
                data.push_str(value);
            }
            other => panic!("unexpected SSE field {other:?} in {text:?}"),
        }
    }
    if !data.is_empty() {
        f.data = Some(serde_json::from_str(&data).unwrap_or_else(|e| panic!("data {data:?}: {e}")));
    }
    f
}

/// Reads frames from a streaming response.
pub struct SseReader {
    resp: reqwest::Response,
    buf: String,
    frames: VecDeque<Frame>,
    /// Chunks received so far.
    pub chunks: usize,
}

impl SseReader {
    pub fn new(resp: reqwest::Response) -> SseReader {
        assert_eq!(resp.status(), 200, "stream refused");
        SseReader {
            resp,
            buf: String::new(),
            frames: VecDeque::new(),
            chunks: 0,
        }
    }

    /// The next frame, or `None` once the server has ended the body.
    pub async fn next(&mut self) -> Option<Frame> {
        loop {
            if let Some(f) = self.frames.pop_front() {
                return Some(f);
            }
            while let Some(pos) = self.buf.find("\n\n") {
                let text: String = self.buf.drain(..pos + 2).collect();
                self.frames
                    .push_back(parse_frame(text.trim_end_matches('\n')));
            }
            if !self.frames.is_empty() {
                continue;
            }
            match self.resp.chunk().await.expect("reading the stream") {
                Some(bytes) => {
                    self.chunks += 1;
                    self.buf
                        .push_str(std::str::from_utf8(&bytes).expect("UTF-8 stream"));
                }
                None => {
                    assert!(
                        self.buf.trim().is_empty(),
                        "stream ended mid-frame: {:?}",
                        self.buf
                    );
                    return None;
                }
            }
        }
    }

    /// The next frame within `limit` (panics on timeout or end of stream).
    pub async fn next_within(&mut self, limit: Duration) -> Frame {
        tokio::time::timeout(limit, self.next())
            .await
            .unwrap_or_else(|_| panic!("no frame within {limit:?}"))
            .expect("the stream ended early")
    }

    /// Every remaining frame until the server closes the body (panics after `limit`).
    pub async fn rest(&mut self, limit: Duration) -> Vec<Frame> {
        let mut out = Vec::new();
        let read = async {
            while let Some(f) = self.next().await {
                out.push(f);
            }
        };
        if tokio::time::timeout(limit, read).await.is_err() {
            panic!("the stream did not end within {limit:?}");
        }
        out
    }
}

/// Checks the frames of a stream that ran to its end: ids strictly increase, `completed` never
/// goes down, and the last frame is `done` with every row completed. Returns the `done` frame.
pub fn assert_well_formed(frames: &[Frame], after_id: i64) -> Frame {
    let mut last_id = after_id;
    let mut last_completed = -1;
    let events: Vec<&Frame> = frames.iter().filter(|f| f.event.is_some()).collect();
    let (done, progress) = events.split_last().expect("no event at all");
    assert!(done.is("done"), "last event is not done: {done:?}");
    for f in progress {
        assert!(f.is("progress"), "unexpected event {f:?}");
        let id = f.id.expect("progress without id");
        assert!(id > last_id, "id {id} not above {last_id}: {frames:#?}");
        assert_eq!(f.num("seq"), id, "id is the seq");
        last_id = id;
        let completed = f.num("completed");
        assert!(
            completed >= last_completed,
            "completed went down: {frames:#?}"
        );
        last_completed = completed;
    }
    assert!(
        done.id.expect("done without id") > after_id,
        "done at or below Last-Event-ID"
    );
    assert!(done.num("completed") >= last_completed);
    assert_eq!(
        done.num("completed"),
        done.num("total"),
        "done before every row: {done:?}"
    );
    assert!(
        matches!(done.state(), "COMPLETED" | "PARTIALLY_COMPLETED" | "FAILED"),
        "{done:?}"
    );
    (*done).clone()
}
