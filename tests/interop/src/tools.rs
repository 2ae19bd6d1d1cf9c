//! Whether the tools the peers need exist here, and the skip policy built on it.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::peer::PeerKind;

const NODE: &str = "node";
const NPM: &str = "npm";
const PYTHON: &str = "python3 (with venv)";

/// The tools the peers need that cannot be run here: any of `node`, `npm` and
/// `python3 (with venv)`. Checked once per process by running them.
pub fn missing_tools() -> Vec<&'static str> {
    static MISSING: OnceLock<Vec<&'static str>> = OnceLock::new();
    MISSING
        .get_or_init(|| {
            let checks: [(&'static str, &str, &[&str]); 3] = [
                (NODE, "node", &["--version"]),
                (NPM, "npm", &["--version"]),
                (PYTHON, "python3", &["-c", "import venv, ensurepip"]),
            ];
            checks
                .into_iter()
                .filter(|(_, program, args)| !runs(program, args))
                .map(|(name, _, _)| name)
                .collect()
        })
        .clone()
}

/// The tools `kind` needs that cannot be run here (see [`missing_tools`]).
pub fn missing_tools_for(kind: PeerKind) -> Vec<&'static str> {
    let needed: &[&str] = match kind {
        PeerKind::OidcProvider => &[NODE, NPM],
        PeerKind::Authlib => &[PYTHON],
    };
    missing_tools()
        .into_iter()
        .filter(|tool| needed.contains(tool))
        .collect()
}

/// Whether every tool both peers need exists here (see [`missing_tools`]).
pub fn peers_available() -> bool {
    missing_tools().is_empty()
}

/// The skip policy of the interop tests: returns `true` when both peers can run. When a
/// tool is missing it prints a loud SKIP line naming `test` (straight to the process's
/// stderr, so the test harness does not swallow it) and returns `false`, except under
/// `CI=true`, where a missing tool fails the test instead.
///
/// ```no_run
/// if !lucca_auth_interop::peers_or_skip("token_via_body") {
///     return;
/// }
/// ```
///
/// # Panics
/// When a tool is missing and the environment variable `CI` is `true`.
pub fn peers_or_skip(test: &str) -> bool {
    skip_unless_empty(test, &missing_tools())
}

/// [`peers_or_skip`] for a test that needs only the peer `kind`.
///
/// # Panics
/// When a tool `kind` needs is missing and the environment variable `CI` is `true`.
pub fn peer_or_skip(kind: PeerKind, test: &str) -> bool {
    skip_unless_empty(test, &missing_tools_for(kind))
}

fn skip_unless_empty(test: &str, missing: &[&str]) -> bool {
    if missing.is_empty() {
        return true;
    }
    let message = format!(
        "interop test `{test}` needs {}, which cannot be run here",
        missing.join(", ")
    );
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{message} (never skipped under CI=true)"
    );
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIP *** {message}: install them to run the interop suite (CI=true fails instead)\n"
    );
    false
}

fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
