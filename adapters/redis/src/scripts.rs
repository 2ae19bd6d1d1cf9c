//! The Lua scripts that make each fleet operation atomic on the Redis server.
//!
//! Times are in microseconds on the Redis server's clock (`TIME`), so every process of the
//! fleet paces against one clock, whatever its own. Numbers written back to Redis go through
//! `string.format('%.0f', …)`: Lua's default conversion would round them to 14 digits.

use std::sync::LazyLock;

use redis::Script;

/// The sliding window of [`lucca_auth::pacer::RatePacer`], run on the server.
///
/// `KEYS[1]` the log (sorted set: unique member → sent at), `KEYS[2]` the `Retry-After`
/// block (end, µs); `ARGV[1]` most requests per window, `ARGV[2]` window (µs), `ARGV[3]` a
/// unique member for this request. Returns 0 when the request is admitted (and counted),
/// else how many µs to wait before asking again. (`ARGV[4]`, only passed by this crate's
/// tests, replaces `TIME`, so that they replay the core pacer's cases against it exactly.)
pub(crate) const PACE: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
if ARGV[4] then now = tonumber(ARGV[4]) end
local max = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
-- A clock that went backwards counts at the latest instant seen, as the core does.
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] and tonumber(last[2]) > now then now = tonumber(last[2]) end
local wait = 0
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
if blocked > now then wait = blocked - now end
if window > 0 then
  -- A request sent at t leaves the window at t + window.
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - window))
  local count = redis.call('ZCARD', KEYS[1])
  if count >= max then
    -- The request at count - max is the last that must leave before one more fits.
    local free = window
    local entry = redis.call('ZRANGE', KEYS[1], count - max, count - max, 'WITHSCORES')
    if entry[2] then free = tonumber(entry[2]) + window - now end
    if free > wait then wait = free end
  end
end
if wait > 0 then return wait end
if window > 0 then
  redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
end
return 0
";

/// A `Retry-After` for everyone: `KEYS[1]` the block, `ARGV[1]` the delay (µs). Extends the
/// block to now + delay unless it already ends later. Returns 1 if it was extended.
/// (`ARGV[2]`, for tests only, replaces `TIME`.)
pub(crate) const BLOCK: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
if ARGV[2] then now = tonumber(ARGV[2]) end
local delay = tonumber(ARGV[1])
local block_end = now + delay
local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if delay > 0 and block_end > current then
  redis.call('SET', KEYS[1], string.format('%.0f', block_end), 'PX', math.ceil(delay / 1000) + 1000)
  return 1
end
return 0
";

/// Shares a token fetched under a lease: `KEYS[1]` the token, `KEYS[2]` the lease;
/// `ARGV[1]` the sealed value, `ARGV[2]` its time to live (ms), `ARGV[3]` the lease value.
/// Stores the token unless the one already there lives longer, and releases the lease if
/// the caller still holds it. Returns 1 if the token was stored.
pub(crate) const PUBLISH: &str = r"
local ttl = tonumber(ARGV[2])
local stored = 0
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
  stored = 1
end
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
return stored
";

/// Compare-and-delete: deletes `KEYS[1]` only if it still holds `ARGV[1]`. Releases a lease
/// only for its holder (the holder's value), and drops a refused token only if it is still
/// the one stored (its sealed value). Returns 1 if it was deleted.
pub(crate) const COMPARE_AND_DELETE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

pub(crate) static PACE_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(PACE));
pub(crate) static BLOCK_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(BLOCK));
pub(crate) static PUBLISH_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(PUBLISH));
pub(crate) static COMPARE_AND_DELETE_SCRIPT: LazyLock<Script> =
    LazyLock::new(|| Script::new(COMPARE_AND_DELETE));

#[cfg(test)]
mod tests {
    //! The Lua scripts against a real `redis-server`, and the pacing script against the core's
    //! [`RatePacer`] on the same inputs: the same answers, to the millisecond.

    use std::time::Duration;

    use lucca_auth::pacer::{RateBudget, RatePacer};
    use lucca_auth::time::Instant;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    use super::*;
    use crate::test_server::RedisServer;

    struct Window<'c> {
        connection: &'c mut redis::Connection,
        log: String,
        block: String,
        budget: RateBudget,
        sent: u64,
    }

    impl<'c> Window<'c> {
        fn new(connection: &'c mut redis::Connection, name: &str, budget: RateBudget) -> Self {
            Window {
                connection,
                log: format!("test:{{{name}}}:log"),
                block: format!("test:{{{name}}}:block"),
                budget,
                sent: 0,
            }
        }

        /// The script's answer at `now` ms: Ok, or Err(earliest ms).
        fn send(&mut self, now: u64) -> Result<(), u64> {
            self.sent += 1;
            let wait: u64 = PACE_SCRIPT
                .key(&self.log)
                .key(&self.block)
                .arg(self.budget.max_requests())
                .arg(self.budget.window().as_micros() as u64)
                .arg(self.sent)
                .arg(now * 1000)
                .invoke(self.connection)
                .expect("script runs");
            match wait {
                0 => Ok(()),
                wait => Err(now + wait / 1000),
            }
        }

        fn retry_after(&mut self, now: u64, delay: u64) {
            let _: i64 = BLOCK_SCRIPT
                .key(&self.block)
                .arg(delay * 1000)
                .arg(now * 1000)
                .invoke(self.connection)
                .expect("script runs");
        }
    }

    fn core(pacer: &mut RatePacer, now: u64) -> Result<(), u64> {
        pacer
            .poll_send(Instant::from_millis(now))
            .map_err(Instant::as_millis)
    }

    #[test]
    fn scripts_on_a_real_server() {
        let Some(server) = RedisServer::start("scripts_on_a_real_server") else {
            return;
        };
        let client = redis::Client::open(server.url()).expect("url");
        let mut connection = client.get_connection().expect("connects");

        // The sandbox limiter's cases, as in the core's tests.
        let budget = RateBudget::new(3, Duration::from_secs(2));
        let mut window = Window::new(&mut connection, "three", budget);
        let steps: &[(u64, Result<(), u64>)] = &[
            (1_000_000, Ok(())),
            (1_000_100, Ok(())),
            (1_000_200, Ok(())),
            (1_000_300, Err(1_002_000)),
            (1_001_999, Err(1_002_000)),
            (1_002_000, Ok(())),
            (1_002_001, Err(1_002_100)),
            (1_002_100, Ok(())),
        ];
        for &(now, expected) in steps {
            assert_eq!(window.send(now), expected, "at {now}");
        }
        window.retry_after(1_002_200, 5_000);
        assert_eq!(window.send(1_004_200), Err(1_007_200));
        assert_eq!(window.send(1_007_200), Ok(()));

        // Leases: only the holder releases; publish keeps the longer-lived token.
        let release = |connection: &mut redis::Connection, value: &str| -> i64 {
            COMPARE_AND_DELETE_SCRIPT
                .key("test:lease")
                .arg(value)
                .invoke(connection)
                .expect("runs")
        };
        let _: () = redis::cmd("SET")
            .arg("test:lease")
            .arg("holder")
            .query(&mut connection)
            .expect("set");
        assert_eq!(release(&mut connection, "other"), 0);
        assert_eq!(release(&mut connection, "holder"), 1);
        let publish =
            |connection: &mut redis::Connection, value: &str, ttl: u64, lease: &str| -> i64 {
                PUBLISH_SCRIPT
                    .key("test:token")
                    .key("test:lease")
                    .arg(value)
                    .arg(ttl)
                    .arg(lease)
                    .invoke(connection)
                    .expect("runs")
            };
        let _: () = redis::cmd("SET")
            .arg("test:lease")
            .arg("L1")
            .query(&mut connection)
            .expect("set");
        assert_eq!(publish(&mut connection, "long", 60_000, "L1"), 1);
        let lease: Option<String> = redis::cmd("GET")
            .arg("test:lease")
            .query(&mut connection)
            .expect("get");
        assert_eq!(lease, None);
        let _: () = redis::cmd("SET")
            .arg("test:lease")
            .arg("L2")
            .query(&mut connection)
            .expect("set");
        assert_eq!(publish(&mut connection, "short", 1_000, "other"), 0);
        let (value, lease): (String, Option<String>) = redis::pipe()
            .get("test:token")
            .get("test:lease")
            .query(&mut connection)
            .expect("get");
        assert_eq!((value.as_str(), lease.as_deref()), ("long", Some("L2")));
    }

    #[derive(Clone, Debug)]
    enum Op {
        Send(u64),
        RetryAfter(u64, u64),
    }

    #[test]
    fn the_pacing_script_answers_like_the_core_pacer() {
        let Some(server) = RedisServer::start("the_pacing_script_answers_like_the_core_pacer")
        else {
            return;
        };
        let client = redis::Client::open(server.url()).expect("url");
        let connection = std::cell::RefCell::new(client.get_connection().expect("connects"));
        let case = std::cell::Cell::new(0u64);
        let op = prop_oneof![
            8 => (0u64..400).prop_map(Op::Send),
            1 => ((0u64..400), (0u64..3000)).prop_map(|(a, d)| Op::RetryAfter(a, d)),
        ];
        let strategy = (1u32..6, 1u64..2000, proptest::collection::vec(op, 1..60));
        TestRunner::new(Config::with_cases(96))
            .run(&strategy, |(max, window_ms, ops)| {
                case.set(case.get() + 1);
                let budget = RateBudget::new(max, Duration::from_millis(window_ms));
                let mut pacer = RatePacer::new(budget);
                let mut connection = connection.borrow_mut();
                let mut script =
                    Window::new(&mut connection, &format!("case{}", case.get()), budget);
                let mut now = 1_000_000u64;
                for op in ops {
                    match op {
                        Op::Send(advance) => {
                            now += advance;
                            prop_assert_eq!(script.send(now), core(&mut pacer, now), "at {}", now);
                        }
                        Op::RetryAfter(advance, delay) => {
                            now += advance;
                            script.retry_after(now, delay);
                            pacer.handle_retry_after(
                                Instant::from_millis(now),
                                Duration::from_millis(delay),
                            );
                        }
                    }
                }
                Ok(())
            })
            .expect("the script and the core agree");
    }
}
