//! `connect-distributed worker.properties`: a worker of a Kafka Connect cluster with the
//! reference plugins of this build.

use std::process::ExitCode;

fn main() -> ExitCode {
    match connect_cli::registry() {
        Ok(registry) => {
            connect_runtime::cli::run_distributed(registry, std::env::args().skip(1).collect())
        }
        Err(e) => {
            eprintln!("cannot assemble the plugins: {}", e.trace());
            ExitCode::FAILURE
        }
    }
}
