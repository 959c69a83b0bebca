//! `connect-standalone worker.properties connector1.properties [connector2.properties …]`:
//! a standalone Kafka Connect worker with the reference plugins of this build.

use std::process::ExitCode;

fn main() -> ExitCode {
    match connect_cli::registry() {
        Ok(registry) => connect_runtime::cli::run(registry, std::env::args().skip(1).collect()),
        Err(e) => {
            eprintln!("cannot assemble the plugins: {}", e.trace());
            ExitCode::FAILURE
        }
    }
}
