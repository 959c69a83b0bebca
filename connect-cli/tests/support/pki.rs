//! A test certificate authority made with rcgen, its server and client certificates as
//! PEM text and files, and reqwest clients that trust it (or not).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A CA that signs certificates for `localhost` and `127.0.0.1`.
pub struct Pki {
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    /// The CA certificate, PEM.
    pub ca_pem: String,
}

/// A private key and its certificate, PEM.
pub struct KeyPair {
    /// PKCS#8 private key.
    pub key_pem: String,
    /// The certificate.
    pub cert_pem: String,
}

impl KeyPair {
    /// Key and certificate in one PEM text (a KIP-651 keystore file).
    pub fn combined(&self) -> String {
        format!("{}{}", self.key_pem, self.cert_pem)
    }

    /// A reqwest identity (a client certificate).
    pub fn identity(&self) -> reqwest::Identity {
        reqwest::Identity::from_pem(self.combined().as_bytes()).unwrap()
    }
}

impl Pki {
    /// A new CA named `name`.
    pub fn new(name: &str) -> Pki {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        params.key_usages =
            vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
        let ca_pem = params.self_signed(&key).unwrap().pem();
        Pki { issuer: rcgen::Issuer::new(params, key), ca_pem }
    }

    fn sign(&self, cn: &str, usage: rcgen::ExtendedKeyUsagePurpose) -> KeyPair {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, cn);
        params.extended_key_usages = vec![usage];
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        KeyPair { key_pem: key.serialize_pem(), cert_pem: cert.pem() }
    }

    /// A server certificate for localhost / 127.0.0.1.
    pub fn server(&self) -> KeyPair {
        self.sign("connect-worker", rcgen::ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// A certificate usable both as server and as client (a worker calling another).
    pub fn worker(&self) -> KeyPair {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .unwrap();
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        KeyPair { key_pem: key.serialize_pem(), cert_pem: cert.pem() }
    }

    /// A client certificate.
    pub fn client(&self, cn: &str) -> KeyPair {
        self.sign(cn, rcgen::ExtendedKeyUsagePurpose::ClientAuth)
    }

    /// The CA as a reqwest root.
    pub fn root(&self) -> reqwest::Certificate {
        reqwest::Certificate::from_pem(self.ca_pem.as_bytes()).unwrap()
    }

    /// A client trusting this CA only.
    pub fn trusting_client(&self) -> reqwest::Client {
        client_builder().add_root_certificate(self.root()).build().unwrap()
    }
}

/// A rustls client builder with no trusted roots and a short timeout.
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .timeout(std::time::Duration::from_secs(30))
}

/// Writes `text` to `dir/name`.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// `text` as a properties value: newlines escaped.
pub fn inline(text: &str) -> String {
    text.trim_end().replace('\n', "\\n")
}
