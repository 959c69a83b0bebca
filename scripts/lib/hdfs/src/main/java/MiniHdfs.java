import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.concurrent.CountDownLatch;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.DFSConfigKeys;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * A single-node HDFS for the tests of the HDFS sink: Hadoop's MiniDFSCluster with one
 * namenode and one datanode, every port on 127.0.0.1, no permissions, no block tokens,
 * no SASL, so that a plain client (Hadoop's own, or the pure-Rust hdfs-native one) can
 * read and write it. Written by the project as test infrastructure; started by
 * scripts/lib/services.sh (start_hdfs).
 *
 * <pre>
 * java -cp 'classes:libs/*' MiniHdfs [--port N] [--base-dir DIR]
 * </pre>
 *
 * --port is the namenode's RPC port (0, the default, picks a free one); --base-dir holds
 * the namenode's and the datanode's storage (a new temporary directory by default; it is
 * deleted on shutdown only when the launcher created it). Once the cluster serves
 * requests, one line goes to standard output:
 *
 * <pre>
 * HDFS_READY hdfs://127.0.0.1:PORT
 * </pre>
 *
 * The cluster then runs until the process is told to stop: SIGTERM (or SIGINT) shuts it
 * down through a shutdown hook.
 */
public final class MiniHdfs {
  private MiniHdfs() {}

  public static void main(String[] args) throws Exception {
    int port = 0;
    File baseDir = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--port":
          port = Integer.parseInt(value(args, ++i, "--port"));
          break;
        case "--base-dir":
          baseDir = new File(value(args, ++i, "--base-dir"));
          break;
        default:
          usage("unknown argument " + args[i]);
      }
    }
    boolean ownBaseDir = baseDir == null;
    if (ownBaseDir) {
      baseDir = Files.createTempDirectory("mini-hdfs.").toFile();
    }

    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, baseDir.getAbsolutePath());
    // Anyone may write anywhere: the tests run as root, the sink as whoever it is.
    conf.setBoolean(DFSConfigKeys.DFS_PERMISSIONS_ENABLED_KEY, false);
    // No block access tokens, no data transfer encryption or SASL: hdfs-native then
    // talks to the datanode with plain DataTransferProtocol.
    conf.setBoolean(DFSConfigKeys.DFS_BLOCK_ACCESS_TOKEN_ENABLE_KEY, false);
    conf.setBoolean(DFSConfigKeys.DFS_ENCRYPT_DATA_TRANSFER_KEY, false);
    conf.set("hadoop.security.authentication", "simple");
    conf.set("hadoop.rpc.protection", "authentication");
    // One datanode: one replica, and no pipeline recovery looking for a second node.
    conf.setInt(DFSConfigKeys.DFS_REPLICATION_KEY, 1);
    conf.setBoolean("dfs.client.block.write.replace-datanode-on-failure.enable", false);
    // Clients reach the datanode at the address it registered, 127.0.0.1.
    conf.setBoolean(DFSConfigKeys.DFS_CLIENT_USE_DN_HOSTNAME, false);
    conf.setBoolean(DFSConfigKeys.DFS_DATANODE_USE_DN_HOSTNAME, false);
    // Hadoop's block size; any minimum, and heartbeats every second so the namenode sees
    // the datanode's state quickly.
    conf.setLong(DFSConfigKeys.DFS_NAMENODE_MIN_BLOCK_SIZE_KEY, 0);
    conf.setInt(DFSConfigKeys.DFS_HEARTBEAT_INTERVAL_KEY, 1);

    MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf, baseDir)
        .numDataNodes(1)
        .nameNodePort(port)
        .nameNodeHttpPort(0)
        .format(true)
        .manageNameDfsDirs(true)
        .manageDataDfsDirs(true)
        .checkDataNodeAddrConfig(false)
        .build();
    cluster.waitActive();
    cluster.waitClusterUp();

    CountDownLatch stopped = new CountDownLatch(1);
    final File dir = baseDir;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        cluster.shutdown(ownBaseDir);
      } finally {
        stopped.countDown();
      }
    }, "mini-hdfs-shutdown"));

    int rpcPort = cluster.getNameNodePort();
    System.out.println("HDFS_READY hdfs://127.0.0.1:" + rpcPort);
    System.out.println("HDFS_BASE_DIR " + dir.getAbsolutePath());
    System.out.flush();
    stopped.await();
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length) {
      usage(flag + " needs a value");
    }
    return args[i];
  }

  private static void usage(String problem) {
    System.err.println("MiniHdfs: " + problem);
    System.err.println("usage: MiniHdfs [--port N] [--base-dir DIR]");
    System.exit(2);
  }
}
