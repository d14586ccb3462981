//! Password hashing with bcrypt, and verification that takes as long for an unknown user as for a
//! known one (a dummy hash of the same cost is checked instead), so timing does not reveal accounts.

/// Hashes and verifies passwords at one bcrypt cost.
#[derive(Clone)]
pub struct Passwords {
    cost: u32,
    dummy_hash: String,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords")
            .field("cost", &self.cost)
            .finish()
    }
}

impl Passwords {
    /// Prepares the dummy hash at `cost` (takes one bcrypt round: call off the async threads).
    pub fn new(cost: u32) -> Result<Passwords, bcrypt::BcryptError> {
        let dummy_hash = bcrypt::hash(uuid::Uuid::new_v4().to_string(), cost)?;
        Ok(Passwords { cost, dummy_hash })
    }

    /// A new bcrypt hash of `password`.
    pub fn hash(&self, password: &str) -> Result<String, bcrypt::BcryptError> {
        hash_password(password, self.cost)
    }

    /// Whether `password` matches `hash`; with `None` (unknown user) the dummy hash is checked and
    /// the answer is always `false`. A malformed stored hash counts as a mismatch (and is logged).
    pub fn verify(&self, password: &str, hash: Option<&str>) -> bool {
        match hash {
            Some(h) => bcrypt::verify(password, h).unwrap_or_else(|e| {
                tracing::error!(error = %e, "stored password hash is unreadable");
                false
            }),
            None => {
                let _ = bcrypt::verify(password, &self.dummy_hash);
                false
            }
        }
    }
}

/// A bcrypt hash of `password` at `cost` (admin CLI, seeding).
pub fn hash_password(password: &str, cost: u32) -> Result<String, bcrypt::BcryptError> {
    bcrypt::hash(password, cost)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn verifies() {
        let p = Passwords::new(4).unwrap();
        let h = p.hash("s3cret!").unwrap();
        assert!(p.verify("s3cret!", Some(&h)));
        assert!(!p.verify("nope", Some(&h)));
        assert!(!p.verify("s3cret!", None));
        assert!(!p.verify("s3cret!", Some("not-a-hash")));
    }
}
