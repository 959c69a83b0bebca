//! A TCP proxy in front of the test namenode that can stop answering, as a namenode
//! does in a long pause or behind a network partition: the connections it holds go
//! silent (what is sent is swallowed, nothing comes back, nothing is closed), and stay
//! so for good, as a half-open connection does. Connections opened after
//! [`resume`](SilentProxy::resume) are forwarded again.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

#[derive(Debug, Default)]
struct State {
    silent: AtomicBool,
    /// Bumped by each silence; a connection is forwarded only in the epoch it opened in.
    epoch: AtomicU64,
    accepted: AtomicUsize,
    swallowed: AtomicUsize,
}

/// The proxy; it runs until the test process ends.
#[derive(Debug, Clone)]
pub struct SilentProxy {
    addr: String,
    state: Arc<State>,
}

impl SilentProxy {
    /// A proxy on a free local port forwarding to `upstream` (`host:port`).
    pub fn start(upstream: &str) -> SilentProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let state = Arc::new(State::default());
        let (upstream, st) = (upstream.to_string(), state.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                st.accepted.fetch_add(1, Ordering::SeqCst);
                // Opened while silent: never forwarded. The epoch is read before the
                // flag (`silence` sets the flag, then bumps the epoch), so a connection
                // opened during `silence` gets the old epoch and stays silent for good.
                let current = st.epoch.load(Ordering::SeqCst);
                let epoch = if st.silent.load(Ordering::SeqCst) { u64::MAX } else { current };
                let Ok(server) = TcpStream::connect(&upstream) else { continue };
                for (from, to) in
                    [(client.try_clone().unwrap(), server.try_clone().unwrap()), (server, client)]
                {
                    let st = st.clone();
                    std::thread::spawn(move || pipe(from, to, epoch, &st));
                }
            }
        });
        SilentProxy { addr, state }
    }

    /// `host:port` of the proxy.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// From now on nothing is forwarded on the connections open now or opened until
    /// [`resume`](Self::resume).
    pub fn silence(&self) {
        self.state.silent.store(true, Ordering::SeqCst);
        self.state.epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// Connections opened from now on are forwarded; the silenced ones stay silent.
    pub fn resume(&self) {
        self.state.silent.store(false, Ordering::SeqCst);
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.state.accepted.load(Ordering::SeqCst)
    }

    /// Chunks swallowed so far (sent while silent).
    pub fn swallowed(&self) -> usize {
        self.state.swallowed.load(Ordering::SeqCst)
    }
}

/// Copies `from` to `to` while the connection's epoch is the current one and the
/// proxy is not silent; swallows what comes otherwise, the end of the stream included.
fn pipe(mut from: TcpStream, mut to: TcpStream, epoch: u64, st: &State) {
    let live = || !st.silent.load(Ordering::SeqCst) && st.epoch.load(Ordering::SeqCst) == epoch;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if !live() {
            st.swallowed.fetch_add(1, Ordering::SeqCst);
            continue;
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    if live() {
        let _ = to.shutdown(Shutdown::Write);
    }
}
