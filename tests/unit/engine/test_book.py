"""The order book on its own: levels, FIFO, lazy cancels, depth, walks, change tracking."""

from minance.engine.book import OrderBook


class Resting:
    """The few order fields the book reads."""

    def __init__(self, oid, is_buy, price, leaves):
        self.order_id, self.is_buy, self.price, self.leaves, self.on_book = oid, is_buy, price, leaves, False


def test_levels_sorted_best_last_and_depth_best_first():
    book = OrderBook()
    for i, (is_buy, price) in enumerate([(True, 100), (True, 102), (True, 101), (False, 105), (False, 103),
                                         (False, 104)]):
        book.add(Resting(i, is_buy, price, 10))
    assert (book.best_bid(), book.best_ask()) == (102, 103)
    assert book.depth(2) == ([(102, 10), (101, 10)], [(103, 10), (104, 10)])
    assert not book.is_crossed()


def test_same_price_aggregates_and_cancel_updates_totals():
    book = OrderBook()
    a, b = Resting(1, True, 100, 5), Resting(2, True, 100, 7)
    book.add(a)
    book.add(b)
    assert book.depth(5)[0] == [(100, 12)]
    book.remove(a)
    assert book.depth(5)[0] == [(100, 7)] and book.level_orders(True, 100) == [b]
    book.remove(b)
    assert book.depth(5)[0] == [] and book.bids == {} and book.bid_keys == []


def test_change_tracking_and_update_ids():
    book = OrderBook()
    book.add(Resting(1, False, 200, 3))
    book.add(Resting(2, False, 201, 4))
    assert book.update_id == 2
    first, bids, asks = book.drain_changes()
    assert (first, bids, asks) == (1, [], [(200, 3), (201, 4)])
    assert book.drain_changes() == (3, [], [])


def test_cancelled_entries_are_compacted():
    book = OrderBook()
    keep = Resting(0, True, 100, 1)
    book.add(keep)
    for i in range(1, 500):
        o = Resting(i, True, 100, 1)
        book.add(o)
        book.remove(o)
    level = book.bids[100]
    assert level.count == 1 and len(level.queue) < 40


def test_walks():
    book = OrderBook()
    book.add(Resting(1, False, 100 * 10**8, 2 * 10**8))
    book.add(Resting(2, False, 101 * 10**8, 2 * 10**8))
    assert book.walk_cost(True, 3 * 10**8) == (3 * 10**8, 301 * 10**8)
    assert book.walk_cost(True, 3 * 10**8, limit=100 * 10**8) == (2 * 10**8, 200 * 10**8)
    assert book.walk_budget(True, 250 * 10**8, 10**6) == 249_000_000  # 2 @ 100, then 0.49 @ 101 (step 0.01)
