"""Benchmark 8: the swarm on a GPU and in float32 (issue #19).

ms per PSO iteration (softmax output, E = MSE + λ·Σw², no rebirth) on the issue's six
cases — Iris 4-7-3, digits 64-32-10 and a 16384-item teacher 32-64-10, 100 and 1000
particles — for

* swarmreg on every CPU core of the machine (Numba's default thread count), float64;
* swarmreg on the GPU (``device="cuda"``), float64 and float32;
* the JAX PSO of ``jaxpso.py`` (``lax.scan`` over the iterations, ``vmap`` over the
  particles, jitted end to end), on the GPU in float64 and float32 and on the CPU in
  float64, when JAX is installed (in a fresh process: JAX would otherwise take most of the
  GPU's memory and share the CPU threads with Numba);

and the ratios from the one run, with the GPU's name and the versions; then swarmreg's float32
÷ float64 on the CPU (Iris and digits, 100 particles), the two interleaved in one process.
Before timing, the GPU's error of random θ is compared with the CPU's (float64: 1e-12
relative; float32: 1e-6).  Every swarmreg time is ``TrainResult.elapsed / iterations``
(compilation and transfers of the start excluded, every launch and read-back of a run
included); every JAX time the second call of the compiled function.  Without a GPU, or on
Numba's simulator, the GPU columns are skipped with a note.
"""

from __future__ import annotations

import os
import platform
import time
import traceback

import numpy as np

from _common import (C1, C2, INERTIA, LAM, ForeignLoad, call_in_subprocess, fmt, load_data,
                     note, numba_threads, optional_import, ratio, stats, table)

LO, HI = -10.0, 10.0
#: McCaffrey's box for every peer (the JAX PSO's), no rebirth.
SWARM = dict(inertia=INERTIA, c1=C1, c2=C2, init_range=(LO, HI), bounds=(LO, HI),
             init_velocity=0.1, death_prob=0.0)

#: (data, layers, particles): the issue's table.
CASES = [("iris", (4, 7, 3), 100), ("iris", (4, 7, 3), 1000),
         ("digits", (64, 32, 10), 100), ("digits", (64, 32, 10), 1000),
         ("teacher", (32, 64, 10), 100), ("teacher", (32, 64, 10), 1000)]
TEACHER_ITEMS = 16384

#: The issue's targets: (case, column, ms per iteration at most), and ratios.
TARGETS = [(("digits", (64, 32, 10), 1000), "gpu float64", 0.5),
           (("digits", (64, 32, 10), 1000), "gpu float32", 0.2),
           (("iris", (4, 7, 3), 100), "gpu float64", 0.015),
           (("teacher", (32, 64, 10), 1000), "gpu float64", 6.6)]


def case_name(data, layers, particles):
    return f"{data} {'-'.join(map(str, layers))}, P={particles}"


def data_of(data):
    """X, y of a case: Iris and digits as the other benchmarks load them; the teacher
    ``make_teacher(16384, [32, 64, 10], seed=0)``."""
    if data == "teacher":
        import swarmreg as sr

        return sr.datasets.make_teacher(TEACHER_ITEMS, [32, 64, 10], seed=0)
    return load_data(data)


# --------------------------------------------------------------------------- swarmreg


def swarmreg_ms(net, X, y, particles, iterations, seed, device, dtype):
    """ms per iteration of one ``train_pso`` run (``elapsed`` excludes compilation)."""
    import swarmreg as sr

    res = sr.train_pso(net, X, y, lam=LAM, swarm_size=particles, max_iter=iterations, seed=seed,
                       device=device, dtype=dtype, **SWARM)
    return 1e3 * res.elapsed / res.iterations


def measure_swarmreg(case, device, dtype, target, repeats):
    """Warm-up (compiles), a probe sized by it (a run of three iterations is mostly the
    launches of its first chunks), then ``repeats`` runs of about ``target`` seconds each,
    sized by the probe."""
    import swarmreg as sr

    data, layers, particles = case
    X, y = data_of(data)
    net = sr.Network(list(layers))
    size = lambda ms: int(min(50_000, max(2, target / (ms / 1e3))))  # noqa: E731
    tic = time.perf_counter()
    warm = swarmreg_ms(net, X, y, particles, 3, 10_000, device, dtype)
    first_call = time.perf_counter() - tic
    iterations = size(swarmreg_ms(net, X, y, particles, size(warm), 10_001, device, dtype))
    with ForeignLoad() as load:
        ms = [swarmreg_ms(net, X, y, particles, iterations, r, device, dtype) for r in range(repeats)]
    return {**stats(ms), "iterations": iterations, "first_call_s": first_call,
            "foreign_cores": load.cores}


def gpu_check(case, n_theta=16):
    """Largest relative difference of the GPU's E from the CPU's for random θ in the box:
    float64 (the issue asks 1e-12) and float32 against float64 (1e-6)."""
    import swarmreg as sr
    from swarmreg.devices.cuda import swarm_error
    from swarmreg.error import Objective

    data, layers, _ = case
    X, y = data_of(data)
    obj = Objective.build(sr.Network(list(layers)), X, y, LAM)
    thetas = np.random.default_rng(0).uniform(LO, HI, (n_theta, obj.network.n_params))
    exact = obj.terms(thetas)
    exact32 = obj.terms(thetas.astype(np.float32).astype(np.float64))
    rel = lambda a, b: float(np.max(np.abs(a - b) / np.abs(b)))  # noqa: E731
    return {"float64": rel(swarm_error(obj, thetas), exact[0] + LAM * exact[1]),
            "float32": rel(swarm_error(obj, thetas, "float32"), exact32[0] + LAM * exact32[1])}


def gpu_configuration(case, dtype):
    """How a run of ``case`` is launched: blocks, threads, items per thread, registers."""
    import swarmreg as sr
    from swarmreg._kernels.gpu import evaluate

    data, layers, particles = case
    net = sr.Network(list(layers))
    n_items = len(data_of(data)[0])
    layout = evaluate.choose_layout(net.layers, "tanh", "softmax", "mse", dtype, n_items)
    return {"threads": layout.threads, "items_per_thread": layout.ipt,
            "theta_in_shared_memory": layout.shared_theta,
            "units": particles * layout.n_chunks(n_items)}


def cpu_float32_ab(cfg, with_digits=True):
    """swarmreg's float32 ÷ float64 on the CPU, Iris 4-7-3 and digits 64-32-10, 100
    particles: the two dtypes alternated in this process, medians."""
    import swarmreg as sr

    out = {}
    for data, layers in (("iris", (4, 7, 3)), ("digits", (64, 32, 10)))[:2 if with_digits else 1]:
        X, y = load_data(data)
        net = sr.Network(list(layers))
        warm = {dt: swarmreg_ms(net, X, y, 100, 3, 10_000, "cpu", dt)
                for dt in ("float64", "float32")}
        iterations = int(max(2, (0.05 if cfg.quick else 0.4) / (warm["float64"] / 1e3)))
        ms = {"float64": [], "float32": []}
        with ForeignLoad() as load:
            for r in range(3 if cfg.quick else 9):
                for dt in ms:
                    ms[dt].append(swarmreg_ms(net, X, y, 100, iterations, r, "cpu", dt))
        out[f"{data} {'-'.join(map(str, layers))}"] = {
            "float64": stats(ms["float64"]), "float32": stats(ms["float32"]),
            "ratio": ratio(float(np.median(ms["float64"])), float(np.median(ms["float32"]))),
            "iterations": iterations, "foreign_cores": load.cores}
    return out


# --------------------------------------------------------------------------- JAX


#: The JAX PSO's ms per iteration that the issue measured (H200, 16 Xeon cores): they size
#: each timed run, so that JAX compiles every case once (its iteration count is static).
#: None: not measured there, not timed here (JAX on the CPU would take seconds an iteration).
JAX_EXPECTED_MS = {
    ("gpu", "float64"): {("iris", 100): 0.037, ("iris", 1000): 0.061, ("digits", 100): 0.137,
                         ("digits", 1000): 1.09, ("teacher", 100): 1.34, ("teacher", 1000): 13.3},
    ("gpu", "float32"): {("iris", 100): 0.037, ("iris", 1000): 0.061, ("digits", 100): 0.137,
                         ("digits", 1000): 0.44, ("teacher", 100): 1.34, ("teacher", 1000): 5.3},
    ("cpu", "float64"): {("iris", 100): 0.92, ("iris", 1000): 3.9, ("digits", 100): 67.0,
                         ("digits", 1000): 360.0, ("teacher", 100): 487.0, ("teacher", 1000): None},
}


def measure_jax(cases, device, dtypes, target, repeats):
    """In a fresh process: ms per iteration of the JAX PSO for each case and dtype on
    ``device`` ("gpu" or "cpu"): one compiled run of about ``target`` seconds (sized by
    ``JAX_EXPECTED_MS``), timed ``repeats`` times after its first call."""
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    import jax

    import jaxpso

    try:
        where = jax.devices(device)[0]
    except RuntimeError as exc:
        return {"skipped": f"no JAX {device} device: {exc}"}
    out = {"jax": jax.__version__, "device": str(where), "cases": {}}
    with jax.default_device(where):
        for data, layers, particles in cases:
            X, y = data_of(data)
            layers = tuple(layers)
            for dtype in dtypes:
                name = f"{case_name(data, layers, particles)} {dtype}"
                expected = JAX_EXPECTED_MS.get((device, dtype),
                                               JAX_EXPECTED_MS[(device, "float64")])[(data, particles)]
                if expected is None:
                    out["cases"][name] = {"skipped": "not timed (seconds per iteration)"}
                    continue
                iterations = int(min(20_000, max(3, target / (expected / 1e3))))
                run, error, n = jaxpso.jax_pso(X, y, particles, iterations, layers=layers,
                                               dtype=dtype)
                rel = jaxpso.verify(X, y, error, n, layers=layers) if dtype == "float64" else None
                tic = time.perf_counter()
                jax.block_until_ready(run(jax.random.PRNGKey(0)))  # compiles
                first = time.perf_counter() - tic
                ms = []
                for r in range(repeats):
                    t = time.perf_counter()
                    jax.block_until_ready(run(jax.random.PRNGKey(r + 1)))
                    ms.append(1e3 * (time.perf_counter() - t) / iterations)
                out["cases"][name] = {**stats(ms), "iterations": iterations, "verify_rel": rel,
                                      "first_call_s": first}
    return out


# --------------------------------------------------------------------------- the benchmark


def _gpu(notes):
    """The GPU's name, or None with a note saying why the GPU columns are skipped."""
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        note(notes, "gpu: Numba's CUDA simulator is on (NUMBA_ENABLE_CUDASIM=1): it checks "
                    "the kernels, it cannot time them; GPU columns skipped.")
        return None
    try:
        from swarmreg.devices import cuda as cuda_device

        cuda_device.check_available()
        return cuda_device.device_name()
    except (ImportError, RuntimeError) as exc:
        note(notes, f"gpu: no GPU run ({exc}); GPU columns skipped.")
        return None


def run(cfg, notes):
    """Run benchmark 8; return ``(results, tables)``."""
    import numba

    target = 0.05 if cfg.quick else 0.5
    repeats = 1 if cfg.quick else 3
    have_sklearn = optional_import("sklearn", notes, "the digits cases (scikit-learn's data)")
    cases = [c for c in CASES if have_sklearn or c[0] != "digits"]
    gpu_name = _gpu(notes)
    results = {"gpu": gpu_name, "cpu_threads": numba_threads(), "cpu": platform.processor()
               or None, "numba": numba.__version__, "numba_cuda": _version("numba_cuda"),
               "cases": {}}
    if cfg.quick:  # the smoke test: the smallest case only, and no JAX
        cases = cases[:1]

    def attempt(what, measure):
        """``measure()``, or None with the traceback noted: one failing column (a GPU
        time is scarce) must not lose the others."""
        try:
            return measure()
        except Exception:  # noqa: BLE001 (reported, and the run goes on)
            note(notes, f"gpu: {what} failed:\n{traceback.format_exc()}")
            return None

    for case in cases:
        name = case_name(*case)
        row = results["cases"][name] = {}
        row["cpu float64"] = measure_swarmreg(case, "cpu", "float64", target, repeats)
        if gpu_name is not None:
            row["check"] = attempt(f"{name}: the GPU's error", lambda: gpu_check(case))
            for dtype in ("float64", "float32"):
                got = attempt(f"{name}, {dtype}", lambda: {
                    **measure_swarmreg(case, "cuda", dtype, target, repeats),
                    "launch": gpu_configuration(case, dtype)})
                if got is not None:
                    row[f"gpu {dtype}"] = got
        print(f"  {name}: " + ", ".join(f"{k} {fmt(v['median'])} ms" for k, v in row.items()
                                        if isinstance(v, dict) and "median" in v), flush=True)

    if not cfg.quick and optional_import("jax", notes, "the JAX PSO columns") is not None:
        spec = [[d, list(l), p] for d, l, p in cases]
        if gpu_name is not None:
            results["jax_gpu"] = attempt("the JAX PSO on the GPU", lambda: call_in_subprocess(
                "gpu", "measure_jax", {"cases": spec, "device": "gpu",
                                       "dtypes": ["float64", "float32"], "target": target,
                                       "repeats": repeats}, timeout=1800)) or {}
        results["jax_cpu"] = attempt("the JAX PSO on the CPU", lambda: call_in_subprocess(
            "gpu", "measure_jax", {"cases": spec, "device": "cpu", "dtypes": ["float64"],
                                   "target": target, "repeats": repeats}, timeout=1800)) or {}

    results["cpu_float32_ab"] = cpu_float32_ab(cfg, with_digits=have_sklearn is not None)
    return results, _tables(results, cases)


def _version(module):
    try:
        from importlib.metadata import version

        return version(module.replace("_", "-"))
    except Exception:  # not installed
        return None


def _jax_ms(results, which, case, dtype):
    cases = results.get(which, {}).get("cases", {})
    entry = cases.get(f"{case_name(*case)} {dtype}", {})
    return entry.get("median")


def _tables(results, cases):
    med = lambda row, key: row.get(key, {}).get("median")  # noqa: E731
    rows, ratio_rows = [], []
    for case in cases:
        row = results["cases"][case_name(*case)]
        cpu, g64, g32 = med(row, "cpu float64"), med(row, "gpu float64"), med(row, "gpu float32")
        jc = _jax_ms(results, "jax_cpu", case, "float64")
        j64, j32 = (_jax_ms(results, "jax_gpu", case, dt) for dt in ("float64", "float32"))
        check = row.get("check") or {}
        rows.append([case_name(*case), fmt(cpu), fmt(g64), fmt(g32), fmt(jc), fmt(j64), fmt(j32),
                     fmt(check.get("float64"), 2), fmt(check.get("float32"), 2)])
        ratio_rows.append([case_name(*case), fmt(ratio(cpu, g64)), fmt(ratio(cpu, g32)),
                           fmt(ratio(j64, g64)), fmt(ratio(j32, g32)), fmt(ratio(jc, cpu)),
                           fmt(ratio(g64, g32))])
    gpu = results["gpu"] or "no GPU"
    t1 = table(
        f"PSO on a GPU: ms per iteration (median) — {gpu}",
        ["case", f"swarmreg CPU ({results['cpu_threads']} thr)", "swarmreg GPU f64",
         "swarmreg GPU f32", "JAX CPU f64", "JAX GPU f64", "JAX GPU f32", "GPU E vs CPU (f64)",
         "GPU E f32 vs f64"],
        rows,
        f"numba {results['numba']}, numba-cuda {results['numba_cuda']}; softmax output, "
        f"E = MSE + λ·Σw² (λ = {LAM}), no rebirth, box [{LO:g}, {HI:g}]. The last two columns: "
        f"largest relative difference of the GPU's E of 16 random θ from the CPU's float64 E.")
    t2 = table(
        "PSO on a GPU: ratios from the same run",
        ["case", "CPU ÷ GPU f64", "CPU ÷ GPU f32", "JAX ÷ swarmreg, GPU f64",
         "JAX ÷ swarmreg, GPU f32", "JAX CPU ÷ swarmreg CPU", "f64 ÷ f32 on the GPU"],
        ratio_rows, "> 1: swarmreg's GPU run is faster than what it is divided into.")
    target_rows = []
    for case, column, limit in TARGETS:
        got = med(results["cases"].get(case_name(*case), {}), column)
        target_rows.append([case_name(*case), column, f"≤ {limit:g}", fmt(got),
                            "-" if got is None else ("met" if got <= limit else "missed")])
    digits = results["cases"].get(case_name("digits", (64, 32, 10), 1000), {})
    speedup = ratio(med(digits, "cpu float64"), med(digits, "gpu float64"))
    target_rows.append(["digits 64-32-10, P=1000", "CPU ÷ GPU f64", "≥ 100", fmt(speedup),
                        "-" if speedup is None else ("met" if speedup >= 100 else "missed")])
    ab = results.get("cpu_float32_ab") or {}
    for name, entry in ab.items():
        target_rows.append([f"{name}, P=100", f"CPU f64 ÷ f32 ({results['cpu_threads']} thr)",
                            "≥ 1.6", fmt(entry["ratio"]),
                            "met" if entry["ratio"] and entry["ratio"] >= 1.6 else "missed"])
    t3 = table("The issue's targets", ["case", "measure", "target", "measured", ""], target_rows)
    ab_rows = [[name, fmt(e["float64"]["median"]), fmt(e["float32"]["median"]), fmt(e["ratio"]),
                e["iterations"], fmt(e["foreign_cores"], 2)] for name, e in ab.items()]
    t4 = table(
        "swarmreg on the CPU: float32 against float64, 100 particles (median ms per iteration)",
        ["case", "float64", "float32", "f64 ÷ f32", "iterations", "other load"], ab_rows,
        "The two float types alternate in one process; each repeat is one train_pso run.")
    return [t1, t2, t3, t4]
