"""The test suite, a package so that its shared harnesses import by their place in it.

`pythonpath = ["."]` in pyproject.toml puts the repository root on the path: a test
imports `tests.clocks`, `tests.conversation.scenario`, `tests.telegram_api` (the loopback
Bot API server) or `tests.matrix_homeserver` (Synapse) as it imports `bot` or `storage`.
The benches in bench/ put the root on their path to do the same.
"""
