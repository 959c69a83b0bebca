import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.json.JsonConverter;

/**
 * Test tool: reads one serialized record value per line of standard input, reads it with
 * Kafka's own JsonConverter (toConnectData) and writes it back (fromConnectData), one line of
 * output per line of input: the bytes Java Kafka Connect writes for what it read, or
 * "ERROR <message>" when it cannot read the line.
 *
 * Arguments are converter settings as key=value (schemas.enable=true, decimal.format=BASE64,
 * replace.null.with.default=true, ...).
 */
public final class JsonConverterCli {
    private JsonConverterCli() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, Object> settings = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            settings.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        JsonConverter converter = new JsonConverter();
        converter.configure(settings, false);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        OutputStream out = new BufferedOutputStream(System.out);
        String line;
        while ((line = in.readLine()) != null) {
            byte[] written;
            try {
                SchemaAndValue read = converter.toConnectData("interop", line.getBytes(StandardCharsets.UTF_8));
                written = converter.fromConnectData("interop", read.schema(), read.value());
                if (written == null) {
                    written = "NULL".getBytes(StandardCharsets.UTF_8);
                }
            } catch (RuntimeException e) {
                written = ("ERROR " + e).replace('\n', ' ').getBytes(StandardCharsets.UTF_8);
            }
            out.write(written);
            out.write('\n');
        }
        out.flush();
    }
}
