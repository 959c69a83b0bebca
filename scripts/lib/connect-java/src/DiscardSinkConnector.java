package benchtools;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

/**
 * Benchmark connector, the Java twin of the benches crate's DiscardSink (same settings:
 * expected, done.file): counts and drops what it gets, and once it has seen expected records
 * writes "records bytes" into done.file. Resolved by the alias DiscardSink.
 */
public final class DiscardSinkConnector extends SinkConnector {
    static final ConfigDef CONFIG = new ConfigDef()
        .define("expected", ConfigDef.Type.LONG, 0L, ConfigDef.Importance.HIGH, "Records to wait for.")
        .define("done.file", ConfigDef.Type.STRING, "", ConfigDef.Importance.HIGH,
            "File written once expected records arrived.");

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
        return Discard.class;
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

    /** The task: counts records and value bytes. */
    public static final class Discard extends SinkTask {
        private long seen;
        private long bytes;
        private long expected;
        private String doneFile;

        @Override
        public String version() {
            return "1";
        }

        @Override
        public void start(Map<String, String> props) {
            Map<String, Object> parsed = CONFIG.parse(props);
            expected = (Long) parsed.get("expected");
            doneFile = (String) parsed.get("done.file");
        }

        @Override
        public void put(Collection<SinkRecord> records) {
            long before = seen;
            for (SinkRecord r : records) {
                if (r.value() instanceof byte[]) {
                    bytes += ((byte[]) r.value()).length;
                }
            }
            seen += records.size();
            if (expected > 0 && before < expected && seen >= expected && !doneFile.isEmpty()) {
                try {
                    Files.write(Paths.get(doneFile),
                        (seen + " " + bytes + "\n").getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    throw new ConnectException("cannot write done.file " + doneFile, e);
                }
            }
        }

        @Override
        public void stop() {
        }
    }
}
