import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

import org.apache.kafka.connect.runtime.distributed.ConnectProtocol;
import org.apache.kafka.connect.runtime.distributed.ExtendedAssignment;
import org.apache.kafka.connect.runtime.distributed.ExtendedWorkerState;
import org.apache.kafka.connect.runtime.distributed.IncrementalCooperativeConnectProtocol;

/**
 * Reads Connect group protocol bytes with Java Kafka Connect's own classes, for the
 * interop tests of the Rust runtime. Each input line is "assignment HEX" or "metadata HEX";
 * each output line is what Kafka read, in a sorted canonical text form, then a tab, then
 * the bytes Kafka writes for it again (hex), in the same protocol version.
 */
public class ConnectProtocolCli {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) continue;
            String[] parts = line.trim().split(" ", 2);
            byte[] bytes = unhex(parts[1]);
            short version = ByteBuffer.wrap(bytes).getShort();
            boolean sessioned = version >= 2;
            String text;
            ByteBuffer again;
            if (parts[0].equals("assignment")) {
                if (version == 0) {
                    ConnectProtocol.Assignment a = ConnectProtocol.deserializeAssignment(ByteBuffer.wrap(bytes));
                    text = assignment(a, null);
                    again = ConnectProtocol.serializeAssignment(a);
                } else {
                    ExtendedAssignment a = IncrementalCooperativeConnectProtocol.deserializeAssignment(ByteBuffer.wrap(bytes));
                    text = assignment(a, a);
                    again = IncrementalCooperativeConnectProtocol.serializeAssignment(a, sessioned);
                }
            } else {
                if (version == 0) {
                    ConnectProtocol.WorkerState s = ConnectProtocol.deserializeMetadata(ByteBuffer.wrap(bytes));
                    text = "url=" + s.url() + " offset=" + s.offset() + " assignment=none";
                    again = ConnectProtocol.serializeMetadata(s);
                } else {
                    ExtendedWorkerState s = IncrementalCooperativeConnectProtocol.deserializeMetadata(ByteBuffer.wrap(bytes));
                    ExtendedAssignment a = s.assignment();
                    text = "url=" + s.url() + " offset=" + s.offset() + " assignment="
                        + (a == null ? "none" : "{" + assignment(a, a) + "}");
                    again = IncrementalCooperativeConnectProtocol.serializeMetadata(s, sessioned);
                }
            }
            System.out.println(text + "\t" + hex(again));
        }
    }

    private static String assignment(ConnectProtocol.Assignment a, ExtendedAssignment e) {
        StringBuilder b = new StringBuilder();
        b.append("error=").append(a.error())
            .append(" leader=").append(a.leader())
            .append(" leaderUrl=").append(a.leaderUrl())
            .append(" offset=").append(a.offset())
            .append(" connectors=").append(sorted(a.connectors()))
            .append(" tasks=").append(sorted(a.tasks()));
        if (e != null) {
            b.append(" revokedConnectors=").append(sorted(e.revokedConnectors()))
                .append(" revokedTasks=").append(sorted(e.revokedTasks()))
                .append(" delay=").append(e.delay());
        }
        return b.toString();
    }

    private static List<String> sorted(Collection<?> items) {
        List<String> out = new ArrayList<>();
        for (Object o : items) out.add(String.valueOf(o));
        Collections.sort(out);
        return out;
    }

    private static byte[] unhex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }

    private static String hex(ByteBuffer buf) {
        StringBuilder b = new StringBuilder();
        ByteBuffer d = buf.duplicate();
        while (d.hasRemaining()) b.append(String.format("%02x", d.get()));
        return b.toString();
    }
}
