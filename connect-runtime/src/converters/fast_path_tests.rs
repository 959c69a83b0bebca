//! The converters' synchronous paths (`from_connect_data_into`, `to_connect_data_sync`)
//! give exactly what their async paths give, for every converter that has them, over
//! values of every shape the converter takes (and the errors it raises).

use connect_api::config::RawConfig;
use connect_api::convert::Converter;
use connect_api::data::{Schema, SchemaBuilder, Struct, Value};
use connect_api::record::Headers;

use super::{ByteArrayConverter, JsonConverter, StringConverter};

fn converters() -> Vec<(&'static str, Box<dyn Converter>)> {
    let mut utf16 = StringConverter::new();
    let cfg: RawConfig =
        [("converter.encoding".to_string(), "UTF-16".to_string())].into_iter().collect();
    utf16.configure(&cfg, false).unwrap();
    vec![
        ("string", Box::new(StringConverter::new())),
        ("string utf-16", Box::new(utf16)),
        ("bytearray", Box::new(ByteArrayConverter::new())),
        ("json", Box::new(JsonConverter::new())),
        ("json schemaless", Box::new(JsonConverter::new().with_schemas_enable(false))),
    ]
}

fn values() -> Vec<(Option<Schema>, Value)> {
    let schema = SchemaBuilder::struct_()
        .field("id", Schema::int64())
        .field("name", Schema::optional_string())
        .build()
        .unwrap();
    let mut row = Struct::new(schema.clone()).unwrap();
    row.put("id", 7i64).unwrap().put("name", "seven").unwrap();
    vec![
        (None, Value::Null),
        (Some(Schema::optional_string()), Value::Null),
        (Some(Schema::string()), Value::from("héllo")),
        (None, Value::from("plain")),
        (Some(Schema::bytes()), Value::Bytes(vec![0, 1, 2, 255])),
        (Some(Schema::string()), Value::Bytes(vec![1, 2])),
        (Some(Schema::int64()), Value::Int64(-42)),
        (Some(Schema::float64()), Value::Float64(1e10)),
        (Some(schema), Value::Struct(row)),
    ]
}

#[tokio::test]
async fn the_synchronous_paths_give_what_the_async_paths_give() {
    for (name, c) in converters() {
        for (schema, value) in values() {
            let mut async_headers = Headers::new();
            let expected =
                c.from_connect_data("t", &mut async_headers, schema.as_ref(), &value).await;
            let mut sync_headers = Headers::new();
            let mut buf = b"left over from the previous record".to_vec();
            let Some(got) =
                c.from_connect_data_into("t", &mut sync_headers, schema.as_ref(), &value, &mut buf)
            else {
                panic!("{name} has no synchronous path");
            };
            let got = got.map(|b| b.map(<[u8]>::to_vec));
            match (&expected, &got) {
                (Ok(e), Ok(g)) => assert_eq!(e, g, "{name}: {value:?}"),
                (Err(e), Err(g)) => assert_eq!(e.to_string(), g.to_string(), "{name}: {value:?}"),
                _ => panic!("{name}: {value:?}: async {expected:?}, sync {got:?}"),
            }
            assert_eq!(async_headers, sync_headers, "{name}: {value:?}");
            // And back.
            if let Ok(bytes) = expected {
                let back = c.to_connect_data("t", &Headers::new(), bytes.as_deref()).await;
                let Some(sync_back) =
                    c.to_connect_data_sync("t", &Headers::new(), bytes.as_deref())
                else {
                    panic!("{name} has no synchronous read path");
                };
                assert_eq!(format!("{back:?}"), format!("{sync_back:?}"), "{name}: {value:?}");
            }
        }
        // Bytes no value came from.
        for data in [None, Some(&b"{\"a\":1}"[..]), Some(&b"not json"[..]), Some(&[0xff, 0xfe][..])]
        {
            let back = c.to_connect_data("t", &Headers::new(), data).await;
            let sync_back = c.to_connect_data_sync("t", &Headers::new(), data).unwrap();
            assert_eq!(format!("{back:?}"), format!("{sync_back:?}"), "{name}: {data:?}");
        }
    }
}
