"""Which of the demo's seven scenarios (`SCENARIOS` in `__init__.py`: a new PoC, a hold, a
Conditional Go, a recycle, a handover, a completed engagement, a No-Go) the i-th demo
engagement plays. The first seven play each once, in order (the default demo shows six of
them); a larger demo repeats a cycle weighted as a real portfolio is — more healthy
engagements than stopped or recycled ones — so its health spreads believably (about half
green, a third amber, the rest red; see bench/README.md)."""

from __future__ import annotations

CYCLE = (0, 1, 2, 3, 4, 5, 6, 0, 2, 5)


def scenario_index(i: int) -> int:
    return CYCLE[i % len(CYCLE)]
