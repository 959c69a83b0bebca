//! PEM key and certificate material as KIP-651 gives it to Kafka: a private key (PKCS#8,
//! optionally encrypted with `ssl.key.password`) and a certificate chain, in one file or
//! inline in the worker config; trusted certificates likewise.
//!
//! Messages name the config key the material came from and never contain key bytes or
//! passwords.

use base64::Engine;
use connect_api::{ConnectError, Result};
use rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
};

/// One `-----BEGIN <label>-----` … `-----END <label>-----` block, decoded.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Block {
    /// The label (`CERTIFICATE`, `PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`, …).
    pub label: String,
    /// The DER bytes.
    pub der: Vec<u8>,
    /// Whether the block carried RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`: OpenSSL's
    /// legacy key encryption).
    pub legacy_encrypted: bool,
}

impl std::fmt::Debug for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the bytes: a block may be a private key.
        f.debug_struct("Block").field("label", &self.label).field("len", &self.der.len()).finish()
    }
}

/// The PEM blocks of `text`, in order; text outside blocks (comments, `Bag Attributes`
/// that `openssl pkcs12` writes) is skipped. A block may be on one line, as an inline
/// value continued with `\` in a properties file reads (KIP-651's examples): the base64
/// text is taken whatever whitespace splits it. `source` names where the text came from.
pub(crate) fn blocks(text: &str, source: &str) -> Result<Vec<Block>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + "-----BEGIN ".len()..];
        let label_end = after.find("-----").ok_or_else(|| {
            ConnectError::config(format!("{source}: a PEM BEGIN line is not closed with -----"))
        })?;
        let label = after[..label_end].trim();
        let body_and_more = &after[label_end + "-----".len()..];
        let end = body_and_more.find("-----END ").ok_or_else(|| {
            ConnectError::config(format!("{source}: PEM block BEGIN {label} has no END line"))
        })?;
        let body = &body_and_more[..end];
        let tail = &body_and_more[end + "-----END ".len()..];
        let end_label_len = tail.find("-----").ok_or_else(|| {
            ConnectError::config(format!("{source}: PEM block BEGIN {label} has no END line"))
        })?;
        let end_label = tail[..end_label_len].trim();
        if end_label != label {
            return Err(ConnectError::config(format!(
                "{source}: PEM block BEGIN {label} ends with END {end_label}"
            )));
        }
        rest = &tail[end_label_len + "-----".len()..];
        // RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`, `DEK-Info: …`): OpenSSL's legacy
        // key encryption, refused by the key reader.
        let legacy_encrypted = body.contains("Proc-Type:") && body.contains("ENCRYPTED");
        let base64: String = body
            .lines()
            .filter(|l| !l.contains(':'))
            .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
            .collect();
        let der = if legacy_encrypted {
            Vec::new()
        } else {
            base64::engine::general_purpose::STANDARD.decode(base64.as_bytes()).map_err(|e| {
                ConnectError::config(format!(
                    "{source}: the PEM block {label} is not valid base64: {e}"
                ))
            })?
        };
        out.push(Block { label: label.to_string(), der, legacy_encrypted });
    }
    Ok(out)
}

/// The certificates of `text` (at least one). `source` names the config key.
pub(crate) fn certificates(text: &str, source: &str) -> Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<CertificateDer<'static>> = blocks(text, source)?
        .into_iter()
        .filter(|b| b.label == "CERTIFICATE")
        .map(|b| CertificateDer::from(b.der))
        .collect();
    if certs.is_empty() {
        return Err(ConnectError::config(format!(
            "{source}: no PEM certificate (-----BEGIN CERTIFICATE-----) found"
        )));
    }
    Ok(certs)
}

/// The one private key of `text`: PKCS#8 (`PRIVATE KEY`), PKCS#8 encrypted with
/// `password` (`ENCRYPTED PRIVATE KEY`, PBES2 as `openssl pkcs8 -topk8 -v2 aes-256-cbc`
/// writes it), or the PKCS#1 / SEC1 keys (`RSA PRIVATE KEY`, `EC PRIVATE KEY`) OpenSSL
/// also writes. `source` names the config key; `password_key` the password's key.
pub(crate) fn private_key(
    text: &str,
    source: &str,
    password: Option<&str>,
    password_key: &str,
) -> Result<PrivateKeyDer<'static>> {
    let keys: Vec<Block> =
        blocks(text, source)?.into_iter().filter(|b| b.label.ends_with("PRIVATE KEY")).collect();
    let key = match keys.as_slice() {
        [] => {
            return Err(ConnectError::config(format!(
                "{source}: no PEM private key (-----BEGIN PRIVATE KEY----- or -----BEGIN ENCRYPTED PRIVATE KEY-----) found"
            )));
        }
        [one] => one,
        more => {
            return Err(ConnectError::config(format!(
                "{source}: expected one private key, but found {}",
                more.len()
            )));
        }
    };
    if key.legacy_encrypted {
        return Err(ConnectError::config(format!(
            "{source}: the private key uses OpenSSL's legacy PEM encryption (Proc-Type: 4,ENCRYPTED), which is not supported; convert it to encrypted PKCS#8 with `openssl pkcs8 -topk8 -v2 aes-256-cbc` and give its password in {password_key}"
        )));
    }
    let encrypted = key.label == "ENCRYPTED PRIVATE KEY";
    match (encrypted, password) {
        (true, None) => Err(ConnectError::config(format!(
            "{source}: the private key is encrypted, but {password_key} is not set"
        ))),
        (false, Some(_)) => Err(ConnectError::config(format!(
            "{source}: {password_key} is set, but the private key is not encrypted (expected -----BEGIN ENCRYPTED PRIVATE KEY-----)"
        ))),
        (true, Some(password)) => decrypt(&key.der, password, source, password_key),
        (false, None) => match key.label.as_str() {
            "PRIVATE KEY" => Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.der.clone()))),
            "RSA PRIVATE KEY" => {
                Ok(PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(key.der.clone())))
            }
            "EC PRIVATE KEY" => Ok(PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(key.der.clone()))),
            other => {
                Err(ConnectError::config(format!("{source}: unsupported private key type {other}")))
            }
        },
    }
}

/// Decrypts an encrypted PKCS#8 key (PBES2).
fn decrypt(
    der: &[u8],
    password: &str,
    source: &str,
    password_key: &str,
) -> Result<PrivateKeyDer<'static>> {
    let info = pkcs8::EncryptedPrivateKeyInfo::try_from(der).map_err(|e| {
        ConnectError::config(format!("{source}: the encrypted private key is malformed: {e}"))
    })?;
    let doc = info.decrypt(password.as_bytes()).map_err(|e| {
        ConnectError::config(format!(
            "{source}: cannot decrypt the private key with {password_key} (wrong password, or an encryption scheme other than PBES2 with PBKDF2 or scrypt and AES-CBC): {e}"
        ))
    })?;
    Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(doc.as_bytes().to_vec())))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn key_and_cert() -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (key.serialize_pem(), cert.pem())
    }

    fn encrypted(key_pem: &str, password: &str) -> String {
        let doc = pkcs8::PrivateKeyInfo::try_from(blocks(key_pem, "t").unwrap()[0].der.as_slice())
            .unwrap()
            .encrypt_with_params(
                pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(2048, &[7; 16], &[9; 16])
                    .unwrap(),
                password,
            )
            .unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(doc.as_bytes());
        let lines: Vec<&str> =
            b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
        format!(
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\n{}\n-----END ENCRYPTED PRIVATE KEY-----\n",
            lines.join("\n")
        )
    }

    #[test]
    fn a_keystore_file_holds_key_and_chain_in_any_order_with_text_between() {
        let (key, cert) = key_and_cert();
        let text = format!("Bag Attributes\n    friendlyName: connect\n{cert}\n# the key\n{key}");
        assert_eq!(certificates(&text, "ssl.keystore.location").unwrap().len(), 1);
        let k = private_key(&text, "ssl.keystore.location", None, "ssl.key.password").unwrap();
        assert!(matches!(k, PrivateKeyDer::Pkcs8(_)));
        let chain = format!("{cert}{cert}");
        assert_eq!(certificates(&chain, "x").unwrap().len(), 2);
        // An inline value continued with `\` in a properties file: one line, base64 split
        // by spaces.
        let one_line = key.replace('\n', " ");
        let k = private_key(&one_line, "ssl.keystore.key", None, "ssl.key.password").unwrap();
        assert!(matches!(k, PrivateKeyDer::Pkcs8(_)));
        let props = crate::properties::parse(&format!(
            "ssl.keystore.certificate.chain={}\n",
            cert.trim_end().replace('\n', " \\\n    ")
        ))
        .unwrap();
        assert_eq!(certificates(&props["ssl.keystore.certificate.chain"], "c").unwrap().len(), 1);
    }

    #[test]
    fn an_encrypted_key_needs_its_password_and_only_it() {
        let (key, _) = key_and_cert();
        let enc = encrypted(&key, "s3cret-pw");
        let plain = private_key(&key, "k", None, "ssl.key.password").unwrap();
        let got = private_key(&enc, "k", Some("s3cret-pw"), "ssl.key.password").unwrap();
        assert_eq!(got.secret_der(), plain.secret_der());
        let wrong = private_key(&enc, "k", Some("nope"), "ssl.key.password").unwrap_err();
        assert!(wrong.message().contains("cannot decrypt"), "{wrong}");
        assert!(!wrong.message().contains("nope"), "the password must not be echoed: {wrong}");
        let missing = private_key(&enc, "k", None, "ssl.key.password").unwrap_err();
        assert!(missing.message().contains("ssl.key.password is not set"), "{missing}");
        let needless = private_key(&key, "k", Some("x"), "ssl.key.password").unwrap_err();
        assert!(needless.message().contains("not encrypted"), "{needless}");
    }

    #[test]
    fn bad_pem_is_refused_naming_the_key() {
        let (key, cert) = key_and_cert();
        let e = certificates(&key, "listeners.https.ssl.truststore.certificates").unwrap_err();
        assert!(
            e.message()
                .starts_with("listeners.https.ssl.truststore.certificates: no PEM certificate"),
            "{e}"
        );
        let e = private_key(&cert, "ssl.keystore.key", None, "ssl.key.password").unwrap_err();
        assert!(e.message().contains("no PEM private key"), "{e}");
        let e = private_key(&format!("{key}{key}"), "k", None, "p").unwrap_err();
        assert!(e.message().contains("expected one private key, but found 2"), "{e}");
        let e = certificates("-----BEGIN CERTIFICATE-----\nAAAA\n", "c").unwrap_err();
        assert!(e.message().contains("no END line"), "{e}");
        let e = certificates("-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----\n", "c")
            .unwrap_err();
        assert!(e.message().contains("not valid base64"), "{e}");
        let e = certificates("-----BEGIN CERTIFICATE-----\nAAAA\n-----END X509 CRL-----\n", "c")
            .unwrap_err();
        assert!(e.message().contains("ends with END X509 CRL"), "{e}");
        let legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n";
        let e = private_key(legacy, "k", Some("pw"), "ssl.key.password").unwrap_err();
        assert!(e.message().contains("legacy PEM encryption"), "{e}");
    }

    #[test]
    fn debug_of_a_block_shows_no_key_bytes() {
        let (key, _) = key_and_cert();
        let b = &blocks(&key, "k").unwrap()[0];
        let shown = format!("{b:?}");
        assert!(shown.contains("PRIVATE KEY") && !shown.contains(&format!("{:?}", &b.der[..8])));
    }
}
