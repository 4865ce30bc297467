"""Load generation for bench/signing: the signing form, wrk, the fixed-rate client, py-spy.

wrk (with bench/signing.lua) measures throughput with closed-loop
connections; bench/fixed_rate.py measures latency at a fixed arrival rate.
Both send the form a browser would, with the CSRF pair of one page load.
"""

from __future__ import annotations

import dataclasses
import http.client
import http.cookies
import json
import re
import resource
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fixed_rate
from procstat import process_cpu
from signing_env import HOST, VENV_BIN, Application, BenchError, say
from signing_report import CpuMeter, LoadRun

from safepassage.lib import pow

LUA_SCRIPT = Path(__file__).resolve().parent / "signing.lua"


# --------------------------------------------------------------------------- HTTP helpers


@dataclass
class SigningForm:
    """What a browser has after loading the signing page: the path and its form token.

    The page sets no cookie (lib/formtokens.py): ``cookie`` stays empty.
    """

    path: str
    cookie: str
    field: str
    # Solved proof-of-work challenges (--challenge), each used by one submission.
    proofs: list[str] = dataclasses.field(default_factory=list)

    def take(self, count: int) -> list[str]:
        taken, self.proofs[:] = self.proofs[:count], self.proofs[count:]
        return taken

    def body(self, email: str) -> bytes:
        fields = {
            "form_token": self.field,
            "first_name": "Ji-woo",
            "last_name": "Kim",
            "email": email,
            "city": "Seoul",
            "country": "KR",
            "region": "KR-11",
            "contact": "count",
            "publish_name": "yes",
        }
        if self.proofs:
            fields["altcha"] = self.proofs.pop()
        return urllib.parse.urlencode(fields).encode()

    def request(self, port: int, email: str) -> bytes:
        """A complete HTTP/1.1 POST of the form, for clients that write raw bytes."""
        body = self.body(email)
        head = (
            f"POST {self.path} HTTP/1.1\r\n"
            f"Host: {HOST}:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n"
            "\r\n"
        )
        return head.encode() + body


def load_signing_form(port: int, path: str) -> SigningForm:
    """GET the signing page once, as a browser would, for its signed form token.

    The token is valid for any number of POSTs within its time window, so
    every load client reuses it.
    """
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        html = response.read().decode()
        cookies = http.cookies.SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
    finally:
        conn.close()
    if response.status != 200 or cookies:
        raise BenchError(f"GET {path} answered {response.status} (or set a cookie)")
    match = re.search(r'name="form_token" value="([^"]+)"', html)
    if not match:
        raise BenchError(f"GET {path}: no form_token field in the page")
    return SigningForm(path=path, cookie="", field=match.group(1))


def sign_once(port: int, form: SigningForm, email: str) -> int:
    """One POST through http.client: fails fast with a clear message before any load."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(
            "POST",
            form.path,
            body=form.body(email),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


# --------------------------------------------------------------------------- proof of work


def fetch_challenge(port: int, path: str) -> dict[str, object]:
    """A challenge from the server's endpoint, as the signing page's script gets one."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path.rstrip("/") + "/challenge.json")
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise BenchError(f"the challenge endpoint answered {response.status}")
    challenge: dict[str, object] = json.loads(body)
    return challenge


def solve_proofs(key: bytes, count: int, max_number: int, lifetime: int) -> list[str]:
    """Create and solve ``count`` challenges as the server would, before the load starts.

    They are made here with the server's key (derived from its SECRET_KEY as
    the server derives it) rather than fetched one by one, so the load is
    only signing; the sanity check first signs with one fetched from the
    server, which proves the two agree. The server verifies each with one
    hash and one HMAC, whatever the difficulty.
    """
    proofs = []
    for _ in range(count):
        challenge = pow.create_challenge(key, max_number, lifetime)
        number = pow.solve(challenge)
        assert number is not None
        proofs.append(pow.payload(challenge, number))
    return proofs


# --------------------------------------------------------------------------- load generators


def ensure_wrk() -> str:
    """Find wrk, installing Debian's package (which has LuaJIT scripting) if it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    say("wrk is missing: installing Debian's package (apt-get install wrk)")
    apt = ["apt-get", "-y", "-q", "install", "wrk"]
    for command in (apt, ["apt-get", "-q", "update"], apt):
        result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        if command is apt and result.returncode == 0:
            break
    found = shutil.which("wrk")
    if not found:
        raise BenchError("wrk is not installed and apt-get could not install it")
    return found


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def socket_errors(data: dict[str, Any], connections: int) -> int:
    """wrk's socket errors, less the keep-alive closes of connections parked after the run.

    Each parking beyond the first of every connection follows one such close
    (see signing.lua). A connection whose last request was never answered did
    not park, so the discount is then smaller and the result errs high.
    """
    raw = sum(data[key] for key in ("connect_errors", "read_errors", "write_errors"))
    return max(0, int(raw) - max(0, int(data["parks"]) - connections)) + int(data["timeout_errors"])


def run_wrk(
    wrk: str,
    app: Application,
    meter: CpuMeter,
    label: str,
    mode: str,
    path: str,
    form: SigningForm,
    connections: int,
    threads: int,
    seconds: int,
    grace: int,
) -> LoadRun:
    """Run wrk with bench/signing.lua and return its counts, latencies and CPU shares.

    wrk runs ``grace`` seconds longer than it sends, so that the answers to
    requests in flight at the end arrive (see signing.lua). CPU shares are
    taken over the sending window only, wrk's own from /proc/<pid>/stat; its
    total CPU time is the RUSAGE_CHILDREN difference around it (the server
    and worker are also children of this script, but reaped only at the end).
    """
    run_id = f"{label}-{secrets.token_hex(3)}"
    command = [wrk, "-t", str(min(threads, connections)), "-c", str(connections)]
    command += ["-d", f"{seconds + grace}s", "--timeout", "30s", "--latency", "-s"]
    command += [str(LUA_SCRIPT), app.base_url + path, "--", mode, path, form.cookie, form.field]
    command += [run_id]
    command += [str(seconds)]
    proof_files = _write_proofs(form, min(threads, connections), seconds) if mode == "sign" else ""
    command += [proof_files]
    before = children_cpu()
    meter.start()
    wrk_process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        # CPU shares cover the sending window only, not the idle grace period.
        time.sleep(seconds)
        cpu = meter.stop(process_cpu(wrk_process.pid))
        stdout, stderr = wrk_process.communicate(timeout=grace + 60)
    finally:
        if wrk_process.poll() is None:
            wrk_process.kill()
            wrk_process.wait(timeout=10)
    wrk_cpu = children_cpu() - before
    if wrk_process.returncode != 0:
        raise BenchError(f"wrk failed ({wrk_process.returncode}):\n{stdout}{stderr}")
    result_line = next(
        (line for line in stdout.splitlines() if line.startswith("BENCH-RESULT ")), None
    )
    if result_line is None:
        raise BenchError(f"wrk printed no BENCH-RESULT line:\n{stdout}{stderr}")
    for line in stdout.splitlines():
        if not line.startswith("BENCH-RESULT "):
            say(f"    wrk | {line}")
    data = json.loads(result_line.removeprefix("BENCH-RESULT "))
    return LoadRun(
        label=label,
        tool="wrk" if mode == "sign" else "wrk-get",
        connections=connections,
        seconds=seconds,
        expected_status=302 if mode == "sign" else 200,
        sent=data["sent"],
        answered=data["answered"],
        acknowledged=data["acknowledged"],
        unexpected=data["unexpected"],
        socket_errors=socket_errors(data, connections),
        active_seconds=data["active_seconds"],
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        cpu=cpu,
        loadgen_cpu_seconds=wrk_cpu,
    )


# Proofs handed to one wrk run: more than its signing rate could use (else they repeat).
PROOFS_PER_SECOND = 2500


def _write_proofs(form: SigningForm, threads: int, seconds: int) -> str:
    """One file of url-encoded proofs per wrk thread; the prefix of their names ("": none)."""
    if not form.proofs:
        return ""
    directory = Path(tempfile.mkdtemp(prefix="signing-proofs-"))
    proofs = form.take(PROOFS_PER_SECOND * seconds)
    for thread in range(threads):
        lines = [urllib.parse.quote(proof, safe="") for proof in proofs[thread::threads]]
        (directory / f"proofs-{thread + 1}").write_text("\n".join(lines) + "\n")
    return str(directory / "proofs-")


def run_fixed_rate(
    app: Application,
    meter: CpuMeter,
    form: SigningForm,
    rate: float,
    seconds: float,
    connections: int,
) -> LoadRun:
    run_id = secrets.token_hex(3)

    def make_request(index: int) -> bytes:
        return form.request(app.port, f"fixed-{run_id}-{index}@example.org")

    meter.start()
    result = fixed_rate.run(HOST, app.port, make_request, rate, seconds, connections, timeout=60)
    cpu = meter.stop(result.cpu_seconds)
    answered = sum(result.statuses.values())
    return LoadRun(
        label=f"fixed {rate:.0f}/s",
        tool="fixed-rate",
        connections=connections,
        seconds=seconds,
        expected_status=302,
        sent=result.scheduled,
        answered=answered,
        acknowledged=result.count(302),
        unexpected={str(k): v for k, v in result.statuses.items() if k != 302},
        socket_errors=sum(result.errors.values()),
        failed=sum(result.errors.values()),
        active_seconds=result.wall_seconds,
        p50_ms=result.percentile(0.50) * 1000,
        p99_ms=result.percentile(0.99) * 1000,
        max_ms=max(result.latencies, default=float("nan")) * 1000,
        cpu=cpu,
        loadgen_cpu_seconds=result.cpu_seconds,
    )


# --------------------------------------------------------------------------- profiling


@dataclass
class Profilers:
    """py-spy recorders attached to the server's workers and the mail worker for one run."""

    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    server_files: list[Path] = field(default_factory=list)
    worker_files: list[Path] = field(default_factory=list)


def start_profilers(
    py_spy_dir: Path | None, seconds: int, app: Application, name: str
) -> Profilers:
    """Optionally sample the server and the mail worker with py-spy during one run.

    Nothing is sampled without a ``py_spy_dir`` (--py-spy); each recorder stops
    after ``seconds``, the length of the run.

    gunicorn workers are sampled with ``--gil``: only the thread holding the
    GIL, i.e. where their CPU goes, not the 30-odd threads waiting for it. The
    single-threaded mail worker is sampled on the wall clock, waits included.
    """
    profilers = Profilers()
    if py_spy_dir is None:
        return profilers
    py_spy = shutil.which("py-spy") or str(VENV_BIN / "py-spy")
    if not Path(py_spy).exists():
        raise BenchError("--py-spy needs py-spy: .venv/bin/pip install py-spy")
    py_spy_dir.mkdir(parents=True, exist_ok=True)
    targets = [(pid, True) for pid in app.worker_pids()] + [(app.worker.pid, False)]
    for pid, gil in targets:
        output = py_spy_dir / f"{name}-{'server' if gil else 'mailworker'}-{pid}.txt"
        (profilers.server_files if gil else profilers.worker_files).append(output)
        command = [py_spy, "record", "--pid", str(pid), "--duration", str(seconds)]
        command += ["--rate", "50", "--format", "raw", "--nonblocking", "--output", str(output)]
        command += ["--gil"] if gil else []
        profilers.processes.append(
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )
    return profilers


def finish_profilers(profilers: Profilers) -> None:
    for profiler in profilers.processes:
        try:
            profiler.wait(timeout=30)
        except subprocess.TimeoutExpired:
            profiler.kill()
            profiler.wait(timeout=10)
    for title, files in (
        ("server, CPU (GIL held)", profilers.server_files),
        ("mail worker, wall clock", profilers.worker_files),
    ):
        if files:
            say(f"  py-spy, {title}: {', '.join(str(path) for path in files)}")
            for line in summarize_profile(files):
                say(f"    {line}")


def summarize_profile(paths: list[Path], top: int = 8) -> list[str]:
    """The busiest frames by own samples, and the application's functions including callees.

    py-spy's raw format is one folded stack per line, frames separated by
    ";", followed by a sample count.
    """
    total = 0
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            total += int(count)
            frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
            own[frames[-1]] += int(count)
            for frame in set(frames):
                if "safepassage/" in frame and "management/commands" not in frame:
                    inclusive[frame] += int(count)
    if not total:
        return ["(no samples)"]
    lines = [f"{total} samples; own time:"]
    lines += [f"  {count / total:6.1%}  {name}" for name, count in own.most_common(top)]
    lines += ["application functions, with what they call:"]
    lines += [f"  {count / total:6.1%}  {name}" for name, count in inclusive.most_common(top)]
    return lines
