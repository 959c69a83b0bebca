# Shared helpers for scripts/: install and start what the tests and the worker need.
# Sourced, not run.

log() { printf '[setup] %s\n' "$*" >&2; }

apt_install() {
  # Installs Debian packages that are missing; needs root (the project's machines run as root).
  local missing=()
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    if [ -z "${APT_UPDATED:-}" ]; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
      APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is not installed: install the Rust toolchain (rustup) first" >&2
    exit 1
  fi
}

ensure_build_tools() {
  # librdkafka is built from source by rdkafka-sys: it needs a C toolchain, make and perl.
  command -v cc >/dev/null 2>&1 && command -v make >/dev/null 2>&1 && command -v perl >/dev/null 2>&1 \
    || apt_install build-essential perl
}

free_port() {
  command -v python3 >/dev/null 2>&1 || apt_install python3
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# --- Apache Kafka (KRaft, one combined broker+controller node) -------------------------
# The real broker for integration, crash and distributed tests (../shared/design.md §6).
# Its jars come from Maven Central through scripts/lib/kafka/pom.xml, into a cache outside
# the checkout that is reused while its marker matches the version and the pom.

KAFKA_VERSION="${CONNECT_KAFKA_VERSION:-4.3.2}"
SERVICES_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

ensure_java() {
  command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1 \
    || apt_install openjdk-17-jdk-headless maven
}

maven_libs() {
  # maven_libs POM DIR JAR [-Dprop=value ...]: resolves POM's runtime dependencies into
  # DIR/libs with Maven, once: DIR/.complete holds a stamp of POM and the properties, and
  # DIR/libs/JAR must exist, or the resolution is redone (a half-finished one included).
  local pom=$1 dir=$2 jar=$3 stamp tmp
  shift 3
  stamp="$* $(sha256sum "$pom" | cut -d' ' -f1)"
  if [ -f "$dir/.complete" ] && [ "$(cat "$dir/.complete")" = "$stamp" ] \
    && [ -f "$dir/libs/$jar" ]; then
    return 0
  fi
  log "resolving $(basename "$(dirname "$pom")") ($*) from Maven Central into $dir"
  mkdir -p "$dir"
  rm -f "$dir/.complete"
  tmp="$dir/libs.partial"
  rm -rf "$tmp"
  if ! mvn -B -Dstyle.color=never -f "$pom" "$@" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
      > "$dir/mvn.log" 2>&1; then
    tail -n 30 "$dir/mvn.log" >&2
    echo "could not resolve the dependencies of $pom with Maven (log above, all of it in" \
      "$dir/mvn.log; is Maven Central reachable?)" >&2
    exit 1
  fi
  if [ ! -f "$tmp/$jar" ]; then
    echo "Maven finished but $tmp has no $jar" >&2
    exit 1
  fi
  rm -rf "$dir/libs"
  mv "$tmp" "$dir/libs"
  printf '%s\n' "$stamp" > "$dir/.complete"
}

compile_tools() {
  # compile_tools DIR SOURCE...: our Java test tools, compiled against DIR/libs into
  # DIR/classes, again only when the sources changed.
  local dir=$1 stamp
  shift
  stamp="$(cat "$@" | sha256sum | cut -d' ' -f1)"
  [ "$(cat "$dir/classes/.stamp" 2>/dev/null)" = "$stamp" ] && return 0
  rm -rf "$dir/classes"
  mkdir -p "$dir/classes"
  if ! javac -nowarn -XDsuppressNotes -d "$dir/classes" -cp "$dir/libs/*" "$@" >&2; then
    echo "could not compile $* against the jars in $dir/libs" >&2
    exit 1
  fi
  printf '%s\n' "$stamp" > "$dir/classes/.stamp"
}

ensure_kafka() {
  # Sets KAFKA_HOME (the cache directory) and KAFKA_LIBS (the broker's classpath
  # directory), resolving the jars with Maven the first time (about 10 s, 44 MB plus ~70 MB in ~/.m2).
  ensure_java
  KAFKA_HOME="${CONNECT_CACHE:-$HOME/.cache/kafka-connect-rs}/kafka-$KAFKA_VERSION"
  KAFKA_LIBS="$KAFKA_HOME/libs"
  maven_libs "$SERVICES_LIB_DIR/kafka/pom.xml" "$KAFKA_HOME" "kafka_2.13-$KAFKA_VERSION.jar" \
    -Dkafka.version="$KAFKA_VERSION"
}

# --- Java Kafka Connect (the peer we are checked and measured against) ------------------
# connect-runtime, connect-file and connect-json of the same Kafka release, plus our own
# small Java tools (scripts/lib/connect-java/src), compiled against them into the cache.

# connect-file is not served for every Kafka release (4.3.2 has none): the peer's own version.
JAVA_CONNECT_VERSION="${CONNECT_JAVA_CONNECT_VERSION:-4.3.1}"

ensure_java_connect() {
  # Sets JAVA_CONNECT_HOME and JAVA_CONNECT_CP (the jars and our compiled tools) and exports
  # CONNECT_TEST_JAVA_CONNECT_CP for the interop tests.
  ensure_java
  local src="$SERVICES_LIB_DIR/connect-java" stamp
  JAVA_CONNECT_HOME="${CONNECT_CACHE:-$HOME/.cache/kafka-connect-rs}/connect-$JAVA_CONNECT_VERSION"
  maven_libs "$src/pom.xml" "$JAVA_CONNECT_HOME" "connect-runtime-$JAVA_CONNECT_VERSION.jar" \
    -Dkafka.version="$JAVA_CONNECT_VERSION"
  compile_tools "$JAVA_CONNECT_HOME" "$src"/src/*.java
  JAVA_CONNECT_CP="$JAVA_CONNECT_HOME/classes:$JAVA_CONNECT_HOME/libs/*"
  export CONNECT_TEST_JAVA_CONNECT_CP="$JAVA_CONNECT_CP"
  export CONNECT_TEST_JAVA_LOG4J="$src/log4j2.properties"
}

kafka_cluster_id() {
  # A random Kafka Uuid in its base64url form (22 characters). Kafka itself never hands
  # out one that starts with '-', so command lines cannot mistake it for an option.
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [ "${id:0:1}" != "-" ] && break
  done
  printf '%s\n' "$id"
}

kafka_api_versions_ok() {
  # kafka_api_versions_ok HOST PORT: true if the broker answers an ApiVersions request
  # (v0, correlation id 7, empty client id) with error code 0.
  local host=$1 port=$2 reply
  reply="$(
    exec 3<>"/dev/tcp/$host/$port" || exit 1
    printf '\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x00\x07\x00\x00' >&3
    timeout 5 head -c 10 <&3 | od -An -tx1 | tr -d ' \n'
  )" 2>/dev/null || return 1
  # 4 bytes of size, then correlation id 7 and error code 0.
  [ "${reply:8:12}" = "000000070000" ]
}

kafka_write_config() {
  # kafka_write_config DIR PORT CONTROLLER_PORT
  local dir=$1 port=$2 cport=$3
  cat > "$dir/server.properties" <<PROPS
# A single combined broker+controller KRaft node for tests, written by scripts/lib/services.sh.
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
# A dynamic quorum of one, formatted with --standalone.
controller.quorum.bootstrap.servers=127.0.0.1:$cport
log.dirs=$dir/data

num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# After a SIGKILL the restarted node cannot register until the old registration's session
# expires (9 s by default): shorter, so crash tests restart faster.
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=4000
# The cleaner takes this much heap up front (128 MiB by default).
log.cleaner.dedupe.buffer.size=33554432
PROPS
}

kafka_write_launcher() {
  # kafka_write_launcher DIR: DIR/kafka-server.sh runs the broker on DIR until killed
  # (TERM shuts it down cleanly), writing its pid to DIR/kafka.pid and its log to
  # DIR/logs/server.log (JVM output to DIR/logs/kafka.out). The tests get its path in
  # CONNECT_TEST_KAFKA_CMD to restart the broker on the same data and ports.
  local dir=$1
  local jvm_opts="${CONNECT_KAFKA_JVM_OPTS:--Xms256m -Xmx512m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError}"
  cp "$SERVICES_LIB_DIR/kafka/log4j2.properties" "$dir/log4j2.properties"
  {
    echo '#!/usr/bin/env bash'
    echo '# Runs the test Kafka broker on this directory; written by scripts/lib/services.sh.'
    echo 'set -eu'
    printf 'cd %q\n' "$dir"
    echo 'echo $$ > kafka.pid'
    printf 'exec java'
    # shellcheck disable=SC2086 # jvm_opts is a list of options
    printf ' %q' $jvm_opts -Djava.awt.headless=true \
      "-Dkafka.logs.dir=$dir/logs" "-Dlog4j2.configurationFile=$dir/log4j2.properties" \
      -cp "$KAFKA_LIBS/*" kafka.Kafka "$dir/server.properties"
    echo ' >> logs/kafka.out 2>&1'
  } > "$dir/kafka-server.sh"
  chmod +x "$dir/kafka-server.sh"
}

kafka_log_tail() {
  local dir=$1
  tail_logs "$dir/logs/format.log" "$dir/logs/kafka.out" "$dir/logs/server.log"
  if grep -qE '^\[[^]]*\] (ERROR|FATAL) ' "$dir/logs/server.log" 2>/dev/null; then
    echo "--- last errors in $dir/logs/server.log" >&2
    grep -E -A3 '^\[[^]]*\] (ERROR|FATAL) ' "$dir/logs/server.log" | tail -n 12 >&2
  fi
}

start_kafka() {
  # start_kafka [PORT]: formats a fresh data directory and starts Apache Kafka on
  # 127.0.0.1:PORT (a free port by default), waits until it serves requests and exports
  #   CONNECT_TEST_BOOTSTRAP   127.0.0.1:PORT
  #   CONNECT_TEST_KAFKA_DIR   the data directory (server.properties, data/, logs/server.log,
  #                            kafka.pid: the pid of the running broker)
  #   CONNECT_TEST_KAFKA_CMD   a script that (re)starts the broker on that directory in the
  #                            foreground, with the same ports and data
  #   CONNECT_TEST_KAFKA_PID   the pid of the broker started here (also KAFKA_PID)
  ensure_kafka
  local dir port cport secs="${CONNECT_KAFKA_START_TIMEOUT:-90}" i
  dir="$(mktemp -d "${TMPDIR:-/tmp}/connect-kafka.XXXXXX")"
  mkdir -p "$dir/logs" "$dir/data"
  port="${1:-$(free_port)}"
  cport="$(free_port)"
  while [ "$cport" = "$port" ]; do cport="$(free_port)"; done
  kafka_write_config "$dir" "$port" "$cport"
  kafka_write_launcher "$dir"
  # The format tool runs without the log4j config: log4j's default prints errors only.
  if ! java -Xmx256m -XX:+UseSerialGC -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format \
      -t "$(kafka_cluster_id)" -c "$dir/server.properties" --standalone \
      > "$dir/logs/format.log" 2>&1; then
    echo "formatting Kafka's storage in $dir failed" >&2
    kafka_log_tail "$dir"
    exit 1
  fi
  log "starting Apache Kafka $KAFKA_VERSION on 127.0.0.1:$port (data and logs in $dir)"
  "$dir/kafka-server.sh" &
  KAFKA_PID=$!
  KAFKA_DIR="$dir"
  for ((i = 0; i < secs * 5; i++)); do
    if grep -q 'Kafka Server started' "$dir/logs/server.log" 2>/dev/null \
      && kafka_api_versions_ok 127.0.0.1 "$port"; then
      export CONNECT_TEST_BOOTSTRAP="127.0.0.1:$port"
      export CONNECT_TEST_KAFKA_DIR="$dir"
      export CONNECT_TEST_KAFKA_CMD="$dir/kafka-server.sh"
      export CONNECT_TEST_KAFKA_PID="$KAFKA_PID"
      log "Kafka is ready after $((i / 5)) s: bootstrap.servers=127.0.0.1:$port"
      return 0
    fi
    kill -0 "$KAFKA_PID" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$KAFKA_PID" 2>/dev/null; then
    echo "Apache Kafka did not become ready on 127.0.0.1:$port within $secs s" >&2
  else
    echo "Apache Kafka exited while starting on 127.0.0.1:$port" >&2
  fi
  kafka_log_tail "$dir"
  stop_kafka
  exit 1
}

stop_pid() {
  # stop_pid WHAT PID MARKER: TERM, then KILL after 30 s, if PID runs and its command line
  # holds MARKER (so a recycled pid is never signalled).
  local what=$1 pid=$2 marker=$3 i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  log "$what (pid $pid) did not stop within 30 s: killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

tail_logs() {
  # tail_logs FILE...: the last lines of each non-empty file, to standard error.
  local f
  for f in "$@"; do
    [ -s "$f" ] || continue
    echo "--- tail of $f" >&2
    tail -n 40 "$f" >&2
  done
}

stop_kafka() {
  # Stops the broker start_kafka started, and the one a test restarted through
  # CONNECT_TEST_KAFKA_CMD if it still runs. The data directory is removed unless
  # CONNECT_KAFKA_KEEP=1 (then it is left for inspection).
  local dir="${KAFKA_DIR:-${CONNECT_TEST_KAFKA_DIR:-}}" pid
  [ -n "$dir" ] || return 0
  stop_pid Kafka "${KAFKA_PID:-}" "$dir/server.properties"
  if [ -f "$dir/kafka.pid" ]; then
    pid="$(cat "$dir/kafka.pid" 2>/dev/null || true)"
    stop_pid Kafka "$pid" "$dir/server.properties"
  fi
  if [ -n "${KAFKA_PID:-}" ]; then
    wait "$KAFKA_PID" 2>/dev/null || true
  fi
  KAFKA_PID=
  if [ "${CONNECT_KAFKA_KEEP:-0}" != 1 ] && [ -f "$dir/server.properties" ]; then
    rm -rf "$dir"
  else
    log "Kafka's data and logs are kept in $dir"
  fi
  return 0
}

# --- HDFS (Hadoop's MiniDFSCluster: one namenode, one datanode) -----------------------
# The real HDFS for the HDFS sink's tests (../shared/design.md §4). Hadoop's jars come from
# Maven Central through scripts/lib/hdfs/pom.xml, which also compiles our launcher
# (scripts/lib/hdfs/src/main/java/MiniHdfs.java), into a cache outside the checkout that is
# reused while its marker matches the version, the pom and the launcher's sources.

HDFS_VERSION="${CONNECT_HDFS_VERSION:-3.4.1}"

ensure_hdfs() {
  # Sets HDFS_HOME (the cache directory) and HDFS_CLASSPATH (the launcher's jar and Hadoop's
  # jars, also what Hadoop's FsShell runs with), resolving and building the first time
  # (about 10 s from an empty ~/.m2: 78 MB in the cache, ~120 MB in ~/.m2 with Maven's
  # plugins; 4 s when ~/.m2 has them).
  ensure_java
  local src="$SERVICES_LIB_DIR/hdfs" stamp tmp
  HDFS_HOME="${CONNECT_CACHE:-$HOME/.cache/kafka-connect-rs}/hdfs-$HDFS_VERSION"
  HDFS_CLASSPATH="$HDFS_HOME/build/mini-hdfs.jar:$HDFS_HOME/build/libs/*"
  stamp="$HDFS_VERSION $(cd "$src" && find pom.xml src -type f | LC_ALL=C sort | xargs cat \
    | sha256sum | cut -d' ' -f1)"
  if [ -f "$HDFS_HOME/.complete" ] && [ "$(cat "$HDFS_HOME/.complete")" = "$stamp" ] \
    && [ -f "$HDFS_HOME/build/mini-hdfs.jar" ] \
    && [ -f "$HDFS_HOME/build/libs/hadoop-hdfs-$HDFS_VERSION-tests.jar" ]; then
    return 0
  fi
  log "resolving Hadoop $HDFS_VERSION (MiniDFSCluster) from Maven Central into $HDFS_HOME"
  mkdir -p "$HDFS_HOME"
  rm -f "$HDFS_HOME/.complete"
  tmp="$HDFS_HOME/build.partial"
  rm -rf "$tmp"
  if ! mvn -B -Dstyle.color=never -f "$src/pom.xml" -Dhadoop.version="$HDFS_VERSION" \
      -Dhdfs.build.dir="$tmp" package dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$tmp/libs" > "$HDFS_HOME/mvn.log" 2>&1; then
    tail -n 30 "$HDFS_HOME/mvn.log" >&2
    echo "could not build MiniHdfs against org.apache.hadoop:hadoop-hdfs:$HDFS_VERSION with" \
      "Maven (log above, all of it in $HDFS_HOME/mvn.log; is Maven Central reachable?)" >&2
    exit 1
  fi
  if [ ! -f "$tmp/mini-hdfs.jar" ] || [ ! -f "$tmp/libs/hadoop-hdfs-$HDFS_VERSION-tests.jar" ]; then
    echo "Maven finished but $tmp has no mini-hdfs.jar or hadoop-hdfs-$HDFS_VERSION-tests.jar" >&2
    exit 1
  fi
  rm -rf "$HDFS_HOME/build"
  mv "$tmp" "$HDFS_HOME/build"
  printf '%s\n' "$stamp" > "$HDFS_HOME/.complete"
}

hdfs_write_launcher() {
  # hdfs_write_launcher DIR PORT: DIR/hdfs-server.sh runs the cluster on DIR/data with its
  # namenode on 127.0.0.1:PORT until killed (TERM shuts it down cleanly), writing its pid to
  # DIR/hdfs.pid, Hadoop's log to DIR/logs/hdfs.log and the launcher's output (the ready
  # line) to DIR/logs/hdfs.out. Restarting it keeps the data and the port.
  local dir=$1 port=$2
  local jvm_opts="${CONNECT_HDFS_JVM_OPTS:--Xms128m -Xmx512m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError}"
  cp "$SERVICES_LIB_DIR/hdfs/log4j.properties" "$dir/log4j.properties"
  {
    echo '#!/usr/bin/env bash'
    echo '# Runs the test HDFS on this directory; written by scripts/lib/services.sh.'
    echo 'set -eu'
    printf 'cd %q\n' "$dir"
    echo 'echo $$ > hdfs.pid'
    printf 'exec java'
    # IPv4: MiniDFSCluster binds the namenode to "localhost", which must be 127.0.0.1.
    # shellcheck disable=SC2086 # jvm_opts is a list of options
    printf ' %q' $jvm_opts -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true \
      "-Dhdfs.log.dir=$dir/logs" "-Dlog4j.configuration=file:$dir/log4j.properties" \
      -cp "$HDFS_CLASSPATH" MiniHdfs \
      --port "$port" --base-dir "$dir/data"
    echo ' >> logs/hdfs.out 2>&1'
  } > "$dir/hdfs-server.sh"
  chmod +x "$dir/hdfs-server.sh"
}

hdfs_log_tail() {
  tail_logs "$dir/logs/hdfs.out" "$dir/logs/hdfs.log"
}

start_hdfs() {
  # start_hdfs [PORT]: starts a fresh single-node HDFS with its namenode on 127.0.0.1:PORT (a
  # free port by default), waits until it serves requests and exports
  #   CONNECT_TEST_HDFS_URL        hdfs://127.0.0.1:PORT
  #   CONNECT_TEST_HDFS_CLASSPATH  Hadoop's jars, for the tests' independent reads through
  #                                Hadoop's own client (java -cp … org.apache.hadoop.fs.FsShell)
  #   CONNECT_TEST_HDFS_DIR        the directory (data/, logs/hdfs.log, hdfs.pid)
  #   CONNECT_TEST_HDFS_PID        the pid of the cluster started here (also HDFS_PID)
  ensure_hdfs
  local dir port secs="${CONNECT_HDFS_START_TIMEOUT:-90}" i
  dir="$(mktemp -d "${TMPDIR:-/tmp}/connect-hdfs.XXXXXX")"
  mkdir -p "$dir/logs" "$dir/data"
  port="${1:-$(free_port)}"
  hdfs_write_launcher "$dir" "$port"
  log "starting HDFS (Hadoop $HDFS_VERSION MiniDFSCluster) on 127.0.0.1:$port (data and logs in $dir)"
  "$dir/hdfs-server.sh" &
  HDFS_PID=$!
  HDFS_DIR="$dir"
  for ((i = 0; i < secs * 5; i++)); do
    if grep -qxF "HDFS_READY hdfs://127.0.0.1:$port" "$dir/logs/hdfs.out" 2>/dev/null; then
      export CONNECT_TEST_HDFS_URL="hdfs://127.0.0.1:$port"
      export CONNECT_TEST_HDFS_CLASSPATH="$HDFS_CLASSPATH"
      export CONNECT_TEST_HDFS_DIR="$dir"
      export CONNECT_TEST_HDFS_PID="$HDFS_PID"
      log "HDFS is ready after $((i / 5)) s: $CONNECT_TEST_HDFS_URL"
      return 0
    fi
    kill -0 "$HDFS_PID" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$HDFS_PID" 2>/dev/null; then
    echo "HDFS did not become ready on 127.0.0.1:$port within $secs s" >&2
  else
    echo "HDFS exited while starting on 127.0.0.1:$port" >&2
  fi
  hdfs_log_tail "$dir"
  stop_hdfs
  exit 1
}

stop_hdfs() {
  # Stops the cluster start_hdfs started (TERM, then KILL after 30 s). Its directory is
  # removed unless CONNECT_HDFS_KEEP=1 (then it is left for inspection).
  local dir="${HDFS_DIR:-${CONNECT_TEST_HDFS_DIR:-}}" pid
  # Nothing started, or stopped already (start_hdfs stops what failed to start).
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  pid="${HDFS_PID:-}"
  [ -n "$pid" ] || pid="$(cat "$dir/hdfs.pid" 2>/dev/null || true)"
  stop_pid HDFS "$pid" "--base-dir $dir/data"
  if [ -n "${HDFS_PID:-}" ]; then
    wait "$HDFS_PID" 2>/dev/null || true
  fi
  HDFS_PID=
  if [ "${CONNECT_HDFS_KEEP:-0}" != 1 ] && [ -f "$dir/hdfs-server.sh" ]; then
    rm -rf "$dir"
  else
    log "HDFS's data and logs are kept in $dir"
  fi
  return 0
}

wait_tcp() {
  # wait_tcp HOST PORT SECONDS: true once something listens there.
  local host=$1 port=$2 secs=$3
  for _ in $(seq 1 $((secs * 10))); do
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

ensure_postgres() {
  # PostgreSQL on 127.0.0.1:5432 with trust auth and a database `test`
  # (../shared/design.md §4). Installed from Debian's packages and started when missing.
  if ! wait_tcp 127.0.0.1 5432 1; then
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
      apt_install postgresql
    fi
    local version
    version="$(ls /etc/postgresql | sort -V | tail -1)"
    log "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
    wait_tcp 127.0.0.1 5432 30 || {
      echo "PostgreSQL did not start on 127.0.0.1:5432: start it with" \
        "'pg_ctlcluster --skip-systemctl-redirect $version main start'" >&2
      exit 1
    }
  fi
  local psql=(psql -h 127.0.0.1 -U postgres -tAq)
  if ! "${psql[@]}" -d postgres -c 'select 1' >/dev/null 2>&1; then
    # A fresh Debian install: peer auth for the postgres role; open loopback to trust.
    local hba
    hba="$(su postgres -c "psql -tAqc 'show hba_file'")"
    printf 'host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n' | cat - "$hba" > "$hba.new"
    mv "$hba.new" "$hba" && chown postgres: "$hba"
    su postgres -c "psql -tAqc 'select pg_reload_conf()'" >/dev/null
  fi
  if [ "$("${psql[@]}" -d postgres -c "select 1 from pg_database where datname='test'")" != 1 ]; then
    "${psql[@]}" -d postgres -c 'create database test' >/dev/null
  fi
  export CONNECT_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/test"
}

ensure_mariadb() {
  # MariaDB on 127.0.0.1:3306, root with an empty password, database `test`.
  if ! wait_tcp 127.0.0.1 3306 1; then
    [ -x /usr/sbin/mariadbd ] || apt_install mariadb-server
    log "starting MariaDB"
    mkdir -p /run/mysqld && chown mysql: /run/mysqld 2>/dev/null || true
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql >&2
    wait_tcp 127.0.0.1 3306 60 || {
      echo "MariaDB did not start on 127.0.0.1:3306: start it with" \
        "'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd'" >&2
      exit 1
    }
  fi
  if ! mysql -h 127.0.0.1 -uroot -e 'select 1' >/dev/null 2>&1; then
    # A fresh Debian install authenticates root through the unix socket only.
    mysql -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD(''); \
      CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''; \
      GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; FLUSH PRIVILEGES;" >&2
  fi
  mysql -h 127.0.0.1 -uroot -e 'create database if not exists test' >&2
  export CONNECT_TEST_MYSQL_URL="mysql://root@127.0.0.1:3306/test"
}

# --- Hive metastore (standalone, Thrift, embedded Derby) --------------------------------
# The real metastore for the HDFS sink's Hive integration tests (../shared/design.md §6).
# Its jars come from Maven Central through scripts/lib/hive/pom.xml, into a cache outside
# the checkout; scripts/lib/hive/HmsTool.java (our launcher and an independent reader
# built on the metastore's own Java client) is compiled against them there.

HIVE_VERSION="${CONNECT_HIVE_VERSION:-4.0.1}"

ensure_hive() {
  # Sets HIVE_HOME (the cache directory) and HIVE_CP (the classpath of HmsTool), resolving
  # the jars with Maven and compiling HmsTool the first time (about 30 s, 100 MB plus
  # ~150 MB in ~/.m2). Reused while the markers match the version, the pom and the tool.
  ensure_java
  HIVE_HOME="${CONNECT_CACHE:-$HOME/.cache/kafka-connect-rs}/hive-$HIVE_VERSION"
  maven_libs "$SERVICES_LIB_DIR/hive/pom.xml" "$HIVE_HOME" \
    "hive-standalone-metastore-server-$HIVE_VERSION.jar" -Dhive.version="$HIVE_VERSION"
  compile_tools "$HIVE_HOME" "$SERVICES_LIB_DIR/hive/HmsTool.java"
  HIVE_CP="$HIVE_HOME/classes:$HIVE_HOME/libs/*"
}

hive_metastore_ok() {
  # hive_metastore_ok HOST PORT: true if a metastore answers get_all_databases() there
  # (a strict binary Thrift call, seqid 1) with a REPLY message.
  local host=$1 port=$2 reply
  reply="$(
    { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null || exit 1
    printf '\x80\x01\x00\x01\x00\x00\x00\x11get_all_databases\x00\x00\x00\x01\x00' >&3
    timeout 5 head -c 4 <&3 | od -An -tx1 | tr -d ' \n'
  )" 2>/dev/null || return 1
  [ "$reply" = "80010002" ]
}

hive_log_tail() {
  tail_logs "$dir/logs/metastore.out" "$dir/logs/metastore.log"
}

start_hive() {
  # start_hive [PORT]: starts a Hive metastore on 127.0.0.1:PORT (a free port by default)
  # with a fresh Derby database and warehouse, waits until it answers a Thrift call, and
  # exports
  #   CONNECT_TEST_HIVE_METASTORE_URIS  thrift://127.0.0.1:PORT
  #   CONNECT_TEST_HIVE_DIR             its directory (metastore_db/, warehouse/, logs/)
  #   CONNECT_TEST_HIVE_DESCRIBE        a script: `describe DB TABLE` prints the table and its
  #                                     partitions as JSON, read with Hive's own Java client
  ensure_hive
  local dir port secs="${CONNECT_HIVE_START_TIMEOUT:-120}" i
  local jvm_opts="${CONNECT_HIVE_JVM_OPTS:--Xms64m -Xmx384m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError}"
  dir="$(mktemp -d "${TMPDIR:-/tmp}/connect-hive.XXXXXX")"
  mkdir -p "$dir/logs"
  port="${1:-$(free_port)}"
  cp "$SERVICES_LIB_DIR/hive/log4j2.properties" "$dir/log4j2.properties"
  {
    echo '#!/usr/bin/env bash'
    echo '# Prints a Hive table and its partitions as JSON (HmsTool describe); written by'
    echo '# scripts/lib/services.sh. Usage: describe DB TABLE'
    echo 'set -eu'
    printf 'exec java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1'
    printf ' %q' "-Dhive.test.logs.dir=$dir/logs/describe" \
      "-Dlog4j2.configurationFile=$dir/log4j2.properties" -cp "$HIVE_CP" HmsTool describe \
      "thrift://127.0.0.1:$port"
    echo ' "$@"'
  } > "$dir/describe"
  chmod +x "$dir/describe"
  log "starting the Hive $HIVE_VERSION metastore on 127.0.0.1:$port (data and logs in $dir)"
  (
    cd "$dir"
    # shellcheck disable=SC2086 # jvm_opts is a list of options
    exec java $jvm_opts -Djava.awt.headless=true "-Dhive.test.logs.dir=$dir/logs" \
      "-Dlog4j2.configurationFile=$dir/log4j2.properties" \
      "-Dderby.stream.error.file=$dir/logs/derby.log" \
      -cp "$HIVE_CP" HmsTool serve "$dir" "$port" >> "$dir/logs/metastore.out" 2>&1
  ) &
  HIVE_PID=$!
  HIVE_DIR="$dir"
  for ((i = 0; i < secs * 5; i++)); do
    if hive_metastore_ok 127.0.0.1 "$port"; then
      export CONNECT_TEST_HIVE_METASTORE_URIS="thrift://127.0.0.1:$port"
      export CONNECT_TEST_HIVE_DIR="$dir"
      export CONNECT_TEST_HIVE_DESCRIBE="$dir/describe"
      log "the Hive metastore is ready after $((i / 5)) s: hive.metastore.uris=thrift://127.0.0.1:$port"
      return 0
    fi
    kill -0 "$HIVE_PID" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$HIVE_PID" 2>/dev/null; then
    echo "the Hive metastore did not answer on 127.0.0.1:$port within $secs s" >&2
  else
    echo "the Hive metastore exited while starting on 127.0.0.1:$port" >&2
  fi
  hive_log_tail "$dir"
  stop_hive
  exit 1
}

stop_hive() {
  # Stops the metastore start_hive started (TERM, then KILL after 30 s) and removes its
  # directory unless CONNECT_HIVE_KEEP=1.
  local dir="${HIVE_DIR:-}" pid="${HIVE_PID:-}"
  [ -n "$dir" ] || return 0
  stop_pid "the Hive metastore" "$pid" "HmsTool serve $dir"
  [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  HIVE_PID=
  if [ "${CONNECT_HIVE_KEEP:-0}" != 1 ] && [ -d "$dir/logs" ]; then
    rm -rf "$dir"
  else
    log "the Hive metastore's data and logs are kept in $dir"
  fi
  HIVE_DIR=
  return 0
}
