//! What hostile inputs cost the core's parsers, against an ordinary input of the same parser
//! in the same run: each bomb's time per input byte divided by the ordinary input's time per
//! byte. A parser that stays linear keeps the ratio near 1 (or below: a bomb is often cheaper
//! per byte than real content); a quadratic one grows it with the bomb's size.
//!
//! `cargo bench -p lucca-auth-benches --bench parser_bombs -- --measurement-time 2`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use lucca_auth::pagination::Page;
use lucca_auth::problem::Problem;
use lucca_auth::response::HttpResponse;
use lucca_auth::token_response::{TokenResponseOptions, parse_token_response};
use lucca_auth::www_authenticate::parse_challenges;

/// A parser under test, as a function of the input bytes.
type Parser = fn(&[u8]) -> usize;

fn problem(input: &[u8]) -> usize {
    Problem::parse(input).map_or(0, |problem| problem.errors.len())
}

fn challenges(input: &[u8]) -> usize {
    parse_challenges(input).len()
}

fn page(input: &[u8]) -> usize {
    Page::parse(input).map_or(0, |page| page.items().len())
}

fn oauth_error(input: &[u8]) -> usize {
    let answer = parse_token_response(
        &HttpResponse::new(400, &[], input),
        &TokenResponseOptions::default(),
    );
    usize::from(answer.is_err())
}

/// (name, parser, ordinary input, bomb).
fn cases() -> Vec<(&'static str, Parser, Vec<u8>, Vec<u8>)> {
    let map: String = (0..4000).map(|i| format!("\"f{i}\":\"x\",")).collect();
    let list: String = (0..1500)
        .map(|i| format!("{{\"field\":\"f{i}\",\"message\":\"m\"}},"))
        .collect();
    vec![
        (
            "problem errors map",
            problem as Parser,
            br#"{"title":"Bad Request","status":400,"errors":{"startsOn":["required"]}}"#.to_vec(),
            format!("{{\"errors\":{{{map}\"z\":\"x\"}}}}").into_bytes(),
        ),
        (
            "problem errors list",
            problem,
            br#"{"title":"Bad Request","errors":[{"field":"startsOn","message":"required"}]}"#
                .to_vec(),
            format!("{{\"errors\":[{list}{{}}]}}").into_bytes(),
        ),
        (
            "problem deep nesting",
            problem,
            br#"{"title":"t","errors":{"a":[["x"]]}}"#.to_vec(),
            format!(
                "{{\"title\":\"t\",\"errors\":{}1{}}}",
                "[".repeat(30000),
                "]".repeat(30000)
            )
            .into_bytes(),
        ),
        (
            "www-authenticate params",
            challenges,
            br#"Bearer realm="api", error="insufficient_scope", scope="leaves.readonly""#.to_vec(),
            format!("Bearer {}", "a=\"\\\"\\\\\", ".repeat(6000)).into_bytes(),
        ),
        (
            "www-authenticate bare tokens",
            challenges,
            br#"Basic realm="legacy", Bearer realm="api""#.to_vec(),
            "a ".repeat(30000).into_bytes(),
        ),
        (
            "www-authenticate quotes",
            challenges,
            br#"Bearer error="invalid_token", error_description="the token expired""#.to_vec(),
            "\"".repeat(60000).into_bytes(),
        ),
        (
            "page items",
            page,
            br#"{"items":[{"id":1},{"id":2}],"links":{"next":"/x"}}"#.to_vec(),
            format!(
                "{{\"items\":[{}0],\"links\":{{\"next\":\"/x\"}}}}",
                "0,".repeat(500_000)
            )
            .into_bytes(),
        ),
        (
            "oauth error long texts",
            oauth_error,
            br#"{"error":"invalid_client","error_description":"client authentication failed"}"#
                .to_vec(),
            format!(
                "{{\"error\":\"{}\",\"error_description\":\"{}\"}}",
                "e".repeat(30000),
                "\u{202e}".repeat(10000)
            )
            .into_bytes(),
        ),
    ]
}

/// The fastest time per byte over `rounds` batches of about 2 ms.
fn ns_per_byte(parser: Parser, input: &[u8], rounds: usize) -> f64 {
    let start = Instant::now();
    black_box(parser(black_box(input)));
    let once = start.elapsed().max(Duration::from_nanos(1));
    let batch = u32::try_from((Duration::from_millis(2).as_nanos() / once.as_nanos()).max(1))
        .unwrap_or(u32::MAX);
    let mut best = f64::INFINITY;
    for _ in 0..rounds {
        let start = Instant::now();
        for _ in 0..batch {
            black_box(parser(black_box(input)));
        }
        best = best.min(start.elapsed().as_secs_f64() * 1e9 / f64::from(batch));
    }
    best / input.len() as f64
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    let cases = cases();
    let mut group = criterion.benchmark_group("parser_bombs");
    for (name, parser, ordinary, bomb) in &cases {
        group.bench_function(format!("{name}/ordinary"), |b| {
            b.iter(|| parser(black_box(ordinary)))
        });
        group.bench_function(format!("{name}/bomb"), |b| {
            b.iter(|| parser(black_box(bomb)))
        });
    }
    group.finish();
    criterion.final_summary();

    println!("\n| input | bytes | ns/byte (ordinary) | ns/byte (bomb) | bomb ÷ ordinary |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (name, parser, ordinary, bomb) in &cases {
        let (ordinary_cost, bomb_cost) = (
            ns_per_byte(*parser, ordinary, 50),
            ns_per_byte(*parser, bomb, 50),
        );
        println!(
            "| {name} | {} | {ordinary_cost:.2} | {bomb_cost:.2} | {:.2} |",
            bomb.len(),
            bomb_cost / ordinary_cost
        );
    }
}
