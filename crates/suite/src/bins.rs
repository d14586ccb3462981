//! Where the real `gateway-api` and `gateway-worker` executables are.
//!
//! `CARGO_BIN_EXE_*` only exists for binaries of the test's own package, so the suite builds the
//! two binaries once per test process (`cargo build -p api -p worker --bins`, a no-op when they are
//! up to date) into the same target directory and profile as the test itself, and runs them from
//! there. `cargo test` has released its build lock by the time tests run, so this cannot deadlock;
//! it only waits while another build holds the lock.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// `target/<profile>` of the running test executable (`target/<profile>/deps/<test>`).
fn profile_dir() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("unexpected test executable path {}", exe.display()))
}

fn build() -> Result<PathBuf, String> {
    let dir = profile_dir()?;
    let target = dir
        .parent()
        .ok_or_else(|| format!("no target directory above {}", dir.display()))?;
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["build", "--quiet", "-p", "api", "-p", "worker", "--bins"])
        .current_dir(workspace_root())
        .env("CARGO_TARGET_DIR", target);
    if dir.file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    let out = cmd.output().map_err(|e| format!("running cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo build of the gateway binaries failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(dir)
}

/// The path of one of the gateway's executables (`gateway-api`, `gateway-worker`), built if needed.
///
/// # Panics
/// When the build fails: the suite cannot run without the binaries.
pub fn path(name: &str) -> PathBuf {
    match BUILT.get_or_init(build) {
        Ok(dir) => {
            let p = dir.join(name);
            assert!(p.exists(), "{} was not built", p.display());
            p
        }
        Err(e) => panic!("{e}"),
    }
}
