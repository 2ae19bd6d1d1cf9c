//! Copies the README's embassy-net + embedded-tls example (the first `rust,ignore` block
//! after its "Plugging in embassy-net" heading) into `OUT_DIR`, with an empty stand-in for
//! the CA certificate it includes, so that `src/lib.rs` compiles exactly what the README shows.

use std::path::PathBuf;

fn main() {
    let readme = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    println!("cargo::rerun-if-changed={}", readme.display());
    let text = std::fs::read_to_string(&readme).expect("README.md readable");
    let section = text
        .split_once("## Plugging in embassy-net")
        .expect("the README's embassy-net section")
        .1;
    let code = section
        .split_once("```rust,ignore\n")
        .and_then(|(_, rest)| rest.split_once("\n```"))
        .expect("a rust,ignore block in that section")
        .0;
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR set by cargo"));
    std::fs::write(out.join("readme_example.rs"), code).expect("example written");
    std::fs::write(out.join("lucca-ca.der"), b"").expect("CA stand-in written");
}
