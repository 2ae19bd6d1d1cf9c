//! `lucca-auth get PATH [--all-pages]`: GET a path on the tenant host and print the body.

use crate::client::{build_client, failure_from_client_error};
use crate::failure::Failure;
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
    if all_pages {
        for item in client.pages(path) {
            let item = item.map_err(|error| failure_from_client_error(&error))?;
            let mut line = serde_json::to_string(&item)
                .map_err(|_| Failure::internal("cannot format an item"))?;
            line.push('\n');
            write_stdout(line.as_bytes())?;
        }
        return Ok(());
    }
    let response = client
        .get(path)
        .send()
        .map_err(|error| failure_from_client_error(&error))?;
    let body = response.body();
    write_stdout(body)?;
    if !body.is_empty() && !body.ends_with(b"\n") {
        write_stdout(b"\n")?;
    }
    Ok(())
}
