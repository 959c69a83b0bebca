//! The registry: subjects, versions, ids, compatibility levels, over a [`SchemaStore`].
//!
//! Writes are serialized: each takes the state's write lock, appends its record to the
//! store, waits until the store has it, then applies it. One registry process should
//! write to a given store (there is no leader election between registries).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::RwLock;

use crate::compat::{self, CompatibilityLevel, PriorVersion};
use crate::error::{RegistryError, Result};
use crate::schema::{self, ParsedSchema};
use crate::state::{State, VersionEntry, identity};
use crate::store::records::SchemaRecord;
use crate::store::{MemoryStore, SchemaStore, StoreRecord};

/// A version selector: a number or `latest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSpec {
    /// The highest version not deleted (`latest`, or `-1`).
    Latest,
    /// One version number.
    Number(i32),
}

impl FromStr for VersionSpec {
    type Err = RegistryError;

    /// Parses `latest`, `-1` or a version in `1..=2^31-1` (42202 otherwise).
    fn from_str(s: &str) -> Result<Self> {
        if s.eq_ignore_ascii_case("latest") || s == "-1" {
            return Ok(VersionSpec::Latest);
        }
        match s.parse::<i32>() {
            Ok(n) if n >= 1 => Ok(VersionSpec::Number(n)),
            _ => Err(RegistryError::invalid_version(s)),
        }
    }
}

impl fmt::Display for VersionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionSpec::Latest => f.write_str("latest"),
            VersionSpec::Number(n) => write!(f, "{n}"),
        }
    }
}

/// One version of a subject, as `GET /subjects/{s}/versions/{v}` answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaVersion {
    /// The subject.
    pub subject: String,
    /// The version.
    pub version: i32,
    /// The schema's global id.
    pub id: i32,
    /// The schema text.
    pub schema: String,
    /// The schema type, present only when not AVRO.
    #[serde(rename = "schemaType", skip_serializing_if = "Option::is_none")]
    pub schema_type: Option<String>,
}

/// A schema found by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaById {
    /// The schema text.
    pub schema: String,
    /// The schema type, present only when not AVRO.
    #[serde(rename = "schemaType", skip_serializing_if = "Option::is_none")]
    pub schema_type: Option<String>,
}

/// A subject and version that use a schema id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectVersion {
    /// The subject.
    pub subject: String,
    /// The version.
    pub version: i32,
}

struct Inner {
    store: Arc<dyn SchemaStore>,
    state: RwLock<State>,
    default_level: CompatibilityLevel,
}

/// A schema registry; cheap to clone (clones share state and store).
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry").field("store", &self.inner.store.describe()).finish()
    }
}

impl Registry {
    /// A registry over a store, its state rebuilt from the store's records.
    /// `default_level` applies until a global level is set through `PUT /config`.
    pub async fn open(
        store: Arc<dyn SchemaStore>,
        default_level: CompatibilityLevel,
    ) -> Result<Registry> {
        let mut state = State::default();
        let records = store.load().await?;
        for r in &records {
            state.apply(r);
        }
        tracing::info!(
            store = %store.describe(),
            records = records.len(),
            subjects = state.subjects.len(),
            schemas = state.schemas.len(),
            "schema registry state loaded"
        );
        Ok(Registry { inner: Arc::new(Inner { store, state: RwLock::new(state), default_level }) })
    }

    /// An empty registry kept in memory, with the default level BACKWARD.
    pub fn in_memory() -> Registry {
        Registry {
            inner: Arc::new(Inner {
                store: Arc::new(MemoryStore::new()),
                state: RwLock::new(State::default()),
                default_level: CompatibilityLevel::default(),
            }),
        }
    }

    /// What the registry stores into, for logs.
    pub fn describe_store(&self) -> String {
        self.inner.store.describe()
    }

    async fn write(&self, state: &mut State, record: StoreRecord) -> Result<()> {
        self.inner.store.append(&record).await?;
        state.apply(&record);
        Ok(())
    }

    fn level_of(&self, state: &State, subject: Option<&str>) -> CompatibilityLevel {
        subject
            .and_then(|s| state.subject_levels.get(s).copied())
            .or(state.global)
            .unwrap_or(self.inner.default_level)
    }

    /// Registers a schema under a subject and returns its id. The same schema (by
    /// canonical form) already under the subject returns its id without a new version; a
    /// schema known under another subject keeps its id. 42201 for an invalid schema, 409
    /// when incompatible with earlier versions under the subject's level.
    pub async fn register(
        &self,
        subject: &str,
        schema_text: &str,
        schema_type: Option<&str>,
    ) -> Result<i32> {
        schema::check_schema_type(schema_type)?;
        let parsed = schema::parse(schema_text)?;
        let key = identity(None, &parsed.canonical);
        let mut state = self.inner.state.write().await;
        let known_id = state.ids.get(&key).copied();
        let live = state.versions(subject, false);
        if let Some(id) = known_id
            && live.iter().any(|(_, e)| e.id == id)
        {
            return Ok(id);
        }
        let level = self.level_of(&state, Some(subject));
        let messages = Self::incompatibilities(&state, level, &parsed, &live);
        if !messages.is_empty() {
            return Err(RegistryError::incompatible(format!(
                "Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]",
                messages.join("; ")
            )));
        }
        let id = known_id.unwrap_or_else(|| state.next_id());
        let text = state
            .schemas
            .get(&id)
            .map_or_else(|| schema_text.trim().to_string(), |s| s.text.clone());
        let record = StoreRecord::Schema(SchemaRecord {
            subject: subject.to_string(),
            version: state.next_version(subject),
            id,
            schema: text,
            schema_type: None,
            deleted: false,
        });
        self.write(&mut state, record).await?;
        Ok(id)
    }

    fn incompatibilities(
        state: &State,
        level: CompatibilityLevel,
        new: &ParsedSchema,
        against: &[(i32, VersionEntry)],
    ) -> Vec<String> {
        let prior: Vec<PriorVersion<'_>> = against
            .iter()
            .filter_map(|(v, e)| {
                let parsed = state.schemas.get(&e.id)?.parsed.as_deref()?;
                Some(PriorVersion { version: *v, schema: parsed })
            })
            .collect();
        compat::check(level, &new.schema, &prior)
    }

    /// Subjects with at least one version (deleted ones counted when asked).
    pub async fn subjects(&self, include_deleted: bool) -> Vec<String> {
        let state = self.inner.state.read().await;
        state
            .subjects
            .iter()
            .filter(|(_, vs)| vs.values().any(|e| include_deleted || !e.deleted))
            .map(|(s, _)| s.clone())
            .collect()
    }

    /// The versions of a subject (40401 when it has none).
    pub async fn versions(&self, subject: &str, include_deleted: bool) -> Result<Vec<i32>> {
        let state = self.inner.state.read().await;
        let vs = state.versions(subject, include_deleted);
        if vs.is_empty() {
            return Err(RegistryError::subject_not_found(subject));
        }
        Ok(vs.into_iter().map(|(v, _)| v).collect())
    }

    fn resolve(
        state: &State,
        subject: &str,
        spec: VersionSpec,
        include_deleted: bool,
    ) -> Result<(i32, VersionEntry)> {
        let vs = state.versions(subject, include_deleted);
        if vs.is_empty() {
            return Err(RegistryError::subject_not_found(subject));
        }
        let found = match spec {
            VersionSpec::Latest => vs.last().copied(),
            VersionSpec::Number(n) => vs.iter().find(|(v, _)| *v == n).copied(),
        };
        found.ok_or_else(|| RegistryError::version_not_found(subject, spec))
    }

    fn version_of(state: &State, subject: &str, version: i32, id: i32) -> Result<SchemaVersion> {
        let s = state.schemas.get(&id).ok_or_else(|| {
            RegistryError::store(format!("schema {id} is missing from the store"))
        })?;
        Ok(SchemaVersion {
            subject: subject.to_string(),
            version,
            id,
            schema: s.text.clone(),
            schema_type: s.schema_type.clone(),
        })
    }

    /// One version of a subject (40401, 40402).
    pub async fn version(
        &self,
        subject: &str,
        spec: VersionSpec,
        include_deleted: bool,
    ) -> Result<SchemaVersion> {
        let state = self.inner.state.read().await;
        let (v, e) = Self::resolve(&state, subject, spec, include_deleted)?;
        Self::version_of(&state, subject, v, e.id)
    }

    /// The version of a subject holding a schema (40401 no subject, 40403 not under it).
    pub async fn lookup(
        &self,
        subject: &str,
        schema_text: &str,
        schema_type: Option<&str>,
        include_deleted: bool,
    ) -> Result<SchemaVersion> {
        schema::check_schema_type(schema_type)?;
        let parsed = schema::parse(schema_text)?;
        let state = self.inner.state.read().await;
        let vs = state.versions(subject, include_deleted);
        if vs.is_empty() {
            return Err(RegistryError::subject_not_found(subject));
        }
        let id = state.ids.get(&identity(None, &parsed.canonical)).copied();
        let found = id.and_then(|id| vs.iter().rev().find(|(_, e)| e.id == id));
        match found {
            Some((v, e)) => Self::version_of(&state, subject, *v, e.id),
            None => Err(RegistryError::schema_not_found("Schema not found")),
        }
    }

    /// Deletes a subject: soft (versions marked deleted) or, after a soft delete,
    /// permanently. Returns the versions deleted.
    pub async fn delete_subject(&self, subject: &str, permanent: bool) -> Result<Vec<i32>> {
        let mut state = self.inner.state.write().await;
        let all = state.versions(subject, true);
        if all.is_empty() {
            return Err(RegistryError::subject_not_found(subject));
        }
        let mut deleted = Vec::new();
        if permanent {
            if all.iter().any(|(_, e)| !e.deleted) {
                return Err(RegistryError::new(
                    crate::error::codes::SUBJECT_NOT_SOFT_DELETED,
                    format!(
                        "Subject '{subject}' was not deleted first before being permanently deleted"
                    ),
                ));
            }
            for (v, _) in all {
                let rec = StoreRecord::SchemaRemoved { subject: subject.to_string(), version: v };
                self.write(&mut state, rec).await?;
                deleted.push(v);
            }
        } else {
            let live: Vec<_> = all.into_iter().filter(|(_, e)| !e.deleted).collect();
            if live.is_empty() {
                return Err(RegistryError::new(
                    crate::error::codes::SUBJECT_SOFT_DELETED,
                    format!(
                        "Subject '{subject}' was soft deleted. Set permanent=true to delete permanently"
                    ),
                ));
            }
            for (v, e) in live {
                self.soft_delete(&mut state, subject, v, e.id).await?;
                deleted.push(v);
            }
        }
        Ok(deleted)
    }

    async fn soft_delete(
        &self,
        state: &mut State,
        subject: &str,
        version: i32,
        id: i32,
    ) -> Result<()> {
        let s = state.schemas.get(&id).cloned();
        let rec = StoreRecord::Schema(SchemaRecord {
            subject: subject.to_string(),
            version,
            id,
            schema: s.as_ref().map(|s| s.text.clone()).unwrap_or_default(),
            schema_type: s.and_then(|s| s.schema_type),
            deleted: true,
        });
        self.write(state, rec).await
    }

    /// Deletes one version: soft, or permanently after a soft delete. Returns the version.
    pub async fn delete_version(
        &self,
        subject: &str,
        spec: VersionSpec,
        permanent: bool,
    ) -> Result<i32> {
        let mut state = self.inner.state.write().await;
        if permanent {
            let (v, e) = Self::resolve(&state, subject, spec, true)?;
            if !e.deleted {
                return Err(RegistryError::new(
                    crate::error::codes::VERSION_NOT_SOFT_DELETED,
                    format!(
                        "Subject '{subject}' Version {v} was not deleted first before being permanently deleted"
                    ),
                ));
            }
            let rec = StoreRecord::SchemaRemoved { subject: subject.to_string(), version: v };
            self.write(&mut state, rec).await?;
            Ok(v)
        } else {
            let (v, e) = Self::resolve(&state, subject, spec, false)?;
            self.soft_delete(&mut state, subject, v, e.id).await?;
            Ok(v)
        }
    }

    /// A schema by id (40403), deleted versions included.
    pub async fn schema_by_id(&self, id: i32) -> Result<SchemaById> {
        let state = self.inner.state.read().await;
        state
            .schemas
            .get(&id)
            .map(|s| SchemaById { schema: s.text.clone(), schema_type: s.schema_type.clone() })
            .ok_or_else(|| RegistryError::schema_not_found(format!("Schema {id} not found")))
    }

    /// The subject versions that use a schema id (40403 for an unknown id).
    pub async fn versions_of_id(
        &self,
        id: i32,
        include_deleted: bool,
    ) -> Result<Vec<SubjectVersion>> {
        let state = self.inner.state.read().await;
        if !state.schemas.contains_key(&id) {
            return Err(RegistryError::schema_not_found(format!("Schema {id} not found")));
        }
        Ok(state
            .subjects
            .iter()
            .flat_map(|(s, vs)| {
                vs.iter()
                    .filter(|(_, e)| e.id == id && (include_deleted || !e.deleted))
                    .map(|(v, _)| SubjectVersion { subject: s.clone(), version: *v })
            })
            .collect())
    }

    /// Checks a schema against one version of a subject (`Some`), or against the versions
    /// the subject's level names (`None`). Returns the incompatibilities; empty means
    /// compatible.
    pub async fn test_compatibility(
        &self,
        subject: &str,
        spec: Option<VersionSpec>,
        schema_text: &str,
        schema_type: Option<&str>,
    ) -> Result<Vec<String>> {
        schema::check_schema_type(schema_type)?;
        let parsed = schema::parse(schema_text)?;
        let state = self.inner.state.read().await;
        let level = self.level_of(&state, Some(subject));
        let against = match spec {
            Some(spec) => vec![Self::resolve(&state, subject, spec, false)?],
            None => state.versions(subject, false),
        };
        Ok(Self::incompatibilities(&state, level, &parsed, &against))
    }

    /// The level of a subject (falling back to the global level), or the global level.
    pub async fn compatibility(&self, subject: Option<&str>) -> CompatibilityLevel {
        let state = self.inner.state.read().await;
        self.level_of(&state, subject)
    }

    /// Sets the level of a subject, or the global level.
    pub async fn set_compatibility(
        &self,
        subject: Option<&str>,
        level: CompatibilityLevel,
    ) -> Result<()> {
        let mut state = self.inner.state.write().await;
        let rec = StoreRecord::Config { subject: subject.map(str::to_string), level: Some(level) };
        self.write(&mut state, rec).await
    }

    /// Removes a subject's own level (it falls back to the global one again); returns the
    /// level it had (40401 when it had none).
    pub async fn delete_compatibility(&self, subject: &str) -> Result<CompatibilityLevel> {
        let mut state = self.inner.state.write().await;
        let Some(level) = state.subject_levels.get(subject).copied() else {
            return Err(RegistryError::subject_not_found(subject));
        };
        let rec = StoreRecord::Config { subject: Some(subject.to_string()), level: None };
        self.write(&mut state, rec).await?;
        Ok(level)
    }
}
