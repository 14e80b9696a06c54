//! `switchboard`: the native command line of Switchboard.
//!
//! `main` only parses the arguments and hands them to a command; each command lives in its
//! own file under `commands/` and returns an error for `main` to print. Exit codes: 0 on
//! success, 1 when the input is bad (or an I/O error), 2 for a usage error (from clap).

mod client;
mod commands;
mod input;

use clap::{Parser, Subcommand};
use std::io::Write;
use std::process::ExitCode;

/// Switchboard's MQTT tools.
#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about, propagate_version = false)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode MQTT packets given as hex (or raw bytes) and print each as one line of JSON.
    Decode(commands::decode::DecodeArgs),
    /// Publish a message (or stdin, line by line), like mosquitto_pub.
    Pub(commands::publish::PubArgs),
    /// Subscribe and print what arrives, like mosquitto_sub.
    Sub(commands::subscribe::SubArgs),
    /// Run a demo fleet: devices, chat rooms and alerts.
    Sim(commands::sim::SimArgs),
    /// Measure throughput and latency through a broker.
    Bench(commands::bench::BenchArgs),
}

/// Runs a networked command on a tokio runtime.
fn run_async<F: std::future::Future<Output = Result<(), String>>>(f: F) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let result = runtime.block_on(f);
    // Not a plain drop: that waits for blocking tasks, and tokio reads stdin on one that
    // stays blocked until the next line, which may never come (Ctrl-C on `pub -l`). Every
    // command has finished its network work (DISCONNECT written) before it returns.
    runtime.shutdown_background();
    result
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Decode(args) => commands::decode::run(&args).map_err(|e| e.to_string()),
        Command::Pub(args) => run_async(commands::publish::run(args)),
        Command::Sub(args) => run_async(commands::subscribe::run(args)),
        Command::Sim(args) => run_async(commands::sim::run(args)),
        Command::Bench(args) => run_async(commands::bench::run(args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Not eprintln!: it panics if stderr is gone, and this command never panics.
            let _ = writeln!(std::io::stderr().lock(), "error: {err}");
            ExitCode::FAILURE
        }
    }
}
