//! A small Kafka protocol client over tokio: one TCP connection to one broker, requests
//! framed as Kafka frames them (an `i32` size, the request header, the body) with the
//! `kafka-protocol` crate's codecs, each request at the highest version both sides speak
//! (learnt with ApiVersions when the connection opens). Enough for the group membership
//! APIs librdkafka does not expose for a custom protocol type.

use std::collections::HashMap;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use connect_api::{ConnectError, Result};
use kafka_protocol::messages::{ApiVersionsRequest, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Frames larger than this are refused (a corrupt size would otherwise allocate it).
const MAX_FRAME: usize = 100 * 1024 * 1024;

/// One connection to one broker.
#[derive(Debug)]
pub struct Connection {
    addr: String,
    stream: TcpStream,
    client_id: StrBytes,
    correlation_id: i32,
    /// The broker's version range of each API it supports, by API key.
    versions: HashMap<i16, (i16, i16)>,
}

fn io_error(addr: &str, what: &str, e: std::io::Error) -> ConnectError {
    ConnectError::retriable(format!("Kafka broker {addr}: {what}: {e}")).with_source(e)
}

fn codec_error(addr: &str, what: &str, e: impl std::fmt::Display) -> ConnectError {
    ConnectError::data(format!("Kafka broker {addr}: {what}: {e}"))
}

impl Connection {
    /// Connects to `addr` (`host:port`) within `timeout` and learns the API versions the
    /// broker speaks.
    pub async fn open(addr: &str, client_id: &str, timeout: Duration) -> Result<Connection> {
        let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| {
                ConnectError::retriable(format!(
                    "Kafka broker {addr}: no connection within {timeout:?}"
                ))
            })?
            .map_err(|e| io_error(addr, "cannot connect", e))?;
        stream.set_nodelay(true).map_err(|e| io_error(addr, "cannot set TCP_NODELAY", e))?;
        let mut conn = Connection {
            addr: addr.to_string(),
            stream,
            client_id: StrBytes::from_string(client_id.to_string()),
            correlation_id: 0,
            versions: HashMap::new(),
        };
        // Version 0 is the one every broker answers, whatever it supports.
        let answer = tokio::time::timeout(timeout, conn.send(&ApiVersionsRequest::default(), 0))
            .await
            .map_err(|_| {
                ConnectError::retriable(format!(
                    "Kafka broker {addr}: no ApiVersions answer within {timeout:?}"
                ))
            })??;
        if answer.error_code != 0 {
            return Err(ConnectError::retriable(format!(
                "Kafka broker {addr}: ApiVersions failed with error code {}",
                answer.error_code
            )));
        }
        conn.versions =
            answer.api_keys.iter().map(|k| (k.api_key, (k.min_version, k.max_version))).collect();
        Ok(conn)
    }

    /// The broker's address.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The highest version of request `R` both this client and the broker speak, at most
    /// `cap` (the highest this client fills every field of).
    pub fn version<R: Request>(&self, cap: i16) -> Result<i16> {
        let (min, max) = self.versions.get(&R::KEY).copied().ok_or_else(|| {
            ConnectError::fatal(format!(
                "Kafka broker {} does not support API key {} (needed for distributed mode)",
                self.addr,
                R::KEY
            ))
        })?;
        let high = max.min(R::VERSIONS.max).min(cap);
        let low = min.max(R::VERSIONS.min);
        if high < low {
            return Err(ConnectError::fatal(format!(
                "Kafka broker {} speaks versions {min}-{max} of API key {}, none of which this worker speaks (up to {cap})",
                self.addr,
                R::KEY
            )));
        }
        Ok(high)
    }

    /// Sends `request` at `version` and reads its response.
    pub async fn send<R: Request>(&mut self, request: &R, version: i16) -> Result<R::Response> {
        self.correlation_id = self.correlation_id.wrapping_add(1);
        let correlation_id = self.correlation_id;
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY)
            .with_request_api_version(version)
            .with_correlation_id(correlation_id)
            .with_client_id(Some(self.client_id.clone()));
        let mut body = BytesMut::new();
        header
            .encode(&mut body, R::header_version(version))
            .map_err(|e| codec_error(&self.addr, "cannot encode a request header", e))?;
        request
            .encode(&mut body, version)
            .map_err(|e| codec_error(&self.addr, "cannot encode a request", e))?;
        let mut frame = BytesMut::with_capacity(body.len() + 4);
        frame.put_i32(body.len() as i32);
        frame.extend_from_slice(&body);
        let addr = self.addr.clone();
        self.stream.write_all(&frame).await.map_err(|e| io_error(&addr, "cannot send", e))?;
        let size =
            self.stream.read_i32().await.map_err(|e| io_error(&addr, "connection lost", e))?;
        let size = usize::try_from(size)
            .ok()
            .filter(|s| *s <= MAX_FRAME)
            .ok_or_else(|| codec_error(&addr, "bad response size", size))?;
        let mut buf = vec![0u8; size];
        self.stream
            .read_exact(&mut buf)
            .await
            .map_err(|e| io_error(&addr, "connection lost", e))?;
        let mut bytes = Bytes::from(buf);
        let header = ResponseHeader::decode(&mut bytes, R::Response::header_version(version))
            .map_err(|e| codec_error(&addr, "cannot decode a response header", e))?;
        if header.correlation_id != correlation_id {
            return Err(codec_error(
                &addr,
                "response out of order",
                format!("correlation id {} for request {correlation_id}", header.correlation_id),
            ));
        }
        let response = R::Response::decode(&mut bytes, version)
            .map_err(|e| codec_error(&addr, "cannot decode a response", e))?;
        if bytes.has_remaining() {
            tracing::debug!(broker = %addr, left = bytes.remaining(), "response bytes left unread");
        }
        Ok(response)
    }
}
