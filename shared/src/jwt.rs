//! The cryptography behind `jsonwebtoken`: ring, which the HTTPS client already links for TLS.
//!
//! `jsonwebtoken` asks for a [`CryptoProvider`]; its own (`rust_crypto`) would link about 37
//! crates that nothing else uses (rsa, p256, p384, ed25519-dalek, …) for algorithms tokens here
//! never use. The API accepts HS256 (a shared secret) and RS256 (a PEM key or a JSON Web Key
//! Set); this provider verifies those two and signs them (the test toolkit mints tokens), and
//! refuses every other algorithm as an invalid one, which `Validation` already does first.

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind, EncodingKey};
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents, UnparsedPublicKey};

static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: signer,
    verifier_factory: verifier,
    key_utils: KeyUtils::new_unimplemented(),
};

/// Makes ring `jsonwebtoken`'s provider for this process; any call after the first is a no-op.
/// Called before the first token is decoded or encoded (the authenticator, the test toolkit).
pub fn install() {
    // Err only when a provider is already installed, which can only be this one.
    let _ = PROVIDER.install_default();
}

fn signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
    match (algorithm, key.family()) {
        (Algorithm::HS256, AlgorithmFamily::Hmac) => Ok(Box::new(Hs256(ring::hmac::Key::new(
            ring::hmac::HMAC_SHA256,
            key.as_bytes(),
        )))),
        (Algorithm::RS256, AlgorithmFamily::Rsa) => {
            // EncodingKey holds an RSA private key as PKCS#1 DER, which ring reads as is.
            let pair = ring::signature::RsaKeyPair::from_der(key.as_bytes())
                .map_err(|e| ErrorKind::InvalidRsaKey(e.to_string()))?;
            Ok(Box::new(Rs256Signer(pair)))
        }
        (Algorithm::HS256 | Algorithm::RS256, _) => Err(ErrorKind::InvalidKeyFormat.into()),
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

fn verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    match (algorithm, key.family()) {
        (Algorithm::HS256, AlgorithmFamily::Hmac) => Ok(Box::new(Hs256(ring::hmac::Key::new(
            ring::hmac::HMAC_SHA256,
            key.try_get_as_bytes()?,
        )))),
        (Algorithm::RS256, AlgorithmFamily::Rsa) => Ok(Box::new(match key.kind() {
            // From a PEM key: an RSAPublicKey in DER, the form ring verifies with.
            DecodingKeyKind::SecretOrDer(der) => Rs256Verifier::Der(der.clone()),
            // From a JSON Web Key: the modulus and exponent.
            DecodingKeyKind::RsaModulusExponent { n, e } => Rs256Verifier::Components {
                n: n.clone(),
                e: e.clone(),
            },
        })),
        (Algorithm::HS256 | Algorithm::RS256, _) => Err(ErrorKind::InvalidKeyFormat.into()),
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

struct Hs256(ring::hmac::Key);

impl Signer<Vec<u8>> for Hs256 {
    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, signature::Error> {
        Ok(ring::hmac::sign(&self.0, message).as_ref().to_vec())
    }
}

impl Verifier<Vec<u8>> for Hs256 {
    fn verify(&self, message: &[u8], tag: &Vec<u8>) -> Result<(), signature::Error> {
        // Constant time, as ring compares it.
        ring::hmac::verify(&self.0, message, tag).map_err(|_| signature::Error::new())
    }
}

impl JwtSigner for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

impl JwtVerifier for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

struct Rs256Signer(ring::signature::RsaKeyPair);

impl Signer<Vec<u8>> for Rs256Signer {
    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, signature::Error> {
        let mut signature = vec![0; self.0.public().modulus_len()];
        self.0
            .sign(
                &ring::signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|_| signature::Error::new())?;
        Ok(signature)
    }
}

impl JwtSigner for Rs256Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::RS256
    }
}

enum Rs256Verifier {
    Der(Vec<u8>),
    Components { n: Vec<u8>, e: Vec<u8> },
}

impl Verifier<Vec<u8>> for Rs256Verifier {
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        match self {
            Self::Der(der) => {
                UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der).verify(message, signature)
            }
            Self::Components { n, e } => RsaPublicKeyComponents { n, e }.verify(
                &RSA_PKCS1_2048_8192_SHA256,
                message,
                signature,
            ),
        }
        .map_err(|_| signature::Error::new())
    }
}

impl JwtVerifier for Rs256Verifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::RS256
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use jsonwebtoken::{Header, Validation, decode, encode};
    use serde_json::{Value, json};

    fn claims() -> Value {
        json!({"sub": "a", "exp": jsonwebtoken::get_current_timestamp() + 60})
    }

    #[test]
    fn hs256_round_trips_and_a_wrong_secret_or_a_changed_token_is_refused() {
        install();
        let token = encode(
            &Header::default(),
            &claims(),
            &EncodingKey::from_secret(b"s"),
        )
        .unwrap();
        let key = DecodingKey::from_secret(b"s");
        let validation = Validation::new(Algorithm::HS256);
        assert_eq!(
            decode::<Value>(&token, &key, &validation).unwrap().claims["sub"],
            "a"
        );
        let wrong = DecodingKey::from_secret(b"t");
        assert!(decode::<Value>(&token, &wrong, &validation).is_err());
        let mut changed = token.clone();
        changed.pop();
        changed.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(decode::<Value>(&changed, &key, &validation).is_err());
    }

    #[test]
    fn other_algorithms_are_refused() {
        install();
        let key = EncodingKey::from_secret(b"s");
        assert!(encode(&Header::new(Algorithm::HS512), &claims(), &key).is_err());
        assert!(verifier(&Algorithm::ES256, &DecodingKey::from_secret(b"s")).is_err());
        assert!(verifier(&Algorithm::RS256, &DecodingKey::from_secret(b"s")).is_err());
    }
}
