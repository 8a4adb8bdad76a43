//! The clock every front end stamps its inputs with. The engine never reads a clock: time
//! arrives in the stamps, and on a virtual runtime (`timebase::timebase::runtime(true)`) it is virtual.

use std::time::Duration;

use crate::timebase::{self, Instant};

use crate::wizard::engine::Millis;

/// Now, in ms since the epoch (wall time): the edges stamp inputs; the engine never reads a
/// clock.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Milliseconds since the epoch, advancing with the runtime's clock: wall time on a real
/// runtime, virtual time on a virtual one.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    base_ms: Millis,
    base: Instant,
}

impl Clock {
    /// Start now (call inside the runtime).
    pub fn start() -> Self {
        Clock {
            base_ms: now_ms(),
            base: timebase::now(),
        }
    }

    /// Now.
    pub fn now(&self) -> Millis {
        self.base_ms + self.elapsed().as_millis() as Millis
    }

    /// The same clock moved forward, if need be, so that it reads later than `at`: a session
    /// resumed after a run on virtual time has stamps ahead of the wall clock, and data
    /// stamped before them would never count as fresh for the step it resumes at.
    pub fn not_before(self, at: Millis) -> Self {
        let now = self.now();
        if at < now {
            return self;
        }
        Clock {
            base_ms: self.base_ms + (at + 1 - now),
            base: self.base,
        }
    }

    /// Time since the start.
    pub fn elapsed(&self) -> Duration {
        timebase::since(self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_virtual_clock_jumps_and_stamps_follow_it() {
        let rt = timebase::runtime(true).unwrap();
        let wall = std::time::Instant::now();
        rt.block_on(async {
            let clock = Clock::start();
            let t0 = clock.now();
            timebase::sleep(Duration::from_secs(3600)).await;
            assert!(clock.elapsed() >= Duration::from_secs(3600));
            assert!(clock.now() - t0 >= 3_600_000);
        });
        assert!(
            wall.elapsed() < Duration::from_secs(5),
            "an hour took {:?}",
            wall.elapsed()
        );
    }

    #[test]
    fn a_clock_never_reads_before_a_stamp_it_must_follow() {
        timebase::runtime(true).unwrap().block_on(async {
            let clock = Clock::start();
            let now = clock.now();
            let ahead = clock.not_before(now + 3_600_000);
            assert!(ahead.now() >= now + 3_600_000);
            assert!(ahead.now() < now + 3_600_000 + 1_000);
            // Already past it: unchanged.
            let same = clock.not_before(now - 5_000);
            assert_eq!(same.now(), clock.now());
        });
    }
}
