"""One connection's bounded send queue: in order, never waiting, dropped with a reason when it overflows."""

from __future__ import annotations

import asyncio

from minance.server.ws.protocol import Connection, ConnectionAttempts, MessageRate, Msg, WsLimits, text_frame


class FakeSend:
    """An ASGI send that blocks while ``paused`` (a peer that stopped reading)."""

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.resume = asyncio.Event()
        self.resume.set()

    async def __call__(self, message: dict) -> None:
        await self.resume.wait()
        self.sent.append(message)


def test_messages_go_out_in_order_then_the_close():
    async def main():
        send = FakeSend()
        conn = Connection(send, "1.2.3.4", "/ws", WsLimits())
        writer = asyncio.create_task(conn.run_writer())
        for i in range(100):
            conn.push(Msg(str(i).encode()))
        conn.close(1000, "bye")
        conn.push(Msg(b"after close"))  # ignored
        await asyncio.wait_for(writer, 1)
        assert [m["text"] for m in send.sent[:-1]] == [str(i) for i in range(100)]
        assert send.sent[-1] == {"type": "websocket.close", "code": 1000, "reason": "bye"}

    asyncio.run(main())


def test_a_peer_that_stops_reading_is_dropped_and_memory_stays_bounded():
    async def main():
        send = FakeSend()
        send.resume.clear()
        conn = Connection(send, "1.2.3.4", "/ws", WsLimits(send_queue=10, send_queue_bytes=10**6))
        cleaned = []
        conn.on_drop(lambda: cleaned.append(True))
        writer = asyncio.create_task(conn.run_writer())
        await asyncio.sleep(0)
        for i in range(50):
            conn.push(Msg(f"message {i}".encode()))  # never waits, whatever the peer does
        assert conn.dropped and not conn.open and conn.pending() == 0
        await asyncio.sleep(0)
        assert cleaned == [True]  # the producers forget it (after the current publication)
        send.resume.set()  # the peer reads again: what the transport had, then the close frame
        await asyncio.wait_for(writer, 1)
        close = send.sent[-1]
        assert close["type"] == "websocket.close" and close["code"] == 1008
        assert close["reason"].startswith("Slow consumer")
        assert len(send.sent) <= 2

    asyncio.run(main())


def test_byte_bound():
    conn = Connection(None, "1.2.3.4", "/ws", WsLimits(send_queue=0, send_queue_bytes=100))
    conn.push(Msg(b"x" * 60))
    assert conn.open
    conn.push(Msg(b"x" * 60))
    assert conn.dropped


def test_frames():
    assert text_frame(b"{}") == b"\x81\x02{}"
    assert text_frame(b"x" * 200)[:4] == b"\x81\x7e\x00\xc8"
    assert text_frame(b"x" * 70000)[:10] == b"\x81\x7f" + (70000).to_bytes(8, "big")
    msg = Msg.of({"a": 1})
    assert msg.data == b'{"a":1}' and msg.frame is msg.frame


def test_message_rate_per_second():
    rate = MessageRate(5)
    assert all(rate.allow(1_000_000 + i) for i in range(5))
    assert not rate.allow(1_000_500)
    assert rate.allow(1_001_000)
    assert all(MessageRate(0).allow(1) for _ in range(100))


def test_connection_attempts_per_ip_per_five_minutes():
    attempts = ConnectionAttempts(3)
    t = 1_700_000_100_000
    assert [attempts.allow("a", t) for _ in range(4)] == [True, True, True, False]
    assert attempts.allow("b", t)
    assert attempts.allow("a", (t // 300_000 + 1) * 300_000)
