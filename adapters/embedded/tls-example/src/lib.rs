//! The README's embassy-net + embedded-tls example, compiled as it is written there (see
//! `build.rs`), so that its calls are checked against the real crates.
#![no_std]
// The example's functions are what a firmware would call; nothing here calls them.
#![allow(dead_code)]

/// Stands for the board's wall clock (RTC or SNTP) the example reads.
mod board {
    pub fn unix_time_secs() -> Option<u64> {
        None
    }
}

include!(concat!(env!("OUT_DIR"), "/readme_example.rs"));
