//! A private `redis-server` for the tests that restart Redis (never the shared one).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::process::{Proc, free_port};

/// Whether a restart keeps the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// `--appendonly yes`, stopped with SIGTERM (the AOF is flushed): the queue survives.
    Aof,
    /// `--appendonly no --save ""`: everything is lost at restart.
    None,
}

/// A redis-server child process on its own port and directory.
pub struct RedisServer {
    /// Its port.
    pub port: u16,
    /// How it persists.
    pub persistence: Persistence,
    dir: PathBuf,
    log_dir: PathBuf,
    proc: Option<Proc>,
    starts: u32,
}

impl RedisServer {
    /// Starts one; fails the test if `redis-server` is not installed.
    pub async fn start(persistence: Persistence, log_dir: &Path) -> RedisServer {
        let dir = log_dir.join("redis-data");
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut r = RedisServer {
            port: free_port(),
            persistence,
            dir,
            log_dir: log_dir.to_path_buf(),
            proc: None,
            starts: 0,
        };
        r.launch().await;
        r
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn launch(&mut self) {
        self.starts += 1;
        let port = self.port.to_string();
        let dir = self.dir.to_string_lossy().into_owned();
        let aof = match self.persistence {
            Persistence::Aof => "yes",
            Persistence::None => "no",
        };
        let args = [
            "--port",
            &port,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            aof,
            "--appendfsync",
            "always",
            "--dir",
            &dir,
            "--daemonize",
            "no",
        ];
        let p = Proc::spawn(
            &format!("redis-{}", self.starts),
            Path::new("redis-server"),
            &args,
            &[],
            &self.log_dir,
        );
        self.proc = Some(p);
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if self.ping().await {
                return;
            }
            if let Some(p) = self.proc.as_mut()
                && !p.alive()
            {
                panic!("redis-server exited at start:\n{}", p.log_tail(20));
            }
            assert!(
                Instant::now() < deadline,
                "private redis-server did not answer"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Whether it answers PING.
    pub async fn ping(&self) -> bool {
        let Ok(client) = redis::Client::open(self.url()) else {
            return false;
        };
        let Ok(Ok(mut c)) = tokio::time::timeout(
            Duration::from_secs(1),
            client.get_multiplexed_async_connection(),
        )
        .await
        else {
            return false;
        };
        redis::cmd("PING")
            .query_async::<String>(&mut c)
            .await
            .is_ok()
    }

    /// Stops it (SIGTERM, so an AOF is complete) and waits for the process to end.
    pub async fn stop(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.signal("TERM");
            if p.wait_exit(Duration::from_secs(10)).await.is_none() {
                p.kill();
            }
        }
    }

    /// Starts it again on the same port and directory.
    pub async fn start_again(&mut self) {
        assert!(self.proc.is_none(), "stop it first");
        self.launch().await;
    }
}
