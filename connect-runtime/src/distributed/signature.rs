//! Internal requests between workers signed with the cluster's session key (KIP-507), as
//! Kafka signs them: the HMAC-SHA256 of the request body under the session key, base64 in
//! `X-Connect-Authorization`, the algorithm in `X-Connect-Request-Signature-Algorithm`.

use base64::Engine;
use connect_api::{ConnectError, Result};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::records::SessionKey;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Connect-Authorization";
/// The header naming the signature's algorithm.
pub const ALGORITHM_HEADER: &str = "X-Connect-Request-Signature-Algorithm";
/// The only algorithm Kafka's workers use by default.
pub const HMAC_SHA256: &str = "HmacSHA256";

/// A new random session key (256 bits, as Java's `KeyGenerator` makes for HmacSHA256).
pub fn new_session_key(now_ms: i64) -> Result<SessionKey> {
    let mut key = vec![0u8; 32];
    getrandom::getrandom(&mut key)
        .map_err(|e| ConnectError::fatal(format!("no randomness for a session key: {e}")))?;
    Ok(SessionKey { key, algorithm: HMAC_SHA256.to_string(), created_ms: now_ms })
}

/// The signature of `body` under `key`, base64.
pub fn sign(key: &SessionKey, body: &[u8]) -> Result<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key.key)
        .map_err(|e| ConnectError::fatal(format!("bad session key: {e}")))?;
    mac.update(body);
    Ok(base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

/// Why a request's signature was refused, with the HTTP status Kafka answers it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// A header is missing or names an unknown algorithm (400).
    BadRequest(String),
    /// The signature does not match (403).
    Forbidden(String),
    /// No session key is known yet to check it (503: retry).
    NoKey(String),
}

impl Refused {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Refused::BadRequest(_) => 400,
            Refused::Forbidden(_) => 403,
            Refused::NoKey(_) => 503,
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        match self {
            Refused::BadRequest(m) | Refused::Forbidden(m) | Refused::NoKey(m) => m,
        }
    }
}

/// Checks a request's signature: both headers present, a known algorithm, and the MAC of
/// `body` under `key` (compared in constant time).
pub fn verify(
    key: Option<&SessionKey>,
    algorithm: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
) -> std::result::Result<(), Refused> {
    let (Some(algorithm), Some(signature)) = (algorithm, signature) else {
        return Err(Refused::BadRequest(format!(
            "Internal request missing required header '{SIGNATURE_HEADER}' or '{ALGORITHM_HEADER}'"
        )));
    };
    if algorithm != HMAC_SHA256 {
        return Err(Refused::BadRequest(format!(
            "This worker does not support the request signature algorithm {algorithm}"
        )));
    }
    let key = key.ok_or_else(|| {
        Refused::NoKey("This worker has no session key yet to check the request with".into())
    })?;
    let given = base64::engine::general_purpose::STANDARD
        .decode(signature)
        .map_err(|_| Refused::Forbidden("Internal request signature is not base64".into()))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key.key)
        .map_err(|e| Refused::Forbidden(format!("bad session key: {e}")))?;
    mac.update(body);
    mac.verify_slice(&given)
        .map_err(|_| Refused::Forbidden("Internal request contained invalid signature.".into()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_checks_only_with_its_key_and_body() {
        let key = new_session_key(1).unwrap();
        assert_eq!(key.key.len(), 32);
        let sig = sign(&key, b"[{\"a\":\"1\"}]").unwrap();
        verify(Some(&key), Some(HMAC_SHA256), Some(&sig), b"[{\"a\":\"1\"}]").unwrap();
        let other = new_session_key(2).unwrap();
        assert!(verify(Some(&other), Some(HMAC_SHA256), Some(&sig), b"[{\"a\":\"1\"}]").is_err());
        let e = verify(Some(&key), Some(HMAC_SHA256), Some(&sig), b"[]").unwrap_err();
        assert_eq!(e.status(), 403);
        assert!(e.message().contains("invalid signature"), "{e:?}");
        let e = verify(Some(&key), None, None, b"[]").unwrap_err();
        assert_eq!(e.status(), 400);
        assert!(e.message().contains(SIGNATURE_HEADER), "{e:?}");
        assert_eq!(verify(None, Some(HMAC_SHA256), Some(&sig), b"[]").unwrap_err().status(), 503);
        // RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?").
        let jefe =
            SessionKey { key: b"Jefe".to_vec(), algorithm: HMAC_SHA256.into(), created_ms: 0 };
        let sig = sign(&jefe, b"what do ya want for nothing?").unwrap();
        let hex: String = base64::engine::general_purpose::STANDARD
            .decode(sig)
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
