package benchtools;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.source.SourceConnector;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;

/**
 * Benchmark connector, the Java twin of the benches crate's GeneratorSource (same settings:
 * topic, count, size, batch.size): emits count records of size printable bytes, batch.size
 * per poll, then idles. Java Kafka Connect resolves it by the alias GeneratorSource, so the
 * harness gives both workers the same connector file.
 */
public final class GeneratorSourceConnector extends SourceConnector {
    static final ConfigDef CONFIG = new ConfigDef()
        .define("topic", ConfigDef.Type.STRING, ConfigDef.Importance.HIGH, "Topic to write to.")
        .define("count", ConfigDef.Type.LONG, 1_000_000L, ConfigDef.Importance.HIGH, "Records to emit.")
        .define("size", ConfigDef.Type.INT, 100, ConfigDef.Importance.HIGH, "Bytes per record value.")
        .define("batch.size", ConfigDef.Type.INT, 2000, ConfigDef.Importance.LOW, "Records per poll.");

    private Map<String, String> props;

    @Override
    public String version() {
        return "1";
    }

    @Override
    public void start(Map<String, String> props) {
        this.props = props;
    }

    @Override
    public Class<? extends Task> taskClass() {
        return Generator.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        return Collections.singletonList(props);
    }

    @Override
    public void stop() {
    }

    @Override
    public ConfigDef config() {
        return CONFIG;
    }

    /** The task: one payload, sent count times. */
    public static final class Generator extends SourceTask {
        private String topic;
        private long remaining;
        private long emitted;
        private int batch;
        private byte[] payload;
        private Map<String, String> partition;

        @Override
        public String version() {
            return "1";
        }

        @Override
        public void start(Map<String, String> props) {
            Map<String, Object> parsed = CONFIG.parse(props);
            topic = (String) parsed.get("topic");
            remaining = (Long) parsed.get("count");
            batch = Math.max(1, (Integer) parsed.get("batch.size"));
            payload = new byte[(Integer) parsed.get("size")];
            Random rng = new Random(42);
            for (int i = 0; i < payload.length; i++) {
                payload[i] = (byte) (' ' + 1 + rng.nextInt(94));
            }
            partition = Collections.singletonMap("generator", topic);
        }

        @Override
        public List<SourceRecord> poll() throws InterruptedException {
            if (remaining == 0) {
                Thread.sleep(500);
                return null;
            }
            int n = (int) Math.min(batch, remaining);
            List<SourceRecord> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                emitted++;
                out.add(new SourceRecord(partition, Collections.singletonMap("n", emitted), topic,
                    null, Schema.BYTES_SCHEMA, payload.clone()));
            }
            remaining -= n;
            return out;
        }

        @Override
        public void stop() {
        }
    }
}
