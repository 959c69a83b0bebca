//! The Hive metastore client: `ThriftHiveMetastore` calls over TCP with the binary
//! protocol (buffered socket by default, framed transport on request), no SASL.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use connect_api::data::Schema;
use connect_api::{ConnectError, Result};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

use super::HiveMetastore;
use super::ddl::{HiveTableSpec, parse_partition};
use super::thrift::{DecodeError, Message, TValue, decode_framed, decode_message, mtype, ttype};

/// How long one call may take, connect included.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// A metastore client over `thrift://host:port` addresses, tried in order.
#[derive(Debug)]
pub struct ThriftMetastore {
    addresses: Vec<String>,
    framed: bool,
    conn: Mutex<Conn>,
    /// The metastore does not know `get_table_req` (an old Hive, such as 1.x): use `get_table`.
    legacy_get_table: AtomicBool,
}

#[derive(Debug, Default)]
struct Conn {
    stream: Option<TcpStream>,
    seqid: i32,
    buf: Vec<u8>,
}

/// What a call answered: the success value (field 0 of the result struct), or the
/// declared exception that was set, as (its field id, its `message`).
pub type CallOutcome = std::result::Result<Option<TValue>, (i16, String)>;

/// What a metastore answered to a call: a result struct, or a `TApplicationException`
/// (the call itself failed: unknown method, bad arguments, an internal error).
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// A REPLY message: see [`CallOutcome`].
    Result(CallOutcome),
    /// An EXCEPTION message: the `TApplicationException`'s type and message.
    Application {
        /// Its type ([`UNKNOWN_METHOD`], …).
        kind: i32,
        /// Its message.
        message: String,
    },
}

/// The `TApplicationException` type of a method the server does not have.
pub const UNKNOWN_METHOD: i32 = 1;

fn now_secs() -> i32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i32::try_from(d.as_secs()).unwrap_or(i32::MAX))
        .unwrap_or(0)
}

/// Splits `hive.metastore.uris` (`thrift://h1:9083,thrift://h2:9083`) into
/// `host:port` addresses; a config error names the key.
pub fn parse_uris(uris: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for raw in uris.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let rest = raw.strip_prefix("thrift://").ok_or_else(|| {
            ConnectError::config(format!(
                "Invalid value {raw:?} for configuration hive.metastore.uris: expected thrift://host:port"
            ))
        })?;
        let rest = rest.trim_end_matches('/');
        let addr = if rest.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) {
            rest.to_string()
        } else {
            format!("{rest}:9083")
        };
        out.push(addr);
    }
    if out.is_empty() {
        return Err(ConnectError::config(
            "hive.metastore.uris is empty and no hive-site.xml in hive.conf.dir names one",
        ));
    }
    Ok(out)
}

impl ThriftMetastore {
    /// A client for `host:port` addresses; `framed` selects the framed transport
    /// (`hive.metastore.thrift.framed.transport.enabled`). Connects on first use.
    pub fn new(addresses: Vec<String>, framed: bool) -> Self {
        ThriftMetastore {
            addresses,
            framed,
            conn: Mutex::new(Conn::default()),
            legacy_get_table: AtomicBool::new(false),
        }
    }

    /// The addresses, in the order they are tried.
    pub fn addresses(&self) -> &[String] {
        &self.addresses
    }

    async fn connect(&self) -> Result<TcpStream> {
        let mut last = None;
        for addr in &self.addresses {
            match tokio::time::timeout(CALL_TIMEOUT, TcpStream::connect(addr)).await {
                Ok(Ok(s)) => {
                    let _ = s.set_nodelay(true);
                    return Ok(s);
                }
                Ok(Err(e)) => last = Some(format!("{addr}: {e}")),
                Err(_) => last = Some(format!("{addr}: connect timed out")),
            }
        }
        Err(ConnectError::retriable(format!(
            "cannot reach the Hive metastore ({})",
            last.unwrap_or_else(|| "no address".into())
        )))
    }

    /// Sends `name(args)` and returns the result struct's success or exception; a
    /// `TApplicationException` is a fatal error.
    pub async fn call(&self, name: &str, args: TValue) -> Result<CallOutcome> {
        match self.call_reply(name, args).await? {
            Reply::Result(outcome) => Ok(outcome),
            Reply::Application { message, .. } => Err(ConnectError::fatal(format!(
                "Hive metastore rejected {name}: TApplicationException: {message}"
            ))),
        }
    }

    /// Sends `name(args)` and returns what the metastore answered.
    pub async fn call_reply(&self, name: &str, args: TValue) -> Result<Reply> {
        let mut conn = self.conn.lock().await;
        let res = tokio::time::timeout(CALL_TIMEOUT, self.call_locked(&mut conn, name, args)).await;
        let res = match res {
            Ok(r) => r,
            Err(_) => Err(ConnectError::retriable(format!("Hive metastore call {name} timed out"))),
        };
        if res.is_err() {
            // The stream may hold half a reply: start over next time.
            conn.stream = None;
            conn.buf.clear();
        }
        res
    }

    async fn call_locked(&self, conn: &mut Conn, name: &str, args: TValue) -> Result<Reply> {
        if conn.stream.is_none() {
            conn.stream = Some(self.connect().await?);
            conn.buf.clear();
        }
        conn.seqid = conn.seqid.wrapping_add(1);
        let seqid = conn.seqid;
        let msg = Message { name: name.to_string(), kind: mtype::CALL, seqid, body: args };
        let bytes = if self.framed { msg.encode_framed() } else { msg.encode() };
        let io =
            |e: std::io::Error| ConnectError::from(e).context(format!("Hive metastore {name}"));
        let Some(stream) = conn.stream.as_mut() else {
            return Err(ConnectError::retriable("Hive metastore connection lost"));
        };
        stream.write_all(&bytes).await.map_err(io)?;
        stream.flush().await.map_err(io)?;
        let reply = loop {
            let decoded =
                if self.framed { decode_framed(&conn.buf) } else { decode_message(&conn.buf) };
            match decoded {
                Ok((m, used)) => {
                    conn.buf.drain(..used);
                    break m;
                }
                Err(DecodeError::Incomplete) => {
                    let mut chunk = [0u8; 8192];
                    let n = stream.read(&mut chunk).await.map_err(io)?;
                    if n == 0 {
                        return Err(ConnectError::retriable(format!(
                            "Hive metastore closed the connection during {name}"
                        )));
                    }
                    conn.buf.extend_from_slice(&chunk[..n]);
                }
                Err(e) => return Err(ConnectError::from(e).context(format!("reply to {name}"))),
            }
        };
        if reply.kind == mtype::EXCEPTION {
            let message = reply.body.field(1).and_then(TValue::as_str).unwrap_or("").to_string();
            let kind = match reply.body.field(2) {
                Some(TValue::I32(k)) => *k,
                _ => 0,
            };
            return Ok(Reply::Application { kind, message });
        }
        if reply.name != name || reply.seqid != seqid || reply.kind != mtype::REPLY {
            return Err(ConnectError::fatal(format!(
                "Hive metastore answered {} (seqid {}) to {name} (seqid {seqid})",
                reply.name, reply.seqid
            )));
        }
        let TValue::Struct(fields) = reply.body else {
            return Err(ConnectError::fatal("Hive metastore reply is not a struct"));
        };
        // A result struct sets at most one field: the success value or one exception.
        Ok(Reply::Result(match fields.into_iter().next() {
            Some((0, v)) => Ok(Some(v)),
            Some((id, v)) => {
                let message = v.field(1).and_then(TValue::as_str).unwrap_or("").to_string();
                Err((id, message))
            }
            None => Ok(None),
        }))
    }

    /// The table, or `None` when it does not exist: `get_table_req` (the Hive 2
    /// line on; Hive 4 has no `get_table`), or `get_table` on a metastore that does not
    /// know `get_table_req`.
    pub async fn get_table(&self, db: &str, table: &str) -> Result<Option<TValue>> {
        let names = || vec![(1, TValue::str(db)), (2, TValue::str(table))];
        if !self.legacy_get_table.load(Ordering::Relaxed) {
            // get_table_req(GetTableRequest{1: dbName, 2: tblName}) -> GetTableResult{1: table}
            let args = TValue::Struct(vec![(1, TValue::Struct(names()))]);
            match self.call_reply("get_table_req", args).await? {
                Reply::Result(Ok(Some(result))) => {
                    return match result.field(1) {
                        Some(t) => Ok(Some(t.clone())),
                        None => Err(ConnectError::fatal("get_table_req returned no table")),
                    };
                }
                Reply::Result(Ok(None)) => {
                    return Err(ConnectError::fatal("get_table_req returned no result"));
                }
                Reply::Result(Err((2, _))) => return Ok(None),
                Reply::Result(Err((_, m))) => return Err(meta_error("get_table_req", &m)),
                Reply::Application { kind: UNKNOWN_METHOD, .. } => {
                    self.legacy_get_table.store(true, Ordering::Relaxed);
                }
                Reply::Application { message, .. } => {
                    return Err(ConnectError::fatal(format!(
                        "Hive metastore rejected get_table_req: TApplicationException: {message}"
                    )));
                }
            }
        }
        match self.call("get_table", TValue::Struct(names())).await? {
            Ok(Some(t)) => Ok(Some(t)),
            Ok(None) => Err(ConnectError::fatal("get_table returned no table")),
            Err((2, _)) => Ok(None),
            Err((_, m)) => Err(meta_error("get_table", &m)),
        }
    }

    /// After the metastore refused the spec's table (columns and all) with an
    /// InvalidOperationException `message`: an Avro table takes its schema from
    /// `avro.schema.literal` (Hive's AvroSerDe reads that, not the stored columns), so
    /// the literal, serde and formats are changed alone and the stored columns kept.
    /// Other formats have only the stored columns: the refusal is an error that says
    /// which metastore setting allows the change.
    async fn alter_refused(
        &self,
        existing: &TValue,
        spec: &HiveTableSpec,
        message: &str,
    ) -> Result<()> {
        let qualified = format!("{}.{}", spec.database, spec.table);
        if spec.storage.format != "avro" {
            return Err(ConnectError::retriable(format!(
                "Hive metastore refused to change the columns of {qualified} to the new schema: \
                 {message}. A {} table has no schema besides its columns; allow the change \
                 on the metastore (metastore.disallow.incompatible.col.type.changes=false, or \
                 on Hive 4 the table's serde {} in metastore.allow.incompatible.col.type.changes.serdes)",
                spec.storage.format, spec.storage.serde
            )));
        }
        let mut table = altered_table(existing, spec);
        let old_columns = existing.field(7).and_then(|sd| sd.field(1)).cloned();
        if let (Some(cols), Some(sd)) = (old_columns, table.field_mut(7)) {
            sd.set_field(1, cols);
        }
        if &table == existing {
            return Ok(());
        }
        let args = TValue::Struct(vec![
            (1, TValue::str(&spec.database)),
            (2, TValue::str(&spec.table)),
            (3, table),
        ]);
        match self.call("alter_table", args).await? {
            Ok(_) => {
                tracing::info!(
                    table = %qualified,
                    refusal = %message,
                    "the Hive metastore refused the new columns; avro.schema.literal was updated \
                     alone (Hive reads Avro tables through it) and the stored columns kept"
                );
                Ok(())
            }
            Err((_, m)) => Err(meta_error("alter_table", &m)),
        }
    }

    /// `create_database(Database{name, description})`, the location left to the
    /// metastore's warehouse: `true` if it was created, `false` if it existed.
    pub async fn create_database(&self, db: &str) -> Result<bool> {
        let database = TValue::Struct(vec![
            (1, TValue::str(db)),
            (2, TValue::str("Database created by Kafka Connect for Rust (connect-hdfs)")),
        ]);
        match self.call("create_database", TValue::Struct(vec![(1, database)])).await? {
            Ok(_) => Ok(true),
            Err((1, _)) => Ok(false), // AlreadyExistsException
            Err((_, m)) => Err(meta_error("create_database", &m)),
        }
    }
}

fn meta_error(call: &str, message: &str) -> ConnectError {
    ConnectError::retriable(format!("Hive metastore {call} failed: {message}"))
}

fn field_schema(name: &str, ty: &str) -> TValue {
    TValue::Struct(vec![(1, TValue::str(name)), (2, TValue::str(ty)), (3, TValue::str(""))])
}

fn field_list(cols: &[(String, String)]) -> TValue {
    TValue::List(ttype::STRUCT, cols.iter().map(|(n, t)| field_schema(n, t)).collect())
}

/// The `StorageDescriptor` of a spec at `location`.
pub fn storage_descriptor(spec: &HiveTableSpec, location: &str) -> TValue {
    let serde = TValue::Struct(vec![
        (1, TValue::str(&spec.table)),
        (2, TValue::str(spec.storage.serde)),
        (3, TValue::str_map(&[("serialization.format", "1")])),
    ]);
    TValue::Struct(vec![
        (1, field_list(&spec.columns)),
        (2, TValue::str(location)),
        (3, TValue::str(spec.storage.input_format)),
        (4, TValue::str(spec.storage.output_format)),
        (5, TValue::Bool(false)),
        (6, TValue::I32(-1)),
        (7, serde),
        (8, TValue::List(ttype::STRING, Vec::new())),
        (9, TValue::List(ttype::STRUCT, Vec::new())),
        (10, TValue::Map(ttype::STRING, ttype::STRING, Vec::new())),
    ])
}

/// The Thrift `Table` of a spec: an EXTERNAL_TABLE at the spec's location.
pub fn table_value(spec: &HiveTableSpec) -> TValue {
    let mut params = vec![("EXTERNAL".to_string(), "TRUE".to_string())];
    params.extend(spec.parameters.iter().cloned());
    TValue::Struct(vec![
        (1, TValue::str(&spec.table)),
        (2, TValue::str(&spec.database)),
        (3, TValue::str("connect-hdfs")),
        (4, TValue::I32(now_secs())),
        (5, TValue::I32(0)),
        (6, TValue::I32(0)),
        (7, storage_descriptor(spec, &spec.location)),
        (8, field_list(&spec.partition_columns)),
        (9, TValue::str_map(&params)),
        (12, TValue::str("EXTERNAL_TABLE")),
    ])
}

/// `existing` brought to the spec: new columns, serde and formats, and parameters
/// merged; everything else (owner, partition keys, fields this client does not
/// know) kept as the metastore sent it.
pub fn altered_table(existing: &TValue, spec: &HiveTableSpec) -> TValue {
    let mut table = existing.clone();
    let mut sd =
        table.field(7).cloned().unwrap_or_else(|| storage_descriptor(spec, &spec.location));
    sd.set_field(1, field_list(&spec.columns));
    sd.set_field(3, TValue::str(spec.storage.input_format));
    sd.set_field(4, TValue::str(spec.storage.output_format));
    let mut serde = sd.field(7).cloned().unwrap_or(TValue::Struct(Vec::new()));
    serde.set_field(2, TValue::str(spec.storage.serde));
    sd.set_field(7, serde);
    table.set_field(7, sd);
    let mut params: Vec<(TValue, TValue)> =
        table.field(9).and_then(TValue::as_map).map(<[_]>::to_vec).unwrap_or_default();
    for (k, v) in &spec.parameters {
        match params.iter_mut().find(|(pk, _)| pk.as_str() == Some(k)) {
            Some(slot) => slot.1 = TValue::str(v),
            None => params.push((TValue::str(k), TValue::str(v))),
        }
    }
    table.set_field(9, TValue::Map(ttype::STRING, ttype::STRING, params));
    table
}

#[async_trait]
impl HiveMetastore for ThriftMetastore {
    async fn ensure_table(
        &self,
        database: &str,
        table: &str,
        location: &str,
        schema: &Schema,
        partition_fields: &[(String, Schema)],
        format: &str,
    ) -> Result<()> {
        let spec = HiveTableSpec::new(database, table, location, schema, partition_fields, format)?;
        match self.get_table(&spec.database, &spec.table).await? {
            None => {
                let args = TValue::Struct(vec![(1, table_value(&spec))]);
                match self.call("create_table", args.clone()).await? {
                    Ok(_) | Err((1, _)) => Ok(()), // created, or created meanwhile
                    // InvalidObjectException (the database is missing; Hive 4 says
                    // "database hive.<db>") or NoSuchObjectException: create the
                    // database, as Confluent's connector does, and try once more.
                    Err((id @ (2 | 4), m)) => {
                        if !self.create_database(&spec.database).await? {
                            return Err(meta_error("create_table", &format!("{m} ({id})")));
                        }
                        match self.call("create_table", args).await? {
                            Ok(_) | Err((1, _)) => Ok(()),
                            Err((_, m)) => Err(meta_error("create_table", &m)),
                        }
                    }
                    Err((_, m)) => Err(meta_error("create_table", &m)),
                }
            }
            Some(existing) => {
                let new = altered_table(&existing, &spec);
                if new == existing {
                    return Ok(());
                }
                let args = TValue::Struct(vec![
                    (1, TValue::str(&spec.database)),
                    (2, TValue::str(&spec.table)),
                    (3, new),
                ]);
                match self.call("alter_table", args).await? {
                    Ok(_) => Ok(()),
                    // InvalidOperationException: the metastore refuses columns whose types
                    // differ from the old ones at the same positions (a column dropped
                    // before columns of another type), which Hive forbids by default
                    // (metastore.disallow.incompatible.col.type.changes=true).
                    Err((1, m)) => self.alter_refused(&existing, &spec, &m).await,
                    Err((_, m)) => Err(meta_error("alter_table", &m)),
                }
            }
        }
    }

    async fn add_partition(
        &self,
        database: &str,
        table: &str,
        encoded_partition: &str,
        location: &str,
    ) -> Result<()> {
        let db = if database.is_empty() { "default" } else { database };
        let existing = self.get_table(db, table).await?.ok_or_else(|| {
            ConnectError::not_found(format!(
                "Hive table {db}.{table} does not exist; ensure_table must run first"
            ))
        })?;
        let parsed = parse_partition(encoded_partition)?;
        let keys: Vec<&str> = existing
            .field(8)
            .and_then(TValue::as_list)
            .unwrap_or_default()
            .iter()
            .filter_map(|k| k.field(1).and_then(TValue::as_str))
            .collect();
        let mut values = Vec::with_capacity(keys.len());
        for key in &keys {
            let v = parsed.iter().find(|(k, _)| k == key).ok_or_else(|| {
                ConnectError::data(format!(
                    "encoded partition {encoded_partition:?} has no value for partition column {key:?} of {db}.{table}"
                ))
            })?;
            values.push(v.1.clone());
        }
        if keys.len() != parsed.len() {
            return Err(ConnectError::data(format!(
                "encoded partition {encoded_partition:?} does not match the partition columns {keys:?} of {db}.{table}"
            )));
        }
        let mut sd = existing.field(7).cloned().unwrap_or(TValue::Struct(Vec::new()));
        sd.set_field(2, TValue::str(location));
        let partition = TValue::Struct(vec![
            (1, TValue::str_list(&values)),
            (2, TValue::str(db)),
            (3, TValue::str(table)),
            (4, TValue::I32(now_secs())),
            (5, TValue::I32(0)),
            (6, sd),
            (7, TValue::Map(ttype::STRING, ttype::STRING, Vec::new())),
        ]);
        match self.call("add_partition", TValue::Struct(vec![(1, partition)])).await? {
            Ok(_) | Err((2, _)) => Ok(()), // added, or already there (IF NOT EXISTS)
            Err((_, m)) => Err(meta_error("add_partition", &m)),
        }
    }
}
