"""What tests and benchmarks share: the fake Bot API, the harness that runs the bot against it,
the flood-controlled fake, synthetic knowledge and the reply checks.

Benchmarks import this package; tests never import benchmarks, and the bot never imports tests.
"""
