//! Request signing: every request after enrolment carries the desk's id, a timestamp, a fresh nonce and an
//! Ed25519 signature over the method, the path, the body's SHA-256, the timestamp, the nonce and the device.
//! The server keeps only the public key; the private key stays in the desk's encrypted registry.

use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use uuid::Uuid;

const SCHEME: &str = "BR-SYNC-1";

/// What a signature covers.
pub struct SignedParts<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub body: &'a [u8],
    pub timestamp_ms: i64,
    pub nonce: &'a str,
    pub device: Uuid,
}

impl SignedParts<'_> {
    /// The exact bytes signed: one field a line, the body as its SHA-256 in hex.
    pub fn canonical(&self) -> Vec<u8> {
        let body_hash = hex::encode(ring::digest::digest(&ring::digest::SHA256, self.body));
        format!(
            "{SCHEME}\n{}\n{}\n{body_hash}\n{}\n{}\n{}",
            self.method.to_ascii_uppercase(),
            self.path,
            self.timestamp_ms,
            self.nonce,
            self.device
        )
        .into_bytes()
    }
}

/// A desk's signing key, kept as PKCS#8 bytes in its registry.
pub struct DeviceKey(Ed25519KeyPair);

impl DeviceKey {
    /// A new key and its PKCS#8 bytes to store.
    pub fn generate() -> Result<(DeviceKey, Vec<u8>), SigningError> {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| SigningError::KeyGeneration)?;
        let key = DeviceKey::from_pkcs8(pkcs8.as_ref())?;
        Ok((key, pkcs8.as_ref().to_vec()))
    }

    pub fn from_pkcs8(bytes: &[u8]) -> Result<DeviceKey, SigningError> {
        Ed25519KeyPair::from_pkcs8(bytes).map(DeviceKey).map_err(|_| SigningError::BadKey)
    }

    /// The public key as base64, as the enrolment request sends it.
    pub fn public_key_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0.public_key().as_ref())
    }

    /// The signature header's value.
    pub fn sign(&self, parts: &SignedParts<'_>) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0.sign(&parts.canonical()).as_ref())
    }
}

/// Decodes a base64 Ed25519 public key (32 bytes).
pub fn decode_public_key(text: &str) -> Result<Vec<u8>, SigningError> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(text.trim()).map_err(|_| SigningError::BadKey)?;
    if bytes.len() != 32 {
        return Err(SigningError::BadKey);
    }
    Ok(bytes)
}

/// Whether `signature` (the header's base64) is the device's signature of `parts`.
pub fn verify(public_key: &[u8], parts: &SignedParts<'_>, signature: &str) -> bool {
    let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else { return false };
    UnparsedPublicKey::new(&ED25519, public_key).verify(&parts.canonical(), &sig).is_ok()
}

/// A fresh nonce: 16 random bytes in hex.
pub fn nonce() -> String {
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&SystemRandom::new(), &mut bytes).expect("the system's random source works");
    hex::encode(bytes)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningError {
    KeyGeneration,
    BadKey,
}

impl std::fmt::Display for SigningError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SigningError::KeyGeneration => f.write_str("a signing key could not be generated"),
            SigningError::BadKey => f.write_str("the signing key is not a valid Ed25519 key"),
        }
    }
}

impl std::error::Error for SigningError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(body: &[u8]) -> SignedParts<'_> {
        SignedParts { method: "post", path: "/sync/v1/push", body, timestamp_ms: 1, nonce: "ab", device: Uuid::nil() }
    }

    #[test]
    fn a_signature_verifies_only_for_the_same_request_and_key() {
        let (key, pkcs8) = DeviceKey::generate().unwrap();
        let public = decode_public_key(&key.public_key_base64()).unwrap();
        let sig = key.sign(&parts(b"{}"));
        assert!(verify(&public, &parts(b"{}"), &sig));
        assert!(!verify(&public, &parts(b"{ }"), &sig), "another body");
        let mut other = parts(b"{}");
        other.nonce = "ac";
        assert!(!verify(&public, &other, &sig), "another nonce");
        let (stranger, _) = DeviceKey::generate().unwrap();
        let stranger_public = decode_public_key(&stranger.public_key_base64()).unwrap();
        assert!(!verify(&stranger_public, &parts(b"{}"), &sig), "another key");
        assert!(!verify(&public, &parts(b"{}"), "not base64!"));
        let again = DeviceKey::from_pkcs8(&pkcs8).unwrap();
        assert!(verify(&public, &parts(b"{}"), &again.sign(&parts(b"{}"))), "the stored key signs the same");
    }

    #[test]
    fn public_keys_of_the_wrong_length_are_refused() {
        assert_eq!(decode_public_key("AAAA"), Err(SigningError::BadKey));
        assert_eq!(decode_public_key("%%"), Err(SigningError::BadKey));
    }
}
