//! Revoked refresh tokens and failed-login records.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use db::Backend;
use db::models::now;
use db::queries::security;

both_backends!(revocations, login_failures, login_attempts);

fn revocations(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let t = now();
    assert!(security::revoke_token(&mut c, "jti-1", t + minutes(60)).unwrap());
    assert!(
        !security::revoke_token(&mut c, "jti-1", t + minutes(60)).unwrap(),
        "twice"
    );
    assert!(security::revoke_token(&mut c, "jti-old", t - minutes(1)).unwrap());
    assert!(security::is_revoked(&mut c, "jti-1").unwrap());
    assert!(security::is_revoked(&mut c, "jti-old").unwrap());
    assert!(!security::is_revoked(&mut c, "jti-2").unwrap());
    // The connection is still usable after the refused duplicate.
    assert!(security::revoke_token(&mut c, "jti-2", t + minutes(60)).unwrap());

    assert_eq!(security::purge_revoked(&mut c, t).unwrap(), 1);
    assert!(!security::is_revoked(&mut c, "jti-old").unwrap());
    assert!(security::is_revoked(&mut c, "jti-1").unwrap());
    assert_eq!(security::purge_revoked(&mut c, t).unwrap(), 0);
    assert_eq!(security::purge_revoked(&mut c, t + minutes(61)).unwrap(), 2);
    assert!(!security::is_revoked(&mut c, "jti-1").unwrap());
    // A purged id can be revoked again.
    assert!(security::revoke_token(&mut c, "jti-1", t + minutes(60)).unwrap());
}

/// A success clears its login name's attempts and everybody's records older than the cut-off.
fn login_failures(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let t = now();
    for m in [10, 5, 1] {
        security::record_login_attempt(&mut c, "awa", t - minutes(m)).unwrap();
    }
    security::record_login_attempt(&mut c, "moussa", t - minutes(20)).unwrap();
    security::record_login_attempt(&mut c, "moussa", t - minutes(2)).unwrap();
    let count = |c: &mut db::DbConn, who: &str, since| {
        security::other_attempts_since(c, who, 0, since).unwrap()
    };
    assert_eq!(
        count(&mut c, "awa", t - minutes(6)),
        (2, Some(t - minutes(1)))
    );
    assert_eq!(
        count(&mut c, "awa", t - minutes(60)),
        (3, Some(t - minutes(1)))
    );
    assert_eq!(count(&mut c, "awa", t), (0, None));
    assert_eq!(count(&mut c, "nobody", t - minutes(60)), (0, None));
    // Exact boundary counts (`>=`).
    assert_eq!(
        count(&mut c, "awa", t - minutes(1)),
        (1, Some(t - minutes(1)))
    );

    security::clear_login_failures(&mut c, "awa", t - minutes(15)).unwrap();
    assert_eq!(count(&mut c, "awa", t - minutes(60)), (0, None));
    assert_eq!(
        count(&mut c, "moussa", t - minutes(60)),
        (1, Some(t - minutes(2)))
    );
}

/// Attempts are recorded before the check; the throttle counts the others; refused ones are
/// forgotten; old ones are purged by housekeeping.
fn login_attempts(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let t = now();
    let old = security::record_login_attempt(&mut c, "awa", t - minutes(60 * 25)).unwrap();
    let a = security::record_login_attempt(&mut c, "awa", t - minutes(2)).unwrap();
    let b = security::record_login_attempt(&mut c, "awa", t).unwrap();
    assert!(old < a && a < b);
    let (others, newest) =
        security::other_attempts_since(&mut c, "awa", b, t - minutes(15)).unwrap();
    assert_eq!((others, newest), (1, Some(t - minutes(2))));
    security::forget_login_attempt(&mut c, b).unwrap();
    assert_eq!(
        security::other_attempts_since(&mut c, "awa", 0, t - minutes(15))
            .unwrap()
            .0,
        1
    );
    assert_eq!(
        security::purge_login_attempts(&mut c, t - minutes(60 * 24)).unwrap(),
        1
    );
    assert_eq!(
        security::other_attempts_since(&mut c, "awa", 0, t - minutes(60 * 48))
            .unwrap()
            .0,
        1
    );
}
