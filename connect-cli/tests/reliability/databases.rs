//! PostgreSQL and MariaDB as `scripts/test.sh` runs them: SQL through their command-line
//! clients, and stopping and starting the servers for outages.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Postgres,
    MariaDb,
}

impl Db {
    pub fn name(self) -> &'static str {
        match self {
            Db::Postgres => "PostgreSQL",
            Db::MariaDb => "MariaDB",
        }
    }

    /// The URL `scripts/test.sh` exports; the suite fails, saying what to start, without it.
    pub fn url(self) -> String {
        let var = match self {
            Db::Postgres => "CONNECT_TEST_POSTGRES_URL",
            Db::MariaDb => "CONNECT_TEST_MYSQL_URL",
        };
        std::env::var(var).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| {
            panic!("{var} is not set: run scripts/test.sh or scripts/reliability.sh, which start {} and set it", self.name())
        })
    }

    /// Runs `sql`; its rows (tab-separated columns), or `None` when it failed (the server
    /// down, say).
    pub fn query(self, sql: &str) -> Option<Vec<Vec<String>>> {
        let out = match self {
            Db::Postgres => {
                Command::new("psql").args([&self.url(), "-tAq", "-F", "\t", "-c", sql]).output()
            }
            Db::MariaDb => Command::new("mysql")
                .args(["-h", "127.0.0.1", "-uroot", "test", "-N", "-B", "-e", sql])
                .output(),
        }
        .unwrap_or_else(|e| {
            panic!("the {} client: {e} (scripts/test.sh installs it)", self.name())
        });
        out.status.success().then(|| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| !l.is_empty())
                .map(|l| l.split('\t').map(str::to_string).collect())
                .collect()
        })
    }

    /// As [`Db::query`], failing the scenario when the server does not answer.
    pub fn exec(self, sql: &str) -> Vec<Vec<String>> {
        self.query(sql).unwrap_or_else(|| panic!("{} failed: {sql}", self.name()))
    }

    /// An auto-numbered primary key column.
    pub fn serial_key(self) -> &'static str {
        match self {
            Db::Postgres => "BIGSERIAL PRIMARY KEY",
            Db::MariaDb => "BIGINT AUTO_INCREMENT PRIMARY KEY",
        }
    }

    /// The current time, to the microsecond, as a column value.
    pub fn now(self) -> &'static str {
        match self {
            Db::Postgres => "clock_timestamp()",
            Db::MariaDb => "CURRENT_TIMESTAMP(6)",
        }
    }

    /// Stops the server (a fast shutdown: connections are cut).
    pub fn stop(self) {
        let ok = match self {
            Db::Postgres => Command::new("pg_ctlcluster")
                .args(["--skip-systemctl-redirect", &pg_version(), "main", "stop", "-m", "fast"])
                .stdout(Stdio::null())
                .status(),
            Db::MariaDb => {
                Command::new("mysqladmin").args(["-h", "127.0.0.1", "-uroot", "shutdown"]).status()
            }
        }
        .map(|s| s.success());
        assert!(matches!(ok, Ok(true)), "stopping {} failed", self.name());
        assert!(self.query("SELECT 1").is_none(), "{} still answers", self.name());
        eprintln!("fault: {} stopped", self.name());
    }

    /// Starts the server again and waits until it answers.
    pub fn start(self) {
        let _ = match self {
            Db::Postgres => Command::new("pg_ctlcluster")
                .args(["--skip-systemctl-redirect", &pg_version(), "main", "start"])
                .stdout(Stdio::null())
                .status(),
            Db::MariaDb => Command::new("start-stop-daemon")
                .args([
                    "--start",
                    "--oknodo",
                    "--background",
                    "--exec",
                    "/usr/sbin/mariadbd",
                    "--",
                    "--user=mysql",
                ])
                .status(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.query("SELECT 1").is_none() {
            assert!(Instant::now() < deadline, "{} did not come back within 60 s", self.name());
            std::thread::sleep(Duration::from_millis(200));
        }
        eprintln!("fault over: {} started again", self.name());
    }
}

/// Starts the server again if a scenario left it stopped, however it ended.
pub struct Restarts(pub Db);

impl Drop for Restarts {
    fn drop(&mut self) {
        // Never panicking here: this may run while a failed assertion unwinds.
        if self.0.query("SELECT 1").is_none()
            && std::panic::catch_unwind(|| self.0.start()).is_err()
        {
            eprintln!("{} could not be started again; later tests will fail", self.0.name());
        }
    }
}

fn pg_version() -> String {
    std::fs::read_dir("/etc/postgresql")
        .unwrap_or_else(|e| {
            panic!("/etc/postgresql: {e}; run scripts/test.sh, which installs PostgreSQL")
        })
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .max_by_key(|v| v.parse::<u32>().unwrap_or(0))
        .expect("a PostgreSQL cluster under /etc/postgresql")
}
