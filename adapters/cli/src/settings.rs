//! Turns the global options and the environment into a checked client configuration, before
//! any network traffic: every problem here is a usage error (exit 2).

use std::ffi::OsString;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use lucca_auth::config::{ApiVersion, ClientAuthMethod, ClientCredentials, LuccaConfig, UserAgent};
use lucca_auth::endpoint::{TenantHost, TokenEndpoint};
use lucca_auth::scope::Scopes;
use lucca_auth::secret::{ClientId, ClientSecret};

use crate::failure::Failure;
use crate::options::{ClientAuth, GlobalOptions};

/// The environment variable holding the client secret.
pub const SECRET_VARIABLE: &str = "LUCCA_CLIENT_SECRET";

/// The longest client secret accepted, in bytes, after the one trailing line break that is
/// ignored: from a file, standard input or the environment alike. Lucca's client secrets
/// are a few dozen characters; anything this long is the wrong file (or `/dev/zero`), and
/// is refused before it is read whole or sent anywhere.
pub const MAX_SECRET_BYTES: usize = 4096;

/// The tenant used by `token` when no host is given: `token` never calls the API, so this
/// origin is never contacted.
const UNUSED_TENANT: &str = "https://tenant-not-needed.invalid";

/// The `User-Agent` of the command-line tool.
const USER_AGENT: &str = concat!("lucca-auth-cli/", env!("CARGO_PKG_VERSION"));

/// Whether a subcommand calls the API (and so needs `--host`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostNeed {
    /// Only the token endpoint is called.
    TokenOnly,
    /// The API is called too.
    Api,
}

/// A checked configuration for `token` and `get`.
#[derive(Debug)]
pub struct Settings {
    /// Everything the client is built from (its `Debug` redacts the secret).
    pub config: LuccaConfig,
    /// The longest total wait on `Retry-After` and transient failures.
    pub wait_max: Duration,
    /// The per-request timeout asked for by the hidden test hook, if any.
    pub timeout: Option<Duration>,
}

/// Where the secret comes from, after the flags beat the environment.
enum SecretSource<'a> {
    File(&'a Path),
    Stdin,
    Environment(OsString),
}

impl Settings {
    /// Checks every option; reads the secret last, once everything else is known good.
    ///
    /// # Errors
    /// A usage [`Failure`] naming the first problem found.
    pub fn resolve(options: &GlobalOptions, need: HostNeed) -> Result<Self, Failure> {
        refuse_secret_argument(options)?;
        let client_id = match options.client_id.as_deref().map(str::trim) {
            Some(id) if !id.is_empty() => ClientId::new(id),
            Some(_) => return Err(Failure::usage("the client id is empty")),
            None => {
                return Err(Failure::usage(
                    "no client id: pass --client-id or set LUCCA_CLIENT_ID",
                ));
            }
        };
        let token_endpoint = match options.token_url.as_deref() {
            Some(url) => TokenEndpoint::parse(url.trim()).map_err(|error| {
                Failure::usage(format!(
                    "invalid token URL (--token-url / LUCCA_TOKEN_URL): {error}"
                ))
            })?,
            None => TokenEndpoint::default(),
        };
        let tenant = match (options.host.as_deref(), need) {
            (Some(host), _) => TenantHost::parse(host.trim()).map_err(|error| {
                Failure::usage(format!("invalid host (--host / LUCCA_HOST): {error}"))
            })?,
            (None, HostNeed::Api) => {
                return Err(Failure::usage(
                    "no tenant host: pass --host or set LUCCA_HOST (like https://example.ilucca.net)",
                ));
            }
            (None, HostNeed::TokenOnly) => TenantHost::parse(UNUSED_TENANT)
                .map_err(|error| Failure::internal(format!("placeholder tenant: {error}")))?,
        };
        let api_version = match options.api_version.as_deref() {
            Some(version) => parse_api_version(version.trim())?,
            None => ApiVersion::default(),
        };
        let scopes = parse_scopes(&options.scopes)?;
        let method = match options.client_auth {
            None | Some(ClientAuth::Body) => ClientAuthMethod::RequestBody,
            Some(ClientAuth::Basic) => ClientAuthMethod::HttpBasic,
        };
        let user_agent = UserAgent::new(USER_AGENT)
            .map_err(|error| Failure::internal(format!("user agent: {error}")))?;
        let timeout = match options.timeout_ms {
            Some(0) => return Err(Failure::usage("the timeout must be at least 1 ms")),
            Some(ms) => Some(Duration::from_millis(ms)),
            None => None,
        };
        let secret = read_secret(options)?;
        let credentials = ClientCredentials::new(client_id, secret).with_method(method);
        let config = LuccaConfig::new(credentials, tenant)
            .with_token_endpoint(token_endpoint)
            .with_scopes(scopes)
            .with_api_version(api_version)
            .with_user_agent(user_agent);
        Ok(Settings {
            config,
            wait_max: Duration::from_secs(options.wait_max),
            timeout,
        })
    }
}

/// The hidden `--client-secret` exists only to say why it is refused, without echoing the
/// value the way a generic "unexpected argument" error would.
///
/// # Errors
/// A usage [`Failure`] whenever `--client-secret` was given.
pub fn refuse_secret_argument(options: &GlobalOptions) -> Result<(), Failure> {
    if options.client_secret_argument.is_some() {
        return Err(Failure::usage(
            "the client secret is never accepted as an argument (arguments are visible to \
             every user of the machine): set LUCCA_CLIENT_SECRET, or use \
             --client-secret-file PATH or --client-secret-stdin",
        ));
    }
    Ok(())
}

/// `--scope` values (each possibly space-separated, the environment's too) as one set.
fn parse_scopes(values: &[String]) -> Result<Scopes, Failure> {
    let joined = values.join(" ");
    Scopes::parse_space_separated(&joined)
        .map_err(|error| Failure::usage(format!("invalid scope (--scope / LUCCA_SCOPE): {error}")))
}

/// Reads the secret from the one source in force: a flag, else the environment.
fn read_secret(options: &GlobalOptions) -> Result<ClientSecret, Failure> {
    let source = match (&options.client_secret_file, options.client_secret_stdin) {
        (Some(_), true) => {
            return Err(Failure::usage(
                "the client secret is given twice: use only one of --client-secret-file and \
                 --client-secret-stdin",
            ));
        }
        (Some(path), false) => SecretSource::File(path),
        (None, true) => SecretSource::Stdin,
        (None, false) => match std::env::var_os(SECRET_VARIABLE) {
            Some(value) => SecretSource::Environment(value),
            None => {
                return Err(Failure::usage(
                    "no client secret: set LUCCA_CLIENT_SECRET, or use --client-secret-file \
                     PATH or --client-secret-stdin",
                ));
            }
        },
    };
    let (mut secret, origin) = match source {
        SecretSource::File(path) => (read_secret_file(path)?, "the client secret file"),
        SecretSource::Stdin => {
            let bytes =
                read_capped(std::io::stdin().lock(), "standard input").map_err(|error| {
                    error.into_failure(|kind| {
                        format!("cannot read the client secret from standard input: {kind}")
                    })
                })?;
            (into_text(bytes, "standard input")?, "standard input")
        }
        SecretSource::Environment(value) => {
            // The limit applies after the one line break that is ignored, as for a file.
            if value.len() > MAX_SECRET_BYTES + 2 {
                return Err(too_large(SECRET_VARIABLE));
            }
            match value.into_string() {
                Ok(text) => (text, SECRET_VARIABLE),
                Err(_) => {
                    return Err(Failure::usage(format!(
                        "{SECRET_VARIABLE} is not valid UTF-8"
                    )));
                }
            }
        }
    };
    strip_one_line_break(&mut secret);
    if secret.len() > MAX_SECRET_BYTES {
        wipe(secret.into_bytes());
        return Err(too_large(origin));
    }
    let secret = ClientSecret::new(secret);
    if secret.secret().is_empty() {
        return Err(Failure::usage(format!(
            "the client secret from {origin} is empty"
        )));
    }
    Ok(secret)
}

/// The `Api-Version` from `--api-version` / `LUCCA_API_VERSION`: safe in a header field and
/// a calendar date `YYYY-MM-DD`, the form of every Lucca API version. (The core accepts any
/// header-safe value, so that a future version scheme needs no library change; the tool
/// refuses a typo before it reaches the API, which would answer it with a 400.)
fn parse_api_version(version: &str) -> Result<ApiVersion, Failure> {
    let invalid = |why: &dyn std::fmt::Display| {
        Failure::usage(format!(
            "invalid API version (--api-version / LUCCA_API_VERSION): {why}"
        ))
    };
    let api_version = ApiVersion::new(version).map_err(|error| invalid(&error))?;
    if !is_calendar_date(version) {
        return Err(invalid(&"not a date like 2024-11-01"));
    }
    Ok(api_version)
}

/// Whether `text` is exactly `YYYY-MM-DD` and names a day that exists (leap years included).
fn is_calendar_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = bytes.get(range)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let (Some(year), Some(month), Some(day)) = (digits(0..4), digits(5..7), digits(8..10)) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// Reads the secret file: only a regular file (a symbolic link to one is fine), at most
/// [`MAX_SECRET_BYTES`] (and one line break).
///
/// The file type is checked before the file is opened: opening a FIFO blocks until someone
/// writes to it, and a device like `/dev/zero` never ends. It is checked again on the open
/// file, in case the path was replaced in between.
fn read_secret_file(path: &Path) -> Result<String, Failure> {
    let cannot_read = |kind: std::io::ErrorKind| {
        format!(
            "cannot read the client secret file {}: {kind}",
            path.display()
        )
    };
    let not_regular = || {
        Failure::usage(format!(
            "the client secret file {} is not a regular file",
            path.display()
        ))
    };
    let metadata =
        std::fs::metadata(path).map_err(|error| Failure::usage(cannot_read(error.kind())))?;
    if !metadata.is_file() {
        return Err(not_regular());
    }
    let file =
        std::fs::File::open(path).map_err(|error| Failure::usage(cannot_read(error.kind())))?;
    let metadata = file
        .metadata()
        .map_err(|error| Failure::usage(cannot_read(error.kind())))?;
    if !metadata.is_file() {
        return Err(not_regular());
    }
    let bytes = read_capped(file, "the client secret file")
        .map_err(|error| error.into_failure(cannot_read))?;
    into_text(bytes, "the client secret file")
}

/// Why [`read_capped`] gave up.
enum CappedReadError {
    /// More than the secret and a line break: the usage failure, ready.
    TooLarge(Failure),
    /// The read itself failed.
    Io(std::io::ErrorKind),
}

impl CappedReadError {
    /// The usage failure, with `describe` wording an I/O error.
    fn into_failure(self, describe: impl FnOnce(std::io::ErrorKind) -> String) -> Failure {
        match self {
            CappedReadError::TooLarge(failure) => failure,
            CappedReadError::Io(kind) => Failure::usage(describe(kind)),
        }
    }
}

/// Reads at most [`MAX_SECRET_BYTES`] and a line break from `source`, into one buffer
/// allocated up front (so that no copy of the secret is left behind by a reallocation).
/// Anything longer is refused without reading the rest.
fn read_capped(source: impl Read, origin: &str) -> Result<Vec<u8>, CappedReadError> {
    let limit = MAX_SECRET_BYTES + 2;
    let mut bytes = Vec::with_capacity(limit + 1);
    // `limit + 1` fits in a `u64` on every platform Rust supports.
    let take = u64::try_from(limit + 1).unwrap_or(u64::MAX);
    if let Err(error) = source.take(take).read_to_end(&mut bytes) {
        wipe(bytes);
        return Err(CappedReadError::Io(error.kind()));
    }
    if bytes.len() > limit {
        wipe(bytes);
        return Err(CappedReadError::TooLarge(too_large(origin)));
    }
    Ok(bytes)
}

/// The usage failure for a secret longer than [`MAX_SECRET_BYTES`].
fn too_large(origin: &str) -> Failure {
    Failure::usage(format!(
        "the client secret from {origin} is longer than {MAX_SECRET_BYTES} bytes (Lucca \
         client secrets are much shorter)"
    ))
}

/// Overwrites bytes that may hold (part of) a secret before they are dropped.
fn wipe(mut bytes: Vec<u8>) {
    bytes.iter_mut().for_each(|byte| *byte = 0);
    // Keep the writes from being optimised away as dead stores.
    std::hint::black_box(&bytes);
}

/// The bytes as text, moved (not copied) so that the secret lives in one buffer only.
fn into_text(bytes: Vec<u8>, origin: &str) -> Result<String, Failure> {
    String::from_utf8(bytes).map_err(|error| {
        // Wipe the rejected bytes before they are dropped.
        wipe(error.into_bytes());
        Failure::usage(format!(
            "the client secret from {origin} is not valid UTF-8"
        ))
    })
}

/// Removes one trailing `\n` or `\r\n` in place (files and pipes usually end with one).
fn strip_one_line_break(text: &mut String) {
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_break_is_stripped() {
        let cases = [
            ("s3cr3t\n", "s3cr3t"),
            ("s3cr3t\r\n", "s3cr3t"),
            ("s3cr3t", "s3cr3t"),
            ("s3cr3t\n\n", "s3cr3t\n"),
            (" s3 cr3t \n", " s3 cr3t "),
            ("\n", ""),
            ("", ""),
        ];
        for (input, expected) in cases {
            let mut text = input.to_owned();
            strip_one_line_break(&mut text);
            assert_eq!(text, expected, "{input:?}");
        }
    }

    #[test]
    fn api_versions_are_calendar_dates() {
        let cases = [
            ("2024-11-01", true),
            ("2025-06-30", true),
            ("2024-02-29", true),
            ("2000-02-29", true),
            ("2023-02-29", false),
            ("1900-02-29", false),
            ("2024-13-01", false),
            ("2024-00-10", false),
            ("2024-04-31", false),
            ("2024-01-00", false),
            ("2024-1-01", false),
            ("2024/11/01", false),
            ("2024-11-01x", false),
            ("garbage", false),
            ("", false),
            ("２０２４-11-01", false),
        ];
        for (text, date) in cases {
            assert_eq!(is_calendar_date(text), date, "{text:?}");
        }
    }

    #[test]
    fn secrets_are_read_up_to_the_limit() {
        // (bytes offered, accepted): the limit is the secret plus a `\r\n`; an endless
        // source is cut off one byte past the limit.
        let cases = [
            (0, true),
            (1, true),
            (MAX_SECRET_BYTES, true),
            (MAX_SECRET_BYTES + 2, true),
            (MAX_SECRET_BYTES + 3, false),
            (2 * 1024 * 1024, false),
        ];
        for (length, accepted) in cases {
            let source = vec![b'a'; length];
            match read_capped(source.as_slice(), "the test") {
                Ok(bytes) => {
                    assert!(accepted, "{length}");
                    assert_eq!(bytes.len(), length);
                }
                Err(CappedReadError::TooLarge(failure)) => {
                    assert!(!accepted, "{length}");
                    assert_eq!(
                        failure.description.as_deref(),
                        Some(
                            "the client secret from the test is longer than 4096 bytes (Lucca \
                             client secrets are much shorter)"
                        )
                    );
                }
                Err(CappedReadError::Io(kind)) => panic!("{length}: {kind}"),
            }
        }
        let endless = std::io::repeat(0);
        assert!(matches!(
            read_capped(endless, "the test"),
            Err(CappedReadError::TooLarge(_))
        ));
    }

    #[test]
    fn scopes_are_joined_and_split() {
        let cases: &[(&[&str], Result<&str, ()>)] = &[
            (&[], Ok("")),
            (&["a"], Ok("a")),
            (&["a b", "c"], Ok("a b c")),
            (&["  a  ", "a"], Ok("a")),
            (&["a\"b"], Err(())),
            (&["a\tb"], Err(())),
        ];
        for (values, expected) in cases {
            let values: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
            let result = parse_scopes(&values).map(|s| s.to_space_separated());
            match expected {
                Ok(text) => assert_eq!(result.ok().as_deref(), Some(*text), "{values:?}"),
                Err(()) => assert!(result.is_err(), "{values:?}"),
            }
        }
    }
}
