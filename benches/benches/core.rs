//! The lucca-auth core side by side with the `oauth2` crate, a zero-copy floor and the
//! obvious serde way, on the same inputs (see `lucca_auth_benches::OPERATIONS`). After the
//! timings it prints allocations per operation, counted by the bench's global allocator.
//!
//! `cargo bench -p lucca-auth-benches --bench core -- --measurement-time 3`

use criterion::Criterion;
use lucca_auth_benches::{CountingAllocator, OPERATIONS, Workload, allocations_per_op};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn bench(c: &mut Criterion) {
    let mut workload = Workload::new();
    let mut groups: Vec<&str> = OPERATIONS.iter().map(|&(group, ..)| group).collect();
    groups.dedup();
    for group_name in groups {
        let mut group = c.benchmark_group(group_name);
        for &(_, name, _, operation) in OPERATIONS.iter().filter(|op| op.0 == group_name) {
            group.bench_function(name, |b| b.iter(|| operation(&mut workload)));
        }
        group.finish();
    }
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();

    let mut workload = Workload::new();
    println!("\nallocations per operation (1000 calls after one warm-up):");
    for &(group, name, _, operation) in OPERATIONS {
        let per_op = allocations_per_op(&mut workload, operation, 1000);
        println!("  {group}/{name}: {per_op}");
    }
}
