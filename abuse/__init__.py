"""Abuse controls: client addresses, rate limits, quiet screening of signatures against block
and allow lists and duplicates, spike alerts, bulk invalidation and the kill switches."""
