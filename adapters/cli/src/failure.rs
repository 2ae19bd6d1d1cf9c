//! Every way the tool can fail, as the closed exit-code table says: the exit code, the
//! `error` value, and how a failure is printed (one JSON object, or one short message).

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use lucca_auth::problem::Problem;
use lucca_auth::token_response::{OAuthError, TokenError, TransportError, TransportErrorKind};
use serde::Serialize;

/// The rows of the exit-code table, without success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitClass {
    /// 1: internal error, or a demo step failed.
    Internal,
    /// 2: usage or configuration error, before any network traffic.
    Usage,
    /// 3: the authorization server refused the client.
    Refused,
    /// 4: transient: network, timeout, 408, 429, 5xx.
    Transient,
    /// 5: invalid answer from a server.
    InvalidAnswer,
    /// 6: the API answered 401 even with a freshly issued token.
    InvalidToken,
    /// 7: the API answered 403.
    InsufficientScope,
    /// 8: the API answered another 4xx.
    ApiError,
}

impl ExitClass {
    /// The process exit code.
    pub const fn code(self) -> u8 {
        match self {
            ExitClass::Internal => 1,
            ExitClass::Usage => 2,
            ExitClass::Refused => 3,
            ExitClass::Transient => 4,
            ExitClass::InvalidAnswer => 5,
            ExitClass::InvalidToken => 6,
            ExitClass::InsufficientScope => 7,
            ExitClass::ApiError => 8,
        }
    }
}

/// A failure of the tool: what the exit code and the JSON object say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The exit-code row.
    pub class: ExitClass,
    /// The `error` value.
    pub error: String,
    /// A human explanation (never a secret, a token or a raw body).
    pub description: Option<String>,
    /// The HTTP status involved, if any.
    pub status: Option<u16>,
    /// Whether trying again later may succeed.
    pub retryable: bool,
    /// The delay a server asked for with `Retry-After`.
    pub retry_after: Option<Duration>,
    /// The scopes a 403 named.
    pub missing_scope: Option<Vec<String>>,
}

/// The JSON shape of a failure, member order as documented.
#[derive(Serialize)]
struct FailureJson<'a> {
    error: &'a str,
    description: Option<&'a str>,
    status: Option<u16>,
    retryable: bool,
    retry_after_s: Option<u64>,
    missing_scope: Option<&'a [String]>,
}

impl Failure {
    /// Every failure is built here, and every text in it that may come from a server (an
    /// OAuth code, a problem's title and detail, an `error_description`, scope names, the
    /// adapter's excerpts of error answers) is made [`terminal_safe`] here, once, for both
    /// the human and the JSON output.
    fn new(class: ExitClass, error: impl Into<String>, description: Option<String>) -> Self {
        Failure {
            class,
            error: terminal_safe(&error.into()),
            description: description.map(|text| terminal_safe(&text)),
            status: None,
            retryable: false,
            retry_after: None,
            missing_scope: None,
        }
    }

    /// Exit 2, `usage`.
    pub fn usage(description: impl Into<String>) -> Self {
        Failure::new(ExitClass::Usage, "usage", Some(description.into()))
    }

    /// Exit 1, `internal`.
    pub fn internal(description: impl Into<String>) -> Self {
        Failure::new(ExitClass::Internal, "internal", Some(description.into()))
    }

    /// Exit 1, `demo_failed`.
    pub fn demo_failed(description: impl Into<String>) -> Self {
        Failure::new(ExitClass::Internal, "demo_failed", Some(description.into()))
    }

    fn with_status(mut self, status: Option<u16>) -> Self {
        self.status = status;
        self
    }

    fn with_retry(mut self, retryable: bool, retry_after: Option<Duration>) -> Self {
        self.retryable = retryable;
        self.retry_after = retry_after;
        self
    }

    /// The process exit code.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.class.code())
    }

    /// `retry_after` in whole seconds, rounded up (a server asking for 1.2 s gets 2).
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after
            .map(|delay| delay.as_secs() + u64::from(delay.subsec_nanos() > 0))
    }

    /// The failure as one JSON object on one line.
    pub fn to_json(&self) -> String {
        let json = FailureJson {
            error: &self.error,
            description: self.description.as_deref(),
            status: self.status,
            retryable: self.retryable,
            retry_after_s: self.retry_after_secs(),
            missing_scope: self.missing_scope.as_deref(),
        };
        serde_json::to_string(&json).unwrap_or_else(|_| {
            String::from(
                r#"{"error":"internal","description":"cannot format the failure","status":null,"retryable":false,"retry_after_s":null,"missing_scope":null}"#,
            )
        })
    }

    /// The failure as a short human message (one or two lines).
    pub fn to_human(&self) -> String {
        let mut text = format!("lucca-auth: error: {}", self.error);
        if let Some(status) = self.status
            && !self
                .description
                .as_deref()
                .is_some_and(|description| description.contains(&format!("HTTP {status}")))
        {
            text.push_str(&format!(" (HTTP {status})"));
        }
        if let Some(description) = &self.description {
            text.push_str(": ");
            text.push_str(description);
        }
        if let Some(scopes) = &self.missing_scope
            && !scopes.is_empty()
            && !text.contains(&scopes.join(" "))
        {
            text.push_str(&format!("\n  missing scope: {}", scopes.join(" ")));
        }
        if let Some(seconds) = self.retry_after_secs() {
            text.push_str(&format!("\n  the server asks to retry after {seconds} s"));
        } else if self.retryable {
            text.push_str("\n  this may work if tried again later");
        }
        text
    }

    /// Prints the failure on stderr (JSON or human) and gives the exit code.
    pub fn report(&self, json: bool) -> ExitCode {
        let text = if json {
            self.to_json()
        } else {
            self.to_human()
        };
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{text}");
        let _ = stderr.flush();
        self.exit_code()
    }

    /// A token request failure.
    pub fn from_token_error(error: &TokenError) -> Self {
        let retryable = error.is_retryable();
        let retry_after = error.retry_after();
        let status = error.status();
        let failure = match error {
            TokenError::OAuth(oauth) => from_oauth_error(oauth, retryable),
            TokenError::UnexpectedStatus { status, .. } => {
                if retryable {
                    Failure::new(
                        ExitClass::Transient,
                        transient_status_error(*status),
                        Some(error.to_string()),
                    )
                } else {
                    Failure::new(
                        ExitClass::InvalidAnswer,
                        "invalid_response",
                        Some(error.to_string()),
                    )
                }
            }
            TokenError::Redirect { .. } => Failure::new(
                ExitClass::InvalidAnswer,
                "unexpected_redirect",
                Some(error.to_string()),
            ),
            TokenError::InvalidResponse(_) => Failure::new(
                ExitClass::InvalidAnswer,
                "invalid_response",
                Some(error.to_string()),
            ),
            TokenError::UnsupportedTokenType { .. } => Failure::new(
                ExitClass::InvalidAnswer,
                "unsupported_token_type",
                Some(error.to_string()),
            ),
            TokenError::ResponseTooLarge { .. } => Failure::new(
                ExitClass::InvalidAnswer,
                "response_too_large",
                Some(error.to_string()),
            ),
            TokenError::UnsupportedContentEncoding { .. } => Failure::new(
                ExitClass::InvalidAnswer,
                "unsupported_content_encoding",
                Some(error.to_string()),
            ),
            TokenError::Transport(transport) => from_transport_error(transport),
            // `TokenError` is non-exhaustive: a kind added later is an invalid answer until
            // this table names it.
            _ => Failure::new(
                ExitClass::InvalidAnswer,
                "invalid_response",
                Some(error.to_string()),
            ),
        };
        failure
            .with_status(status)
            .with_retry(retryable, retry_after)
    }

    /// An API answer of 401 even with a freshly issued token.
    pub fn unauthorized(description: String) -> Self {
        Failure::new(ExitClass::InvalidToken, "invalid_token", Some(description))
            .with_status(Some(401))
    }

    /// An API answer of 403.
    pub fn missing_scope(
        required: &[String],
        description: Option<String>,
        fallback: String,
    ) -> Self {
        let mut failure = Failure::new(
            ExitClass::InsufficientScope,
            "insufficient_scope",
            Some(description.unwrap_or(fallback)),
        )
        .with_status(Some(403));
        failure.missing_scope = Some(required.iter().map(|scope| terminal_safe(scope)).collect());
        failure
    }

    /// An API answer of 429.
    pub fn rate_limited(retry_after: Option<Duration>, description: String) -> Self {
        Failure::new(ExitClass::Transient, "rate_limited", Some(description))
            .with_status(Some(429))
            .with_retry(true, retry_after)
    }

    /// An API answer of 408 or 5xx.
    pub fn transient_status(
        status: u16,
        retry_after: Option<Duration>,
        description: String,
    ) -> Self {
        Failure::new(
            ExitClass::Transient,
            transient_status_error(status),
            Some(description),
        )
        .with_status(Some(status))
        .with_retry(true, retry_after)
    }

    /// An API answer of 3xx.
    pub fn redirect(status: u16, description: String) -> Self {
        Failure::new(
            ExitClass::InvalidAnswer,
            "unexpected_redirect",
            Some(description),
        )
        .with_status(Some(status))
    }

    /// An API answer that is an invalid answer (a status outside 200–599, a bad page).
    pub fn invalid_response(status: Option<u16>, description: String) -> Self {
        Failure::new(
            ExitClass::InvalidAnswer,
            "invalid_response",
            Some(description),
        )
        .with_status(status)
    }

    /// An API answer longer than the client accepts.
    pub fn response_too_large(description: String) -> Self {
        Failure::new(
            ExitClass::InvalidAnswer,
            "response_too_large",
            Some(description),
        )
    }

    /// Any other API 4xx: the problem's title and detail are the description.
    pub fn api_error(status: u16, problem: Option<&Problem>, fallback: String) -> Self {
        if !(400..500).contains(&status) {
            return Failure::invalid_response(Some(status), fallback);
        }
        let description = problem.and_then(problem_text).unwrap_or(fallback);
        Failure::new(ExitClass::ApiError, "api_error", Some(description)).with_status(Some(status))
    }

    /// A transport failure.
    pub fn transport(error: &TransportError) -> Self {
        from_transport_error(error).with_retry(error.kind().is_retryable(), None)
    }
}

/// `text` without what a terminal would act on instead of printing: control characters
/// (C0 such as ESC, BEL, CR and LF, DEL, and C1 such as CSI) and the invisible Unicode
/// formatting characters that reorder or hide text (bidirectional embeddings, overrides and
/// isolates U+202A–U+202E and U+2066–U+2069, the marks U+200E, U+200F and U+061C, the
/// zero-width U+200B–U+200D, U+2060 and U+FEFF). Line and paragraph breaks and tabs
/// (`\t \n \r`, U+000B, U+000C, U+0085, U+2028, U+2029) become one space each, so that
/// words stay apart and a server cannot start a line of its own that looks like ours;
/// everything else is dropped.
///
/// A server's text is shown to a person as text only: an escape sequence in a problem's
/// `title` must not retitle the terminal, clear it, or move the cursor, and a right-to-left
/// override must not make it read backwards.
pub fn terminal_safe(text: &str) -> String {
    sanitize(text, false)
}

/// [`terminal_safe`], but keeping line feeds and tabs (and dropping carriage returns, which
/// would let a line overwrite the one before): for a whole body shown on a terminal.
pub fn terminal_safe_lines(text: &str) -> String {
    sanitize(text, true)
}

fn sanitize(text: &str, keep_lines: bool) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\n' | '\t' if keep_lines => Some(c),
            '\r' if keep_lines => None,
            '\t' | '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
                Some(' ')
            }
            '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'
            | '\u{2066}'..='\u{2069}'
            | '\u{061c}'
            | '\u{feff}' => None,
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// `title: detail`, `title` or `detail`, whichever the problem has.
/// Then the validation errors, if any, in parentheses: `field: message; message` for each
/// field (the messages alone for errors that name no field), at most [`ERRORS_SHOWN`] fields.
fn problem_text(problem: &Problem) -> Option<String> {
    let summary = match (problem.title.as_deref(), problem.detail.as_deref()) {
        (Some(title), Some(detail)) => Some(format!("{title}: {detail}")),
        (Some(text), None) | (None, Some(text)) => Some(text.to_owned()),
        (None, None) => None,
    };
    let mut errors: Vec<String> = problem
        .errors
        .iter()
        .take(ERRORS_SHOWN)
        .map(|(field, messages)| {
            let messages = messages.join("; ");
            if field.is_empty() {
                messages
            } else {
                format!("{field}: {messages}")
            }
        })
        .collect();
    if problem.errors.len() > ERRORS_SHOWN {
        errors.push(format!(
            "and {} more fields",
            problem.errors.len() - ERRORS_SHOWN
        ));
    }
    let errors = (!errors.is_empty()).then(|| errors.join(", "));
    match (summary, errors) {
        (Some(summary), Some(errors)) => Some(format!("{summary} ({errors})")),
        (Some(text), None) | (None, Some(text)) => Some(text),
        (None, None) => None,
    }
}

/// How many fields of a problem's validation errors a failure names.
const ERRORS_SHOWN: usize = 5;

/// The `error` value of a transient status without an OAuth code.
fn transient_status_error(status: u16) -> &'static str {
    match status {
        429 => "rate_limited",
        408 => "timeout",
        _ => "server_error",
    }
}

fn from_oauth_error(error: &OAuthError, retryable: bool) -> Failure {
    let description = error.description.clone();
    if retryable {
        // A 429 is rate limiting whatever code comes with it; on a 5xx the server's code
        // says more than a generic `server_error`.
        let code = if error.status == 429 {
            "rate_limited"
        } else {
            error.code.as_str()
        };
        Failure::new(ExitClass::Transient, code, description)
    } else {
        Failure::new(ExitClass::Refused, error.code.as_str(), description)
    }
}

fn from_transport_error(error: &TransportError) -> Failure {
    let code = match error.kind() {
        TransportErrorKind::Timeout => "timeout",
        _ => "network",
    };
    Failure::new(ExitClass::Transient, code, Some(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_table() {
        let cases = [
            (ExitClass::Internal, 1),
            (ExitClass::Usage, 2),
            (ExitClass::Refused, 3),
            (ExitClass::Transient, 4),
            (ExitClass::InvalidAnswer, 5),
            (ExitClass::InvalidToken, 6),
            (ExitClass::InsufficientScope, 7),
            (ExitClass::ApiError, 8),
        ];
        for (class, code) in cases {
            assert_eq!(class.code(), code, "{class:?}");
        }
    }

    #[test]
    fn json_shape() {
        let failure = Failure::usage("bad \"url\"");
        assert_eq!(
            failure.to_json(),
            r#"{"error":"usage","description":"bad \"url\"","status":null,"retryable":false,"retry_after_s":null,"missing_scope":null}"#
        );
        let failure = Failure::missing_scope(
            &["employees.readonly".to_owned()],
            None,
            "forbidden".to_owned(),
        );
        assert_eq!(
            failure.to_json(),
            r#"{"error":"insufficient_scope","description":"forbidden","status":403,"retryable":false,"retry_after_s":null,"missing_scope":["employees.readonly"]}"#
        );
    }

    #[test]
    fn retry_after_rounds_up() {
        let cases = [
            (Duration::ZERO, 0),
            (Duration::from_secs(30), 30),
            (Duration::from_millis(1200), 2),
            (Duration::from_nanos(1), 1),
        ];
        for (delay, seconds) in cases {
            let failure = Failure::rate_limited(Some(delay), String::new());
            assert_eq!(failure.retry_after_secs(), Some(seconds), "{delay:?}");
        }
    }

    #[test]
    fn transient_statuses() {
        let cases = [
            (429, "rate_limited"),
            (408, "timeout"),
            (500, "server_error"),
            (503, "server_error"),
        ];
        for (status, error) in cases {
            assert_eq!(transient_status_error(status), error, "{status}");
        }
    }

    #[test]
    fn terminal_safe_text() {
        let cases = [
            ("Not Found", "Not Found"),
            ("", ""),
            // OSC (retitle), BEL, CSI clear screen: the escape and the bell go, the rest is
            // harmless text.
            (
                "Not Found\u{1b}]0;pwned\u{7}\u{1b}[2J",
                "Not Found]0;pwned[2J",
            ),
            (
                "line1\r\nlucca-auth: all good",
                "line1  lucca-auth: all good",
            ),
            ("a\tb\u{b}c\u{c}d\u{85}e\u{2028}f\u{2029}g", "a b c d e f g"),
            ("nul\u{0}del\u{7f}", "nuldel"),
            // C1 controls, CSI among them.
            ("\u{80}\u{9b}31m\u{9f}x", "31mx"),
            // Bidirectional overrides, embeddings, isolates and marks.
            ("abc\u{202e}fed\u{202c}", "abcfed"),
            ("\u{202a}\u{202b}\u{202d}x", "x"),
            ("\u{2066}\u{2067}\u{2068}y\u{2069}", "y"),
            ("\u{200e}\u{200f}\u{61c}z", "z"),
            (
                "zero\u{200b}\u{200c}\u{200d}\u{2060}\u{feff}width",
                "zerowidth",
            ),
            // Printable non-ASCII stays.
            ("Congé refusé — 休暇", "Congé refusé — 休暇"),
        ];
        for (text, expected) in cases {
            assert_eq!(terminal_safe(text), expected, "{text:?}");
        }
    }

    #[test]
    fn terminal_safe_lines_keeps_line_feeds_and_tabs() {
        let cases = [
            ("{\n\t\"a\": 1\n}", "{\n\t\"a\": 1\n}"),
            ("a\r\nb\rc", "a\nbc"),
            (
                "{\"items\":[]}\u{1b}]0;pwned\u{7}\u{1b}[2J",
                "{\"items\":[]}]0;pwned[2J",
            ),
            ("x\u{9b}31m\u{202e}y\u{2028}z", "x31my z"),
            ("Congé — 休暇", "Congé — 休暇"),
        ];
        for (text, expected) in cases {
            assert_eq!(terminal_safe_lines(text), expected, "{text:?}");
        }
    }

    #[test]
    fn server_text_is_made_terminal_safe_in_every_failure() {
        let mut problem = Problem::default();
        problem.title = Some("Not Found\u{1b}]0;pwned\u{7}".to_owned());
        problem.detail = Some("line1\r\nlucca-auth: all good\u{202e}".to_owned());
        let failure = Failure::api_error(404, Some(&problem), String::new());
        assert_eq!(
            failure.to_human(),
            "lucca-auth: error: api_error (HTTP 404): Not Found]0;pwned: line1  lucca-auth: all good"
        );
        assert_eq!(
            failure.to_json(),
            r#"{"error":"api_error","description":"Not Found]0;pwned: line1  lucca-auth: all good","status":404,"retryable":false,"retry_after_s":null,"missing_scope":null}"#
        );
        let failure = Failure::missing_scope(
            &["employees.readonly\u{1b}[2J".to_owned()],
            Some("need\u{7} \u{2067}more".to_owned()),
            String::new(),
        );
        assert_eq!(failure.description.as_deref(), Some("need more"));
        assert_eq!(
            failure.missing_scope.as_deref(),
            Some(&["employees.readonly[2J".to_owned()][..])
        );
        let failure = Failure::rate_limited(None, "slow\u{9b}2J down".to_owned());
        assert_eq!(failure.description.as_deref(), Some("slow2J down"));
    }

    #[test]
    fn problem_text_forms() {
        let mut problem = Problem::default();
        assert_eq!(problem_text(&problem), None);
        problem.title = Some("Not Found".to_owned());
        assert_eq!(problem_text(&problem).as_deref(), Some("Not Found"));
        problem.detail = Some("No such resource".to_owned());
        assert_eq!(
            problem_text(&problem).as_deref(),
            Some("Not Found: No such resource")
        );
        let error = |field: &str, messages: &[&str]| {
            (
                field.to_owned(),
                messages.iter().map(|m| (*m).to_owned()).collect::<Vec<_>>(),
            )
        };
        problem.errors = vec![
            error("Api-Version", &["must be a date like 2024-11-01"]),
            error("", &["bad", "worse"]),
        ];
        assert_eq!(
            problem_text(&problem).as_deref(),
            Some(
                "Not Found: No such resource (Api-Version: must be a date like 2024-11-01, \
                 bad; worse)"
            )
        );
        problem.title = None;
        problem.detail = None;
        problem.errors = (0..7).map(|i| error(&format!("f{i}"), &["x"])).collect();
        assert_eq!(
            problem_text(&problem).as_deref(),
            Some("f0: x, f1: x, f2: x, f3: x, f4: x, and 2 more fields")
        );
    }
}
