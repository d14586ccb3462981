//! The deployment files stay true to the code: `.env.example` lists every variable a binary reads,
//! and the compose file has the services, images, ports and healthchecks the README promises.
//! (Docker is not available on the build machine, so this is what can be checked here.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Every `NAME` in `env.string("NAME"`, `env::var("NAME"`… in the binaries' sources.
fn variables_read() -> BTreeSet<String> {
    const CALLS: &[&str] = &[
        "env.string(\"",
        "env.required(\"",
        "env.secret(\"",
        "env.parse(\"",
        "env.bool(\"",
        "env.duration(\"",
        "env.raw(\"",
        "env::var(\"",
        "env::var_os(\"",
    ];
    // The crates linked into the shipped binaries (test and benchmark harnesses are not).
    const SHIPPED: &[&str] = &[
        "common",
        "domain",
        "db",
        "transport",
        "sdk",
        "simulator",
        "api",
        "worker",
        "demo",
    ];
    let mut files = Vec::new();
    for krate in SHIPPED {
        rust_files(&root().join("crates").join(krate).join("src"), &mut files);
    }
    let mut names = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for call in CALLS {
            for (i, _) in text.match_indices(call) {
                let rest = &text[i + call.len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                if !name.is_empty() && rest[name.len()..].starts_with('"') {
                    names.insert(name);
                }
            }
        }
    }
    names.extend(api::ENV_VARS.iter().map(|s| s.to_string()));
    names.extend(worker::settings::ENV_VARS.iter().map(|s| s.to_string()));
    // Test-only knob, documented in the README's test section rather than in .env.example.
    names.remove("TEST_DATABASE_URL");
    names
}

fn env_example() -> BTreeSet<String> {
    std::fs::read_to_string(root().join(".env.example"))
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && l.contains('='))
        .map(|l| l.split('=').next().unwrap_or_default().trim().to_string())
        .collect()
}

#[test]
fn env_example_lists_every_variable_the_code_reads() {
    let listed = env_example();
    let read = variables_read();
    assert!(
        read.len() > 30,
        "the scan found too few variables: {read:?}"
    );
    let missing: Vec<_> = read.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "read by the code but not in .env.example: {missing:?}"
    );
}

#[test]
fn compose_file_has_the_production_topology() {
    let yml = std::fs::read_to_string(root().join("docker-compose.yml")).unwrap();
    for service in [
        "\n  postgres:",
        "\n  redis:",
        "\n  migrate:",
        "\n  api:",
        "\n  worker:",
        "\n  sdk-adapter:",
        "\n  ml-testing-toolkit:",
    ] {
        assert!(yml.contains(service), "service {service:?} missing");
    }
    for needle in [
        "mojaloop/sdk-scheme-adapter",
        "mojaloop/ml-testing-toolkit",
        "--appendonly",
        "replicas: 2",
        "4001",
        "4040",
        "service_healthy",
        "service_completed_successfully",
        "max-size",
        "JWT_SECRET:?",
        "METRICS_BIND_ADDR",
    ] {
        assert!(
            yml.contains(needle),
            "{needle:?} missing from docker-compose.yml"
        );
    }
    assert!(
        yml.matches("healthcheck:").count() >= 4,
        "healthchecks missing"
    );
    // Issue 16 item 10: the workers accept parties and quotes themselves, so MAX_PAYEE_FEE is
    // applied before money moves; the adapter and the simulator halt for that acceptance.
    for needle in [
        "ADAPTER_ACCEPT_MODE: ${ADAPTER_ACCEPT_MODE:-manual}",
        "AUTO_ACCEPT_PARTY: \"false\"",
        "AUTO_ACCEPT_QUOTES: \"false\"",
        "SIM_AUTO_ACCEPT: ${SIM_AUTO_ACCEPT:-false}",
    ] {
        assert!(
            yml.contains(needle),
            "{needle:?} missing from docker-compose.yml"
        );
    }
    assert!(
        !yml.contains("AUTO_ACCEPT_QUOTES: \"true\""),
        "the adapter must not accept quotes itself"
    );
}

#[test]
fn dockerfiles_are_multi_stage_non_root_with_healthchecks() {
    for name in ["Dockerfile.api", "Dockerfile.worker"] {
        let text = std::fs::read_to_string(root().join(name)).unwrap();
        assert!(
            text.matches("FROM ").count() >= 2,
            "{name}: not multi-stage"
        );
        assert!(text.contains("USER "), "{name}: runs as root");
        assert!(text.contains("HEALTHCHECK"), "{name}: no HEALTHCHECK");
        assert!(
            text.contains("ca-certificates"),
            "{name}: no CA certificates"
        );
    }
}
