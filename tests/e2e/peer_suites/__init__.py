"""Harness pieces for running the peers' own test suites against a real ``minance serve``
(see tests/e2e/test_peer_suites.py): a replacement conftest for python-binance's tests and the setup for ccxt's."""
