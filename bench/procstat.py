"""A process's peak memory, as the benchmarks report it."""

from __future__ import annotations

from pathlib import Path


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
