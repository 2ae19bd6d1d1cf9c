//! The subcommands, one module each.

mod demo;
mod get;
mod sandbox;
mod token;

use std::io::Write;

use crate::failure::Failure;
use crate::options::{Cli, Command};
use crate::settings::refuse_secret_argument;

/// Runs the subcommand the command line names.
///
/// # Errors
/// The [`Failure`] to report.
pub fn run(cli: Cli) -> Result<(), Failure> {
    refuse_secret_argument(&cli.global)?;
    match cli.command {
        Command::Token { reveal } => token::run(&cli.global, reveal),
        Command::Get { path, all_pages } => get::run(&cli.global, &path, all_pages),
        Command::Sandbox {
            port,
            token_lifetime,
        } => sandbox::run(&cli.global, port, token_lifetime),
        Command::Demo => demo::run(&cli.global),
    }
}

/// Writes `bytes` to stdout and flushes. When the reader has gone (`lucca-auth get … | head`),
/// the process ends at once with exit 0, quietly, as Unix filters do: nobody wants the rest.
/// Any other write failure is an internal failure.
fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(error) => Err(Failure::internal(format!(
            "cannot write to standard output: {}",
            error.kind()
        ))),
    }
}
