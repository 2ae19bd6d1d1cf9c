//! `lucca-auth get PATH [--all-pages]`: GET a path on the tenant host and print the body.

use std::borrow::Cow;
use std::io::IsTerminal;

use crate::client::{build_client, failure_from_client_error};
use crate::failure::{Failure, terminal_safe_lines};
use crate::options::GlobalOptions;
use crate::settings::{HostNeed, Settings};

use super::write_stdout;

/// GETs `path` and prints the body, or with `all_pages` every item of every page as one JSON
/// line.
///
/// # Errors
/// A usage failure before any request (including a path that is not host-absolute), or the
/// request's failure.
pub fn run(options: &GlobalOptions, path: &str, all_pages: bool) -> Result<(), Failure> {
    let settings = Settings::resolve(options, HostNeed::Api)?;
    settings.config.tenant.url_for(path).map_err(|error| {
        Failure::usage(format!(
            "invalid path {path:?}: {error} (give a host-absolute path like /lucca-api/leaves)"
        ))
    })?;
    let client = build_client(&settings);
    let terminal = std::io::stdout().is_terminal();
    if all_pages {
        for item in client.pages(path) {
            let item = item.map_err(|error| failure_from_client_error(&error))?;
            let mut line = serde_json::to_string(&item)
                .map_err(|_| Failure::internal("cannot format an item"))?;
            line.push('\n');
            write_stdout(&shown(line.as_bytes(), terminal))?;
        }
        return Ok(());
    }
    let response = client
        .get(path)
        .send()
        .map_err(|error| failure_from_client_error(&error))?;
    let body = response.body();
    write_stdout(&shown(body, terminal))?;
    if !body.is_empty() && !body.ends_with(b"\n") {
        write_stdout(b"\n")?;
    }
    Ok(())
}

/// What is written of `body`: as received into a pipe or a file (the data, unchanged), and
/// made [`terminal_safe_lines`] on a terminal, where an escape sequence or a bidirectional
/// override in the server's answer would act instead of being shown.
fn shown(body: &[u8], terminal: bool) -> Cow<'_, [u8]> {
    if terminal {
        Cow::Owned(terminal_safe_lines(&String::from_utf8_lossy(body)).into_bytes())
    } else {
        Cow::Borrowed(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_made_safe_on_a_terminal_only() {
        let body = "{\"items\":[]}\u{1b}]0;pwned\u{7}\u{1b}[2J\n".as_bytes();
        assert_eq!(&shown(body, false)[..], body);
        assert_eq!(&shown(body, true)[..], b"{\"items\":[]}]0;pwned[2J\n");
        // Bytes that are not UTF-8 are shown as U+FFFD on a terminal.
        assert_eq!(&shown(b"a\xffb", true)[..], "a\u{fffd}b".as_bytes());
        assert_eq!(&shown(b"a\xffb", false)[..], b"a\xffb");
    }
}
