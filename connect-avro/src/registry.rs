//! Schema registry calls through `schema_registry_converter`, with its errors turned
//! into Connect errors (unreachable → retriable, 409 → schema error naming the subject).

use std::time::Duration;

use connect_api::error::{ConnectError, Result};
use schema_registry_converter::async_impl::schema_registry::{
    SrSettings, get_schema_by_id, perform_sr_call, post_schema,
};
use schema_registry_converter::error::SRCError;
use schema_registry_converter::schema_registry_common::{
    RawError, SchemaType, SrCall, SuppliedSchema,
};

use super::config::AvroConverterConfig;

/// A schema registry client.
#[derive(Debug, Clone)]
pub(crate) struct Registry {
    settings: SrSettings,
    urls: String,
}

/// What a registry call was about, for error messages.
pub(crate) enum Call<'a> {
    Register(&'a str),
    Lookup(&'a str),
    Latest(&'a str),
    Id(u32),
}

impl Registry {
    /// A client of the configured registries.
    pub(crate) fn new(config: &AvroConverterConfig) -> Result<Self> {
        let mut urls = config.urls.iter();
        let first = urls.next().cloned().unwrap_or_default();
        let mut builder = SrSettings::new_builder(first);
        for u in urls {
            builder.add_url(u.clone());
        }
        if let Some((user, password)) = &config.basic_auth {
            builder.set_basic_authorization(user, Some(password.value()));
        }
        builder.set_timeout(Duration::from_secs(30));
        let settings = builder.build().map_err(|e| {
            ConnectError::config(format!("Cannot create the schema registry client: {}", e.error))
        })?;
        Ok(Registry { settings, urls: config.urls.join(",") })
    }

    /// Registers `schema` under `subject` (or finds it there); its id.
    pub(crate) async fn register(&self, subject: &str, schema: &str) -> Result<u32> {
        let supplied = SuppliedSchema::new(None, SchemaType::Avro, schema.to_string());
        post_schema(&self.settings, subject.to_string(), supplied)
            .await
            .map(|r| r.id)
            .map_err(|e| self.error(e, Call::Register(subject)))
    }

    /// The id of `schema` under `subject`, without registering it.
    pub(crate) async fn lookup(&self, subject: &str, schema: &str) -> Result<u32> {
        let body = serde_json::json!({ "schema": schema, "schemaType": "AVRO" }).to_string();
        let raw = perform_sr_call(&self.settings, SrCall::PostForVersion(subject, &body))
            .await
            .map_err(|e| self.error(e, Call::Lookup(subject)))?;
        raw.id.ok_or_else(|| {
            ConnectError::data(format!("Schema registry gave no id for subject \"{subject}\""))
        })
    }

    /// The version of `schema` under `subject`; `None` when the subject does not hold it
    /// (or does not exist).
    pub(crate) async fn version(&self, subject: &str, schema: &str) -> Result<Option<u32>> {
        let body = serde_json::json!({ "schema": schema, "schemaType": "AVRO" }).to_string();
        match perform_sr_call(&self.settings, SrCall::PostForVersion(subject, &body)).await {
            Ok(raw) => Ok(raw.version),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(self.error(e, Call::Lookup(subject))),
        }
    }

    /// The id and text of the latest schema of `subject`.
    pub(crate) async fn latest(&self, subject: &str) -> Result<(u32, String)> {
        let raw = perform_sr_call(&self.settings, SrCall::GetLatest(subject))
            .await
            .map_err(|e| self.error(e, Call::Latest(subject)))?;
        match (raw.id, raw.schema) {
            (Some(id), Some(schema)) => Ok((id, schema)),
            _ => Err(ConnectError::data(format!(
                "Schema registry gave no latest schema for subject \"{subject}\""
            ))),
        }
    }

    /// The text of schema `id`.
    pub(crate) async fn by_id(&self, id: u32) -> Result<String> {
        get_schema_by_id(id, &self.settings)
            .await
            .map(|r| r.schema)
            .map_err(|e| self.error(e, Call::Id(id)))
    }

    fn error(&self, e: SRCError, call: Call<'_>) -> ConnectError {
        let raw = std::error::Error::source(&e).and_then(|s| s.downcast_ref::<RawError>());
        let status = status_of(&e.error);
        let registry_message = raw.map_or_else(
            || e.cause.clone().unwrap_or_else(|| e.error.clone()),
            |r| r.message.clone(),
        );
        let code = raw.map(|r| r.error_code).filter(|c| *c != 0);
        match (status, code, &call) {
            (Some(409), _, Call::Register(subject)) | (_, Some(409), Call::Register(subject)) => {
                ConnectError::schema(format!(
                    "Schema being registered is incompatible with an earlier schema for subject \"{subject}\": {registry_message}"
                ))
            }
            (Some(404), _, Call::Id(id)) => ConnectError::data(format!(
                "Schema {id} not found in the schema registry at {}: {registry_message}",
                self.urls
            )),
            (Some(404), _, Call::Lookup(subject) | Call::Latest(subject)) => {
                ConnectError::data(format!(
                    "Schema not found for subject \"{subject}\" in the schema registry at {} (auto.register.schemas is false): {registry_message}",
                    self.urls
                ))
            }
            (Some(401 | 403), _, _) => ConnectError::config(format!(
                "Not authorized by the schema registry at {}: {registry_message}",
                self.urls
            )),
            _ if e.retriable => ConnectError::retriable(format!(
                "Schema registry at {} unreachable ({}): {}",
                self.urls,
                call.describe(),
                e.cause.as_deref().unwrap_or(&e.error)
            )),
            _ => ConnectError::data(format!(
                "Schema registry at {} failed ({}): {} {registry_message}",
                self.urls,
                call.describe(),
                e.error
            )),
        }
    }
}

impl Call<'_> {
    fn describe(&self) -> String {
        match self {
            Call::Register(s) => format!("registering a schema under subject \"{s}\""),
            Call::Lookup(s) => format!("looking up a schema under subject \"{s}\""),
            Call::Latest(s) => format!("getting the latest schema of subject \"{s}\""),
            Call::Id(id) => format!("getting schema {id}"),
        }
    }
}

/// Whether the registry answered 404 (subject or schema not found).
fn is_not_found(e: &SRCError) -> bool {
    let raw = std::error::Error::source(e).and_then(|s| s.downcast_ref::<RawError>());
    status_of(&e.error) == Some(404) || raw.is_some_and(|r| r.error_code / 100 == 404)
}

/// The HTTP status in `schema_registry_converter`'s message "… failed with status 409 …".
fn status_of(message: &str) -> Option<u16> {
    let rest = message.split("status ").nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}
