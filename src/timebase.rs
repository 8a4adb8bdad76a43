//! The time a bench's tasks read and wait on: tokio's own clock, or a virtual one that jumps to
//! the next deadline whenever every task of its runtime is waiting.
//!
//! A simulated commissioning (`run --sim`, `train --check`) has nothing real to wait for, so it
//! runs on virtual time and takes a fraction of a second while every stamp stays consistent.
//! tokio's paused clock does that only with its `test-util` feature, which is meant for tests;
//! this does it with a stable hook instead: the runtime's `on_thread_park` callback runs just
//! before the thread would go idle, and there the clock moves to the earliest deadline and
//! wakes whoever waits for it. On any other runtime (the TUI, a real radio, tests on tokio's
//! paused clock) every function here is tokio's.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

pub use tokio::time::Instant;

/// The waits of one virtual runtime and how far its clock has moved.
#[derive(Debug)]
struct Virtual {
    origin: Instant,
    inner: Mutex<Waits>,
}

#[derive(Debug, Default)]
struct Waits {
    /// Virtual time passed since `origin`.
    elapsed: Duration,
    /// Pending deadlines, earliest first (deadline, wait id).
    due: BinaryHeap<Reverse<(Instant, u64)>>,
    /// The waker of every wait still pending, by id.
    wakers: HashMap<u64, Waker>,
    next_id: u64,
}

impl Virtual {
    fn now(&self) -> Instant {
        self.origin + self.lock().elapsed
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Waits> {
        // A panic while holding the lock leaves plain numbers behind: still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The thread is about to go idle: move to the earliest pending deadline and wake every
    /// wait that is then due. With nothing pending the thread parks for real (it waits for
    /// something outside, such as a signal).
    fn advance(&self) {
        let mut waits = self.lock();
        // Deadlines of waits that were dropped stay in the heap until they surface here.
        while let Some(Reverse((at, id))) = waits.due.peek().copied() {
            if !waits.wakers.contains_key(&id) {
                waits.due.pop();
                continue;
            }
            let now = self.origin + waits.elapsed;
            if at > now {
                waits.elapsed = at - self.origin;
            }
            break;
        }
        let now = self.origin + waits.elapsed;
        let mut woken = Vec::new();
        while let Some(Reverse((at, id))) = waits.due.peek().copied() {
            if at > now {
                break;
            }
            waits.due.pop();
            if let Some(waker) = waits.wakers.remove(&id) {
                woken.push(waker);
            }
        }
        drop(waits);
        for waker in woken {
            waker.wake();
        }
    }
}

/// Every virtual runtime alive, by tokio's runtime id. Held weakly: the runtime's park hook
/// owns its clock, so the clock goes with the runtime.
static RUNTIMES: Mutex<Vec<(tokio::runtime::Id, Weak<Virtual>)>> = Mutex::new(Vec::new());

/// The virtual clock of the runtime this is called on, if it runs on one.
fn current() -> Option<Arc<Virtual>> {
    let id = tokio::runtime::Handle::try_current().ok()?.id();
    let runtimes = RUNTIMES.lock().unwrap_or_else(|e| e.into_inner());
    runtimes
        .iter()
        .find(|(rid, _)| *rid == id)
        .and_then(|(_, v)| v.upgrade())
}

/// The runtime a front end runs its bench on. `virtual_time`: one thread on a virtual clock
/// that jumps to the next thing due whenever nothing is running — only for a bench on which
/// everything is simulated (a real radio keeps its own pace). Otherwise the wall clock on two
/// worker threads.
pub fn runtime(virtual_time: bool) -> std::io::Result<tokio::runtime::Runtime> {
    if !virtual_time {
        return tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build();
    }
    let clock = Arc::new(Virtual {
        origin: Instant::now(),
        inner: Mutex::default(),
    });
    let hook = Arc::clone(&clock);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .on_thread_park(move || hook.advance())
        .build()?;
    let mut runtimes = RUNTIMES.lock().unwrap_or_else(|e| e.into_inner());
    runtimes.retain(|(_, v)| v.strong_count() > 0);
    runtimes.push((rt.handle().id(), Arc::downgrade(&clock)));
    Ok(rt)
}

/// Now, on this runtime's clock.
pub fn now() -> Instant {
    match current() {
        Some(v) => v.now(),
        None => Instant::now(),
    }
}

/// Time passed since `start` on this runtime's clock (never `Instant::elapsed`, which reads
/// tokio's clock).
pub fn since(start: Instant) -> Duration {
    now().saturating_duration_since(start)
}

/// Wait until `at` on this runtime's clock.
pub async fn sleep_until(at: Instant) {
    match current() {
        Some(clock) => {
            VirtualSleep {
                clock,
                at,
                id: None,
            }
            .await
        }
        None => tokio::time::sleep_until(at).await,
    }
}

/// Wait for `d` on this runtime's clock.
pub async fn sleep(d: Duration) {
    sleep_until(now() + d).await
}

/// `f` did not finish within the time given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("deadline has elapsed")]
pub struct Elapsed;

/// Run `f` for at most `d` on this runtime's clock.
pub async fn timeout<F: Future>(d: Duration, f: F) -> Result<F::Output, Elapsed> {
    tokio::select! {
        biased;
        out = f => Ok(out),
        () = sleep(d) => Err(Elapsed),
    }
}

/// One wait on a virtual clock.
struct VirtualSleep {
    clock: Arc<Virtual>,
    at: Instant,
    id: Option<u64>,
}

impl Future for VirtualSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let mut waits = this.clock.lock();
        if this.clock.origin + waits.elapsed >= this.at {
            if let Some(id) = this.id.take() {
                waits.wakers.remove(&id);
            }
            return Poll::Ready(());
        }
        let id = match this.id {
            Some(id) => id,
            None => {
                let id = waits.next_id;
                waits.next_id += 1;
                waits.due.push(Reverse((this.at, id)));
                this.id = Some(id);
                id
            }
        };
        waits.wakers.insert(id, cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for VirtualSleep {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            self.clock.lock().wakers.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hour_of_virtual_time_passes_at_once_and_in_order() {
        let rt = runtime(true).unwrap();
        let wall = std::time::Instant::now();
        let order = rt.block_on(async {
            let t0 = now();
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            for (i, secs) in [(0, 3600u64), (1, 5), (2, 60)] {
                let tx = tx.clone();
                tokio::spawn(async move {
                    sleep(Duration::from_secs(secs)).await;
                    tx.send((i, now())).unwrap();
                });
            }
            drop(tx);
            let mut order = Vec::new();
            while let Some((i, at)) = rx.recv().await {
                order.push((i, (at - t0).as_secs()));
            }
            order
        });
        assert_eq!(order, [(1, 5), (2, 60), (0, 3600)]);
        assert!(
            wall.elapsed() < Duration::from_secs(2),
            "{:?}",
            wall.elapsed()
        );
    }

    #[test]
    fn a_timeout_fires_on_virtual_time_and_a_quicker_answer_wins() {
        runtime(true).unwrap().block_on(async {
            let t0 = now();
            let never = std::future::pending::<()>();
            assert_eq!(timeout(Duration::from_secs(30), never).await, Err(Elapsed));
            assert_eq!((now() - t0).as_secs(), 30);
            let quick = sleep(Duration::from_secs(1));
            assert_eq!(timeout(Duration::from_secs(30), quick).await, Ok(()));
            // The dropped 30 s wait does not drag the clock along later.
            assert_eq!((now() - t0).as_secs(), 31);
            sleep(Duration::from_millis(500)).await;
            assert_eq!((now() - t0).as_millis(), 31_500);
        });
    }

    #[test]
    fn a_real_runtime_keeps_the_wall_clock() {
        let rt = runtime(false).unwrap();
        rt.block_on(async {
            let wall = std::time::Instant::now();
            let t0 = now();
            sleep(Duration::from_millis(30)).await;
            let took = wall.elapsed();
            assert!(took >= Duration::from_millis(30), "{took:?}");
            assert!(now() - t0 >= Duration::from_millis(30));
        });
    }

    #[test]
    fn two_virtual_runtimes_keep_their_own_time() {
        // Both live at once on their own threads, sleeping in small steps that interleave:
        // were the clock shared, each would see the other's jumps as well as its own.
        let both = Arc::new(std::sync::Barrier::new(2));
        let walk = |steps: u32, step: u64| {
            let both = Arc::clone(&both);
            std::thread::spawn(move || {
                let rt = runtime(true).unwrap();
                both.wait();
                rt.block_on(async {
                    let t0 = now();
                    for _ in 0..steps {
                        sleep(Duration::from_secs(step)).await;
                        // Let the other thread's runtime advance in between.
                        std::thread::yield_now();
                    }
                    now() - t0
                })
            })
        };
        let wall = Instant::now();
        let (a, b) = (walk(200, 2), walk(300, 3));
        let (ta, tb) = (a.join().unwrap(), b.join().unwrap());
        assert_eq!((ta.as_secs(), tb.as_secs()), (400, 900));
        assert!(
            wall.elapsed() < Duration::from_secs(5),
            "virtual, not waited"
        );
    }
}
