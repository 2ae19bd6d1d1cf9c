//! Allocations per operation, counted by a global allocator, with the goals the issue sets
//! asserted where the core meets them: the cached-token `Authorization` header and `poll` on
//! a valid token allocate nothing, building the token request into a reused or raw buffer
//! allocates nothing, and the raw-buffer exchange allocates only the token it keeps when the
//! answer has no `scope`. The full table is printed with `--nocapture`.

use lucca_auth_benches::{CountingAllocator, OPERATIONS, Workload, allocations_per_op};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn per_op(group: &str, name: &str) -> f64 {
    let (_, _, _, operation) = OPERATIONS
        .iter()
        .find(|(g, n, _, _)| *g == group && *n == name)
        .expect("a known operation");
    allocations_per_op(&mut Workload::new(), *operation, 100)
}

#[test]
fn print_the_table() {
    let mut workload = Workload::new();
    for &(group, name, _, operation) in OPERATIONS {
        let per_op = allocations_per_op(&mut workload, operation, 100);
        println!("{group}/{name}: {per_op}");
    }
}

#[test]
fn the_zero_allocation_paths_allocate_nothing() {
    for (group, name) in [
        ("api", "authorization"),
        ("api", "poll_valid_token"),
        ("request", "core_body"),
        ("request", "core_raw"),
    ] {
        assert_eq!(per_op(group, name), 0.0, "{group}/{name}");
    }
}

#[test]
fn the_raw_buffer_exchange_without_scope_allocates_only_the_token() {
    assert_eq!(per_op("parse", "core_raw_no_scope"), 1.0);
    assert_eq!(per_op("exchange", "core_raw_no_scope"), 1.0);
}

#[test]
fn the_counter_counts() {
    // `format!` allocates its estimate, then grows it for a 1,200-character token.
    assert_eq!(per_op("api", "authorization_format"), 2.0);
}
