#!/usr/bin/env python3
"""The browser tests' fixture: what a test in headless Chromium cannot do for itself.

One loopback port serves two things:

* A control API over HTTP (CORS open, so a test page on another port can `fetch` it):
    POST /broker/stop    stop the restartable mosquitto (SIGTERM; it saves its persistence
                         file on the way out) and answer once it has exited
    POST /broker/start   start it again on the same ports and answer once both listeners accept
    GET  /log/NAME       JSON: the MQTT packets the clients of crafted connection NAME sent,
                         one hex string per packet, one list per connection:
                         [["10..", "e00181"], ...]
* A crafted MQTT-over-WebSocket server (subprotocol "mqtt") at ws://HOST:PORT/ws/SCENARIO/NAME
  that answers CONNECT with the bytes a scenario prescribes, logs every packet the client sends
  under NAME, and answers PINGREQ. Scenarios:
    connack-reserved-flag      CONNACK with a reserved acknowledge flag set (malformed)
    publish-wildcard-topic     CONNACK, then a PUBLISH whose topic name holds '+' (malformed)
    remaining-length-overflow  CONNACK, then a fixed header whose Remaining Length runs to a
                               fifth byte (malformed)
    publish-truncated          CONNACK, then a PUBLISH whose topic runs past its Remaining Length
    auth                       MQTT 5.0 enhanced authentication, method "switchboard-test":
                               CONNECT(data "client-first") -> AUTH 0x18 "challenge-1" ->
                               AUTH 0x18 "answer-1" -> AUTH 0x18 "challenge-2" ->
                               AUTH 0x18 "answer-2" -> CONNACK success "server-final".
                               A wrong step gets CONNACK 0x87 (Not authorized).

The restartable mosquitto runs with persistence, so sessions and QoS 1/2 state survive a
restart; it is a separate broker from the suite's main one, so stopping it disturbs no other
test. It is started before the fixture listens, and stopped when the fixture exits.

Usage: fixture.py --port P --broker-mqtt-port M --broker-ws-port W --run-dir DIR
(scripts/test starts it on free ports and exports the URLs to the tests.)
"""

import argparse
import asyncio
import base64
import ctypes
import hashlib
import json
import os
import pwd
import signal
import socket
import sys
import time

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
AUTH_METHOD = b"switchboard-test"


# --- the restartable broker -------------------------------------------------------------


class Broker:
    """A mosquitto with persistence on fixed loopback ports, stopped and started on request."""

    def __init__(self, mqtt_port, ws_port, run_dir):
        self.mqtt_port = mqtt_port
        self.ws_port = ws_port
        self.run_dir = run_dir
        self.proc = None
        os.makedirs(run_dir, exist_ok=True)
        self.conf = os.path.join(run_dir, "mosquitto.conf")
        self.log = os.path.join(run_dir, "mosquitto.log")
        with open(self.conf, "w") as f:
            f.write(
                "# Written by scripts/test-harness/fixture.py; edits are lost.\n"
                "per_listener_settings false\n"
                "allow_anonymous true\n"
                "persistence true\n"
                f"persistence_location {run_dir}/\n"
                # Run as root, mosquitto switches to user "mosquitto", which cannot write the
                # persistence file here: stay the user who owns the run directory.
                f"user {pwd.getpwuid(os.getuid()).pw_name}\n"
                "log_dest stderr\n"
                "log_type error\n"
                "log_type warning\n"
                "log_type notice\n"
                "log_type information\n"
                "connection_messages true\n"
                f"listener {mqtt_port} 127.0.0.1\n"
                "protocol mqtt\n"
                # mosquitto 2.0.11 binds WebSockets to all interfaces whatever this says.
                f"listener {ws_port} 127.0.0.1\n"
                "protocol websockets\n"
            )

    def running(self):
        return self.proc is not None and self.proc.returncode is None

    async def start(self):
        if self.running():
            return "already running"
        log = open(self.log, "ab")
        self.proc = await asyncio.create_subprocess_exec(
            "mosquitto",
            "-c",
            self.conf,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            preexec_fn=die_with_parent,
        )
        log.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.returncode is not None:
                raise RuntimeError(f"mosquitto exited with {self.proc.returncode}; see {self.log}")
            if port_open(self.mqtt_port) and port_open(self.ws_port):
                return "started"
            await asyncio.sleep(0.05)
        raise RuntimeError(f"mosquitto did not listen within 20 s; see {self.log}")

    async def stop(self):
        if not self.running():
            return "not running"
        self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except asyncio.TimeoutError:
            self.proc.kill()
            await self.proc.wait()
        return "stopped"


def die_with_parent():
    """Runs in the child: the broker gets SIGTERM if the fixture dies without cleaning up."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


# --- MQTT bytes ---------------------------------------------------------------------------


def vbi(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def read_vbi(buf, i):
    """(value, next index), or None when the buffer ends first."""
    value, shift = 0, 0
    for k in range(4):
        if i + k >= len(buf):
            return None
        b = buf[i + k]
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i + k + 1
        shift += 7
    raise ValueError("malformed Remaining Length from the client")


def split_packets(buf):
    """Whole packets at the front of `buf`, and what is left."""
    packets = []
    while len(buf) >= 2:
        got = read_vbi(buf, 1)
        if got is None:
            break
        length, start = got
        if len(buf) < start + length:
            break
        packets.append(bytes(buf[: start + length]))
        buf = buf[start + length :]
    return packets, buf


def string(s):
    return len(s).to_bytes(2, "big") + s


# Property identifier -> how its value is encoded (MQTT 5.0 section 2.2.2.2).
PROPERTY_KINDS = {
    **dict.fromkeys([0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A], "byte"),
    **dict.fromkeys([0x13, 0x21, 0x22, 0x23], "u16"),
    **dict.fromkeys([0x02, 0x11, 0x18, 0x27], "u32"),
    0x0B: "vbi",
    **dict.fromkeys([0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C, 0x1F], "bytes"),
    0x09: "bytes",
    0x16: "bytes",
    0x26: "pair",
}


def parse_properties(buf, i):
    """{identifier: last value} of the property list at buf[i], and the index after it."""
    length, i = read_vbi(buf, i)
    end = i + length
    props = {}
    while i < end:
        ident = buf[i]
        i += 1
        kind = PROPERTY_KINDS.get(ident)
        if kind == "byte":
            props[ident], i = buf[i], i + 1
        elif kind == "u16":
            props[ident], i = int.from_bytes(buf[i : i + 2], "big"), i + 2
        elif kind == "u32":
            props[ident], i = int.from_bytes(buf[i : i + 4], "big"), i + 4
        elif kind == "vbi":
            props[ident], i = read_vbi(buf, i)
        elif kind == "bytes":
            n = int.from_bytes(buf[i : i + 2], "big")
            props[ident], i = bytes(buf[i + 2 : i + 2 + n]), i + 2 + n
        elif kind == "pair":
            for _ in range(2):
                n = int.from_bytes(buf[i : i + 2], "big")
                i += 2 + n
        else:
            raise ValueError(f"unknown property 0x{ident:02x}")
    return props, end


def connect_level_and_properties(packet):
    """The protocol level of a CONNECT and (5.0) its properties."""
    _, i = read_vbi(packet, 1)
    name_len = int.from_bytes(packet[i : i + 2], "big")
    i += 2 + name_len
    level = packet[i]
    i += 4  # level, flags, keep alive
    props = parse_properties(packet, i)[0] if level == 5 else {}
    return level, props


def auth_properties(packet):
    """Reason code and properties of an AUTH."""
    _, i = read_vbi(packet, 1)
    if i >= len(packet):
        return 0x00, {}
    return packet[i], parse_properties(packet, i + 1)[0]


def connack(level, code=0x00, flags=0x00, props=b""):
    if level == 5:
        body = bytes([flags, code]) + vbi(len(props)) + props
    else:
        body = bytes([flags, code])
    return bytes([0x20]) + vbi(len(body)) + body


def auth(code, data):
    props = bytes([0x15]) + string(AUTH_METHOD) + bytes([0x16]) + string(data)
    body = bytes([code]) + vbi(len(props)) + props
    return bytes([0xF0]) + vbi(len(body)) + body


def publish_qos0(level, topic, payload):
    body = string(topic) + (b"\x00" if level == 5 else b"") + payload
    return bytes([0x30]) + vbi(len(body)) + body


# --- scenarios --------------------------------------------------------------------------------


class Scenario:
    """Answers one client connection's packets with crafted bytes."""

    def __init__(self, name):
        self.name = name
        self.level = 4
        self.auth_step = 0

    def on_packet(self, packet):
        """The bytes to send back (possibly none)."""
        kind = packet[0] >> 4
        if kind == 1:
            self.level, props = connect_level_and_properties(packet)
            return self.on_connect(props)
        if kind == 15:
            return self.on_auth(*auth_properties(packet))
        if kind == 12:
            return bytes([0xD0, 0x00])  # PINGRESP
        return b""

    def on_connect(self, props):
        ok = connack(self.level)
        if self.name == "connack-reserved-flag":
            return connack(self.level, flags=0x02)
        if self.name == "publish-wildcard-topic":
            return ok + publish_qos0(self.level, b"sbw/+/bad", b"x")
        if self.name == "remaining-length-overflow":
            return ok + bytes([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        if self.name == "publish-truncated":
            return ok + bytes([0x30, 0x05, 0x00, 0x09]) + b"abc"
        if self.name == "auth":
            if props.get(0x15) != AUTH_METHOD or props.get(0x16) != b"client-first":
                return connack(self.level, code=0x87)
            self.auth_step = 1
            return auth(0x18, b"challenge-1")
        raise ValueError(f"unknown scenario {self.name!r}")

    def on_auth(self, code, props):
        expected = {1: b"answer-1", 2: b"answer-2"}.get(self.auth_step)
        if (
            self.name != "auth"
            or code != 0x18
            or props.get(0x15) != AUTH_METHOD
            or props.get(0x16) != expected
        ):
            self.auth_step = 0
            return connack(self.level, code=0x87)
        if self.auth_step == 1:
            self.auth_step = 2
            return auth(0x18, b"challenge-2")
        self.auth_step = 0
        final = bytes([0x15]) + string(AUTH_METHOD) + bytes([0x16]) + string(b"server-final")
        return connack(self.level, props=final)


# --- HTTP and WebSocket -----------------------------------------------------------------------


class Fixture:
    def __init__(self, broker):
        self.broker = broker
        # NAME -> one list of hex packets per connection.
        self.logs = {}

    async def serve(self, reader, writer):
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            method, path, _ = request_line.split(" ", 2)
            headers = {}
            for line in header_lines:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            if headers.get("upgrade", "").lower() == "websocket":
                await self.websocket(path, headers, reader, writer)
            else:
                await self.http(method, path, writer)
        except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
            pass
        except Exception as e:  # noqa: BLE001 - a fixture bug must show in its log, not kill it
            print(f"fixture: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        finally:
            writer.close()

    async def http(self, method, path, writer):
        status, body = 404, "not found"
        if method == "OPTIONS":
            status, body = 204, ""
        elif method == "POST" and path == "/broker/stop":
            status, body = 200, await self.broker.stop()
        elif method == "POST" and path == "/broker/start":
            try:
                status, body = 200, await self.broker.start()
            except RuntimeError as e:
                status, body = 500, str(e)
        elif method == "GET" and path.startswith("/log/"):
            status, body = 200, json.dumps(self.logs.get(path[len("/log/") :], []))
        print(f"fixture: {method} {path} -> {status} {body[:80]}", file=sys.stderr, flush=True)
        data = body.encode()
        writer.write(
            (
                f"HTTP/1.1 {status} {'OK' if status < 300 else 'Error'}\r\n"
                "Access-Control-Allow-Origin: *\r\n"
                "Access-Control-Allow-Methods: GET, POST\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n"
                f"Content-Length: {len(data)}\r\n"
                "Connection: close\r\n\r\n"
            ).encode()
            + data
        )
        await writer.drain()

    async def websocket(self, path, headers, reader, writer):
        parts = path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "ws":
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            return
        scenario = Scenario(parts[1])
        log = []
        self.logs.setdefault(parts[2], []).append(log)
        accept = base64.b64encode(
            hashlib.sha1((headers["sec-websocket-key"] + WS_GUID).encode()).digest()
        ).decode()
        protocol = (
            "Sec-WebSocket-Protocol: mqtt\r\n"
            if "mqtt" in headers.get("sec-websocket-protocol", "")
            else ""
        )
        writer.write(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n{protocol}\r\n"
            ).encode()
        )
        await writer.drain()
        print(f"fixture: WebSocket {path}", file=sys.stderr, flush=True)
        pending = b""
        message = b""
        while True:
            opcode, fin, payload = await read_frame(reader)
            if opcode == 0x8:  # close: echo it and end
                writer.write(frame(0x8, payload[:2]))
                await writer.drain()
                return
            if opcode == 0x9:
                writer.write(frame(0xA, payload))
                continue
            if opcode in (0x0, 0x2):
                message += payload
                if not fin:
                    continue
                pending += message
                message = b""
                packets, pending = split_packets(pending)
                for packet in packets:
                    log.append(packet.hex())
                    reply = scenario.on_packet(packet)
                    if reply:
                        writer.write(frame(0x2, reply))
                await writer.drain()


async def read_frame(reader):
    b0, b1 = await reader.readexactly(2)
    n = b1 & 0x7F
    if n == 126:
        n = int.from_bytes(await reader.readexactly(2), "big")
    elif n == 127:
        n = int.from_bytes(await reader.readexactly(8), "big")
    mask = await reader.readexactly(4) if b1 & 0x80 else b"\x00\x00\x00\x00"
    data = await reader.readexactly(n)
    payload = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    return b0 & 0x0F, bool(b0 & 0x80), payload


def frame(opcode, payload):
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | opcode, n])
    elif n < 1 << 16:
        head = bytes([0x80 | opcode, 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 127]) + n.to_bytes(8, "big")
    return head + payload


async def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--broker-mqtt-port", type=int, required=True)
    p.add_argument("--broker-ws-port", type=int, required=True)
    p.add_argument("--run-dir", required=True)
    args = p.parse_args()

    broker = Broker(args.broker_mqtt_port, args.broker_ws_port, os.path.abspath(args.run_dir))
    await broker.start()
    fixture = Fixture(broker)
    server = await asyncio.start_server(fixture.serve, "127.0.0.1", args.port)
    print(
        f"fixture: http://127.0.0.1:{args.port} (restartable broker "
        f"mqtt://127.0.0.1:{args.broker_mqtt_port}, ws://127.0.0.1:{args.broker_ws_port})",
        file=sys.stderr,
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        server.close()
        await broker.stop()


if __name__ == "__main__":
    asyncio.run(main())
