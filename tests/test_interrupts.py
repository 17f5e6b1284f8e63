"""Ctrl-C ends training within a fraction of a second whatever the budget, and chunking the
jitted loop to make that possible changes no bit of the result."""

import os
import select
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import swarmreg as sr
from swarmreg import _loop, backprop, pso
from swarmreg._kernels import stops


def one_call(iterate, total, counters, code, **_):
    """The reference: the whole budget in one call of the jitted loop, as before chunking."""
    reasons = stops.REASONS
    if reasons[code] == "max_iter":
        code = iterate(total)
    return reasons[code]


@pytest.fixture(scope="module")
def iris():
    X, _, y, _ = sr.datasets.iris(test_size=0.2, seed=0)
    return X, y


# Short runs, with a history that starts at 16 entries so that it grows several times.
PSO_RUNS = {
    "budget": dict(lam=0.01, swarm_size=6, max_iter=150, topology="ring", death_prob=0.02, seed=3),
    "patience": dict(lam=0.01, swarm_size=6, max_iter=100000, patience=8, seed=2),  # 159 its
    "target": dict(lam=0.0, swarm_size=6, max_iter=100000, target_error=0.4, seed=5),
}
BACKPROP_RUNS = {
    "budget": dict(lam=0.01, lr=0.02, epochs=100, batch_size=8, momentum=0.5, seed=3),
    "patience": dict(lam=0.01, lr=0.5, epochs=100000, patience=5, seed=1),
    "online": dict(lam=0.01, rule="decay", lr=0.01, epochs=40, seed=2),
}


@pytest.fixture(autouse=True)
def short_first_history(monkeypatch):
    monkeypatch.setattr(_loop, "FIRST_HISTORY_LEN", 16)


#: (trainer module, its public function, its runs), by name.
TRAINERS = {"pso": (pso, sr.train_pso, PSO_RUNS), "backprop": (backprop, sr.train_backprop,
                                                              BACKPROP_RUNS)}


@pytest.mark.parametrize("chunk_seconds", [0.0, 1e9, _loop.CHUNK_SECONDS],
                         ids=["one-step-per-call", "doubling", "default"])
@pytest.mark.parametrize("trainer, run", [(t, r) for t in TRAINERS for r in TRAINERS[t][2]])
def test_training_in_chunks_of_any_size_matches_one_call(iris, monkeypatch, trainer, run,
                                                         chunk_seconds):
    module, train, runs = TRAINERS[trainer]
    net = sr.Network([4, 3, 3])
    kw = runs[run]
    with monkeypatch.context() as m:
        m.setattr(module, "drive", one_call)
        ref = train(net, *iris, **kw)
    monkeypatch.setattr(_loop, "CHUNK_SECONDS", chunk_seconds)
    res = train(net, *iris, **kw)
    assert res.stop_reason == ref.stop_reason and res.iterations == ref.iterations
    assert res.theta.tobytes() == ref.theta.tobytes()
    assert res.history.tobytes() == ref.history.tobytes()
    if trainer == "pso" and run != "budget":
        assert res.iterations < kw["max_iter"]


def test_history_grows_instead_of_allocating_the_whole_budget(iris, monkeypatch):
    # max_iter=10**12 meant as "until the target": before, np.empty(10**12 + 1) failed.
    sizes = []
    real = _loop.History.reserve

    def spy(self, n):
        out = real(self, n)
        sizes.append(out.shape[0])
        return out

    monkeypatch.setattr(_loop.History, "reserve", spy)
    res = sr.train_pso(sr.Network([4, 5, 3]), *iris, swarm_size=8, max_iter=10**12, target_error=0.3,
                       seed=5)
    assert res.stop_reason == "target_error" and max(sizes) <= 2 * max(16, res.iterations + 1)
    res = sr.train_backprop(sr.Network([4, 5, 3]), *iris, lr=0.01, epochs=10**12, target_error=0.3,
                            seed=1)
    assert res.stop_reason == "target_error" and max(sizes) <= 2 * max(16, res.iterations + 1)


def test_history_keeps_its_entries_when_it_grows():
    h = _loop.History(5000, initial=4)
    h.reserve(3)[:3] = [1.0, 2.0, 3.0]
    grown = h.reserve(6)
    assert grown.shape[0] == 8 and list(grown[:3]) == [1.0, 2.0, 3.0]
    assert h.reserve(4999).shape[0] == 4999 and list(h.array[:3]) == [1.0, 2.0, 3.0]
    assert h.reserve(5000).shape[0] == 5000


# -- Ctrl-C, measured in a subprocess ---------------------------------------------------------

# The child restores Python's own SIGINT handler: a shell that starts background jobs
# passes them SIGINT ignored, and a user at a terminal has the handler.
PRELUDE = textwrap.dedent("""
    import signal, sys, time
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import swarmreg as sr
    X, _, y, _ = sr.datasets.iris(test_size=0.2, seed=0)
    net = sr.Network([4, 7, 3])
""")

LIBRARY_SCRIPT = PRELUDE + textwrap.dedent("""
    short = dict(pso=dict(swarm_size=10, max_iter=20), backprop=dict(epochs=3))
    long = dict(pso=dict(max_iter=10**9), backprop=dict(epochs=10**9))
    train = getattr(sr, "train_" + sys.argv[1])
    ref = train(net, X, y, lam=0.01, seed=1, **short[sys.argv[1]])  # loads the compiled kernels
    print("ready", flush=True)
    try:
        train(net, X, y, lam=0.01, seed=1, **long[sys.argv[1]])
        print("finished", flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    again = train(net, X, y, lam=0.01, seed=1, **short[sys.argv[1]])
    print("usable", again.theta.tobytes() == ref.theta.tobytes(), flush=True)
""")

CLI_SCRIPT = PRELUDE + textwrap.dedent("""
    from swarmreg import pso
    from swarmreg.cli import main
    sr.train_pso(net, X, y, swarm_size=10, max_iter=5, seed=1)  # loads the compiled kernels
    real = pso.drive

    def announce(*args, **kwargs):  # says when the jitted loop starts, however the CLI gets there
        print("training", flush=True)
        return real(*args, **kwargs)

    pso.drive = announce
    sys.exit(main(["train", "--trainer", "pso", "--max-iter", "1000000000"]))
""")


def stderr_of(proc):
    """What the child wrote to stderr, after ending it (a live child's stderr never ends)."""
    proc.kill()
    proc.wait()
    return proc.stderr.read()


def read_line(proc, timeout):
    """The child's next stdout line, or None after ``timeout`` seconds."""
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    return proc.stdout.readline().strip() if ready else None


def interrupt_after(script, args, first_line, delay=1.0):
    """Start ``script``, wait for ``first_line``, SIGINT it ``delay`` s later; return the
    process and the instant of the signal."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert read_line(proc, 120) == first_line, stderr_of(proc)
        time.sleep(delay)
        assert proc.poll() is None
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
    except BaseException:
        proc.kill()
        raise
    return proc, sent


@pytest.mark.parametrize("trainer", ["pso", "backprop"])
def test_ctrl_c_stops_training_within_a_fraction_of_a_second(trainer):
    # Before: the KeyboardInterrupt arrived when the jitted loop ended (6 s into
    # max_iter=60000, 19.5 s into epochs=400000); here the budget is a billion steps.
    proc, sent = interrupt_after(LIBRARY_SCRIPT, [trainer], "ready")
    try:
        line = read_line(proc, 30)
        latency = time.monotonic() - sent
        assert line == "interrupted", f"no reaction in 30 s: {stderr_of(proc)}"
        assert latency < 2.0, f"Ctrl-C took {latency:.2f} s"
        assert read_line(proc, 60) == "usable True"  # and the library still gives the same bits
        assert proc.wait(30) == 0
    finally:
        proc.kill()


def test_cli_train_says_training_interrupted_and_exits_130():
    proc, sent = interrupt_after(CLI_SCRIPT, [], "training")
    try:
        try:
            code = proc.wait(30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"no reaction in 30 s: {stderr_of(proc)}")
        latency = time.monotonic() - sent
        err = proc.stderr.read()
        assert code == 130, err
        assert latency < 2.0, f"Ctrl-C took {latency:.2f} s"
        assert err.strip() == "swarmreg train: training interrupted"
    finally:
        proc.kill()


CLI_SAVE_SCRIPT = CLI_SCRIPT.replace(
    '"1000000000"]', '"1000000000", "--save", sys.argv[1], "--checkpoint", sys.argv[2]]')


def test_cli_train_saves_the_partial_model_on_ctrl_c_and_says_so(tmp_path):
    model, checkpoint = tmp_path / "m.swarmreg", tmp_path / "run.ckpt"
    proc, sent = interrupt_after(CLI_SAVE_SCRIPT, [str(model), str(checkpoint)], "training")
    try:
        try:
            code = proc.wait(30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"no reaction in 30 s: {stderr_of(proc)}")
        err = proc.stderr.read()
        assert code == 130, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("swarmreg train: training interrupted after ")
        assert "saved the partial model (the best so far, E = " in lines[0]
        assert str(model) in lines[0] and f"continue with --resume {checkpoint}" in lines[0]
    finally:
        proc.kill()
    saved = sr.load_model(model)
    state = sr.read_checkpoint(checkpoint)
    assert saved.result_.stop_reason == "interrupted" == state.stop_reason
    assert saved.n_iter_ == state.iterations > 0
    assert saved.theta_.tobytes() == state.arrays["best"].tobytes()
