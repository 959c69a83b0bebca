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

TANSU_VERSION=0.6.0

ensure_tansu() {
  # The durable Kafka-protocol broker for tests (../shared/design.md §6 B). About 20 minutes
  # to compile the first time; installed outside the checkout and reused afterwards.
  local bin="${CARGO_HOME:-$HOME/.cargo}/bin/tansu"
  if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "$TANSU_VERSION"; then
    TANSU_BIN="$bin"
    return
  fi
  log "installing tansu $TANSU_VERSION (first time only, about 20 minutes)"
  cargo install tansu --version "$TANSU_VERSION" --locked --features dynostore,libsql >&2
  TANSU_BIN="$bin"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

start_tansu() {
  # Starts tansu with SQLite storage in a fresh data directory; exports
  # CONNECT_TEST_BOOTSTRAP and CONNECT_TEST_TANSU for the tests.
  ensure_tansu
  local dir port
  dir="$(mktemp -d "${TMPDIR:-/tmp}/connect-tansu.XXXXXX")"
  port="$(free_port)"
  log "starting tansu on 127.0.0.1:$port (data in $dir)"
  ( cd "$dir" && exec "$TANSU_BIN" broker \
      --listener-url "tcp://127.0.0.1:$port" \
      --advertised-listener-url "tcp://127.0.0.1:$port" \
      --storage-engine 'sqlite://tansu.db?maintenance_interval=5s' ) > "$dir/broker.log" 2>&1 &
  TANSU_PID=$!
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      export CONNECT_TEST_BOOTSTRAP="127.0.0.1:$port"
      export CONNECT_TEST_TANSU="$TANSU_BIN"
      return
    fi
    kill -0 "$TANSU_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "tansu did not start; its log:" >&2
  cat "$dir/broker.log" >&2
  exit 1
}

stop_tansu() {
  [ -n "${TANSU_PID:-}" ] && kill "$TANSU_PID" 2>/dev/null && wait "$TANSU_PID" 2>/dev/null
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
