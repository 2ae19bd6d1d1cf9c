//! Installing each peer's dependencies under the workspace `target/` directory, once.
//!
//! A marker file holding the exact manifest contents the installation was made from says
//! whether an installation is current; a file lock (`target/interop/<peer>.lock`) makes
//! parallel test binaries wait for one another instead of installing twice, and a mutex does
//! the same for threads of one process.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, PoisonError};

use crate::error::PeerError;
use crate::peer::PeerKind;

const MARKER: &str = ".lucca-interop-installed";

/// How to run an installed peer.
pub(crate) struct Launch {
    pub(crate) program: PathBuf,
    pub(crate) script: PathBuf,
    pub(crate) dir: PathBuf,
}

/// The peers' sources: `tests/interop/peers`.
pub(crate) fn peers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peers")
}

/// The workspace `target/` directory: `CARGO_TARGET_DIR` when set (a relative one is taken
/// from the workspace root), else `target` at the workspace root.
fn target_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..");
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir),
        Some(dir) => workspace.join(dir),
        None => workspace.join("target"),
    }
}

/// Installs `kind` if its installation is missing or stale, and says how to run it.
pub(crate) fn ensure(kind: PeerKind) -> Result<Launch, PeerError> {
    static IN_PROCESS: Mutex<()> = Mutex::new(());
    let _thread_guard = IN_PROCESS.lock().unwrap_or_else(PoisonError::into_inner);

    let root = target_dir().join("interop");
    fs::create_dir_all(&root)
        .map_err(|e| PeerError::io(format!("creating {}", root.display()), e))?;
    let lock_path = root.join(format!("{}.lock", kind.name()));
    let lock = File::create(&lock_path)
        .map_err(|e| PeerError::io(format!("opening {}", lock_path.display()), e))?;
    lock.lock()
        .map_err(|e| PeerError::io(format!("locking {}", lock_path.display()), e))?;
    let launch = match kind {
        PeerKind::OidcProvider => ensure_oidc_provider(&root.join("oidc-provider")),
        PeerKind::Authlib => ensure_authlib(&root.join("authlib-venv")),
    };
    drop(lock);
    launch
}

fn ensure_oidc_provider(dir: &Path) -> Result<Launch, PeerError> {
    let source = peers_dir().join("oidc-provider");
    let manifest = read(&source.join("package.json"))?;
    let lockfile = read(&source.join("package-lock.json"))?;
    let wanted = format!("{manifest}\n{lockfile}");
    let installed = dir
        .join("node_modules")
        .join("oidc-provider")
        .join("package.json")
        .is_file();
    if !installed || !marker_matches(dir, &wanted) {
        fs::create_dir_all(dir)
            .map_err(|e| PeerError::io(format!("creating {}", dir.display()), e))?;
        remove_marker(dir)?;
        write_if_changed(&dir.join("package.json"), &manifest)?;
        write_if_changed(&dir.join("package-lock.json"), &lockfile)?;
        run(
            Command::new("npm")
                .args([
                    "ci",
                    "--no-audit",
                    "--no-fund",
                    "--prefer-offline",
                    "--loglevel=error",
                ])
                .current_dir(dir),
            "npm ci",
        )?;
        write_if_changed(&dir.join(MARKER), &wanted)?;
    }
    // Node resolves `oidc-provider` from the script's own folder, so the script runs from here.
    let script = dir.join("server.mjs");
    write_if_changed(&script, &read(&source.join("server.mjs"))?)?;
    Ok(Launch {
        program: PathBuf::from("node"),
        script,
        dir: dir.to_path_buf(),
    })
}

fn ensure_authlib(venv: &Path) -> Result<Launch, PeerError> {
    let source = peers_dir().join("authlib");
    let requirements = source.join("requirements.txt");
    // The interpreter the venv is made from is part of what the installation depends on.
    let wanted = format!("{}\n{}", python_version()?, read(&requirements)?);
    let python = if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    };
    if !python.is_file() || !marker_matches(venv, &wanted) {
        if venv.exists() {
            fs::remove_dir_all(venv)
                .map_err(|e| PeerError::io(format!("removing {}", venv.display()), e))?;
        }
        run(
            Command::new("python3").arg("-m").arg("venv").arg(venv),
            "python3 -m venv",
        )?;
        run(
            Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "--no-input",
                    "--quiet",
                    "-r",
                ])
                .arg(&requirements),
            "pip install -r requirements.txt",
        )?;
        write_if_changed(&venv.join(MARKER), &wanted)?;
    }
    Ok(Launch {
        program: python,
        script: source.join("server.py"),
        dir: source,
    })
}

fn python_version() -> Result<String, PeerError> {
    let output = Command::new("python3")
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| PeerError::io("running `python3 --version`", e))?;
    let mut version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    version.push_str(String::from_utf8_lossy(&output.stderr).trim());
    Ok(version)
}

fn read(path: &Path) -> Result<String, PeerError> {
    fs::read_to_string(path).map_err(|e| PeerError::io(format!("reading {}", path.display()), e))
}

fn marker_matches(dir: &Path, wanted: &str) -> bool {
    fs::read_to_string(dir.join(MARKER)).is_ok_and(|found| found == wanted)
}

fn remove_marker(dir: &Path) -> Result<(), PeerError> {
    match fs::remove_file(dir.join(MARKER)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(PeerError::io(
            format!("removing the marker in {}", dir.display()),
            e,
        )),
        _ => Ok(()),
    }
}

/// Writes through a temporary file and a rename, so a running peer never reads half a file.
fn write_if_changed(path: &Path, contents: &str) -> Result<(), PeerError> {
    if fs::read_to_string(path).is_ok_and(|found| found == contents) {
        return Ok(());
    }
    let temporary = path.with_extension("tmp-lucca-interop");
    fs::write(&temporary, contents)
        .map_err(|e| PeerError::io(format!("writing {}", temporary.display()), e))?;
    fs::rename(&temporary, path)
        .map_err(|e| PeerError::io(format!("renaming to {}", path.display()), e))
}

fn run(command: &mut Command, step: &str) -> Result<(), PeerError> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| PeerError::io(format!("running `{step}`"), e))?;
    if output.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Err(PeerError::Install {
        step: step.to_owned(),
        detail: format!("{}\n{}", output.status, tail(&text, 4000)),
    })
}

/// The last `max` bytes of `text`, cut at a character boundary.
pub(crate) fn tail(text: &str, max: usize) -> &str {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text.get(start..).unwrap_or_default()
}
