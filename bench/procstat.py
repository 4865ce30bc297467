"""A process's CPU time and peak memory, as the benchmarks report them."""

from __future__ import annotations

import os
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int | str = "self") -> float:
    """Peak resident set size (VmHWM) of a running process, in MB; 0 if it is gone.

    Not ``getrusage(RUSAGE_SELF).ru_maxrss``: Linux keeps that figure across
    ``exec``, so a process started by a big parent reports the parent's peak
    (a routing process started after a million signers were inserted reported
    681 MB where it used 162 MB). VmHWM belongs to the process's own memory.
    """
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may contain spaces and parentheses: split after the last ")".
    return raw[raw.rindex(")") + 2 :].split()


def process_cpu(pid: int, with_reaped_children: bool = False) -> float:
    """CPU seconds (user + system, all threads) of a live process, 0 if it is gone."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if with_reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICKS


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def tree_cpu(pid: int | None) -> float:
    """CPU seconds of a process, its reaped children and its live children."""
    if pid is None:
        return 0.0
    return process_cpu(pid, with_reaped_children=True) + sum(
        process_cpu(child) for child in children(pid)
    )


def machine_busy_cpu() -> float:
    """CPU seconds all cores have spent not idle since boot (from /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS
