//! [`InMemoryOffsetReader`]: committed source offsets kept in memory.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use connect_api::Result;
use connect_api::context::OffsetStorageReader;
use connect_api::record::OffsetMap;

use crate::call::lock;

#[derive(Default)]
struct State {
    offsets: BTreeMap<OffsetMap, OffsetMap>,
    lookups: Vec<OffsetMap>,
}

/// An [`OffsetStorageReader`] over offsets kept in memory.
///
/// Clones share the same offsets, so a harness (or a test) can commit into one handle
/// while a task reads through another: a task restarted on the same reader sees what
/// was committed before. The reader also remembers which source partitions tasks looked
/// up, for tests that check a task asks for the right ones.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use connect_api::context::OffsetStorageReader;
/// use connect_api::record::OffsetMap;
/// use connect_testkit::InMemoryOffsetReader;
///
/// let file = OffsetMap::new().with("filename", "/tmp/in.txt");
/// let reader = InMemoryOffsetReader::new().with_offset(file.clone(), OffsetMap::new().with("position", 6i64));
/// let shared = reader.clone();
/// shared.set_offset(file.clone(), OffsetMap::new().with("position", 12i64));
/// let offset = reader.offset(&file).await?.unwrap();
/// assert_eq!(offset.get_i64("position"), Some(12));
/// assert_eq!(reader.lookups(), [file]);
/// # Ok::<(), connect_api::ConnectError>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Default)]
pub struct InMemoryOffsetReader {
    state: Arc<Mutex<State>>,
}

impl InMemoryOffsetReader {
    /// A reader with no committed offsets.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a committed offset and returns the reader (for building one up).
    #[must_use]
    pub fn with_offset(self, partition: OffsetMap, offset: OffsetMap) -> Self {
        self.set_offset(partition, offset);
        self
    }

    /// Stores `offset` as the committed offset of `partition`, replacing any earlier
    /// one, as the runtime does when it commits.
    pub fn set_offset(&self, partition: OffsetMap, offset: OffsetMap) {
        lock(&self.state).offsets.insert(partition, offset);
    }

    /// Removes the committed offset of `partition` (an offset reset), returning it.
    pub fn remove_offset(&self, partition: &OffsetMap) -> Option<OffsetMap> {
        lock(&self.state).offsets.remove(partition)
    }

    /// The committed offset of `partition`, without recording a lookup.
    pub fn offset_of(&self, partition: &OffsetMap) -> Option<OffsetMap> {
        lock(&self.state).offsets.get(partition).cloned()
    }

    /// Every committed offset, by source partition.
    pub fn snapshot(&self) -> BTreeMap<OffsetMap, OffsetMap> {
        lock(&self.state).offsets.clone()
    }

    /// The source partitions tasks looked up through this reader, in order (a
    /// partition appears once per lookup).
    pub fn lookups(&self) -> Vec<OffsetMap> {
        lock(&self.state).lookups.clone()
    }

    /// This reader as the trait object a
    /// [`SourceTaskContext`](connect_api::context::SourceTaskContext) holds.
    pub fn as_reader(&self) -> Arc<dyn OffsetStorageReader> {
        Arc::new(self.clone())
    }
}

#[async_trait]
impl OffsetStorageReader for InMemoryOffsetReader {
    async fn offsets(&self, partitions: &[OffsetMap]) -> Result<HashMap<OffsetMap, OffsetMap>> {
        let mut state = lock(&self.state);
        state.lookups.extend(partitions.iter().cloned());
        Ok(partitions
            .iter()
            .filter_map(|p| state.offsets.get(p).map(|o| (p.clone(), o.clone())))
            .collect())
    }
}

impl fmt::Debug for InMemoryOffsetReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_map()
            .entries(state.offsets.iter().map(|(p, o)| (p.to_json_string(), o.to_json_string())))
            .finish()
    }
}
