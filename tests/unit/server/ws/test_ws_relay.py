"""Stream events wait for the journal (nothing is told before it is durable), in engine order; and the
flusher turns a burst of stream messages into one write per connection."""

from __future__ import annotations

import asyncio

from minance.server.ws.fanout import Topic
from minance.server.ws.protocol import FLUSHER, Connection, WsLimits
from minance.server.ws.relay import DurableRelay
from minance.server.ws.streams import parse_stream


class FakeJournal:
    def __init__(self) -> None:
        self.barriers: list[asyncio.Future] = []

    def barrier(self) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.barriers.append(future)
        return future


def test_events_are_released_once_durable_in_order():
    async def main():
        journal = FakeJournal()
        got: list = []
        relay = DurableRelay(journal, [got.append], lambda: True)
        relay(["a1", "a2"])  # one command's events
        relay(["b1"])  # another command in the same turn: one barrier for both
        relay([])
        await asyncio.sleep(0)
        assert got == [] and len(journal.barriers) == 1
        relay(["c1"])  # after the first barrier was queued: a second one
        await asyncio.sleep(0)
        assert len(journal.barriers) == 2
        journal.barriers[0].set_result(1)
        await asyncio.sleep(0)
        assert got == [["a1", "a2"], ["b1"]]
        journal.barriers[1].set_result(2)
        await asyncio.sleep(0)
        assert got == [["a1", "a2"], ["b1"], ["c1"]]

    asyncio.run(main())


def test_nothing_is_kept_when_nobody_listens():
    async def main():
        journal = FakeJournal()
        got: list = []
        relay = DurableRelay(journal, [got.append], lambda: False)
        relay(["x"])
        await asyncio.sleep(0)
        assert journal.barriers == [] and got == []

    asyncio.run(main())


def test_events_of_a_failed_commit_are_dropped():
    async def main():
        journal = FakeJournal()
        got: list = []
        relay = DurableRelay(journal, [got.append], lambda: True)
        relay(["lost"])
        await asyncio.sleep(0)
        journal.barriers[0].set_exception(OSError("disk full"))
        await asyncio.sleep(0)
        assert got == []

        class FailedJournal:
            def barrier(self):
                raise RuntimeError("journal failed earlier")

        relay = DurableRelay(FailedJournal(), [got.append], lambda: True)
        relay(["never"])
        await asyncio.sleep(0)
        assert got == []

    asyncio.run(main())


class WebSocketsSansIOProtocol:  # stands in for uvicorn's protocol: the direct path writes to its transport
    class Transport:
        def __init__(self) -> None:
            self.writes: list[bytes] = []

        def write(self, data: bytes) -> None:
            self.writes.append(data)

        def is_closing(self) -> bool:
            return False

    class Conn:
        extensions = ()

    def __init__(self) -> None:
        self.transport = self.Transport()
        self.writable = asyncio.Event()
        self.writable.set()
        self.close_sent = False
        self.conn = self.Conn()

    async def send(self, message: dict) -> None:
        raise AssertionError("data frames take the direct path")


class Sub:
    def __init__(self, conn: Connection, combined: bool = False) -> None:
        self.conn = conn
        self.combined = combined
        self.micros = False


def test_a_burst_is_one_write_per_connection_in_order():
    async def main():
        FLUSHER.linger_s = 0.005
        protos = [WebSocketsSansIOProtocol() for _ in range(3)]
        conns = [Connection(p.send, "127.0.0.1", "/ws", WsLimits()) for p in protos]
        assert all(c.direct for c in conns)
        topic = Topic(parse_stream("btcusdt@trade"))
        for i, c in enumerate(conns):
            topic.subs[Sub(c, combined=i == 2)] = None
        await asyncio.sleep(0.01)
        for i in range(10):
            topic.publish({"t": i})
        await asyncio.sleep(0)
        for i in range(10, 20):  # within the linger: one more batch, a little later
            topic.publish({"t": i})
        await asyncio.sleep(0.02)
        raw = [b"".join(p.transport.writes) for p in protos]
        assert [len(p.transport.writes) for p in protos] == [2, 2, 2]
        expected = b"".join(b"\x81" + bytes((len(b'{"t":%d}' % i),)) + b'{"t":%d}' % i for i in range(20))
        assert raw[0] == raw[1] == expected
        assert raw[2].count(b'{"stream":"btcusdt@trade","data":') == 20

    asyncio.run(main())


def test_a_full_transport_holds_the_queue_until_it_drains():
    async def main():
        proto = WebSocketsSansIOProtocol()
        conn = Connection(proto.send, "127.0.0.1", "/ws", WsLimits(send_queue=5))
        writer = asyncio.create_task(conn.run_writer())
        proto.writable.clear()
        conn.push_json({"n": 1})
        conn.push_json({"n": 2})
        await asyncio.sleep(0.01)
        assert proto.transport.writes == [] and conn.pending() == 2
        proto.writable.set()
        await asyncio.sleep(0.01)
        assert proto.transport.writes == [b'\x81\x07{"n":1}\x81\x07{"n":2}']
        writer.cancel()

    asyncio.run(main())
