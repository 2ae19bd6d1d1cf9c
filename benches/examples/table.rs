//! Prints the benchmark table of `benches/README.md`: for every operation, the fastest time
//! per call over many short interleaved batches (robust on a busy machine: a batch that was
//! not interrupted gives the true cost), the ratio to its floor, and allocations per call.
//!
//! `cargo run --release -p lucca-auth-benches --example table`

use std::time::{Duration, Instant};

use lucca_auth_benches::{CountingAllocator, OPERATIONS, Workload, allocations_per_op};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(200);
    let mut workload = Workload::new();
    // Calls per batch: about 50 µs of work each.
    let batch: Vec<u32> = OPERATIONS
        .iter()
        .map(|&(_, _, _, operation)| {
            let start = Instant::now();
            for _ in 0..1000 {
                std::hint::black_box(operation(&mut workload));
            }
            let per_call = start.elapsed() / 1000;
            u32::try_from(Duration::from_micros(50).as_nanos() / per_call.as_nanos().max(1))
                .unwrap_or(u32::MAX)
                .max(1)
        })
        .collect();
    let mut best = vec![f64::INFINITY; OPERATIONS.len()];
    for _ in 0..rounds {
        for (i, &(_, _, _, operation)) in OPERATIONS.iter().enumerate() {
            let start = Instant::now();
            for _ in 0..batch[i] {
                std::hint::black_box(operation(&mut workload));
            }
            let ns = start.elapsed().as_secs_f64() * 1e9 / f64::from(batch[i]);
            best[i] = best[i].min(ns);
        }
    }
    println!("| operation | ns/op | × floor | allocations/op |");
    println!("| --- | ---: | ---: | ---: |");
    for (i, &(group, name, floor, operation)) in OPERATIONS.iter().enumerate() {
        let ratio = floor
            .and_then(|floor| {
                OPERATIONS
                    .iter()
                    .position(|&(g, n, _, _)| g == group && n == floor)
            })
            .map_or_else(|| "—".to_string(), |f| format!("{:.2}", best[i] / best[f]));
        let allocations = allocations_per_op(&mut workload, operation, 1000);
        println!(
            "| {group}/{name} | {:.0} | {ratio} | {allocations} |",
            best[i]
        );
    }
}
