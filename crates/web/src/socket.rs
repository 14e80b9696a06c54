//! One WebSocket connection to a broker: `WebSocket(url, "mqtt")` with binary frames as
//! `ArrayBuffer`s. Its four callbacks are owned by the [`Socket`] and dropped with it (after
//! the handlers are unset), so reconnecting never leaks a set of closures.

use js_sys::{ArrayBuffer, Uint8Array};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

/// What the socket reports.
#[derive(Debug)]
pub(crate) enum SocketEvent {
    /// The WebSocket handshake completed.
    Open,
    /// A binary frame arrived (MQTT bytes: any number of packets, or part of one), as a view
    /// of the frame's `ArrayBuffer`: the session copies it once, straight into its receive
    /// buffer.
    Data(Uint8Array),
    /// A text frame arrived, which MQTT never sends.
    Text,
    /// The socket closed (or never opened).
    Closed {
        /// The close code (1006: abnormal, e.g. nothing listening).
        code: u16,
        /// The close reason, if the server gave one.
        reason: String,
    },
}

/// An open or opening WebSocket and the callbacks it calls.
pub(crate) struct Socket {
    ws: WebSocket,
    on_open: Closure<dyn FnMut(Event)>,
    on_message: Closure<dyn FnMut(MessageEvent)>,
    on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Socket {
    /// Opens `url`; `on_event` hears everything until the socket is dropped.
    pub(crate) fn open(url: &str, on_event: Rc<dyn Fn(SocketEvent)>) -> Result<Socket, String> {
        let ws = WebSocket::new_with_str(url, "mqtt").map_err(|e| js_message(&e))?;
        ws.set_binary_type(BinaryType::Arraybuffer);
        let f = on_event.clone();
        let on_open = Closure::<dyn FnMut(Event)>::new(move |_| f(SocketEvent::Open));
        let f = on_event.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            match e.data().dyn_into::<ArrayBuffer>() {
                Ok(buf) => f(SocketEvent::Data(Uint8Array::new(&buf))),
                Err(_) => f(SocketEvent::Text),
            }
        });
        let f = on_event;
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
            f(SocketEvent::Closed {
                code: e.code(),
                reason: e.reason(),
            })
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        // `error` is always followed by `close`, which carries more: no handler needed.
        Ok(Socket {
            ws,
            on_open,
            on_message,
            on_close,
        })
    }

    /// Queues bytes for sending.
    pub(crate) fn send(&self, bytes: &[u8]) -> Result<(), String> {
        self.ws
            .send_with_u8_array(bytes)
            .map_err(|e| js_message(&e))
    }

    /// Bytes queued by `send` and not yet handed to the network.
    pub(crate) fn buffered_amount(&self) -> u32 {
        self.ws.buffered_amount()
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // Unset the handlers first: an event already queued must not call a dropped closure.
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        if self.ws.ready_state() <= WebSocket::OPEN {
            let _ = self.ws.close();
        }
        // The closures go with `self` (the fields are only held to keep them alive).
        let _ = (&self.on_open, &self.on_message, &self.on_close);
    }
}

/// The message of a JS exception, or its string form.
pub(crate) fn js_message(e: &wasm_bindgen::JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    e.as_string()
        .or_else(|| js_sys::JSON::stringify(e).ok().map(String::from))
        .unwrap_or_else(|| "an unknown JavaScript error".to_string())
}
