//! The registry's state, rebuilt by replaying store records and kept in step with them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use apache_avro::Schema;

use crate::compat::CompatibilityLevel;
use crate::schema;
use crate::store::StoreRecord;

/// One version of a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct VersionEntry {
    pub id: i32,
    pub deleted: bool,
}

/// A schema known by id.
#[derive(Debug, Clone)]
pub(crate) struct StoredSchema {
    /// The text as first registered.
    pub text: String,
    /// `None` for AVRO.
    pub schema_type: Option<String>,
    /// The parsed schema, when it parses (records written by another registry may not).
    pub parsed: Option<Arc<Schema>>,
}

/// Everything the registry knows.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub subjects: BTreeMap<String, BTreeMap<i32, VersionEntry>>,
    pub schemas: BTreeMap<i32, StoredSchema>,
    /// Schema identity (type and canonical form) → id.
    pub ids: HashMap<String, i32>,
    pub global: Option<CompatibilityLevel>,
    pub subject_levels: HashMap<String, CompatibilityLevel>,
}

/// The identity of a schema: its type and canonical form.
pub(crate) fn identity(schema_type: Option<&str>, canonical: &str) -> String {
    format!("{}:{canonical}", schema_type.unwrap_or(schema::AVRO).to_ascii_uppercase())
}

impl State {
    /// Applies one record.
    pub fn apply(&mut self, record: &StoreRecord) {
        match record {
            StoreRecord::Schema(r) => {
                let entry = self.schemas.entry(r.id).or_insert_with(|| StoredSchema {
                    text: r.schema.clone(),
                    schema_type: r.schema_type.clone(),
                    parsed: schema::parse(&r.schema).ok().map(|p| Arc::new(p.schema)),
                });
                if let Some(canonical) = schema::canonical_text(&entry.text) {
                    self.ids
                        .entry(identity(entry.schema_type.as_deref(), &canonical))
                        .or_insert(r.id);
                }
                self.subjects
                    .entry(r.subject.clone())
                    .or_default()
                    .insert(r.version, VersionEntry { id: r.id, deleted: r.deleted });
            }
            StoreRecord::SchemaRemoved { subject, version } => {
                if let Some(versions) = self.subjects.get_mut(subject) {
                    versions.remove(version);
                    if versions.is_empty() {
                        self.subjects.remove(subject);
                    }
                }
            }
            StoreRecord::Config { subject: None, level } => self.global = *level,
            StoreRecord::Config { subject: Some(s), level } => match level {
                Some(l) => {
                    self.subject_levels.insert(s.clone(), *l);
                }
                None => {
                    self.subject_levels.remove(s);
                }
            },
            StoreRecord::DeleteSubject { subject, version } => {
                if let Some(versions) = self.subjects.get_mut(subject) {
                    for (_, e) in versions.range_mut(..=*version) {
                        e.deleted = true;
                    }
                }
            }
        }
    }

    /// The versions of a subject, deleted ones only when asked.
    pub fn versions(&self, subject: &str, include_deleted: bool) -> Vec<(i32, VersionEntry)> {
        self.subjects
            .get(subject)
            .map(|vs| {
                vs.iter()
                    .filter(|(_, e)| include_deleted || !e.deleted)
                    .map(|(v, e)| (*v, *e))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The next id for a new schema.
    pub fn next_id(&self) -> i32 {
        self.schemas.keys().next_back().map_or(1, |m| m.saturating_add(1))
    }

    /// The next version of a subject: versions are never reused, even after deletes.
    pub fn next_version(&self, subject: &str) -> i32 {
        self.subjects
            .get(subject)
            .and_then(|vs| vs.keys().next_back())
            .map_or(1, |m| m.saturating_add(1))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::store::records::SchemaRecord;

    fn rec(subject: &str, version: i32, id: i32, deleted: bool) -> StoreRecord {
        StoreRecord::Schema(SchemaRecord {
            subject: subject.into(),
            version,
            id,
            schema: "\"int\"".into(),
            schema_type: None,
            deleted,
        })
    }

    #[test]
    fn replay_rebuilds_versions_ids_and_deletes() {
        let mut s = State::default();
        s.apply(&rec("a", 1, 1, false));
        s.apply(&rec("a", 2, 1, false));
        s.apply(&rec("b", 1, 1, false));
        s.apply(&StoreRecord::DeleteSubject { subject: "a".into(), version: 1 });
        assert_eq!(s.versions("a", false).len(), 1);
        assert_eq!(s.versions("a", true).len(), 2);
        assert_eq!(s.next_version("a"), 3);
        assert_eq!(s.next_id(), 2);
        s.apply(&StoreRecord::SchemaRemoved { subject: "b".into(), version: 1 });
        assert!(!s.subjects.contains_key("b"));
        assert_eq!(s.ids.get(&identity(None, "\"int\"")), Some(&1));
    }
}
