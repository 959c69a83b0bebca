//! The records of the registry's log and their Kafka encoding, which is Confluent Schema
//! Registry's own (`KafkaStoreMessageHandler`):
//!
//! | key | value |
//! |---|---|
//! | `{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}` | `{"subject":"s","version":1,"id":1,"schema":"…","deleted":false}` (+ `schemaType` unless AVRO); null = version removed for good |
//! | `{"keytype":"CONFIG","subject":null,"magic":0}` (global) or `"subject":"s"` | `{"compatibilityLevel":"FULL"}`; null = subject level removed |
//! | `{"keytype":"DELETE_SUBJECT","subject":"s","magic":0}` | `{"subject":"s","version":3}`: versions up to 3 soft-deleted (read only) |
//!
//! Other key types (`NOOP`, `MODE`, `CLEAR_SUBJECT`, …) are skipped when read.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::compat::CompatibilityLevel;

/// One schema version of a subject, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaRecord {
    /// The subject.
    pub subject: String,
    /// The version within the subject (1, 2, …).
    pub version: i32,
    /// The schema's global id.
    pub id: i32,
    /// The schema text.
    pub schema: String,
    /// The schema type; `None` means AVRO.
    #[serde(rename = "schemaType", default, skip_serializing_if = "Option::is_none")]
    pub schema_type: Option<String>,
    /// Whether the version was soft-deleted.
    #[serde(default)]
    pub deleted: bool,
}

/// A change to the registry's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreRecord {
    /// A schema version registered, or soft-deleted (`deleted: true`).
    Schema(SchemaRecord),
    /// A schema version removed for good (a permanent delete; a tombstone in Kafka).
    SchemaRemoved {
        /// The subject.
        subject: String,
        /// The version removed.
        version: i32,
    },
    /// A compatibility level set (`Some`) or removed (`None`), globally (`subject: None`)
    /// or for one subject.
    Config {
        /// The subject, or `None` for the global level.
        subject: Option<String>,
        /// The level, or `None` when removed.
        level: Option<CompatibilityLevel>,
    },
    /// Confluent's subject deletion: every version up to `version` is soft-deleted.
    DeleteSubject {
        /// The subject.
        subject: String,
        /// The last version deleted.
        version: i32,
    },
}

#[derive(Serialize)]
struct SchemaKey<'a> {
    keytype: &'static str,
    subject: &'a str,
    version: i32,
    magic: i32,
}

#[derive(Serialize)]
struct ConfigKey<'a> {
    keytype: &'static str,
    subject: Option<&'a str>,
    magic: i32,
}

#[derive(Serialize, Deserialize)]
struct ConfigValue {
    #[serde(rename = "compatibilityLevel")]
    compatibility_level: String,
}

#[derive(Serialize, Deserialize)]
struct DeleteSubjectValue {
    subject: String,
    version: i32,
}

fn to_bytes<T: Serialize>(v: &T) -> Vec<u8> {
    // Serializing these plain structs cannot fail; an empty key would be skipped on read.
    serde_json::to_vec(v).unwrap_or_default()
}

impl StoreRecord {
    /// The Kafka key and value (`None`: a tombstone) of this record.
    pub fn encode(&self) -> (Vec<u8>, Option<Vec<u8>>) {
        match self {
            StoreRecord::Schema(r) => (
                to_bytes(&SchemaKey {
                    keytype: "SCHEMA",
                    subject: &r.subject,
                    version: r.version,
                    magic: 1,
                }),
                Some(to_bytes(r)),
            ),
            StoreRecord::SchemaRemoved { subject, version } => (
                to_bytes(&SchemaKey { keytype: "SCHEMA", subject, version: *version, magic: 1 }),
                None,
            ),
            StoreRecord::Config { subject, level } => (
                to_bytes(&ConfigKey { keytype: "CONFIG", subject: subject.as_deref(), magic: 0 }),
                level.map(|l| to_bytes(&ConfigValue { compatibility_level: l.name().to_string() })),
            ),
            StoreRecord::DeleteSubject { subject, version } => (
                to_bytes(&ConfigKey {
                    keytype: "DELETE_SUBJECT",
                    subject: Some(subject),
                    magic: 0,
                }),
                Some(to_bytes(&DeleteSubjectValue { subject: subject.clone(), version: *version })),
            ),
        }
    }

    /// Reads a Kafka record; `Ok(None)` for key types the registry does not use, `Err` with
    /// a reason for a record it cannot read.
    pub fn decode(key: &[u8], value: Option<&[u8]>) -> Result<Option<StoreRecord>, String> {
        let key: Value =
            serde_json::from_slice(key).map_err(|e| format!("key is not JSON: {e}"))?;
        let keytype = key.get("keytype").and_then(Value::as_str).unwrap_or_default();
        let subject = key.get("subject").and_then(Value::as_str).map(str::to_string);
        match keytype {
            "SCHEMA" => {
                let subject = subject.ok_or("SCHEMA key without subject")?;
                let version = key
                    .get("version")
                    .and_then(Value::as_i64)
                    .and_then(|v| i32::try_from(v).ok())
                    .ok_or("SCHEMA key without version")?;
                match value {
                    None => Ok(Some(StoreRecord::SchemaRemoved { subject, version })),
                    Some(v) => {
                        let r: SchemaRecord = serde_json::from_slice(v)
                            .map_err(|e| format!("bad SCHEMA value: {e}"))?;
                        Ok(Some(StoreRecord::Schema(r)))
                    }
                }
            }
            "CONFIG" => {
                let level = match value {
                    None => None,
                    Some(v) => {
                        let c: ConfigValue = serde_json::from_slice(v)
                            .map_err(|e| format!("bad CONFIG value: {e}"))?;
                        Some(c.compatibility_level.parse().map_err(|e| format!("{e}"))?)
                    }
                };
                Ok(Some(StoreRecord::Config { subject, level }))
            }
            "DELETE_SUBJECT" => match value {
                None => Ok(None),
                Some(v) => {
                    let d: DeleteSubjectValue = serde_json::from_slice(v)
                        .map_err(|e| format!("bad DELETE_SUBJECT value: {e}"))?;
                    Ok(Some(StoreRecord::DeleteSubject { subject: d.subject, version: d.version }))
                }
            },
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn round_trip(r: StoreRecord) {
        let (k, v) = r.encode();
        assert_eq!(StoreRecord::decode(&k, v.as_deref()).unwrap(), Some(r));
    }

    #[test]
    fn records_use_confluents_format_and_round_trip() {
        let r = StoreRecord::Schema(SchemaRecord {
            subject: "s".into(),
            version: 1,
            id: 7,
            schema: "\"int\"".into(),
            schema_type: None,
            deleted: false,
        });
        let (k, v) = r.encode();
        assert_eq!(
            String::from_utf8(k).unwrap(),
            r#"{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}"#
        );
        assert_eq!(
            String::from_utf8(v.unwrap()).unwrap(),
            r#"{"subject":"s","version":1,"id":7,"schema":"\"int\"","deleted":false}"#
        );
        round_trip(r);
        let global = StoreRecord::Config { subject: None, level: Some(CompatibilityLevel::Full) };
        let (k, v) = global.encode();
        assert_eq!(
            String::from_utf8(k).unwrap(),
            r#"{"keytype":"CONFIG","subject":null,"magic":0}"#
        );
        assert_eq!(String::from_utf8(v.unwrap()).unwrap(), r#"{"compatibilityLevel":"FULL"}"#);
        round_trip(global);
        round_trip(StoreRecord::Config { subject: Some("s".into()), level: None });
        round_trip(StoreRecord::SchemaRemoved { subject: "s".into(), version: 2 });
        round_trip(StoreRecord::DeleteSubject { subject: "s".into(), version: 3 });
    }

    #[test]
    fn unknown_key_types_are_skipped() {
        assert_eq!(StoreRecord::decode(br#"{"keytype":"NOOP","magic":0}"#, None).unwrap(), None);
        assert!(StoreRecord::decode(b"nope", None).is_err());
    }
}
