"""Proved by crashing it: a training process SIGKILLed at random moments and started again
with ``resume=`` ends bit-identical to the run never killed, and no kill leaves a torn or
unreadable checkpoint (docs/design.md §12).

The CI test kills each of two short runs twice; the battery (``pytest -m slow``) kills a
PSO run, a second swarm algorithm and a back-prop run with Adam 20 times in all, and
damages a checkpoint by hand on the way.  The kill moments are drawn from a seeded
generator over each run's remaining time; the processes alternate between 1 and 2 Numba
threads.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

import swarmreg as sr
from swarmreg.algorithms import ALGORITHMS
from swarmreg.checkpoints import CheckpointWarning, previous_path

CHILD = textwrap.dedent("""
    import os, sys, time
    import numpy as np
    import swarmreg as sr
    name, path, out = sys.argv[1:4]
    X, _, y, _ = sr.datasets.iris(test_size=0.2, seed=0)
    net = sr.Network([4, 7, 3])
    second = "cso" if "cso" in sr.algorithms.ALGORITHMS else "pso"
    RUNS = {
        "pso": (sr.train_pso, dict(lam=0.01, swarm_size=20, max_iter=int(sys.argv[4]), seed=1)),
        "swarm2": (sr.train_pso, dict(algorithm=second, lam=0.01, swarm_size=20,
                                      max_iter=int(sys.argv[4]), seed=2,
                                      **({} if second == "cso" else {"topology": "ring"}))),
        "adam": (sr.train_backprop, dict(lam=0.01, lr=0.002, batch_size=8, optimizer="adam",
                                         epochs=int(sys.argv[4]), seed=3)),
    }
    train, kw = RUNS[name]
    resume = path if os.path.exists(path) or os.path.exists(path + ".prev") else None
    print("start", time.monotonic(), flush=True)
    res = train(net, X, y, **kw, checkpoint=path, checkpoint_every=0.02, resume=resume)
    np.save(out + ".theta.npy", res.theta)
    np.save(out + ".history.npy", res.history)
    print("done", res.iterations, flush=True)
""")

#: Budgets of about 1.5 s of training each (on a 2-core machine shared with other jobs).
BUDGETS = {"pso": 12000, "swarm2": 12000, "adam": 20000}


def start_child(name, path, out, threads):
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads), PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-c", CHILD, name, str(path), str(out),
                             str(BUDGETS[name])], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def finish_child(proc, timeout=300):
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return out, err


def checkpoint_iterations(path, damaged=False):
    """Iterations of the checkpoint at ``path`` (None when none was written yet), read with
    every warning an error: a kill must never leave it torn or unreadable.  Where the test
    ``damaged`` it and no run has replaced it since, the previous one's."""
    if not path.exists():
        assert not previous_path(path).exists()
        return None
    if damaged:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            done = sr.read_checkpoint(path).iterations
        assert all(issubclass(w.category, CheckpointWarning) for w in caught)
        return done
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return sr.read_checkpoint(path).iterations


def damage(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0xFF
    path.write_bytes(bytes(data))


def same_outputs(out, ref_out, name, kills):
    for part in ("theta", "history"):
        got = np.load(f"{out}.{part}.npy")
        want = np.load(f"{ref_out}.{part}.npy")
        assert got.tobytes() == want.tobytes(), f"{name}: {part} differs after kills at {kills}"


def crash_and_resume(tmp_path, name, n_kills, seed, damage_after=None):
    """Kill ``n_kills`` times a run that resumes from its checkpoint and compare the run that
    ends with the one never killed.  The kills fall at moments of the run's training drawn
    uniformly (sorted), each child killed once its training reaches the next (estimated
    from its checkpoint and the reference's pace), plus up to 0.3 s of its start-up.  A
    run that ends before its kill is compared too, and the next kill goes to a new run.
    Returns what happened, for the report."""
    rng = np.random.default_rng(seed)
    ref_out, path, out = tmp_path / f"{name}-ref", tmp_path / f"{name}.ckpt", tmp_path / name
    ref = start_child(name, tmp_path / f"{name}-ref.ckpt", ref_out, threads=2)
    ref.stdout.readline()  # "start": the data are loaded, training begins
    tic = time.monotonic()
    finish_child(ref)
    train_s = time.monotonic() - tic
    moments = np.sort(rng.uniform(0.0, 0.95 * train_s, n_kills))
    kills, left, runs, damaged = [], [], 1, False
    while len(kills) < n_kills:
        done = checkpoint_iterations(path, damaged) or 0
        delay = (max(moments[len(kills)] - train_s * done / BUDGETS[name], 0.0)
                 + rng.uniform(0.0, 0.3))
        proc = start_child(name, path, out, threads=1 + len(kills) % 2)
        assert proc.stdout.readline().startswith("start"), proc.communicate()[1][-3000:]
        time.sleep(delay)
        if proc.poll() is not None:  # it ended first: compare it, and start a new run
            finish_child(proc)
            same_outputs(out, ref_out, name, kills)
            for stale in (path, previous_path(path)):
                stale.unlink(missing_ok=True)
            runs += 1
            continue
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
        if damaged:  # the resumed run replaced the damaged file, or had no time to
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                sr.read_checkpoint(path)
            damaged = bool(caught)
        now = checkpoint_iterations(path, damaged)
        assert now is None or now >= done
        kills.append(round(float(delay), 3))
        left.append(now)
        if damage_after is not None and len(kills) == damage_after and previous_path(path).exists():
            damage(path)
            damaged = True
            with pytest.warns(CheckpointWarning, match="unusable .damaged"):
                sr.read_checkpoint(path)
    finish_child(start_child(name, path, out, threads=2))
    same_outputs(out, ref_out, name, kills)
    return {"kills_s_into_training": kills, "checkpoint_iterations": left, "runs": runs,
            "training_s": round(train_s, 2)}


@pytest.mark.parametrize("name", ["pso", "adam"])
def test_a_run_killed_at_random_moments_resumes_bit_identical(tmp_path, name):
    crash_and_resume(tmp_path, name, n_kills=2, seed=11)


@pytest.mark.slow
def test_twenty_kills_across_two_swarm_algorithms_and_adam_resume_bit_identical(tmp_path):
    report = {}
    for name, n_kills, seed in (("pso", 7, 1), ("swarm2", 7, 2), ("adam", 6, 3)):
        report[name] = crash_and_resume(tmp_path, name, n_kills, seed, damage_after=3)
    print(f"\nkills (seconds into training) and the checkpoint each left: {report}; second swarm "
          f"algorithm: {'cso' if 'cso' in ALGORITHMS else 'pso ring'}")
    assert sum(len(r["kills_s_into_training"]) for r in report.values()) == 20
