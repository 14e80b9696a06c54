// The JS side of MqttClient's events (see js.rs): handlers live here, so telling them about
// a message is one call from wasm, with the packet object built on this side.
//
// Lists are replaced, never changed in place: a handler that calls on/off while an event is
// being delivered does not change who hears that event.

/** A new, empty set of handlers. */
export function emitter() {
  return new Map();
}

/** Adds `handler` for `event`. */
export function on(em, event, handler) {
  em.set(event, [...(em.get(event) || []), handler]);
}

/** Removes every registration of `handler` for `event`. */
export function off(em, event, handler) {
  const list = em.get(event);
  if (list) em.set(event, list.filter((h) => h !== handler));
}

// A throwing handler must not stop the others, nor the client. Three arguments at most, as
// plain parameters: no array and spread per message.
function deliver(list, n, a, b, c) {
  for (const h of list) {
    try {
      if (n === 3) h(a, b, c);
      else if (n === 2) h(a, b);
      else if (n === 1) h(a);
      else h();
    } catch (_) {
      // ignored, as documented for `on`
    }
  }
}

/** Calls the handlers of `event` with the first `n` of `a`, `b`. */
export function emit(em, event, n, a, b) {
  const list = em.get(event);
  if (list && list.length) deliver(list, n, a, b);
}

/**
 * Calls the `message` handlers with (topic, payload, packet). `view` looks into wasm memory:
 * it is copied before anyone sees it. `flags`: 1 retain, 2 dup. `id` 0: none.
 */
export function emitMessage(em, topic, view, qos, flags, id, properties) {
  const list = em.get('message');
  if (!list || !list.length) return;
  const payload = view.slice();
  const packet = { cmd: 'publish', topic, payload, qos, retain: (flags & 1) !== 0, dup: (flags & 2) !== 0 };
  if (id !== 0) packet.messageId = id;
  if (properties !== undefined) packet.properties = properties;
  deliver(list, 3, topic, payload, packet);
}
