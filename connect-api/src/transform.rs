//! Single message transformations: [`Transformation`] and [`Predicate`].
//! Implementations live in the runtime; connectors' users chain them with
//! `transforms=…` settings.

use crate::config::{ConfigDef, RawConfig};
use crate::error::Result;
use crate::record::ConnectRecord;

/// Changes one record at a time (Kafka's `Transformation`), for source records before
/// conversion and for sink records after it.
///
/// ```
/// use connect_api::config::{ConfigDef, RawConfig};
/// use connect_api::record::{ConnectRecord, SourceRecord};
/// use connect_api::transform::Transformation;
///
/// /// Prefixes every topic name.
/// struct Prefix(String);
///
/// impl<R: ConnectRecord> Transformation<R> for Prefix {
///     fn configure(&mut self, config: &RawConfig) -> connect_api::Result<()> {
///         self.0 = config.get("prefix").cloned().unwrap_or_default();
///         Ok(())
///     }
///     fn config_def(&self) -> ConfigDef { ConfigDef::new() }
///     fn apply(&mut self, mut record: R) -> connect_api::Result<Option<R>> {
///         let topic = format!("{}{}", self.0, record.topic());
///         record.set_topic(topic);
///         Ok(Some(record))
///     }
/// }
///
/// let mut t = Prefix(String::new());
/// Transformation::<SourceRecord>::configure(&mut t, &RawConfig::from([("prefix".into(), "db.".into())]))?;
/// let out = t.apply(SourceRecord::builder("orders").build())?.unwrap();
/// assert_eq!(out.topic(), "db.orders");
/// # Ok::<(), connect_api::error::ConnectError>(())
/// ```
pub trait Transformation<R: ConnectRecord>: Send {
    /// Configures the transformation with its settings (the `transforms.<alias>.`
    /// prefix stripped).
    fn configure(&mut self, config: &RawConfig) -> Result<()>;

    /// The definition of the transformation's settings.
    fn config_def(&self) -> ConfigDef;

    /// Transforms a record; `Ok(None)` drops it.
    fn apply(&mut self, record: R) -> Result<Option<R>>;

    /// Frees resources when the task stops.
    fn close(&mut self) {}
}

/// Decides whether a transformation applies to a record (Kafka's `Predicate`).
pub trait Predicate<R: ConnectRecord>: Send {
    /// Configures the predicate (the `predicates.<alias>.` prefix stripped).
    fn configure(&mut self, config: &RawConfig) -> Result<()>;

    /// The definition of the predicate's settings.
    fn config_def(&self) -> ConfigDef;

    /// Whether the record matches.
    fn test(&self, record: &R) -> bool;

    /// Frees resources when the task stops.
    fn close(&mut self) {}
}
