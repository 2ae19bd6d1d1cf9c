//! `lucca-auth`: OAuth 2.0 client-credentials tokens and API calls for the Lucca HR API, a
//! local Lucca sandbox, and a narrated end-to-end demo.
//!
//! See the crate's README for the options, the environment variables and the exit-code
//! table; `lucca-auth --help` shows the same table.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// The options' doc comments are also their `--help` text, where `<https://…>` would print
// the angle brackets: URLs stay bare there.
#![allow(rustdoc::bare_urls)]

mod client;
mod commands;
mod failure;
mod options;
mod settings;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use crate::failure::Failure;
use crate::options::Cli;

fn main() -> ExitCode {
    let arguments: Vec<OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&arguments) {
        Ok(cli) => cli,
        Err(error) => return command_line_error(&error, wants_json(&arguments)),
    };
    let json = cli.global.json;
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(json),
    }
}

/// Whether `--json` is among the arguments (before a `--`), for errors clap reports before
/// the options are known.
fn wants_json(arguments: &[OsString]) -> bool {
    arguments
        .iter()
        .skip(1)
        .take_while(|argument| *argument != "--")
        .any(|argument| argument == "--json")
}

/// `--help` and `--version` print and succeed; every other clap error is a usage error
/// (exit 2), printed as clap words it, or as the JSON failure object with `--json`.
fn command_line_error(error: &clap::Error, json: bool) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            ExitCode::SUCCESS
        }
        _ => {
            let rendered = error.render().to_string();
            if json {
                let first_line = rendered.lines().next().unwrap_or_default();
                let description = first_line.strip_prefix("error: ").unwrap_or(first_line);
                Failure::usage(description).report(true)
            } else {
                let _ = error.print();
                Failure::usage(String::new()).exit_code()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_flag_is_found_before_the_terminator() {
        let cases: &[(&[&str], bool)] = &[
            (&["lucca-auth", "token", "--json"], true),
            (&["lucca-auth", "--json", "token"], true),
            (&["lucca-auth", "get", "--", "--json"], false),
            (&["lucca-auth", "token"], false),
            (&["--json"], false),
        ];
        for (arguments, expected) in cases {
            let arguments: Vec<OsString> = arguments.iter().map(OsString::from).collect();
            assert_eq!(wants_json(&arguments), *expected, "{arguments:?}");
        }
    }

    #[test]
    fn command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
