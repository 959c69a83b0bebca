#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Hive integration: the HiveQL of each format, the recording metastore, and the
//! Thrift client against an in-process TCP server that decodes what it receives with
//! its own (test-local) Thrift decoder and answers like a metastore.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use connect_api::data::logical::{Date, Decimal, Timestamp};
use connect_api::data::{Schema, SchemaBuilder};
use connect_api::error::ErrorKind;
use connect_hdfs::hive::{
    self, HiveMetastore, HiveSettings, HiveTableSpec, MetastoreCall, RecordingMetastore,
    ThriftMetastore,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn schema_v1() -> Schema {
    SchemaBuilder::struct_()
        .name("com.example.User")
        .field("id", Schema::int64())
        .field("name", Schema::optional_string())
        .field("small", Schema::int8())
        .field("mid", Schema::int16())
        .field("n", Schema::int32())
        .field("ratio", Schema::float32())
        .field("score", Schema::float64())
        .field("ok", Schema::boolean())
        .field("raw", Schema::bytes())
        .field("price", Decimal::schema(2))
        .field("born", Date::schema())
        .field("seen", Timestamp::schema())
        .field("tags", SchemaBuilder::array(Schema::string()).build().unwrap())
        .field("attrs", SchemaBuilder::map(Schema::string(), Schema::int32()).build().unwrap())
        .field(
            "addr",
            SchemaBuilder::struct_()
                .field("city", Schema::string())
                .field("zip", Schema::int32())
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

fn schema_v2() -> Schema {
    SchemaBuilder::struct_()
        .name("com.example.User")
        .field("id", Schema::int64())
        .field("email", SchemaBuilder::string().optional().default_value("none").build().unwrap())
        .build()
        .unwrap()
}

fn time_fields() -> Vec<(String, Schema)> {
    ["year", "month", "day"].iter().map(|n| (n.to_string(), Schema::string())).collect()
}

const COLUMNS: &str = "  `id` bigint,
  `name` string,
  `small` tinyint,
  `mid` smallint,
  `n` int,
  `ratio` float,
  `score` double,
  `ok` boolean,
  `raw` binary,
  `price` decimal(38,2),
  `born` date,
  `seen` timestamp,
  `tags` array<string>,
  `attrs` map<string,int>,
  `addr` struct<city:string,zip:int>";

#[test]
fn create_table_ddl_for_each_format() {
    let loc = "hdfs://nn:8020/topics/users";
    let parquet =
        HiveTableSpec::new("analytics", "users", loc, &schema_v1(), &time_fields(), "parquet")
            .unwrap();
    assert_eq!(
        hive::create_table_ddl(&parquet),
        format!(
            "CREATE EXTERNAL TABLE IF NOT EXISTS `analytics`.`users` (\n{COLUMNS}\n)\nPARTITIONED BY (\n  `year` string,\n  `month` string,\n  `day` string\n)\nSTORED AS PARQUET\nLOCATION 'hdfs://nn:8020/topics/users'"
        )
    );
    let json = HiveTableSpec::new(
        "",
        "users",
        loc,
        &schema_v1(),
        &[("partition".into(), Schema::int32())],
        "io.confluent.connect.hdfs.json.JsonFormat",
    )
    .unwrap();
    assert_eq!(
        hive::create_table_ddl(&json),
        format!(
            "CREATE EXTERNAL TABLE IF NOT EXISTS `default`.`users` (\n{COLUMNS}\n)\nPARTITIONED BY (\n  `partition` int\n)\nROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\nSTORED AS TEXTFILE\nLOCATION 'hdfs://nn:8020/topics/users'"
        )
    );
    let avro = HiveTableSpec::new(
        "default",
        "users",
        loc,
        &schema_v2(),
        &[("partition".into(), Schema::int32())],
        "avro",
    )
    .unwrap();
    let literal = connect_hdfs::format::connect_to_avro_schema(&schema_v2()).unwrap().to_string();
    assert!(literal.contains("\"default\":\"none\""), "{literal}");
    assert_eq!(
        hive::create_table_ddl(&avro),
        format!(
            "CREATE EXTERNAL TABLE IF NOT EXISTS `default`.`users` (\n  `id` bigint,\n  `email` string\n)\nPARTITIONED BY (\n  `partition` int\n)\nSTORED AS AVRO\nLOCATION 'hdfs://nn:8020/topics/users'\nTBLPROPERTIES ('avro.schema.literal'='{literal}')"
        )
    );
    assert_eq!(
        hive::alter_table_ddl(&avro),
        vec![format!(
            "ALTER TABLE `default`.`users` SET TBLPROPERTIES ('avro.schema.literal'='{literal}')"
        )]
    );
    assert_eq!(
        hive::alter_table_ddl(&parquet)[0],
        format!("ALTER TABLE `analytics`.`users` REPLACE COLUMNS (\n{COLUMNS}\n)")
    );
    assert_eq!(
        hive::add_partition_ddl(
            "default",
            "users",
            "year=2024/month=05/day=17",
            "/topics/users/year=2024/month=05/day=17"
        )
        .unwrap(),
        "ALTER TABLE `default`.`users` ADD IF NOT EXISTS PARTITION (`year`='2024', `month`='05', `day`='17') LOCATION '/topics/users/year=2024/month=05/day=17'"
    );
    // Quotes and backquotes are escaped.
    assert_eq!(
        hive::add_partition_ddl("d", "we`ird", "name=o'brien", "/x").unwrap(),
        "ALTER TABLE `d`.`we``ird` ADD IF NOT EXISTS PARTITION (`name`='o\\'brien') LOCATION '/x'"
    );
    assert!(hive::add_partition_ddl("d", "t", "noequals", "/x").is_err());
    assert_eq!(hive::hive_type(&Schema::optional_int64()).unwrap(), "bigint");
}

#[tokio::test]
async fn recording_metastore_creates_alters_and_adds_partitions() {
    let ms = RecordingMetastore::new();
    let fields = time_fields();
    ms.ensure_table("default", "users", "/topics/users", &schema_v1(), &fields, "parquet")
        .await
        .unwrap();
    ms.ensure_table("default", "users", "/topics/users", &schema_v1(), &fields, "parquet")
        .await
        .unwrap();
    ms.ensure_table("default", "users", "/topics/users", &schema_v2(), &fields, "parquet")
        .await
        .unwrap();
    ms.add_partition(
        "default",
        "users",
        "year=2024/month=05/day=17",
        "/topics/users/year=2024/month=05/day=17",
    )
    .await
    .unwrap();
    ms.add_partition(
        "default",
        "users",
        "year=2024/month=05/day=17",
        "/topics/users/year=2024/month=05/day=17",
    )
    .await
    .unwrap();
    ms.add_partition(
        "default",
        "users",
        "year=2024/month=05/day=18",
        "/topics/users/year=2024/month=05/day=18",
    )
    .await
    .unwrap();
    let err = ms.add_partition("default", "users", "partition=1", "/x").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Data);
    let err = ms.add_partition("default", "nope", "partition=1", "/x").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);

    let calls = ms.calls();
    assert!(matches!(&calls[0], MetastoreCall::CreateTable(s) if s.columns.len() == 15));
    assert_eq!(calls[1], MetastoreCall::TableUnchanged { table: "default.users".into() });
    assert!(
        matches!(&calls[2], MetastoreCall::AlterTable(s) if s.columns == vec![("id".to_string(), "bigint".to_string()), ("email".to_string(), "string".to_string())])
    );
    assert_eq!(
        calls[3],
        MetastoreCall::AddPartition {
            table: "default.users".into(),
            values: vec![
                ("year".into(), "2024".into()),
                ("month".into(), "05".into()),
                ("day".into(), "17".into())
            ],
            location: "/topics/users/year=2024/month=05/day=17".into(),
        }
    );
    assert_eq!(
        calls[4],
        MetastoreCall::PartitionExists {
            table: "default.users".into(),
            encoded: "year=2024/month=05/day=17".into()
        }
    );
    assert_eq!(calls.len(), 6);
    let ddl = ms.ddl();
    assert_eq!(ddl.len(), 4);
    assert!(ddl[0].starts_with("CREATE EXTERNAL TABLE IF NOT EXISTS `default`.`users`"));
    assert!(ddl[1].starts_with("ALTER TABLE `default`.`users` REPLACE COLUMNS"));
    assert!(ddl[3].contains("`day`='18'"));
    assert_eq!(ms.partitions("default", "users").len(), 2);
    assert_eq!(ms.table("default", "users").unwrap().columns.len(), 2);
}

// ---------------------------------------------------------------------------
// A test-local Thrift binary codec, written from the protocol description, so the
// client's encoding is checked by code it does not share.

#[derive(Debug, Clone, PartialEq)]
enum T {
    Bool(bool),
    I32(i32),
    I64(i64),
    I16(i16),
    Byte(u8),
    Double(f64),
    Str(Vec<u8>),
    Struct(BTreeMap<i16, T>),
    Map(u8, u8, Vec<(T, T)>),
    List(u8, Vec<T>),
}

impl T {
    fn s(&self) -> String {
        match self {
            T::Str(b) => String::from_utf8(b.clone()).unwrap(),
            other => panic!("not a string: {other:?}"),
        }
    }
    fn f(&self, id: i16) -> &T {
        match self {
            T::Struct(m) => m.get(&id).unwrap_or_else(|| panic!("no field {id} in {self:?}")),
            other => panic!("not a struct: {other:?}"),
        }
    }
    fn has(&self, id: i16) -> bool {
        matches!(self, T::Struct(m) if m.contains_key(&id))
    }
    fn list(&self) -> &[T] {
        match self {
            T::List(_, v) => v,
            other => panic!("not a list: {other:?}"),
        }
    }
    fn smap(&self) -> BTreeMap<String, String> {
        match self {
            T::Map(_, _, e) => e.iter().map(|(k, v)| (k.s(), v.s())).collect(),
            other => panic!("not a map: {other:?}"),
        }
    }
    fn tid(&self) -> u8 {
        match self {
            T::Bool(_) => 2,
            T::Byte(_) => 3,
            T::Double(_) => 4,
            T::I16(_) => 6,
            T::I32(_) => 8,
            T::I64(_) => 10,
            T::Str(_) => 11,
            T::Struct(_) => 12,
            T::Map(..) => 13,
            T::List(..) => 15,
        }
    }
    fn put(&self, o: &mut Vec<u8>) {
        match self {
            T::Bool(b) => o.push(*b as u8),
            T::Byte(b) => o.push(*b),
            T::Double(d) => o.extend(d.to_be_bytes()),
            T::I16(v) => o.extend(v.to_be_bytes()),
            T::I32(v) => o.extend(v.to_be_bytes()),
            T::I64(v) => o.extend(v.to_be_bytes()),
            T::Str(b) => {
                o.extend((b.len() as i32).to_be_bytes());
                o.extend(b);
            }
            T::Struct(m) => {
                for (id, v) in m {
                    o.push(v.tid());
                    o.extend(id.to_be_bytes());
                    v.put(o);
                }
                o.push(0);
            }
            T::Map(k, v, e) => {
                o.push(*k);
                o.push(*v);
                o.extend((e.len() as i32).to_be_bytes());
                for (a, b) in e {
                    a.put(o);
                    b.put(o);
                }
            }
            T::List(t, items) => {
                o.push(*t);
                o.extend((items.len() as i32).to_be_bytes());
                for i in items {
                    i.put(o);
                }
            }
        }
    }
}

struct Rd<'a>(&'a [u8], usize);

impl Rd<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.0.get(self.1..self.1 + n)?;
        self.1 += n;
        Some(s)
    }
    fn i32(&mut self) -> Option<i32> {
        Some(i32::from_be_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn val(&mut self, t: u8) -> Option<T> {
        Some(match t {
            2 => T::Bool(self.take(1)?[0] != 0),
            3 => T::Byte(self.take(1)?[0]),
            4 => T::Double(f64::from_be_bytes(self.take(8)?.try_into().unwrap())),
            6 => T::I16(i16::from_be_bytes(self.take(2)?.try_into().unwrap())),
            8 => T::I32(self.i32()?),
            10 => T::I64(i64::from_be_bytes(self.take(8)?.try_into().unwrap())),
            11 => {
                let n = self.i32()? as usize;
                T::Str(self.take(n)?.to_vec())
            }
            12 => {
                let mut m = BTreeMap::new();
                loop {
                    let t = self.take(1)?[0];
                    if t == 0 {
                        break;
                    }
                    let id = i16::from_be_bytes(self.take(2)?.try_into().unwrap());
                    m.insert(id, self.val(t)?);
                }
                T::Struct(m)
            }
            13 => {
                let (k, v) = (self.take(1)?[0], self.take(1)?[0]);
                let n = self.i32()?;
                let mut e = Vec::new();
                for _ in 0..n {
                    let a = self.val(k)?;
                    e.push((a, self.val(v)?));
                }
                T::Map(k, v, e)
            }
            14 | 15 => {
                let et = self.take(1)?[0];
                let n = self.i32()?;
                let mut items = Vec::new();
                for _ in 0..n {
                    items.push(self.val(et)?);
                }
                T::List(et, items)
            }
            other => panic!("unknown type {other}"),
        })
    }
    /// (name, type, seqid, args) of a strict binary message; None when incomplete.
    fn message(&mut self) -> Option<(String, u8, i32, T)> {
        let head = self.i32()? as u32;
        assert_eq!(head & 0xffff_0000, 0x8001_0000, "strict binary header");
        let n = self.i32()? as usize;
        let name = String::from_utf8(self.take(n)?.to_vec()).unwrap();
        let seq = self.i32()?;
        Some((name, (head & 0xff) as u8, seq, self.val(12)?))
    }
}

fn st(fields: Vec<(i16, T)>) -> T {
    T::Struct(fields.into_iter().collect())
}

fn reply(name: &str, seq: i32, result: T, kind: u8) -> Vec<u8> {
    let mut o = Vec::new();
    o.extend((0x8001_0000u32 | kind as u32).to_be_bytes());
    T::Str(name.as_bytes().to_vec()).put(&mut o);
    o.extend(seq.to_be_bytes());
    result.put(&mut o);
    o
}

fn exception(message: &str) -> T {
    st(vec![(1, T::Str(message.as_bytes().to_vec()))])
}

/// A fake metastore: tables and partitions in memory, every call logged.
#[derive(Default)]
struct Fake {
    tables: BTreeMap<String, T>,
    partitions: Vec<T>,
    calls: Vec<(String, T)>,
    fail_next_with_meta: bool,
    /// Answer like an old metastore such as Hive 1.x (`get_table` only) instead of like
    /// Hive 4 (`get_table_req` only).
    legacy: bool,
}

async fn start_server(framed: bool, legacy: bool) -> (String, Arc<Mutex<Fake>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let fake = Arc::new(Mutex::new(Fake { legacy, ..Fake::default() }));
    let f = fake.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let f = f.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    let start = if framed { 4 } else { 0 };
                    if buf.len() >= start {
                        let mut rd = Rd(&buf[start..], 0);
                        if let Some((name, kind, seq, args)) = rd.message() {
                            if framed {
                                let len = u32::from_be_bytes(buf[..4].try_into().unwrap()) as usize;
                                assert_eq!(len, rd.1, "frame length");
                            }
                            let used = start + rd.1;
                            buf.drain(..used);
                            assert_eq!(kind, 1, "CALL");
                            let (result, kind) = answer(&f, &name, args);
                            let mut out = reply(&name, seq, result, kind);
                            if framed {
                                let mut fr = (out.len() as u32).to_be_bytes().to_vec();
                                fr.extend(out);
                                out = fr;
                            }
                            // Send in two pieces so the client must reassemble.
                            let mid = out.len() / 2;
                            sock.write_all(&out[..mid]).await.unwrap();
                            sock.flush().await.unwrap();
                            tokio::task::yield_now().await;
                            sock.write_all(&out[mid..]).await.unwrap();
                            continue;
                        }
                    }
                    let mut chunk = [0u8; 4096];
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
            });
        }
    });
    (addr, fake)
}

fn answer(f: &Mutex<Fake>, name: &str, args: T) -> (T, u8) {
    let mut f = f.lock().unwrap();
    f.calls.push((name.to_string(), args.clone()));
    if std::mem::take(&mut f.fail_next_with_meta) {
        return (st(vec![(1, exception("metastore database is locked"))]), 2);
    }
    let unknown = if f.legacy { "get_table_req" } else { "get_table" };
    match name {
        "get_table_req" if name != unknown => {
            let req = args.f(1);
            let key = format!("{}.{}", req.f(1).s(), req.f(2).s());
            match f.tables.get(&key) {
                Some(t) => (st(vec![(0, st(vec![(1, t.clone())]))]), 2),
                None => (st(vec![(2, exception(&format!("{key} table not found")))]), 2),
            }
        }
        "get_table" if name != unknown => {
            let key = format!("{}.{}", args.f(1).s(), args.f(2).s());
            match f.tables.get(&key) {
                Some(t) => (st(vec![(0, t.clone())]), 2),
                None => (st(vec![(2, exception(&format!("{key} table not found")))]), 2),
            }
        }
        "create_table" => {
            let t = args.f(1).clone();
            let key = format!("{}.{}", t.f(2).s(), t.f(1).s());
            if f.tables.contains_key(&key) {
                return (st(vec![(1, exception("already exists"))]), 2);
            }
            f.tables.insert(key, t);
            (st(vec![]), 2)
        }
        "alter_table" => {
            let key = format!("{}.{}", args.f(1).s(), args.f(2).s());
            f.tables.insert(key, args.f(3).clone());
            (st(vec![]), 2)
        }
        "add_partition" => {
            let p = args.f(1).clone();
            if f.partitions.iter().any(|q| q.f(1) == p.f(1)) {
                return (st(vec![(2, exception("partition already exists"))]), 2);
            }
            f.partitions.push(p.clone());
            (st(vec![(0, p)]), 2)
        }
        other => (
            st(vec![
                (1, T::Str(format!("Invalid method name: '{other}'").into_bytes())),
                (2, T::I32(1)),
            ]),
            3,
        ),
    }
}

/// The client against the fake; `legacy` makes it a metastore without
/// `get_table_req` (an old Hive, such as 1.x), which the client falls back from once.
async fn exercise_client(framed: bool, legacy: bool) {
    let (addr, fake) = start_server(framed, legacy).await;
    let get = if legacy { "get_table" } else { "get_table_req" };
    let client = ThriftMetastore::new(vec![addr], framed);
    let fields = time_fields();
    client
        .ensure_table("analytics", "users", "hdfs://nn/topics/users", &schema_v1(), &fields, "avro")
        .await
        .unwrap();
    {
        let f = fake.lock().unwrap();
        let names: Vec<&str> = f.calls.iter().map(|(n, _)| n.as_str()).collect();
        if legacy {
            assert_eq!(names, ["get_table_req", "get_table", "create_table"]);
        } else {
            assert_eq!(names, ["get_table_req", "create_table"]);
        }
        let t = &f.tables["analytics.users"];
        assert_eq!(t.f(1).s(), "users");
        assert_eq!(t.f(2).s(), "analytics");
        assert_eq!(t.f(12).s(), "EXTERNAL_TABLE");
        let sd = t.f(7);
        let cols: Vec<(String, String)> =
            sd.f(1).list().iter().map(|c| (c.f(1).s(), c.f(2).s())).collect();
        assert_eq!(cols.len(), 15);
        assert_eq!(cols[0], ("id".to_string(), "bigint".to_string()));
        assert_eq!(cols[9], ("price".to_string(), "decimal(38,2)".to_string()));
        assert_eq!(cols[14], ("addr".to_string(), "struct<city:string,zip:int>".to_string()));
        assert_eq!(sd.f(2).s(), "hdfs://nn/topics/users");
        assert_eq!(sd.f(3).s(), "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat");
        assert_eq!(sd.f(4).s(), "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat");
        assert_eq!(sd.f(7).f(2).s(), "org.apache.hadoop.hive.serde2.avro.AvroSerDe");
        let keys: Vec<String> = t.f(8).list().iter().map(|k| k.f(1).s()).collect();
        assert_eq!(keys, ["year", "month", "day"]);
        let params = t.f(9).smap();
        assert_eq!(params["EXTERNAL"], "TRUE");
        let literal: serde_json::Value =
            serde_json::from_str(&params["avro.schema.literal"]).unwrap();
        assert_eq!(literal["name"], "User");
        assert!(matches!(t.f(4), T::I32(s) if *s > 1_600_000_000));
    }

    // Same schema again: get_table only. New schema: alter_table keeps what the
    // metastore added (an unknown field, the owner) and changes columns and literal.
    if let Some(T::Struct(m)) = fake.lock().unwrap().tables.get_mut("analytics.users") {
        m.insert(3, T::Str(b"hive-admin".to_vec()));
        m.insert(99, T::I64(7));
    }
    client
        .ensure_table("analytics", "users", "hdfs://nn/topics/users", &schema_v1(), &fields, "avro")
        .await
        .unwrap();
    client
        .ensure_table("analytics", "users", "hdfs://nn/topics/users", &schema_v2(), &fields, "avro")
        .await
        .unwrap();
    {
        let f = fake.lock().unwrap();
        let names: Vec<&str> = f.calls.iter().map(|(n, _)| n.as_str()).collect();
        let n = names.len();
        assert_eq!(names[n - 4..], ["create_table", get, get, "alter_table"]);
        let (_, args) = &f.calls[n - 1];
        assert_eq!(args.f(1).s(), "analytics");
        assert_eq!(args.f(2).s(), "users");
        let t = &f.tables["analytics.users"];
        assert_eq!(t.f(3).s(), "hive-admin");
        assert_eq!(t.f(99), &T::I64(7));
        let cols: Vec<String> = t.f(7).f(1).list().iter().map(|c| c.f(1).s()).collect();
        assert_eq!(cols, ["id", "email"]);
        assert!(t.f(9).smap()["avro.schema.literal"].contains("email"));
        assert_eq!(t.f(9).smap()["EXTERNAL"], "TRUE");
    }

    client
        .add_partition(
            "analytics",
            "users",
            "year=2024/month=05/day=17",
            "hdfs://nn/topics/users/year=2024/month=05/day=17",
        )
        .await
        .unwrap();
    // Again: the metastore says AlreadyExists, which is fine.
    client
        .add_partition(
            "analytics",
            "users",
            "year=2024/month=05/day=17",
            "hdfs://nn/topics/users/year=2024/month=05/day=17",
        )
        .await
        .unwrap();
    {
        let f = fake.lock().unwrap();
        assert_eq!(f.partitions.len(), 1);
        let p = &f.partitions[0];
        let values: Vec<String> = p.f(1).list().iter().map(T::s).collect();
        assert_eq!(values, ["2024", "05", "17"]);
        assert_eq!(p.f(2).s(), "analytics");
        assert_eq!(p.f(3).s(), "users");
        assert_eq!(p.f(6).f(2).s(), "hdfs://nn/topics/users/year=2024/month=05/day=17");
        assert_eq!(p.f(6).f(7).f(2).s(), "org.apache.hadoop.hive.serde2.avro.AvroSerDe");
        assert!(!p.has(8));
    }
    let err = client.add_partition("analytics", "users", "year=2024", "/x").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Data);
    assert!(err.message().contains("month"), "{}", err.message());

    // A MetaException is retriable; the next call works on the same connection.
    fake.lock().unwrap().fail_next_with_meta = true;
    let err = client
        .ensure_table("analytics", "users", "/t", &schema_v2(), &fields, "avro")
        .await
        .unwrap_err();
    assert!(err.is_retriable(), "{}", err.message());
    assert!(err.message().contains("metastore database is locked"));
    client
        .ensure_table("analytics", "users", "hdfs://nn/topics/users", &schema_v2(), &fields, "avro")
        .await
        .unwrap();

    // A TApplicationException (unknown method) is reported with its text.
    let err = client
        .call("get_fields", connect_hdfs::hive::thrift::TValue::Struct(vec![]))
        .await
        .unwrap_err();
    assert!(err.message().contains("Invalid method name"), "{}", err.message());
}

#[tokio::test]
async fn thrift_client_talks_to_a_metastore_over_a_buffered_socket() {
    exercise_client(false, false).await;
}

#[tokio::test]
async fn thrift_client_talks_to_a_metastore_over_the_framed_transport() {
    exercise_client(true, false).await;
}

#[tokio::test]
async fn thrift_client_falls_back_to_get_table_on_a_metastore_without_get_table_req() {
    exercise_client(false, true).await;
}

/// The exact bytes of calls, worked out by hand from the binary protocol: get_table_req,
/// and get_table after a metastore that does not know get_table_req said so.
#[tokio::test]
async fn get_table_calls_have_the_exact_wire_bytes() {
    fn string(out: &mut Vec<u8>, s: &str) {
        out.extend((s.len() as u32).to_be_bytes());
        out.extend(s.as_bytes());
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        // get_table_req(1: GetTableRequest{1: dbName, 2: tblName}), seqid 1.
        let mut want: Vec<u8> = vec![0x80, 0x01, 0x00, 0x01];
        string(&mut want, "get_table_req");
        want.extend([0, 0, 0, 1]);
        want.extend([12, 0, 1]);
        want.extend([11, 0, 1]);
        string(&mut want, "db");
        want.extend([11, 0, 2]);
        string(&mut want, "t");
        want.extend([0, 0]);
        let mut got = vec![0u8; want.len()];
        sock.read_exact(&mut got).await.unwrap();
        assert_eq!(got, want);
        // Reply: NoSuchObjectException in field 2.
        let mut out: Vec<u8> = vec![0x80, 0x01, 0x00, 0x02];
        string(&mut out, "get_table_req");
        out.extend([0, 0, 0, 1]);
        out.extend([12, 0, 2, 11, 0, 1]);
        string(&mut out, "gone");
        out.extend([0, 0]);
        sock.write_all(&out).await.unwrap();

        // Again, seqid 2; now answered with a TApplicationException{1: message,
        // 2: type UNKNOWN_METHOD (1)}, as an old metastore (Hive 1.x) does.
        // (The seqid follows the 4-byte header and the 4 + 13 bytes of the name.)
        want[21..25].copy_from_slice(&[0, 0, 0, 2]);
        sock.read_exact(&mut got).await.unwrap();
        assert_eq!(got, want);
        let mut out: Vec<u8> = vec![0x80, 0x01, 0x00, 0x03];
        string(&mut out, "get_table_req");
        out.extend([0, 0, 0, 2]);
        out.extend([11, 0, 1]);
        string(&mut out, "Invalid method name: 'get_table_req'");
        out.extend([8, 0, 2, 0, 0, 0, 1, 0]);
        sock.write_all(&out).await.unwrap();
        // get_table(1: dbName, 2: tblName), seqid 3, on the same connection.
        let mut want: Vec<u8> = vec![0x80, 0x01, 0x00, 0x01];
        string(&mut want, "get_table");
        want.extend([0, 0, 0, 3]);
        want.extend([11, 0, 1]);
        string(&mut want, "db");
        want.extend([11, 0, 2]);
        string(&mut want, "t");
        want.push(0);
        let mut got = vec![0u8; want.len()];
        sock.read_exact(&mut got).await.unwrap();
        assert_eq!(got, want);
        let mut out: Vec<u8> = vec![0x80, 0x01, 0x00, 0x02];
        string(&mut out, "get_table");
        out.extend([0, 0, 0, 3]);
        out.extend([12, 0, 2, 11, 0, 1]);
        string(&mut out, "gone");
        out.extend([0, 0]);
        sock.write_all(&out).await.unwrap();
    });
    let client = ThriftMetastore::new(vec![addr], false);
    assert_eq!(client.get_table("db", "t").await.unwrap(), None);
    assert_eq!(client.get_table("db", "t").await.unwrap(), None);
    server.await.unwrap();
}

#[tokio::test]
async fn an_unreachable_metastore_is_a_retriable_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    let client = ThriftMetastore::new(vec![addr], false);
    let err = client.add_partition("d", "t", "partition=0", "/x").await.unwrap_err();
    assert!(err.is_retriable(), "{}", err.message());
}

#[tokio::test]
async fn connect_reads_settings_and_hive_site_xml() {
    assert!(hive::connect(&HiveSettings::default()).await.unwrap().is_none());

    let on = |uris: &str, dir: &str| HiveSettings {
        enabled: true,
        metastore_uris: uris.into(),
        database: "default".into(),
        conf_dir: dir.into(),
    };
    let ms = hive::connect(&on("thrift://a:9083, thrift://b", "")).await.unwrap();
    assert!(ms.is_some());
    assert_eq!(
        hive::resolve_uris(&on("thrift://a:9083", "")).unwrap(),
        ("thrift://a:9083".into(), false)
    );
    assert_eq!(
        hive::client::parse_uris("thrift://a:9083, thrift://b").unwrap(),
        vec!["a:9083".to_string(), "b:9083".to_string()]
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("hive-site.xml"),
        r#"<?xml version="1.0"?>
<configuration>
  <!-- <property><name>hive.metastore.uris</name><value>thrift://commented:1</value></property> -->
  <property>
    <name>hive.metastore.uris</name>
    <value>thrift://meta.example:9083</value>
  </property>
  <property><name>hive.metastore.thrift.framed.transport.enabled</name><value>true</value></property>
</configuration>"#,
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    assert_eq!(
        hive::resolve_uris(&on("", d)).unwrap(),
        ("thrift://meta.example:9083".into(), true)
    );
    // The key wins over the file.
    assert_eq!(hive::resolve_uris(&on("thrift://x:1", d)).unwrap().0, "thrift://x:1");
    assert!(hive::connect(&on("", d)).await.unwrap().is_some());

    let err = hive::connect(&on("", "")).await.err().unwrap();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("hive.metastore.uris"), "{}", err.message());
    let err = hive::connect(&on("http://a:9083", "")).await.err().unwrap();
    assert!(err.message().contains("hive.metastore.uris") && err.message().contains("thrift://"));
    let err = hive::connect(&on("", "/definitely/not/here")).await.err().unwrap();
    assert!(err.message().contains("hive.conf.dir"), "{}", err.message());
}
