//! [`PluginDescriptor`]: how a connector crate tells the runtime what it provides.
//!
//! Each connector crate exposes `pub fn plugins() -> Vec<PluginDescriptor>`; the runtime's
//! plugin registry is fed explicitly from those lists (no link-time magic, no `dlopen`).

use std::fmt;
use std::sync::Arc;

use crate::connector::{SinkConnector, SourceConnector};
use crate::convert::{Converter, HeaderConverter};
use crate::record::{SinkRecord, SourceRecord};
use crate::transform::{Predicate, Transformation};

/// What kind of plugin a descriptor makes, as `GET /connector-plugins` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PluginKind {
    /// A source connector.
    Source,
    /// A sink connector.
    Sink,
    /// A key/value converter.
    Converter,
    /// A header converter.
    HeaderConverter,
    /// A single message transformation.
    Transformation,
    /// A predicate for transformations.
    Predicate,
}

impl PluginKind {
    /// The lower-case name used in REST responses (`"source"`, `"sink"`, `"converter"`,
    /// `"header_converter"`, `"transformation"`, `"predicate"`).
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::Source => "source",
            PluginKind::Sink => "sink",
            PluginKind::Converter => "converter",
            PluginKind::HeaderConverter => "header_converter",
            PluginKind::Transformation => "transformation",
            PluginKind::Predicate => "predicate",
        }
    }
}

type Make<T> = Arc<dyn Fn() -> T + Send + Sync>;

/// The constructor a descriptor carries.
#[derive(Clone)]
pub enum PluginFactory {
    /// Makes source connectors.
    Source(Make<Box<dyn SourceConnector>>),
    /// Makes sink connectors.
    Sink(Make<Box<dyn SinkConnector>>),
    /// Makes converters.
    Converter(Make<Box<dyn Converter>>),
    /// Makes header converters.
    HeaderConverter(Make<Box<dyn HeaderConverter>>),
    /// Makes a transformation for source records and one for sink records.
    Transformation {
        /// For source records.
        source: Make<Box<dyn Transformation<SourceRecord>>>,
        /// For sink records.
        sink: Make<Box<dyn Transformation<SinkRecord>>>,
    },
    /// Makes a predicate for source records and one for sink records.
    Predicate {
        /// For source records.
        source: Make<Box<dyn Predicate<SourceRecord>>>,
        /// For sink records.
        sink: Make<Box<dyn Predicate<SinkRecord>>>,
    },
}

impl PluginFactory {
    /// The kind of plugin this factory makes.
    pub fn kind(&self) -> PluginKind {
        match self {
            PluginFactory::Source(_) => PluginKind::Source,
            PluginFactory::Sink(_) => PluginKind::Sink,
            PluginFactory::Converter(_) => PluginKind::Converter,
            PluginFactory::HeaderConverter(_) => PluginKind::HeaderConverter,
            PluginFactory::Transformation { .. } => PluginKind::Transformation,
            PluginFactory::Predicate { .. } => PluginKind::Predicate,
        }
    }
}

/// A plugin: its class name (the name `connector.class` and REST use), aliases, version
/// and constructor.
///
/// ```
/// use connect_api::plugin::{PluginDescriptor, PluginKind};
/// # use connect_api::{Connector, SourceConnector, SourceTask, Result};
/// # use connect_api::config::{ConfigDef, RawConfig};
/// # use connect_api::context::ConnectorContext;
/// # #[derive(Default)] struct MySource;
/// # #[async_trait::async_trait] impl Connector for MySource {
/// #   fn version(&self) -> String { "1".into() }
/// #   fn config_def(&self) -> ConfigDef { ConfigDef::new() }
/// #   async fn start(&mut self, _: ConnectorContext, _: RawConfig) -> Result<()> { Ok(()) }
/// #   async fn task_configs(&mut self, _: usize) -> Result<Vec<RawConfig>> { Ok(vec![]) }
/// #   async fn stop(&mut self) -> Result<()> { Ok(()) }
/// # }
/// # #[async_trait::async_trait] impl SourceConnector for MySource {
/// #   fn create_task(&self) -> Box<dyn SourceTask> { unimplemented!() }
/// # }
///
/// let d = PluginDescriptor::source("com.example.MySourceConnector", "1.0", || Box::new(MySource))
///     .with_aliases(["MySource", "MySourceConnector"]);
/// assert_eq!(d.kind(), PluginKind::Source);
/// assert!(d.matches("MySource"));
/// assert!(d.matches("com.example.MySourceConnector"));
/// ```
#[derive(Clone)]
pub struct PluginDescriptor {
    class_name: String,
    task_class: Option<String>,
    aliases: Vec<String>,
    version: String,
    factory: PluginFactory,
}

impl PluginDescriptor {
    /// A descriptor with a factory.
    pub fn new(
        class_name: impl Into<String>,
        version: impl Into<String>,
        factory: PluginFactory,
    ) -> Self {
        PluginDescriptor {
            class_name: class_name.into(),
            task_class: None,
            aliases: Vec::new(),
            version: version.into(),
            factory,
        }
    }

    /// A source connector plugin.
    pub fn source(
        class_name: impl Into<String>,
        version: impl Into<String>,
        make: impl Fn() -> Box<dyn SourceConnector> + Send + Sync + 'static,
    ) -> Self {
        Self::new(class_name, version, PluginFactory::Source(Arc::new(make)))
    }

    /// A sink connector plugin.
    pub fn sink(
        class_name: impl Into<String>,
        version: impl Into<String>,
        make: impl Fn() -> Box<dyn SinkConnector> + Send + Sync + 'static,
    ) -> Self {
        Self::new(class_name, version, PluginFactory::Sink(Arc::new(make)))
    }

    /// A converter plugin.
    pub fn converter(
        class_name: impl Into<String>,
        version: impl Into<String>,
        make: impl Fn() -> Box<dyn Converter> + Send + Sync + 'static,
    ) -> Self {
        Self::new(class_name, version, PluginFactory::Converter(Arc::new(make)))
    }

    /// A header converter plugin.
    pub fn header_converter(
        class_name: impl Into<String>,
        version: impl Into<String>,
        make: impl Fn() -> Box<dyn HeaderConverter> + Send + Sync + 'static,
    ) -> Self {
        Self::new(class_name, version, PluginFactory::HeaderConverter(Arc::new(make)))
    }

    /// A transformation plugin: `make` builds one type that transforms source records
    /// and sink records alike.
    ///
    /// ```
    /// use connect_api::config::{ConfigDef, RawConfig};
    /// use connect_api::plugin::{PluginDescriptor, PluginKind};
    /// use connect_api::record::ConnectRecord;
    /// use connect_api::transform::Transformation;
    ///
    /// #[derive(Default)]
    /// struct Identity;
    /// impl<R: ConnectRecord> Transformation<R> for Identity {
    ///     fn configure(&mut self, _: &RawConfig) -> connect_api::Result<()> { Ok(()) }
    ///     fn config_def(&self) -> ConfigDef { ConfigDef::new() }
    ///     fn apply(&mut self, record: R) -> connect_api::Result<Option<R>> { Ok(Some(record)) }
    /// }
    ///
    /// let d = PluginDescriptor::transformation("com.example.Identity", "1.0", Identity::default);
    /// assert_eq!(d.kind(), PluginKind::Transformation);
    /// ```
    pub fn transformation<T>(
        class_name: impl Into<String>,
        version: impl Into<String>,
        make: impl Fn() -> T + Send + Sync + Clone + 'static,
    ) -> Self
    where
        T: Transformation<SourceRecord> + Transformation<SinkRecord> + 'static,
    {
        let sink = make.clone();
        Self::new(
            class_name,
            version,
            PluginFactory::Transformation {
                source: Arc::new(move || Box::new(make()) as Box<dyn Transformation<SourceRecord>>),
                sink: Arc::new(move || Box::new(sink()) as Box<dyn Transformation<SinkRecord>>),
            },
        )
    }

    /// A predicate plugin: `make` builds one type that tests source records and sink
    /// records alike.
    pub fn predicate<P>(
        class_name: impl Into<String>,
        version: impl Into<String>,
        make: impl Fn() -> P + Send + Sync + Clone + 'static,
    ) -> Self
    where
        P: Predicate<SourceRecord> + Predicate<SinkRecord> + 'static,
    {
        let sink = make.clone();
        Self::new(
            class_name,
            version,
            PluginFactory::Predicate {
                source: Arc::new(move || Box::new(make()) as Box<dyn Predicate<SourceRecord>>),
                sink: Arc::new(move || Box::new(sink()) as Box<dyn Predicate<SinkRecord>>),
            },
        )
    }

    /// Adds other names the plugin answers to (short aliases, our Rust names).
    pub fn with_aliases<S: Into<String>>(mut self, aliases: impl IntoIterator<Item = S>) -> Self {
        self.aliases.extend(aliases.into_iter().map(Into::into));
        self
    }

    /// Names the class of a connector's tasks as Kafka's task configs carry it
    /// (`task.class`): a Java worker in the same Connect cluster starts a task by it.
    pub fn with_task_class(mut self, class_name: impl Into<String>) -> Self {
        self.task_class = Some(class_name.into());
        self
    }

    /// The class name.
    pub fn class_name(&self) -> &str {
        &self.class_name
    }

    /// The class name of a connector's tasks (`task.class` in the task configs a
    /// distributed worker publishes): the one given with
    /// [`with_task_class`](Self::with_task_class), else Kafka's naming convention, the
    /// connector's class name with `Connector` replaced by `Task`.
    pub fn task_class(&self) -> String {
        match &self.task_class {
            Some(t) => t.clone(),
            None => match self.class_name.strip_suffix("Connector") {
                Some(stem) => format!("{stem}Task"),
                None => format!("{}Task", self.class_name),
            },
        }
    }

    /// The aliases.
    pub fn aliases(&self) -> &[String] {
        &self.aliases
    }

    /// The version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The kind of plugin.
    pub fn kind(&self) -> PluginKind {
        self.factory.kind()
    }

    /// The constructor.
    pub fn factory(&self) -> &PluginFactory {
        &self.factory
    }

    /// Whether `name` is the class name or one of the aliases.
    pub fn matches(&self, name: &str) -> bool {
        self.class_name == name || self.aliases.iter().any(|a| a == name)
    }
}

impl fmt::Debug for PluginDescriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginDescriptor")
            .field("class_name", &self.class_name)
            .field("aliases", &self.aliases)
            .field("version", &self.version)
            .field("kind", &self.kind())
            .finish()
    }
}
