//! The driver's timers. They run in a dedicated Web Worker made from a Blob URL, because
//! Chrome throttles main-thread timers in hidden tabs (to once a minute after five minutes),
//! which would let a keep alive below 60 s lapse. Without Worker support (or if the worker
//! fails to load, e.g. under a CSP forbidding `blob:` workers) they fall back to
//! `setTimeout` on the main thread. [`TimerStats`] says which ran and how often they fired.

use std::rc::Rc;
use std::time::Duration;
use switchboard_mqtt::session::Instant;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, BlobPropertyBag, MessageEvent, Url, Worker};

/// The driver's timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimerKind {
    /// The session's next deadline: keep alive (PINGREQ), ping timeout, CONNACK timeout.
    Session = 0,
    /// The next reconnect attempt.
    Reconnect = 1,
    /// Look again at `bufferedAmount` while transmits are held back.
    Drain = 2,
}
const KINDS: [TimerKind; 3] = [TimerKind::Session, TimerKind::Reconnect, TimerKind::Drain];

/// Where timers run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerBackend {
    /// A dedicated Web Worker (not throttled in hidden tabs).
    Worker,
    /// `setTimeout` on the main thread.
    MainThread,
}

/// Which timer backend runs and how many timers each one fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerStats {
    /// The backend in use.
    pub backend: TimerBackend,
    /// Timers fired by the worker.
    pub worker_fired: u32,
    /// Timers fired on the main thread.
    pub main_fired: u32,
    /// PINGREQs sent because a session timer fired in the worker.
    pub pings_from_worker: u32,
    /// PINGREQs sent because a session timer fired on the main thread.
    pub pings_from_main: u32,
}

/// What a timer callback reports to the driver.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Signal {
    /// Timer `kind`, armed as generation `generation`, fired.
    Fired(TimerKind, u32, TimerBackend),
    /// The worker failed to load: re-arm everything on the main thread.
    WorkerFailed,
}

/// The worker: one `setTimeout` per slot; a message `[slot, generation, ms]` arms a slot
/// (`ms < 0` clears it), and it answers `[slot, generation]` when the slot fires.
const WORKER_JS: &str = "const t=[];onmessage=e=>{const[s,g,d]=e.data;clearTimeout(t[s]);\
if(d>=0)t[s]=setTimeout(()=>postMessage([s,g]),d)}";

struct WorkerTimers {
    worker: Worker,
    url: String,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
}

struct MainSlot {
    handle: i32,
    _callback: Closure<dyn FnMut()>,
}

enum Run {
    Worker(WorkerTimers),
    Main([Option<MainSlot>; 3]),
}

/// The timers of one client.
pub(crate) struct Timers {
    run: Run,
    /// Per slot: the generation and deadline armed, if any.
    armed: [Option<(u32, Instant)>; 3],
    generation: u32,
    on_signal: Rc<dyn Fn(Signal)>,
    pub(crate) stats: TimerStats,
}

impl Timers {
    /// Timers in a worker when `prefer_worker` and the browser allows, else on the main thread.
    pub(crate) fn new(prefer_worker: bool, on_signal: Rc<dyn Fn(Signal)>) -> Timers {
        let run = prefer_worker
            .then(|| start_worker(on_signal.clone()))
            .flatten()
            .map_or(Run::Main([None, None, None]), Run::Worker);
        let backend = match run {
            Run::Worker(_) => TimerBackend::Worker,
            Run::Main(_) => TimerBackend::MainThread,
        };
        Timers {
            run,
            armed: [None; 3],
            generation: 0,
            on_signal,
            stats: TimerStats {
                backend,
                worker_fired: 0,
                main_fired: 0,
                pings_from_worker: 0,
                pings_from_main: 0,
            },
        }
    }

    /// The deadline `kind` is armed for, if armed.
    pub(crate) fn armed_at(&self, kind: TimerKind) -> Option<Instant> {
        self.armed
            .get(kind as usize)
            .copied()
            .flatten()
            .map(|(_, at)| at)
    }

    /// Arms `kind` to fire after `delay`, replacing what it was armed for.
    pub(crate) fn arm(&mut self, kind: TimerKind, delay: Duration) {
        self.generation = self.generation.wrapping_add(1);
        let generation = self.generation;
        // Round up: a timer that fires a fraction early only costs a second wake-up.
        let ms = (delay.as_secs_f64() * 1000.0).ceil().min(2_147_483_647.0);
        if let Some(slot) = self.armed.get_mut(kind as usize) {
            *slot = Some((generation, Instant::now() + delay));
        }
        match &mut self.run {
            Run::Worker(w) => {
                let msg = js_sys::Array::of3(
                    &JsValue::from(kind as u32),
                    &JsValue::from(generation),
                    &JsValue::from(ms),
                );
                let _ = w.worker.post_message(&msg);
            }
            Run::Main(slots) => {
                let Some(window) = web_sys::window() else {
                    return;
                };
                let Some(slot) = slots.get_mut(kind as usize) else {
                    return;
                };
                if let Some(old) = slot.take() {
                    window.clear_timeout_with_handle(old.handle);
                }
                let f = self.on_signal.clone();
                let callback = Closure::<dyn FnMut()>::new(move || {
                    f(Signal::Fired(kind, generation, TimerBackend::MainThread))
                });
                let handle = window
                    .set_timeout_with_callback_and_timeout_and_arguments_0(
                        callback.as_ref().unchecked_ref(),
                        ms as i32,
                    )
                    .unwrap_or(0);
                *slot = Some(MainSlot {
                    handle,
                    _callback: callback,
                });
            }
        }
    }

    /// Disarms `kind`.
    pub(crate) fn clear(&mut self, kind: TimerKind) {
        let Some(slot) = self.armed.get_mut(kind as usize) else {
            return;
        };
        if slot.take().is_none() {
            return;
        }
        match &mut self.run {
            Run::Worker(w) => {
                let msg = js_sys::Array::of3(
                    &JsValue::from(kind as u32),
                    &JsValue::from(0),
                    &JsValue::from(-1),
                );
                let _ = w.worker.post_message(&msg);
            }
            Run::Main(slots) => {
                if let (Some(window), Some(Some(old))) = (
                    web_sys::window(),
                    slots.get_mut(kind as usize).map(Option::take),
                ) {
                    window.clear_timeout_with_handle(old.handle);
                }
            }
        }
    }

    /// Disarms everything.
    pub(crate) fn clear_all(&mut self) {
        for kind in KINDS {
            self.clear(kind);
        }
    }

    /// Whether a timer that fired is still the one armed (a re-armed or cleared one is
    /// stale); if so it is disarmed and counted.
    pub(crate) fn take_fired(
        &mut self,
        kind: TimerKind,
        generation: u32,
        backend: TimerBackend,
    ) -> bool {
        let Some(slot) = self.armed.get_mut(kind as usize) else {
            return false;
        };
        if !matches!(slot, Some((g, _)) if *g == generation) {
            return false;
        }
        *slot = None;
        match backend {
            TimerBackend::Worker => self.stats.worker_fired += 1,
            TimerBackend::MainThread => self.stats.main_fired += 1,
        }
        true
    }

    /// The worker failed: move to main-thread timers and re-arm what was armed.
    pub(crate) fn fall_back_to_main(&mut self) {
        if matches!(self.run, Run::Main(_)) {
            return;
        }
        self.run = Run::Main([None, None, None]);
        self.stats.backend = TimerBackend::MainThread;
        let now = Instant::now();
        for kind in KINDS {
            if let Some(at) = self.armed_at(kind) {
                self.arm(kind, at.saturating_duration_since(now));
            }
        }
    }
}

impl Drop for Timers {
    fn drop(&mut self) {
        match &mut self.run {
            Run::Worker(w) => {
                w.worker.set_onmessage(None);
                w.worker.set_onerror(None);
                w.worker.terminate();
                let _ = Url::revoke_object_url(&w.url);
            }
            Run::Main(slots) => {
                if let Some(window) = web_sys::window() {
                    for slot in slots.iter_mut().filter_map(Option::take) {
                        window.clear_timeout_with_handle(slot.handle);
                    }
                }
            }
        }
    }
}

/// Starts the timer worker, or `None` where workers are not available.
fn start_worker(on_signal: Rc<dyn Fn(Signal)>) -> Option<WorkerTimers> {
    let parts = js_sys::Array::of1(&JsValue::from_str(WORKER_JS));
    let props = BlobPropertyBag::new();
    props.set_type("text/javascript");
    let blob = Blob::new_with_str_sequence_and_options(&parts, &props).ok()?;
    let url = Url::create_object_url_with_blob(&blob).ok()?;
    let Ok(worker) = Worker::new(&url) else {
        let _ = Url::revoke_object_url(&url);
        return None;
    };
    let f = on_signal.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let data = e.data();
        let slot = js_sys::Reflect::get_u32(&data, 0)
            .ok()
            .and_then(|v| v.as_f64());
        let generation = js_sys::Reflect::get_u32(&data, 1)
            .ok()
            .and_then(|v| v.as_f64());
        if let (Some(slot), Some(generation)) = (slot, generation) {
            if let Some(kind) = KINDS.get(slot as usize) {
                f(Signal::Fired(
                    *kind,
                    generation as u32,
                    TimerBackend::Worker,
                ));
            }
        }
    });
    let f = on_signal;
    let on_error = Closure::<dyn FnMut(JsValue)>::new(move |_| f(Signal::WorkerFailed));
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Some(WorkerTimers {
        worker,
        url,
        _on_message: on_message,
        _on_error: on_error,
    })
}
