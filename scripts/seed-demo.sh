#!/usr/bin/env bash
# The JDBC → Kafka (Avro) → HDFS walk-through of Confluent's "How to Build a Scalable ETL
# Pipeline with Kafka Connect", run as the blog runs it, on one standalone worker:
#
#   connect-standalone config/connect-avro-standalone.properties \
#     config/quickstart-mysql.properties config/quickstart-hdfs.properties
#
# with the embedded broker and schema registry, MariaDB's `demo.users` (or PostgreSQL's
# with `--db postgres`), and the HDFS sink writing Avro files to a local directory. After
# each of the blog's steps (two inserts; two updates; DROP COLUMN name and two inserts) it
# prints what the blog's `SELECT * FROM test_jdbc_users` shows, read from the sink's files
# (the newest file's schema over every file, as the Hive table the sink keeps), and at the
# end the Hive DDL of the final schema. It fails if a step's rows do not all arrive.
#
#   scripts/seed-demo.sh [--db mariadb|postgres] [--keep]
#
# --keep leaves the worker running at the end (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/services.sh

db=mariadb keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --db) db="${2:-}"; shift; [ $# -gt 0 ] && shift ;;
    --keep) keep=1; shift ;;
    *) echo "usage: scripts/seed-demo.sh [--db mariadb|postgres] [--keep]" >&2; exit 2 ;;
  esac
done

ensure_rust
ensure_build_tools
command -v curl >/dev/null 2>&1 || apt_install curl
case "$db" in
  mariadb) ensure_mariadb ;;
  postgres) ensure_postgres ;;
  *) echo "--db takes mariadb or postgres, not '$db'" >&2; exit 2 ;;
esac

cargo build --release --locked -p connect-cli --bin connect-standalone >&2
cargo build --release --locked -p connect-hdfs --example hdfs-cat >&2
bin="$PWD/target/release"

work="$PWD/target/seed-demo/$db"
rm -rf "$work"
mkdir -p "$work"
rest_port="${CONNECT_REST_PORT:-$(free_port)}"
registry_port="$(free_port)"
store="$work/hdfs"

say() { printf '\n== %s\n' "$*"; }

sql() {
  # Runs the statements of standard input in database `demo`, echoing them as a client would.
  local stmts
  stmts="$(cat)"
  printf '%s\n' "$stmts" | sed "s/^/$db> /"
  case "$db" in
    mariadb) mysql -h 127.0.0.1 -uroot demo -e "$stmts" ;;
    postgres) psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d demo -c "$stmts" >/dev/null ;;
  esac
}

say "1. The database: demo.users, as in the blog ($db)"
case "$db" in
  mariadb)
    mysql -h 127.0.0.1 -uroot -e 'DROP DATABASE IF EXISTS demo; CREATE DATABASE demo'
    sql <<'SQL'
CREATE TABLE users (
  id serial NOT NULL PRIMARY KEY,
  name varchar(100),
  email varchar(200),
  department varchar(200),
  modified timestamp default CURRENT_TIMESTAMP NOT NULL,
  INDEX `modified_index` (`modified`)
);
INSERT INTO users (name, email, department) VALUES ('alice', 'alice@abc.com', 'engineering');
INSERT INTO users (name, email, department) VALUES ('bob', 'bob@abc.com', 'sales');
SQL
    url="jdbc:mysql://127.0.0.1:3306/demo?user=root"
    ;;
  postgres)
    psql -q -h 127.0.0.1 -U postgres -d postgres -c 'DROP DATABASE IF EXISTS demo' \
      -c 'CREATE DATABASE demo' >/dev/null
    sql <<'SQL'
CREATE TABLE users (
  id serial NOT NULL PRIMARY KEY,
  name varchar(100),
  email varchar(200),
  department varchar(200),
  modified timestamp default CURRENT_TIMESTAMP NOT NULL
);
CREATE INDEX modified_index ON users (modified);
INSERT INTO users (name, email, department) VALUES ('alice', 'alice@abc.com', 'engineering');
INSERT INTO users (name, email, department) VALUES ('bob', 'bob@abc.com', 'sales');
SQL
    url="jdbc:postgresql://127.0.0.1:5432/demo?user=postgres"
    ;;
esac

# The sample configs, pointed at this run's ports, database and directories.
sed -e "s#^offset.storage.file.filename=.*#offset.storage.file.filename=$work/connect.offsets#" \
    -e "s#^listeners=.*#listeners=http://127.0.0.1:$rest_port#" \
    -e "s#http://127.0.0.1:8081#http://127.0.0.1:$registry_port#" \
    config/connect-avro-standalone.properties > "$work/connect-avro-standalone.properties"
sed -e "s#^connection.url=.*#connection.url=$url#" \
    config/quickstart-mysql.properties > "$work/quickstart-mysql.properties"
sed -e "s#^hdfs.url=.*#hdfs.url=file://$store#" \
    config/quickstart-hdfs.properties > "$work/quickstart-hdfs.properties"

say "2. The worker: connect-standalone connect-avro-standalone.properties quickstart-mysql.properties quickstart-hdfs.properties"
"$bin/connect-standalone" "$work/connect-avro-standalone.properties" \
  "$work/quickstart-mysql.properties" "$work/quickstart-hdfs.properties" > "$work/worker.log" 2>&1 &
pid=$!
stop_worker() { kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; return 0; }
trap stop_worker EXIT
echo "worker pid $pid, REST http://127.0.0.1:$rest_port, schema registry http://127.0.0.1:$registry_port, log $work/worker.log"

cat_store() { "$bin/examples/hdfs-cat" "$store" test_jdbc_users "$@"; }

wait_rows() {
  # wait_rows N: until the sink's committed files hold N rows; prints them as Hive would.
  local want=$1 have=0
  for _ in $(seq 1 600); do
    have="$(cat_store --count 2>/dev/null || echo 0)"
    [ "$have" -ge "$want" ] && break
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "the worker exited; its log:" >&2; tail -50 "$work/worker.log" >&2; exit 1
    fi
    sleep 0.2
  done
  if [ "$have" -ne "$want" ]; then
    echo "expected $want rows in the sink's files, found $have; the worker's log:" >&2
    tail -50 "$work/worker.log" >&2
    curl -s "http://127.0.0.1:$rest_port/connectors?expand=status" >&2 || true
    exit 1
  fi
  echo "hive> SELECT * FROM test_jdbc_users;"
  cat_store "${@:2}"
}

say "3. The rows reach the files, one directory per department"
wait_rows 2
(cd "$store/topics/test_jdbc_users" && ls -d department=*)

say "4. Database change capture: two updates"
sql <<'SQL'
UPDATE users SET email = 'alice@new.abc.com', modified = CURRENT_TIMESTAMP WHERE name='alice';
UPDATE users SET email = 'bob@new.abc.com', modified = CURRENT_TIMESTAMP WHERE name='bob';
SQL
wait_rows 4

say "5. Schema migration: DROP COLUMN name, then two inserts"
sql <<'SQL'
ALTER TABLE users DROP COLUMN name;
INSERT INTO users (email, department) VALUES ('carol@abc.com', 'sales');
INSERT INTO users (email, department) VALUES ('dave@abc.com', 'engineering');
SQL
wait_rows 6 --ddl

echo
echo "Schema versions in the registry:" \
  "$(curl -s "http://127.0.0.1:$registry_port/subjects/test_jdbc_users-value/versions")"
# The header line, read whole (no early-closing pipe, which pipefail would count as failure).
header="$(cat_store | sed -n 1p)"
if printf '%s\n' "$header" | tr '\t' '\n' | grep -qx name; then
  echo "the newest files still have the column 'name'" >&2
  exit 1
fi
status="$(curl -s "http://127.0.0.1:$rest_port/connectors?expand=status")"
if printf '%s' "$status" | grep -q FAILED; then
  echo "a connector or task failed: $status" >&2
  exit 1
fi
echo "Every step arrived; files under $store, the worker's log in $work/worker.log."
if [ $keep -eq 1 ]; then
  echo "The worker keeps running (REST http://127.0.0.1:$rest_port); Ctrl-C to stop."
  wait "$pid"
fi
