"""Sparsity schedules as functions: where pruning during or after training goes next."""

from __future__ import annotations


def cubic(t: float, t0: float, t1: float, target: float) -> float:
    """Zhu & Gupta (2017): sparsity at time t rising from 0 at t0 to ``target`` at t1, fast first."""
    if t1 <= t0:
        return target
    u = min(max((t - t0) / (t1 - t0), 0.0), 1.0)
    return target * (1 - (1 - u) ** 3)


def geometric(rate: float, start: float, stop: float) -> list[float]:
    """Sparsities from ``start`` on, each removing ``rate`` of the survivors, up to ``stop`` (IMP's rounds)."""
    out, s = [], start
    while s < stop - 1e-12:
        out.append(s)
        s = 1 - (1 - s) * (1 - rate)
    out.append(stop)
    return out
