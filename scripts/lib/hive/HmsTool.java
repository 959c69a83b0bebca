// The test suite's Hive metastore launcher and independent reader, compiled by
// scripts/lib/services.sh (ensure_hive) against the jars that pom.xml resolves.
//
//   HmsTool serve DIR PORT        runs a metastore (Thrift, binary protocol, buffered
//                                 transport) on 127.0.0.1:PORT with an embedded Derby
//                                 database and the warehouse under DIR, until killed
//   HmsTool describe URI DB TABLE prints the table and its partitions as JSON, read
//                                 with the metastore's own Java client (not ours)
//
// Written for this project; nothing here is copied from Hive.

import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hive.metastore.HiveMetaStore;
import org.apache.hadoop.hive.metastore.HiveMetaStoreClient;
import org.apache.hadoop.hive.metastore.api.FieldSchema;
import org.apache.hadoop.hive.metastore.api.NoSuchObjectException;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.StorageDescriptor;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf;
import org.apache.hadoop.hive.metastore.security.HadoopThriftAuthBridge;

public final class HmsTool {
  private HmsTool() {}

  public static void main(String[] args) throws Throwable {
    if (args.length == 3 && args[0].equals("serve")) {
      serve(new File(args[1]).getAbsoluteFile(), Integer.parseInt(args[2]));
    } else if (args.length == 4 && args[0].equals("describe")) {
      System.exit(describe(args[1], args[2], args[3]));
    } else {
      System.err.println("usage: HmsTool serve DIR PORT | HmsTool describe thrift://HOST:PORT DB TABLE");
      System.exit(2);
    }
  }

  private static void serve(File dir, int port) throws Throwable {
    Configuration conf = MetastoreConf.newMetastoreConf();
    conf.set("javax.jdo.option.ConnectionURL",
        "jdbc:derby:;databaseName=" + new File(dir, "metastore_db") + ";create=true");
    conf.set("javax.jdo.option.ConnectionDriverName", "org.apache.derby.jdbc.EmbeddedDriver");
    // DataNucleus creates the schema in the empty Derby database; Hive's own schema
    // scripts are not on Maven Central's jars (only in the 78 MB bin tarball).
    conf.set("datanucleus.schema.autoCreateAll", "true");
    conf.set("metastore.schema.verification", "false");
    conf.set("metastore.warehouse.dir", new File(dir, "warehouse").toURI().toString());
    conf.set("metastore.warehouse.external.dir", new File(dir, "external").toURI().toString());
    conf.set("metastore.thrift.bind.host", "127.0.0.1");
    conf.set("metastore.server.min.threads", "4");
    conf.set("metastore.server.max.threads", "64");
    // No compactor, statistics updater or housekeeping: a test metastore only serves calls.
    conf.set("metastore.compactor.initiator.on", "false");
    conf.set("metastore.compactor.cleaner.on", "false");
    conf.set("metastore.housekeeping.threads.on", "false");
    conf.set("metastore.stats.auto.update", "none");
    conf.set("metastore.metrics.enabled", "false");
    HiveMetaStore.startMetaStore(port, HadoopThriftAuthBridge.getBridge(), conf);
  }

  private static List<Map<String, String>> columns(List<FieldSchema> fields) {
    List<Map<String, String>> out = new ArrayList<>();
    if (fields != null) {
      for (FieldSchema f : fields) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("name", f.getName());
        c.put("type", f.getType());
        out.add(c);
      }
    }
    return out;
  }

  private static Map<String, Object> storage(StorageDescriptor sd) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("location", sd.getLocation());
    out.put("inputFormat", sd.getInputFormat());
    out.put("outputFormat", sd.getOutputFormat());
    out.put("serde", sd.getSerdeInfo() == null ? null : sd.getSerdeInfo().getSerializationLib());
    out.put("columns", columns(sd.getCols()));
    return out;
  }

  private static int describe(String uri, String db, String name) throws Exception {
    Configuration conf = MetastoreConf.newMetastoreConf();
    conf.set("metastore.thrift.uris", uri);
    conf.set("metastore.client.connect.retry.delay", "1s");
    conf.set("metastore.connect.retries", "2");
    HiveMetaStoreClient client = new HiveMetaStoreClient(conf);
    try {
      Map<String, Object> out = new LinkedHashMap<>();
      Table t;
      try {
        t = client.getTable(db, name);
      } catch (NoSuchObjectException e) {
        out.put("exists", false);
        System.out.println(new ObjectMapper().writeValueAsString(out));
        return 0;
      }
      out.put("exists", true);
      out.put("database", t.getDbName());
      out.put("table", t.getTableName());
      out.put("owner", t.getOwner());
      out.put("tableType", t.getTableType());
      out.put("storage", storage(t.getSd()));
      out.put("partitionKeys", columns(t.getPartitionKeys()));
      out.put("parameters", new TreeMap<>(t.getParameters()));
      List<Map<String, Object>> parts = new ArrayList<>();
      for (Partition p : client.listPartitions(db, name, (short) -1)) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("values", p.getValues());
        m.put("location", p.getSd().getLocation());
        m.put("serde", p.getSd().getSerdeInfo().getSerializationLib());
        m.put("columns", columns(p.getSd().getCols()));
        parts.add(m);
      }
      out.put("partitions", parts);
      System.out.println(new ObjectMapper()
          .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, false)
          .writeValueAsString(out));
      return 0;
    } finally {
      client.close();
    }
  }
}
