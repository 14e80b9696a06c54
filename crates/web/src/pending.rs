//! One-shot values commands wait on (a PUBACK, a SUBACK, …), single-threaded, no locks; and
//! the table of commands waiting, by packet identifier.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

pub(crate) struct State<T> {
    value: Option<T>,
    waker: Option<Waker>,
}

/// The completion side of a command: a [`Pending`] future, or a callback.
pub(crate) enum Slot<T> {
    /// Completes a [`Pending`].
    Future(Rc<RefCell<State<T>>>),
    /// Runs at completion, inside the driver's borrow: it must not call back into the client.
    /// The JS API settles its Promise here, one call instead of a task woken through a
    /// microtask and polled (publishing at QoS 1 completes one per PUBACK). Only the JS API
    /// (feature `js`) makes these.
    #[cfg_attr(not(feature = "js"), allow(dead_code))]
    Callback(Box<dyn FnOnce(T)>),
}

impl<T> Slot<T> {
    /// A slot that calls `f` with the value.
    #[cfg_attr(not(feature = "js"), allow(dead_code))]
    pub(crate) fn callback(f: impl FnOnce(T) + 'static) -> Slot<T> {
        Slot::Callback(Box::new(f))
    }

    /// Stores the value and wakes the task awaiting it, or runs the callback. Waking only
    /// schedules that task (wasm-bindgen-futures runs it from a microtask), so this is safe
    /// inside a borrow.
    pub(crate) fn complete(self, value: T) {
        let state = match self {
            Slot::Future(state) => state,
            Slot::Callback(f) => return f(value),
        };
        let waker = match state.try_borrow_mut() {
            Ok(mut s) => {
                s.value = Some(value);
                s.waker.take()
            }
            Err(_) => None,
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// Commands waiting for the server, by packet identifier. A deque searched from the front
/// rather than a `HashMap`: acknowledgements come mostly in the order the commands were made,
/// so the search ends at once, and the bundle carries no hash table.
pub(crate) struct Waiters<T>(VecDeque<(u16, Slot<T>)>);

impl<T> Waiters<T> {
    pub(crate) fn new() -> Waiters<T> {
        Waiters(VecDeque::new())
    }

    pub(crate) fn insert(&mut self, id: u16, slot: Slot<T>) {
        self.0.push_back((id, slot));
    }

    /// The oldest slot waiting under `id`.
    pub(crate) fn remove(&mut self, id: &u16) -> Option<Slot<T>> {
        let i = self.0.iter().position(|(k, _)| k == id)?;
        self.0.remove(i).map(|(_, slot)| slot)
    }

    /// Takes every slot.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = (u16, Slot<T>)> + '_ {
        self.0.drain(..)
    }
}

/// A future that resolves once, when the driver completes it. Commands run when called, not
/// when awaited: dropping a `Pending` gives up the answer, not the command.
#[must_use = "the command runs anyway; await this to learn how it ended"]
pub struct Pending<T>(Rc<RefCell<State<T>>>);

impl<T> Pending<T> {
    /// A pending value and the slot that completes it.
    pub(crate) fn new() -> (Pending<T>, Slot<T>) {
        let state = Rc::new(RefCell::new(State {
            value: None,
            waker: None,
        }));
        (Pending(state.clone()), Slot::Future(state))
    }
}

impl<T> Future for Pending<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let Ok(mut s) = self.0.try_borrow_mut() else {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        };
        match s.value.take() {
            Some(v) => Poll::Ready(v),
            None => {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl<T> std::fmt::Debug for Pending<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pending")
    }
}

/// Resolves after `ms` milliseconds (main-thread `setTimeout`; at once outside a window).
pub(crate) async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let scheduled = web_sys::window().map(|w| {
            w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
                .is_ok()
        });
        if scheduled != Some(true) {
            let _ = resolve.call0(&wasm_bindgen::JsValue::UNDEFINED);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
