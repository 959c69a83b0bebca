//! The standalone worker's offsets file (`offset.storage.file.filename`).
//!
//! The file is JSON: an object from offset key (Kafka Connect's
//! `["<connector>",{partition}]` text) to offset. A file that Java Kafka Connect's
//! standalone worker wrote (Java-serialized, see [`super::java`]) is read as well, and
//! then written back in Java's form, so a connector can move between a Java worker and
//! ours both ways without losing its position. Every write replaces the whole file
//! atomically: write a temporary file beside it, fsync it, rename it over the old one,
//! fsync the directory. A crash leaves either the old or the new file, never a torn one.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use connect_api::record::OffsetMap;
use connect_api::{ConnectError, Result};
use tokio::sync::Mutex;

use super::{OffsetStore, offset_key, parse_offset_key};

/// Offsets in a local file, written atomically.
#[derive(Debug)]
pub struct FileOffsetStore {
    path: PathBuf,
    /// Whether the file is Java Kafka Connect's form, and is written back in it.
    java: bool,
    /// The key bytes a Java worker wrote, by our key: Java finds an offset by the exact bytes
    /// of its key, whose partition entries come in the connector's map order, not ours.
    java_keys: BTreeMap<String, Vec<u8>>,
    data: Mutex<BTreeMap<String, serde_json::Value>>,
}

impl FileOffsetStore {
    /// Opens (or prepares to create) the offsets file; a malformed file is an error
    /// that names it, rather than a silent restart from scratch.
    pub fn open(path: impl Into<PathBuf>) -> Result<FileOffsetStore> {
        let path = path.into();
        let mut java = false;
        let mut java_keys = BTreeMap::new();
        let data = match std::fs::read(&path) {
            Ok(bytes) if bytes.is_empty() => BTreeMap::new(),
            Ok(bytes) if super::java::is_java_serialized(&bytes) => {
                java = true;
                let (data, keys) = from_java(&bytes)
                    .map_err(|e| e.context(format!("offsets file {}", path.display())))?;
                java_keys = keys;
                data
            }
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                ConnectError::config(format!(
                    "offsets file {} is not valid JSON ({e}); move it away to start without offsets",
                    path.display()
                ))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => {
                return Err(ConnectError::fatal(format!("cannot read offsets file {}: {e}", path.display())).with_source(e));
            }
        };
        if java {
            tracing::info!(offsets = %path.display(), "the offsets file is Java Kafka Connect's: read, and written back in its form");
        }
        Ok(FileOffsetStore { path, java, java_keys, data: Mutex::new(data) })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The offsets of a Java worker's file, keyed as ours (a key whose partition keys come in
/// another order is looked up in our order), and the key bytes Java wrote, by our key.
type JavaOffsets = (BTreeMap<String, serde_json::Value>, BTreeMap<String, Vec<u8>>);

fn from_java(bytes: &[u8]) -> Result<JavaOffsets> {
    let mut out = BTreeMap::new();
    let mut keys = BTreeMap::new();
    for (key, value) in super::java::read(bytes)? {
        let text = String::from_utf8_lossy(&key);
        let (connector, partition) = parse_offset_key(&text)?;
        let Some(value) = value else { continue };
        let offset: serde_json::Value = serde_json::from_slice(&value)
            .map_err(|e| ConnectError::config(format!("the offset of {text} is not JSON: {e}")))?;
        if !offset.is_null() {
            let ours = offset_key(&connector, &partition);
            keys.insert(ours.clone(), key);
            out.insert(ours, offset);
        }
    }
    Ok((out, keys))
}

/// The offsets in Java Kafka Connect's form: JSON bytes of key and offset, as its
/// JsonConverter (schemas.enable=false) writes them, in a serialized HashMap.
/// Keys Java wrote keep their bytes; new ones are written as ours.
fn to_java(
    data: &BTreeMap<String, serde_json::Value>,
    java_keys: &BTreeMap<String, Vec<u8>>,
) -> Vec<u8> {
    let entries: Vec<super::java::Entry> = data
        .iter()
        .map(|(k, v)| {
            let key = java_keys.get(k).cloned().unwrap_or_else(|| k.as_bytes().to_vec());
            (key, Some(v.to_string().into_bytes()))
        })
        .collect();
    super::java::write(&entries)
}

/// Writes `bytes` to `path` atomically: temporary file, fsync, rename, fsync directory.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "offsets".into());
    let tmp = dir.join(format!(".{file_name}.tmp"));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Ok(d) = std::fs::File::open(&dir) {
        // Persist the rename itself; not every filesystem supports fsync on a directory.
        let _ = d.sync_all();
    }
    Ok(())
}

#[async_trait]
impl OffsetStore for FileOffsetStore {
    async fn get(
        &self,
        connector: &str,
        partitions: &[OffsetMap],
    ) -> Result<HashMap<OffsetMap, OffsetMap>> {
        let data = self.data.lock().await;
        let mut out = HashMap::new();
        for p in partitions {
            if let Some(v) = data.get(&offset_key(connector, p)) {
                out.insert(p.clone(), OffsetMap::from_json(v)?);
            }
        }
        Ok(out)
    }

    async fn put(
        &self,
        connector: &str,
        offsets: Vec<(OffsetMap, Option<OffsetMap>)>,
    ) -> Result<()> {
        let mut data = self.data.lock().await;
        let mut next = data.clone();
        for (p, o) in offsets {
            let key = offset_key(connector, &p);
            match o {
                Some(o) => next.insert(key, o.to_json()),
                None => next.remove(&key),
            };
        }
        let bytes = if self.java {
            to_java(&next, &self.java_keys)
        } else {
            serde_json::to_vec_pretty(&next)?
        };
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
            .await
            .map_err(|e| ConnectError::fatal(format!("offset writer panicked: {e}")))?
            .map_err(|e| {
                ConnectError::retriable(format!(
                    "cannot write offsets file {}: {e}",
                    self.path.display()
                ))
                .with_source(e)
            })?;
        *data = next;
        Ok(())
    }

    async fn all(&self, connector: &str) -> Result<Vec<(OffsetMap, OffsetMap)>> {
        let data = self.data.lock().await;
        let mut out = Vec::new();
        for (k, v) in data.iter() {
            let (name, partition) = parse_offset_key(k)?;
            if name == connector {
                out.push((partition, OffsetMap::from_json(v)?));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn offsets_survive_reopening_and_removal_works() {
        let dir = std::env::temp_dir().join(format!("offsets-test-{}", std::process::id()));
        let path = dir.join("connect.offsets");
        let _ = std::fs::remove_file(&path);
        let p = OffsetMap::new().with("filename", "a.txt");
        let q = OffsetMap::new().with("filename", "b.txt");
        {
            let store = FileOffsetStore::open(&path).unwrap();
            store
                .put(
                    "src",
                    vec![
                        (p.clone(), Some(OffsetMap::new().with("position", 10i64))),
                        (q.clone(), Some(OffsetMap::new().with("position", 3i64))),
                    ],
                )
                .await
                .unwrap();
            store.put("src", vec![(q.clone(), None)]).await.unwrap();
        }
        let store = FileOffsetStore::open(&path).unwrap();
        let got = store.get("src", &[p.clone(), q.clone()]).await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[&p].get_i64("position"), Some(10));
        assert_eq!(store.all("src").await.unwrap().len(), 1);
        assert!(store.all("other").await.unwrap().is_empty());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains(r#"["src",{\"filename\":\"a.txt\"}]"#)
                || text.contains(r#""[\"src\",{\"filename\":\"a.txt\"}]""#),
            "{text}"
        );
        std::fs::write(&path, b"not json").unwrap();
        assert!(FileOffsetStore::open(&path).unwrap_err().message().contains("not valid JSON"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_java_file_keeps_javas_key_bytes_for_multi_key_partitions() {
        let dir = std::env::temp_dir().join(format!("offsets-java-{}", std::process::id()));
        let path = dir.join("java.offsets");
        std::fs::create_dir_all(&dir).unwrap();
        // A Java connector's partition map in its own order (topic before partition).
        let java_key = br#"["mm",{"topic":"t","partition":3}]"#.to_vec();
        let entry = (java_key.clone(), Some(br#"{"offset":7}"#.to_vec()));
        std::fs::write(&path, super::super::java::write(&[entry])).unwrap();
        let store = FileOffsetStore::open(&path).unwrap();
        let p = OffsetMap::new().with("partition", 3i64).with("topic", "t");
        let got = store.get("mm", std::slice::from_ref(&p)).await.unwrap();
        assert_eq!(got[&p].get_i64("offset"), Some(7));
        store.put("mm", vec![(p, Some(OffsetMap::new().with("offset", 9i64)))]).await.unwrap();
        let written = super::super::java::read(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(written, vec![(java_key, Some(br#"{"offset":9}"#.to_vec()))]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
