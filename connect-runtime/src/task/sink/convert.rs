//! Converting polled messages into sink records: on the poll thread ahead of the driver
//! where every converter has a synchronous path ([`convert_ahead`]), else (and for every
//! record that failed there, so that retries and error handling stay in one place) in
//! the driver, which then runs the transformations.

use std::sync::Arc;

use connect_api::Result;
use connect_api::record::{Headers, SinkRecord, TopicPartition};

use super::poller::Fetched;
use super::{Converters, SinkDriver};
use crate::errors::{Failure, RawRecord, Retriable as _, Stage, StageError};
use crate::transforms::TransformChain;

impl SinkDriver {
    /// Converts and transforms a batch. A record that fails is retried as
    /// `errors.retry.*` allow (when the error is retriable), then handed to the error
    /// handler: dead-lettered and skipped under `errors.tolerance=all`, or the task fails
    /// after what converted before it was delivered.
    pub(super) async fn convert_batch(&mut self, batch: Vec<Fetched>) -> Result<Vec<SinkRecord>> {
        let (batch, mut ahead): (Vec<RawRecord>, Vec<Option<SinkRecord>>) =
            batch.into_iter().map(|f| (f.raw, f.converted)).unzip();
        let batch = Arc::new(batch);
        if self.errors.reports_errant_records() {
            self.errors.set_batch(batch.clone());
        }
        let mut out = Vec::with_capacity(batch.len());
        for (m, ahead) in batch.iter().zip(ahead.iter_mut()) {
            let mut result = match ahead.take() {
                Some(record) => self
                    .transforms
                    .apply(record)
                    .map_err(|error| StageError { stage: Stage::Transformation, error }),
                None => convert_and_transform(&self.converters, &mut self.transforms, m).await,
            };
            let (mut start, mut attempt) = (None, 1);
            while let Err(e) = &result {
                if !e.is_retriable() {
                    break;
                }
                let Some(wait) = self.errors.retry_wait(&mut start, &mut attempt, e) else { break };
                // Waiting polls on, partitions paused, so the task stays in its group.
                self.wait_polling(wait).await?;
                result = convert_and_transform(&self.converters, &mut self.transforms, m).await;
            }
            match result {
                Ok(Some(r)) => out.push(r),
                Ok(None) => {
                    // Dropped by a transformation: done, its offset may be committed.
                    self.note_done(m);
                }
                Err(StageError { stage, error }) => {
                    let class = self
                        .converters
                        .class_of(stage)
                        .unwrap_or_else(|| self.transforms.last_failed_class())
                        .to_string();
                    let error = error.context(format!(
                        "converting the record at {}-{} offset {} for task {}",
                        m.topic, m.partition, m.offset, self.id
                    ));
                    let failure =
                        Failure { stage, class: &class, error: &error, original: Some(m) };
                    if let Err(fatal) = self.errors.fail(failure) {
                        // Hand over what converted before it, so nothing before the bad
                        // record is lost, then fail without committing past it.
                        if self.deliver(std::mem::take(&mut out)).await? {
                            self.merge_done();
                            self.commit(false).await?;
                        }
                        return Err(fatal.with_source(error));
                    }
                    self.note_done(m);
                }
            }
        }
        Ok(out)
    }

    /// A record of the batch in hand needs no `put` (dropped or skipped): its offset may
    /// be committed once the records before it were put (see [`SinkDriver::merge_done`]).
    pub(super) fn note_done(&mut self, m: &RawRecord) {
        let tp = TopicPartition::new(&*m.topic, m.partition);
        let e = self.done.entry(tp).or_insert(m.offset + 1);
        *e = (*e).max(m.offset + 1);
    }

    /// The batch in hand was put whole: the offsets past its dropped and skipped records
    /// may be committed too.
    pub(super) fn merge_done(&mut self) {
        for (tp, next) in self.done.drain() {
            if self.assigned.contains(&tp) {
                let e = self.delivered.entry(tp).or_insert(next);
                *e = (*e).max(next);
            }
        }
    }
}

/// Converts a message and runs the transformations; the error names the stage.
async fn convert_and_transform(
    converters: &Converters,
    transforms: &mut TransformChain<SinkRecord>,
    m: &RawRecord,
) -> std::result::Result<Option<SinkRecord>, StageError> {
    let record = convert(converters, m).await?;
    transforms.apply(record).map_err(|error| StageError { stage: Stage::Transformation, error })
}

/// Converts a consumed message into a sink record.
async fn convert(
    converters: &Converters,
    m: &RawRecord,
) -> std::result::Result<SinkRecord, StageError> {
    let headers = convert_headers(converters, m)?;
    // The converters' synchronous path where they have one (no future per record).
    let key = match converters.key.to_connect_data_sync(&m.topic, &headers, m.key.as_deref()) {
        Some(sync) => sync,
        None => converters.key.to_connect_data(&m.topic, &headers, m.key.as_deref()).await,
    }
    .map_err(|e| e.context("key converter"))
    .map_err(staged(Stage::KeyConverter))?;
    let value = match converters.value.to_connect_data_sync(&m.topic, &headers, m.value.as_deref())
    {
        Some(sync) => sync,
        None => converters.value.to_connect_data(&m.topic, &headers, m.value.as_deref()).await,
    }
    .map_err(|e| e.context("value converter"))
    .map_err(staged(Stage::ValueConverter))?;
    Ok(record_of(m, key, value, headers))
}

/// What converting a message ahead gave.
pub(super) enum Ahead {
    /// The record, not yet transformed.
    Converted(SinkRecord),
    /// A converter failed: the driver converts the message again, with retries and error
    /// handling.
    Failed,
    /// A converter has no synchronous path for it: the driver converts it.
    NoSyncPath,
}

/// Converts a message on the converters' synchronous paths only, as the poll thread
/// does ahead of the driver.
pub(super) fn convert_ahead(converters: &Converters, m: &RawRecord) -> Ahead {
    let Ok(headers) = convert_headers(converters, m) else { return Ahead::Failed };
    let key = match converters.key.to_connect_data_sync(&m.topic, &headers, m.key.as_deref()) {
        None => return Ahead::NoSyncPath,
        Some(Err(_)) => return Ahead::Failed,
        Some(Ok(key)) => key,
    };
    let value = match converters.value.to_connect_data_sync(&m.topic, &headers, m.value.as_deref())
    {
        None => return Ahead::NoSyncPath,
        Some(Err(_)) => return Ahead::Failed,
        Some(Ok(value)) => value,
    };
    Ahead::Converted(record_of(m, key, value, headers))
}

fn staged(stage: Stage) -> impl Fn(connect_api::ConnectError) -> StageError {
    move |error| StageError { stage, error }
}

fn convert_headers(
    converters: &Converters,
    m: &RawRecord,
) -> std::result::Result<Headers, StageError> {
    let mut headers = Headers::new();
    for (k, v) in &m.headers {
        let sv = converters
            .header
            .to_connect_header(&m.topic, k, v.as_deref())
            .map_err(|e| e.context(format!("header converter, header {k}")))
            .map_err(staged(Stage::HeaderConverter))?;
        headers.add(k.clone(), sv);
    }
    Ok(headers)
}

fn record_of(
    m: &RawRecord,
    key: connect_api::data::SchemaAndValue,
    value: connect_api::data::SchemaAndValue,
    headers: Headers,
) -> SinkRecord {
    let mut b = SinkRecord::builder(&m.topic, m.partition, m.offset)
        .key(key.schema, key.value)
        .value(value.schema, value.value)
        .headers(headers);
    if let Some((t, kind)) = m.timestamp {
        b = b.timestamp(t, kind);
    }
    b.build()
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;
    use connect_api::config::RawConfig;
    use connect_api::convert::Converter;
    use connect_api::data::{Schema, SchemaAndValue, Value};
    use connect_api::record::{ConnectRecord as _, TimestampType};

    use super::*;
    use crate::converters::{JsonConverter, SimpleHeaderConverter, StringConverter};

    fn converters(value: Box<dyn Converter>) -> Converters {
        Converters {
            key: Box::new(StringConverter::new()),
            value,
            header: Box::new(SimpleHeaderConverter::new()),
            classes: Default::default(),
        }
    }

    fn message(value: &str) -> RawRecord {
        RawRecord {
            topic: Arc::from("orders"),
            partition: 3,
            offset: 41,
            timestamp: Some((1_700_000_000_000, TimestampType::CreateTime)),
            key: Some(b"k-1".to_vec()),
            value: Some(value.as_bytes().to_vec()),
            headers: vec![("trace".into(), Some(b"7".to_vec())), ("none".into(), None)],
        }
    }

    #[tokio::test]
    async fn ahead_gives_what_the_driver_would() {
        let c = converters(Box::new(JsonConverter::new()));
        let m = message(r#"{"schema":{"type":"int64","optional":false},"payload":12}"#);
        let Ahead::Converted(ahead) = convert_ahead(&c, &m) else {
            panic!("JSON and String have synchronous paths")
        };
        let driver = convert(&c, &m).await.unwrap();
        assert_eq!(ahead, driver);
        assert_eq!(ahead.value(), &Value::Int64(12));
        assert_eq!(ahead.kafka_offset(), 41);
    }

    #[tokio::test]
    async fn a_record_that_fails_ahead_is_left_to_the_driver() {
        let c = converters(Box::new(JsonConverter::new()));
        let m = message("{not json");
        assert!(matches!(convert_ahead(&c, &m), Ahead::Failed));
        let e = convert(&c, &m).await.unwrap_err();
        assert_eq!(e.stage, Stage::ValueConverter);
    }

    /// A converter with only the asynchronous path (as one that asks a registry).
    struct AsyncOnly;

    #[async_trait]
    impl Converter for AsyncOnly {
        fn configure(&mut self, _: &RawConfig, _: bool) -> Result<()> {
            Ok(())
        }
        async fn from_connect_data(
            &self,
            _: &str,
            _: &mut Headers,
            _: Option<&Schema>,
            _: &Value,
        ) -> Result<Option<Vec<u8>>> {
            Ok(None)
        }
        async fn to_connect_data(
            &self,
            _: &str,
            _: &Headers,
            data: Option<&[u8]>,
        ) -> Result<SchemaAndValue> {
            Ok(SchemaAndValue::new(None, Value::Int64(data.map_or(0, |d| d.len() as i64))))
        }
    }

    #[tokio::test]
    async fn a_converter_without_a_synchronous_path_converts_in_the_driver() {
        let c = converters(Box::new(AsyncOnly));
        let m = message("abc");
        assert!(matches!(convert_ahead(&c, &m), Ahead::NoSyncPath));
        assert_eq!(convert(&c, &m).await.unwrap().value(), &Value::Int64(3));
    }
}
