//! TLS for the REST API, configured with Kafka Connect's keys: the `https://` listeners'
//! server side, and the client side of the calls workers make to each other (a follower
//! forwarding a write to the leader).
//!
//! The keys are those of Kafka's `SSLUtils`, read as Kafka reads them: when any key
//! starts with `listeners.https.`, only those keys count (prefix removed); otherwise the
//! bare `ssl.*` keys do (all or nothing, Kafka's `valuesWithPrefixAllOrNothing`).
//!
//! | key | meaning |
//! |---|---|
//! | `ssl.keystore.type` | `PEM` (KIP-651). `JKS`, Kafka's default, and `PKCS12` are refused |
//! | `ssl.keystore.location` | a PEM file holding the private key and the certificate chain |
//! | `ssl.keystore.key`, `ssl.keystore.certificate.chain` | the same, inline |
//! | `ssl.key.password` | the password of an encrypted (PKCS#8, PBES2) private key |
//! | `ssl.truststore.type` | `PEM` |
//! | `ssl.truststore.location`, `ssl.truststore.certificates` | trusted CA certificates, in a PEM file or inline |
//! | `ssl.client.auth` | `none` (default), `requested` or `required`: client certificates checked against the truststore |
//! | `ssl.enabled.protocols` | `TLSv1.2`, `TLSv1.3` (both by default) |
//! | `ssl.endpoint.identification.algorithm` | `https` (default): a worker checks the host name of the worker it calls; empty: it does not |
//!
//! Without a truststore, a worker calling another over https trusts the system's
//! certificate authorities, as a JVM trusts its `cacerts`.
//!
//! Java-only keys (`ssl.protocol`, `ssl.provider`, `ssl.keymanager.algorithm`,
//! `ssl.trustmanager.algorithm`, `ssl.secure.random.implementation`) have no meaning here
//! and are ignored; `ssl.cipher.suites` is ignored with a warning (rustls' safe suites are
//! used).

mod accept;
mod pem;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use connect_api::{ConnectError, Result};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use tracing::warn;

use crate::config::worker::WorkerConfig;

pub use accept::TlsListener;

/// The prefix of the REST listeners' own TLS keys.
pub const HTTPS_PREFIX: &str = "listeners.https.";

/// `ssl.client.auth`: whether the server asks clients for a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// No client certificate asked for (the default).
    None,
    /// Asked for; a client without one is served, one with a bad one refused.
    Requested,
    /// Required: a client without a certificate signed by the truststore is refused.
    Required,
}

/// The TLS keys of a worker config, as the REST listener and client read them.
#[derive(Clone)]
pub struct SslSettings {
    /// The keys without their prefix (`ssl.keystore.type`, …).
    values: BTreeMap<String, String>,
    /// `listeners.https.` when the keys came with it, else empty.
    prefix: &'static str,
}

impl std::fmt::Debug for SslSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Key names only: values may be passwords or inline private keys.
        f.debug_struct("SslSettings")
            .field("prefix", &self.prefix)
            .field("keys", &self.values.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A keystore: the certificate chain and private key a server (or a client) presents.
struct KeyStore {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl SslSettings {
    /// The TLS keys of `config`: the `listeners.https.*` keys if any is set, else the bare
    /// `ssl.*` keys.
    pub fn from_worker(config: &WorkerConfig) -> SslSettings {
        Self::from_originals(config.originals().iter())
    }

    fn from_originals<'a>(originals: impl Iterator<Item = (&'a String, &'a String)>) -> Self {
        let all: Vec<(&String, &String)> = originals.collect();
        let prefixed: BTreeMap<String, String> = all
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix(HTTPS_PREFIX).map(|k| (k.to_string(), (*v).clone()))
            })
            .collect();
        if !prefixed.is_empty() {
            return SslSettings { values: prefixed, prefix: HTTPS_PREFIX };
        }
        let bare = all
            .iter()
            .filter(|(k, _)| k.starts_with("ssl."))
            .map(|(k, v)| ((*k).clone(), (*v).clone()))
            .collect();
        SslSettings { values: bare, prefix: "" }
    }

    /// The full name of a key as the user wrote it (`listeners.https.ssl.keystore.type`).
    fn name(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// A set, non-blank value.
    fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// `ssl.client.auth`.
    pub fn client_auth(&self) -> Result<ClientAuth> {
        match self.get("ssl.client.auth").map(str::to_ascii_lowercase).as_deref() {
            None | Some("none") => Ok(ClientAuth::None),
            Some("requested") => Ok(ClientAuth::Requested),
            Some("required") => Ok(ClientAuth::Required),
            Some(other) => Err(ConnectError::config(format!(
                "Invalid value {other} for configuration {}: String must be one of: required, requested, none",
                self.name("ssl.client.auth")
            ))),
        }
    }

    /// Checks a store's type: PEM, or a refusal that names the key and says what to do.
    fn require_pem(&self, type_key: &str, what: &str) -> Result<()> {
        let kind = self.get(type_key).unwrap_or("JKS").to_ascii_uppercase();
        if kind == "PEM" {
            return Ok(());
        }
        let default = if self.get(type_key).is_none() { " (Kafka's default)" } else { "" };
        Err(ConnectError::config(format!(
            "Invalid value {kind}{default} for configuration {}: this worker reads only PEM {what}s (KIP-651). Set {}=PEM and give a PEM file (convert a {kind} store with `keytool -importkeystore -deststoretype PKCS12` then `openssl pkcs12 -nodes`), or the PEM text inline",
            self.name(type_key),
            self.name(type_key)
        )))
    }

    /// Reads a file a key names.
    fn read(&self, key: &str, path: &str) -> Result<String> {
        std::fs::read_to_string(Path::new(path)).map_err(|e| {
            ConnectError::config(format!("cannot read {} ({path}): {e}", self.name(key)))
                .with_source(e)
        })
    }

    /// The keystore, when one is configured.
    fn keystore(&self) -> Result<Option<KeyStore>> {
        let location = self.get("ssl.keystore.location");
        let inline_key = self.get("ssl.keystore.key");
        let inline_chain = self.get("ssl.keystore.certificate.chain");
        if location.is_none() && inline_key.is_none() && inline_chain.is_none() {
            return Ok(None);
        }
        self.require_pem("ssl.keystore.type", "keystore")?;
        if self.get("ssl.keystore.password").is_some() {
            return Err(ConnectError::config(format!(
                "{} cannot be specified with PEM format, only key password ({}) may be specified",
                self.name("ssl.keystore.password"),
                self.name("ssl.key.password")
            )));
        }
        let password_key = self.name("ssl.key.password");
        let password = self.get("ssl.key.password");
        let store = match (location, inline_key, inline_chain) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err(ConnectError::config(format!(
                    "Both {} and the inline {} / {} are specified: give one",
                    self.name("ssl.keystore.location"),
                    self.name("ssl.keystore.key"),
                    self.name("ssl.keystore.certificate.chain")
                )));
            }
            (Some(path), None, None) => {
                let source = format!("{} ({path})", self.name("ssl.keystore.location"));
                let text = self.read("ssl.keystore.location", path)?;
                KeyStore {
                    chain: pem::certificates(&text, &source)?,
                    key: pem::private_key(&text, &source, password, &password_key)?,
                }
            }
            (None, Some(key), Some(chain)) => KeyStore {
                chain: pem::certificates(chain, &self.name("ssl.keystore.certificate.chain"))?,
                key: pem::private_key(
                    key,
                    &self.name("ssl.keystore.key"),
                    password,
                    &password_key,
                )?,
            },
            (None, Some(_), None) => {
                return Err(ConnectError::config(format!(
                    "{} is specified, but {} is not",
                    self.name("ssl.keystore.key"),
                    self.name("ssl.keystore.certificate.chain")
                )));
            }
            (None, None, _) => {
                return Err(ConnectError::config(format!(
                    "{} is specified, but {} is not",
                    self.name("ssl.keystore.certificate.chain"),
                    self.name("ssl.keystore.key")
                )));
            }
        };
        Ok(Some(store))
    }

    /// The trusted certificates, when a truststore is configured.
    fn truststore(&self) -> Result<Option<rustls::RootCertStore>> {
        let location = self.get("ssl.truststore.location");
        let inline = self.get("ssl.truststore.certificates");
        let certs = match (location, inline) {
            (None, None) => return Ok(None),
            (Some(_), Some(_)) => {
                return Err(ConnectError::config(format!(
                    "Both {} and {} are specified: give one",
                    self.name("ssl.truststore.location"),
                    self.name("ssl.truststore.certificates")
                )));
            }
            (Some(path), None) => {
                self.require_pem("ssl.truststore.type", "truststore")?;
                let source = format!("{} ({path})", self.name("ssl.truststore.location"));
                pem::certificates(&self.read("ssl.truststore.location", path)?, &source)?
            }
            (None, Some(text)) => {
                self.require_pem("ssl.truststore.type", "truststore")?;
                pem::certificates(text, &self.name("ssl.truststore.certificates"))?
            }
        };
        if self.get("ssl.truststore.password").is_some() {
            return Err(ConnectError::config(format!(
                "{} cannot be specified for PEM format",
                self.name("ssl.truststore.password")
            )));
        }
        let mut roots = rustls::RootCertStore::empty();
        for (i, cert) in certs.into_iter().enumerate() {
            roots.add(cert).map_err(|e| {
                ConnectError::config(format!(
                    "certificate {} of {} is not a usable CA certificate: {e}",
                    i + 1,
                    self.name("ssl.truststore.location")
                ))
            })?;
        }
        Ok(Some(roots))
    }

    /// `ssl.enabled.protocols` as rustls versions.
    fn versions(&self) -> Result<Vec<&'static rustls::SupportedProtocolVersion>> {
        if self.get("ssl.cipher.suites").is_some() {
            warn!(
                key = %self.name("ssl.cipher.suites"),
                "ignored: the REST listener uses rustls' default cipher suites"
            );
        }
        let Some(list) = self.get("ssl.enabled.protocols") else {
            return Ok(vec![&rustls::version::TLS13, &rustls::version::TLS12]);
        };
        let mut out = Vec::new();
        for p in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match p.to_ascii_uppercase().as_str() {
                "TLSV1.3" => out.push(&rustls::version::TLS13),
                "TLSV1.2" => out.push(&rustls::version::TLS12),
                _ => warn!(
                    key = %self.name("ssl.enabled.protocols"),
                    protocol = p,
                    "ignored: only TLSv1.2 and TLSv1.3 are supported"
                ),
            }
        }
        if out.is_empty() {
            return Err(ConnectError::config(format!(
                "Invalid value {list} for configuration {}: none of TLSv1.2, TLSv1.3",
                self.name("ssl.enabled.protocols")
            )));
        }
        Ok(out)
    }

    /// The server side of an `https://` listener: the keystore (required), the protocol
    /// versions, and client certificates checked against the truststore when
    /// `ssl.client.auth` asks for them.
    pub fn server_config(&self) -> Result<rustls::ServerConfig> {
        let client_auth = self.client_auth()?;
        let store = self.keystore()?.ok_or_else(|| {
            ConnectError::config(format!(
                "An https listener needs a keystore: set {}=PEM and {} (a PEM file with the private key and certificate chain), or {} and {}",
                self.name("ssl.keystore.type"),
                self.name("ssl.keystore.location"),
                self.name("ssl.keystore.key"),
                self.name("ssl.keystore.certificate.chain")
            ))
        })?;
        let provider = provider();
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&self.versions()?)
            .map_err(|e| ConnectError::config(format!("unusable TLS settings: {e}")))?;
        let builder = if client_auth == ClientAuth::None {
            builder.with_no_client_auth()
        } else {
            let roots = self.truststore()?.ok_or_else(|| {
                ConnectError::config(format!(
                    "{} asks for client certificates, but no truststore checks them: set {}=PEM and {} or {}",
                    self.name("ssl.client.auth"),
                    self.name("ssl.truststore.type"),
                    self.name("ssl.truststore.location"),
                    self.name("ssl.truststore.certificates")
                ))
            })?;
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let verifier = if client_auth == ClientAuth::Requested {
                verifier.allow_unauthenticated()
            } else {
                verifier
            };
            let verifier = verifier.build().map_err(|e| {
                ConnectError::config(format!("cannot check client certificates: {e}"))
            })?;
            builder.with_client_cert_verifier(verifier)
        };
        let mut config = builder.with_single_cert(store.chain, store.key).map_err(|e| {
            ConnectError::config(format!(
                "the keystore's private key and certificate chain ({}) are unusable: {e}",
                self.name("ssl.keystore.location")
            ))
        })?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }

    /// The client side of calls to other workers over https: the truststore (else the
    /// system's certificate authorities), the keystore as client certificate when one is
    /// configured, and host name checks unless `ssl.endpoint.identification.algorithm`
    /// is empty.
    #[cfg(feature = "distributed")]
    pub fn client_config(&self) -> Result<rustls::ClientConfig> {
        let provider = provider();
        let roots = match self.truststore()? {
            Some(roots) => roots,
            None => system_roots(),
        };
        let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .build()
        .map_err(|e| ConnectError::config(format!("cannot check server certificates: {e}")))?;
        let check_host = self
            .values
            .get("ssl.endpoint.identification.algorithm")
            .is_none_or(|v| !v.trim().is_empty());
        let verifier: Arc<dyn rustls::client::danger::ServerCertVerifier> =
            if check_host { verifier } else { Arc::new(verify::AnyHostName(verifier)) };
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&self.versions()?)
            .map_err(|e| ConnectError::config(format!("unusable TLS settings: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        match self.keystore()? {
            Some(store) => builder.with_client_auth_cert(store.chain, store.key).map_err(|e| {
                ConnectError::config(format!(
                    "the keystore's private key and certificate chain ({}) are unusable: {e}",
                    self.name("ssl.keystore.location")
                ))
            }),
            None => Ok(builder.with_no_client_auth()),
        }
    }
}

/// rustls with the `ring` provider, named rather than taken from the process default
/// (which an embedding program may not have installed). rustls 0.23.48 deprecates it for
/// lacking post-quantum key exchange, which only its aws-lc-rs provider has; that one
/// needs a long C (and cmake) build, which this project keeps out. Classical X25519 /
/// P-256 key exchange is what Kafka's JVM workers offer too.
#[allow(deprecated)]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The system's certificate authorities (those it cannot read are skipped with a warning).
#[cfg(feature = "distributed")]
fn system_roots() -> rustls::RootCertStore {
    let found = rustls_native_certs::load_native_certs();
    if !found.errors.is_empty() {
        warn!(errors = ?found.errors, "some system CA certificates could not be read");
    }
    let mut roots = rustls::RootCertStore::empty();
    let (_, skipped) = roots.add_parsable_certificates(found.certs);
    if skipped > 0 {
        warn!(skipped, "system CA certificates rustls cannot use were skipped");
    }
    roots
}

#[cfg(feature = "distributed")]
mod verify {
    //! `ssl.endpoint.identification.algorithm=` (empty): the chain is checked against the
    //! truststore, the host name is not.

    use std::sync::Arc;

    use rustls::client::WebPkiServerVerifier;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};

    /// Accepts a certificate that chains to the truststore whatever host it names.
    #[derive(Debug)]
    pub(super) struct AnyHostName(pub Arc<WebPkiServerVerifier>);

    impl ServerCertVerifier for AnyHostName {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            server_name: &ServerName<'_>,
            ocsp_response: &[u8],
            now: UnixTime,
        ) -> Result<ServerCertVerified, Error> {
            match self.0.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ) {
                Err(Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                )) => Ok(ServerCertVerified::assertion()),
                other => other,
            }
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            self.0.verify_tls12_signature(message, cert, dss)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            self.0.verify_tls13_signature(message, cert, dss)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.supported_verify_schemes()
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> SslSettings {
        let map: BTreeMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        SslSettings::from_originals(map.iter())
    }

    struct Pki {
        ca_pem: String,
        key_pem: String,
        chain_pem: String,
    }

    fn pki() -> Pki {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap();
        Pki { ca_pem: ca_cert.pem(), key_pem: key.serialize_pem(), chain_pem: cert.pem() }
    }

    #[test]
    fn prefixed_keys_win_all_or_nothing() {
        let s = settings(&[
            ("ssl.keystore.type", "JKS"),
            ("ssl.client.auth", "required"),
            ("listeners.https.ssl.keystore.type", "PEM"),
        ]);
        assert_eq!(s.prefix, HTTPS_PREFIX);
        // The bare ssl.client.auth does not leak in once a prefixed key is set.
        assert_eq!(s.client_auth().unwrap(), ClientAuth::None);
        let bare = settings(&[("ssl.client.auth", "REQUESTED"), ("producer.ssl.x", "y")]);
        assert_eq!(bare.prefix, "");
        assert_eq!(bare.client_auth().unwrap(), ClientAuth::Requested);
        let e = settings(&[("ssl.client.auth", "maybe")]).client_auth().unwrap_err();
        assert!(e.message().contains("ssl.client.auth"), "{e}");
    }

    #[test]
    fn jks_and_pkcs12_keystores_are_refused_naming_the_key() {
        let e = settings(&[("listeners.https.ssl.keystore.location", "/etc/ks.jks")])
            .server_config()
            .unwrap_err();
        let m = e.message();
        assert!(m.contains("Invalid value JKS (Kafka's default) for configuration listeners.https.ssl.keystore.type"), "{m}");
        assert!(m.contains("PEM"), "{m}");
        let e = settings(&[("ssl.keystore.type", "PKCS12"), ("ssl.keystore.location", "/k.p12")])
            .server_config()
            .unwrap_err();
        assert!(
            e.message().contains("Invalid value PKCS12 for configuration ssl.keystore.type"),
            "{e}"
        );
        let e = settings(&[("ssl.truststore.location", "/t.jks"), ("ssl.keystore.type", "PEM")])
            .truststore()
            .unwrap_err();
        assert!(e.message().contains("ssl.truststore.type"), "{e}");
    }

    #[test]
    fn an_https_listener_needs_a_keystore_and_client_auth_a_truststore() {
        let e = settings(&[]).server_config().unwrap_err();
        assert!(e.message().contains("needs a keystore"), "{e}");
        let p = pki();
        let e = settings(&[
            ("ssl.keystore.type", "PEM"),
            ("ssl.keystore.key", &p.key_pem),
            ("ssl.keystore.certificate.chain", &p.chain_pem),
            ("ssl.client.auth", "required"),
        ])
        .server_config()
        .unwrap_err();
        assert!(e.message().contains("no truststore"), "{e}");
    }

    #[test]
    fn inline_and_file_pem_build_server_and_client_configs() {
        let p = pki();
        let dir = tempfile::tempdir().unwrap();
        let ks = dir.path().join("server.pem");
        std::fs::write(&ks, format!("{}{}", p.key_pem, p.chain_pem)).unwrap();
        let ts = dir.path().join("ca.pem");
        std::fs::write(&ts, &p.ca_pem).unwrap();
        let from_files = settings(&[
            ("ssl.keystore.type", "PEM"),
            ("ssl.keystore.location", ks.to_str().unwrap()),
            ("ssl.truststore.type", "PEM"),
            ("ssl.truststore.location", ts.to_str().unwrap()),
            ("ssl.client.auth", "required"),
        ]);
        from_files.server_config().unwrap();
        #[cfg(feature = "distributed")]
        from_files.client_config().unwrap();
        let inline = settings(&[
            ("listeners.https.ssl.keystore.type", "PEM"),
            ("listeners.https.ssl.keystore.key", &p.key_pem),
            ("listeners.https.ssl.keystore.certificate.chain", &p.chain_pem),
            ("listeners.https.ssl.truststore.type", "PEM"),
            ("listeners.https.ssl.truststore.certificates", &p.ca_pem),
            ("listeners.https.ssl.enabled.protocols", "TLSv1.3"),
        ]);
        inline.server_config().unwrap();
        assert_eq!(inline.versions().unwrap().len(), 1);
        let e = settings(&[
            ("ssl.keystore.type", "PEM"),
            ("ssl.keystore.location", ks.to_str().unwrap()),
            ("ssl.keystore.key", &p.key_pem),
        ])
        .server_config()
        .unwrap_err();
        assert!(e.message().contains("Both ssl.keystore.location"), "{e}");
        let e = settings(&[("ssl.keystore.type", "PEM"), ("ssl.keystore.key", &p.key_pem)])
            .server_config()
            .unwrap_err();
        assert!(e.message().contains("ssl.keystore.certificate.chain is not"), "{e}");
        let e = settings(&[
            ("ssl.keystore.type", "PEM"),
            ("ssl.keystore.location", ks.to_str().unwrap()),
            ("ssl.keystore.password", "pw"),
        ])
        .server_config()
        .unwrap_err();
        assert!(e.message().contains("only key password"), "{e}");
        let e =
            settings(&[("ssl.keystore.type", "PEM"), ("ssl.keystore.location", "/no/such.pem")])
                .server_config()
                .unwrap_err();
        assert!(e.message().contains("cannot read ssl.keystore.location (/no/such.pem)"), "{e}");
        let e = settings(&[("ssl.enabled.protocols", "TLSv1,TLSv1.1")]).versions().unwrap_err();
        assert!(e.message().contains("ssl.enabled.protocols"), "{e}");
    }

    #[test]
    fn debug_shows_key_names_not_values() {
        let s = settings(&[("ssl.key.password", "hunter2-secret")]);
        let shown = format!("{s:?}");
        assert!(shown.contains("ssl.key.password") && !shown.contains("hunter2"), "{shown}");
    }
}
