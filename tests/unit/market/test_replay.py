from fractions import Fraction

import pytest

from minance.domain.clock import SimClock
from minance.market.replay import MarketClock, parse_speed

T = 1_700_000_000_000


def test_real_time_is_wall_time():
    wall = SimClock(T)
    clock = MarketClock(wall)
    wall.advance_ms(1234)
    assert clock.now_ms() == T + 1234 and clock.now_us() == wall.now_us()


def test_speed_and_start_point():
    wall = SimClock(T)
    clock = MarketClock(wall, speed="60", start_market_ms=T - 86_400_000)
    assert clock.now_ms() == T - 86_400_000
    wall.advance_ms(1000)
    assert clock.now_ms() == T - 86_400_000 + 60_000
    half = MarketClock(wall, speed="0.5")
    wall.advance_ms(3)
    assert half.now_us() == wall.now_us() - 1500


def test_changing_speed_keeps_market_time_continuous():
    wall = SimClock(T)
    clock = MarketClock(wall, speed=10)
    wall.advance_ms(100)
    before = clock.now_ms()
    clock.set_speed("1/2")
    assert clock.now_ms() == before and clock.speed == Fraction(1, 2)
    wall.advance_ms(100)
    assert clock.now_ms() == before + 50


def test_wall_delay_until_a_market_time():
    wall = SimClock(T)
    clock = MarketClock(wall, speed=1000)
    assert clock.wall_delay_ms(T + 60_000) == 60
    assert clock.wall_delay_ms(T + 1) == 1  # rounded up: never wake early
    assert clock.wall_delay_ms(T - 5) == 0


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "1/0", ""])
def test_bad_speeds(raw):
    with pytest.raises(ValueError):
        parse_speed(raw)
