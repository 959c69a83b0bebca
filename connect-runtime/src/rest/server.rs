//! [`RestServer`]: the REST listeners of a worker (standalone or distributed), bound from
//! its `listeners` config (`http://` and `https://`, every one of the list), served over a
//! herder with basic authentication when `rest.extension.classes` asks for it, and
//! stopped with a short drain.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use connect_api::{ConnectError, Result};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::auth::BasicAuth;
use super::tls::{SslSettings, TlsListener};
use crate::config::worker::WorkerConfig;
use crate::herder::Herder;

/// How long a stopping worker lets REST requests in flight finish.
pub(crate) const REST_DRAIN: Duration = Duration::from_secs(5);
/// The listener of a worker without `listeners`.
const DEFAULT_LISTENER: &str = "http://:8083";

/// A listener's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

impl Scheme {
    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    fn parse(s: &str) -> Option<Scheme> {
        match s.to_ascii_lowercase().as_str() {
            "http" => Some(Scheme::Http),
            "https" => Some(Scheme::Https),
            _ => None,
        }
    }
}

/// One entry of `listeners`: `PROTOCOL://[HOST]:PORT` (an IPv6 host in brackets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerSpec {
    /// `http` or `https` (in any case).
    pub scheme: Scheme,
    /// The host; empty for every interface.
    pub host: String,
    /// The port; 0 for any free one.
    pub port: u16,
}

impl ListenerSpec {
    /// Parses a listener as Kafka's `RestServer` does.
    pub fn parse(listener: &str) -> Result<ListenerSpec> {
        let bad = |why: &str| {
            ConnectError::config(format!(
                "Invalid value {listener} for configuration listeners: {why}"
            ))
        };
        let (protocol, rest) = listener
            .trim()
            .split_once("://")
            .ok_or_else(|| bad("expected protocol://hostname:port"))?;
        let scheme = Scheme::parse(protocol)
            .ok_or_else(|| bad("the listener protocol must be either \"http\" or \"https\""))?;
        let rest = rest.trim_end_matches('/');
        let (host, port) =
            rest.rsplit_once(':').ok_or_else(|| bad("expected protocol://hostname:port"))?;
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        let port = port.parse::<u16>().map_err(|_| bad(&format!("bad port {port}")))?;
        Ok(ListenerSpec { scheme, host: host.to_string(), port })
    }

    /// The address to bind.
    fn bind_addr(&self) -> String {
        match self.host.as_str() {
            "" => format!("0.0.0.0:{}", self.port),
            h if h.contains(':') => format!("[{h}]:{}", self.port),
            h => format!("{h}:{}", self.port),
        }
    }
}

/// One bound listener.
#[derive(Debug)]
struct Bound {
    scheme: Scheme,
    tcp: TcpListener,
    addr: SocketAddr,
}

/// The bound REST listeners, not serving yet. One of them is the worker's identity (its
/// id and advertised URL): the first of the advertised protocol.
#[derive(Debug)]
pub struct BoundListener {
    listeners: Vec<Bound>,
    advertised: usize,
    tls: Option<Arc<rustls::ServerConfig>>,
    auth: Option<Arc<BasicAuth>>,
}

impl BoundListener {
    /// Binds every one of the worker's `listeners` (default `http://:8083`), with the TLS
    /// settings of the `https://` ones and the basic authentication of
    /// `rest.extension.classes` (whose JAAS file may come from `KAFKA_OPTS`).
    pub async fn bind(config: &WorkerConfig) -> Result<BoundListener> {
        let mut specs = config
            .listeners()
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| ListenerSpec::parse(l))
            .collect::<Result<Vec<_>>>()?;
        if specs.is_empty() {
            specs.push(ListenerSpec::parse(DEFAULT_LISTENER)?);
        }
        let advertised_scheme = advertised_scheme(config, &specs)?;
        let advertised =
            specs.iter().position(|s| s.scheme == advertised_scheme).ok_or_else(|| {
                ConnectError::config(format!(
                    "rest.advertised.listener is {}, but listeners has no {}:// listener",
                    advertised_scheme.as_str(),
                    advertised_scheme.as_str()
                ))
            })?;
        let tls = if specs.iter().any(|s| s.scheme == Scheme::Https) {
            let settings = SslSettings::from_worker(config);
            Some(Arc::new(settings.server_config().map_err(|e| e.context("https listener"))?))
        } else {
            None
        };
        let kafka_opts = std::env::var("KAFKA_OPTS").ok();
        let auth = BasicAuth::from_worker(config, kafka_opts.as_deref())?.map(Arc::new);
        let mut listeners = Vec::with_capacity(specs.len());
        for spec in &specs {
            let bind = spec.bind_addr();
            let tcp = TcpListener::bind(&bind).await.map_err(|e| {
                ConnectError::config(format!(
                    "cannot listen on {bind} (listeners={}://{bind}): {e}",
                    spec.scheme.as_str()
                ))
                .with_source(e)
            })?;
            let addr = tcp
                .local_addr()
                .map_err(|e| ConnectError::fatal(format!("no local address: {e}")))?;
            listeners.push(Bound { scheme: spec.scheme, tcp, addr });
        }
        Ok(BoundListener { listeners, advertised, tls, auth })
    }

    /// Where the worker's identity listener listens.
    pub fn addr(&self) -> SocketAddr {
        self.listeners[self.advertised].addr
    }

    /// The protocol of the identity listener (the advertised one).
    pub fn scheme(&self) -> Scheme {
        self.listeners[self.advertised].scheme
    }

    /// Where every listener listens, in `listeners` order.
    pub fn addrs(&self) -> Vec<(Scheme, SocketAddr)> {
        self.listeners.iter().map(|l| (l.scheme, l.addr)).collect()
    }

    /// The host other workers reach it by when none is advertised (`localhost` for an
    /// unspecified address).
    pub fn host(&self) -> String {
        match self.addr().ip() {
            ip if ip.is_unspecified() => "localhost".to_string(),
            ip => ip.to_string(),
        }
    }

    /// Serves Kafka Connect's REST API over `herder` on every listener; `/admin/loggers`
    /// changes what this process logs when `logging::init` set it up.
    pub fn serve(self, herder: Arc<dyn Herder>) -> RestServer {
        let (server, gate) = self.serve_starting();
        gate.open(herder);
        server
    }

    /// Serves every listener at once, before the worker has started: until
    /// [`RestGate::open`] hands it the herder, `GET /health` answers 503 `starting` and
    /// every other request 503, as a Kafka worker's REST server does during its start
    /// (basic authentication applies all along).
    pub fn serve_starting(self) -> (RestServer, RestGate) {
        let gate = RestGate::default();
        let router = super::with_basic_auth(gate.router(), self.auth.clone());
        (self.serve_router(router), gate)
    }

    fn serve_router(self, router: axum::Router) -> RestServer {
        let stop = CancellationToken::new();
        let advertised =
            (self.listeners[self.advertised].scheme, self.listeners[self.advertised].addr);
        let addrs: Vec<(Scheme, SocketAddr)> =
            self.listeners.iter().map(|l| (l.scheme, l.addr)).collect();
        let mut tasks = Vec::with_capacity(self.listeners.len());
        for l in self.listeners {
            let stopping = stop.clone();
            let router = router.clone();
            let url = format!("{}://{}", l.scheme.as_str(), l.addr);
            let tls = self.tls.clone();
            tasks.push(tokio::spawn(async move {
                let result = match (l.scheme, tls) {
                    (Scheme::Https, Some(tls)) => match TlsListener::new(l.tcp, tls) {
                        Ok(listener) => {
                            axum::serve(listener, router)
                                .with_graceful_shutdown(async move { stopping.cancelled().await })
                                .await
                        }
                        Err(e) => Err(e),
                    },
                    _ => {
                        axum::serve(l.tcp, router)
                            .with_graceful_shutdown(async move { stopping.cancelled().await })
                            .await
                    }
                };
                if let Err(e) = result {
                    warn!(url = %url, error = %e, "REST server stopped with an error");
                }
            }));
            info!(url = %format!("{}://{}", l.scheme.as_str(), l.addr), "REST server listening");
        }
        RestServer { advertised, addrs, stop, tasks }
    }
}

/// What a REST server serves once its worker has started: empty until then.
#[derive(Debug, Clone, Default)]
pub struct RestGate {
    api: Arc<std::sync::OnceLock<axum::Router>>,
}

impl RestGate {
    /// The worker has started: from now on requests go to the REST API over `herder`.
    pub fn open(&self, herder: Arc<dyn Herder>) {
        let _ = self.api.set(super::router_with_control(herder, crate::logging::log_control()));
    }

    /// A router that hands every request to the API once the gate is open, and answers
    /// 503 until then.
    fn router(&self) -> axum::Router {
        let gate = self.clone();
        axum::Router::new().fallback(move |request: axum::extract::Request| {
            let api = gate.api.get().cloned();
            async move {
                use axum::response::IntoResponse;
                use tower::ServiceExt as _;
                match api {
                    Some(api) => match api.oneshot(request).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    },
                    None if request.uri().path() == "/health" => (
                        axum::http::StatusCode::SERVICE_UNAVAILABLE,
                        axum::Json(serde_json::json!({
                            "status": "starting",
                            "message": "Worker is still starting up.",
                        })),
                    )
                        .into_response(),
                    None => super::error::ApiError::new(
                        axum::http::StatusCode::SERVICE_UNAVAILABLE,
                        "Worker is still starting up.",
                    )
                    .into_response(),
                }
            }
        })
    }
}

/// The protocol a worker advertises, as Kafka decides it: `rest.advertised.listener`,
/// else `http` when some listener is, else `https`.
fn advertised_scheme(config: &WorkerConfig, specs: &[ListenerSpec]) -> Result<Scheme> {
    let configured = config
        .parsed()
        .get_string("rest.advertised.listener")
        .ok()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(s) = configured {
        return Scheme::parse(s).ok_or_else(|| {
            ConnectError::config(format!(
                "Invalid value {s} for configuration rest.advertised.listener: must be http or https"
            ))
        });
    }
    Ok(if specs.iter().any(|s| s.scheme == Scheme::Http) { Scheme::Http } else { Scheme::Https })
}

/// The serving REST listeners.
#[derive(Debug)]
pub struct RestServer {
    advertised: (Scheme, SocketAddr),
    addrs: Vec<(Scheme, SocketAddr)>,
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl RestServer {
    /// Where the worker's identity (advertised) listener listens.
    pub fn addr(&self) -> SocketAddr {
        self.advertised.1
    }

    /// The identity listener's URL (`https://127.0.0.1:8443`).
    pub fn url(&self) -> String {
        format!("{}://{}", self.advertised.0.as_str(), self.advertised.1)
    }

    /// Every listener, in `listeners` order.
    pub fn addrs(&self) -> &[(Scheme, SocketAddr)] {
        &self.addrs
    }

    /// Stops accepting requests; requests in flight (one waiting on a connector stuck in
    /// its own start) get a few seconds to finish, then are dropped.
    pub async fn shutdown(mut self) {
        self.stop.cancel();
        let deadline = tokio::time::Instant::now() + REST_DRAIN;
        let mut late = false;
        for task in &mut self.tasks {
            if late || tokio::time::timeout_at(deadline, &mut *task).await.is_err() {
                late = true;
                task.abort();
            }
        }
        if late {
            warn!("REST requests still running after {REST_DRAIN:?}: closed them");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn listeners_parse_as_kafka_reads_them() {
        let l = ListenerSpec::parse("HTTPS://myhost:8443").unwrap();
        assert_eq!((l.scheme, l.host.as_str(), l.port), (Scheme::Https, "myhost", 8443));
        assert_eq!(l.bind_addr(), "myhost:8443");
        let l = ListenerSpec::parse("http://:8083").unwrap();
        assert_eq!(l.bind_addr(), "0.0.0.0:8083");
        let l = ListenerSpec::parse("http://[::1]:0/").unwrap();
        assert_eq!((l.host.as_str(), l.bind_addr()), ("::1", "[::1]:0".to_string()));
        let e = ListenerSpec::parse("ftp://h:1").unwrap_err();
        assert!(e.message().contains("either \"http\" or \"https\""), "{e}");
        assert!(ListenerSpec::parse("localhost:8083").is_err());
        assert!(ListenerSpec::parse("http://h:port").unwrap_err().message().contains("bad port"));
    }

    fn worker(pairs: &[(&str, &str)]) -> WorkerConfig {
        let raw = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        WorkerConfig::parse(&raw).unwrap().0
    }

    #[test]
    fn the_advertised_protocol_is_http_when_any_listener_is() {
        let specs =
            |s: &str| s.split(',').map(|l| ListenerSpec::parse(l).unwrap()).collect::<Vec<_>>();
        let none = worker(&[]);
        assert_eq!(advertised_scheme(&none, &specs("https://:1,http://:2")).unwrap(), Scheme::Http);
        assert_eq!(advertised_scheme(&none, &specs("https://:1")).unwrap(), Scheme::Https);
        let https = worker(&[("rest.advertised.listener", "HTTPS")]);
        assert_eq!(
            advertised_scheme(&https, &specs("http://:1,https://:2")).unwrap(),
            Scheme::Https
        );
        let bad = worker(&[("rest.advertised.listener", "ftp")]);
        assert!(advertised_scheme(&bad, &specs("http://:1")).is_err());
    }

    #[tokio::test]
    async fn every_listener_is_bound_and_the_advertised_one_is_the_identity() {
        let cfg = worker(&[
            ("listeners", "http://127.0.0.1:0,http://127.0.0.1:0"),
            ("rest.advertised.listener", "http"),
        ]);
        let bound = BoundListener::bind(&cfg).await.unwrap();
        let addrs = bound.addrs();
        assert_eq!(addrs.len(), 2);
        assert_ne!(addrs[0].1.port(), addrs[1].1.port());
        assert_eq!(bound.addr(), addrs[0].1);
        let e = BoundListener::bind(&worker(&[
            ("listeners", "http://127.0.0.1:0"),
            ("rest.advertised.listener", "https"),
        ]))
        .await
        .unwrap_err();
        assert!(e.message().contains("no https:// listener"), "{e}");
        let e = BoundListener::bind(&worker(&[("listeners", "https://127.0.0.1:0")]))
            .await
            .unwrap_err();
        assert!(e.message().contains("needs a keystore"), "{e}");
    }
}
