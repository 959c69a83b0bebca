//! `bench-worker worker.properties connector.properties…`: `connect-standalone` with the
//! reference plugins plus this crate's `GeneratorSource` and `DiscardSink`, for the
//! framework-overhead figure (B3). The same command as the shipped binary
//! (`connect_runtime::cli::run`), bounded mode included; it logs warnings only.

use std::process::ExitCode;

fn main() -> ExitCode {
    connect_runtime::logging::init("warn");
    let registry = connect_cli::registry().and_then(|mut r| {
        r.register(benches::connectors::plugins())?;
        Ok(r)
    });
    match registry {
        Ok(r) => connect_runtime::cli::run(r, std::env::args().skip(1).collect()),
        Err(e) => {
            eprintln!("cannot assemble the plugins: {}", e.trace());
            ExitCode::FAILURE
        }
    }
}
