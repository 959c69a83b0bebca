#!/usr/bin/env bash
# A single-node HDFS (Hadoop's MiniDFSCluster) on loopback for development, the same one the
# tests use: builds its launcher the first time (scripts/lib/hdfs/), starts it, prints the
# variables the HDFS tests read and runs until Ctrl-C.
#   scripts/hdfs.sh [PORT]       (the namenode's port; a free one when none is given)
# Environment: CONNECT_HDFS_VERSION (default in scripts/lib/services.sh), CONNECT_CACHE,
# CONNECT_HDFS_JVM_OPTS.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/services.sh

export CONNECT_HDFS_KEEP="${CONNECT_HDFS_KEEP:-1}"
trap stop_hdfs EXIT
trap 'exit 130' INT TERM
start_hdfs "${1:-}"

cat <<MSG
HDFS (Hadoop $HDFS_VERSION MiniDFSCluster) is running (pid $HDFS_PID).
For the HDFS tests (cargo test -p connect-hdfs) in another shell:
  export CONNECT_TEST_HDFS_URL=$CONNECT_TEST_HDFS_URL
  export CONNECT_TEST_HDFS_CLASSPATH='$CONNECT_TEST_HDFS_CLASSPATH'
Hadoop's shell: java -cp "\$CONNECT_TEST_HDFS_CLASSPATH" org.apache.hadoop.fs.FsShell -fs $CONNECT_TEST_HDFS_URL -ls -R /
  data:  $CONNECT_TEST_HDFS_DIR/data
  log:   $CONNECT_TEST_HDFS_DIR/logs/hdfs.log
Ctrl-C stops it (the data directory is kept).
MSG
if wait "$HDFS_PID"; then rc=0; else rc=$?; fi
echo "HDFS exited on its own (status $rc); see $CONNECT_TEST_HDFS_DIR/logs" >&2
exit 1
