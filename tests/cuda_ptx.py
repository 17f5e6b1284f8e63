"""Compile swarmreg's CUDA kernels for a real GPU (PTX for sm_90, and with ptxas, if present,
the machine code) on a machine without one: what the simulator cannot check.

Run as a script (``tests/test_cuda.py`` does, in a fresh process without the simulator);
prints one JSON line: ``{"skipped": reason}`` where Numba finds no NVVM, else the kernels
compiled, with ptxas's registers and spills.  Numba asks NVRTC which architectures exist
and the driver which device is current: both are answered here, for sm_90 (H100/H200).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import types

import numpy as np


def main():
    from numba import cuda, typeof
    from numba.cuda.cudadrv import nvrtc

    import numba.cuda.cuda_paths as cuda_paths
    import numba.cuda.dispatcher as dispatcher

    try:
        cuda_paths._get_nvrtc_path()
    except Exception:  # NVRTC only answers which architectures exist: not needed here
        cuda_paths._get_nvrtc_path = lambda: cuda_paths._env_path_tuple("nvrtc", None)
    nvrtc.find_closest_arch = lambda cc: cc
    nvrtc.get_supported_ccs = lambda: ((9, 0),)
    dispatcher.get_current_device = lambda: types.SimpleNamespace(compute_capability=(9, 0))

    import swarmreg as sr
    from swarmreg._kernels.gpu import evaluate, swarm
    from swarmreg._kernels.swarm import Stop
    from swarmreg.algorithms import ALGORITHMS
    from swarmreg.devices._base import in_float_type
    from swarmreg.error import Objective

    results = {}
    for algorithm, dtype, layers, hidden, loss in [
            ("pso", "float64", (64, 32, 10), "tanh", "mse"),  # digits' network
            ("pso", "float32", (6, 9, 3), "relu", "cross_entropy"),
            ("cso", "float64", (6, 9, 3), "logistic", "mse"),
            ("slpso", "float32", (6, 9, 3), "softsign", "mse")]:
        algo = ALGORITHMS[algorithm]
        X = np.random.default_rng(0).normal(size=(400, layers[0]))
        y = np.arange(400) % layers[-1]
        net = sr.Network(list(layers), hidden=hidden)
        obj = Objective.build(net, X, y, 0.01, loss=loss)
        options = algo.options()
        state, settings = algo.init(options, 8, obj, np.random.default_rng(0))
        state = in_float_type(state, algo.positions, dtype)
        layout = evaluate.choose_layout(net.layers, hidden, "softmax", loss, dtype, 400,
                                        threads=128)
        kernel = swarm.iterate_kernel(layout, algo.gpu.kernels(options))
        n_chunks = layout.n_chunks(400)
        args = (state, settings, swarm.Data(X.T.astype(dtype), obj.T.T.astype(dtype),
                                            obj.penalty_mask, 0.01),
                np.zeros(2, np.uint64), swarm.Aux(np.zeros(9, np.int64), np.zeros(8),
                                                  np.zeros(8, np.int64)),
                swarm.Work(np.zeros((8, n_chunks)), np.zeros(8), np.zeros(8, np.int32),
                           np.zeros(1, np.int32),
                           np.zeros(1, np.uint64), np.zeros(2, np.int64), np.zeros(4)),
                Stop(0.0, 0), 3, False, False)
        try:
            ptx, _ = cuda.compile_ptx(kernel.py_func, tuple(typeof(a) for a in args), cc=(9, 0))
        except Exception as exc:  # no NVVM on this machine: nothing to check here
            if "nvvm" in str(exc).lower() or "libdevice" in str(exc).lower():
                print(json.dumps({"skipped": f"no NVVM: {str(exc).splitlines()[0]}"}))
                return 0
            raise
        results[f"{algorithm}-{dtype}-{'-'.join(map(str, layers))}"] = _ptxas(ptx)
    print(json.dumps({"compiled": results}))
    return 0


def _ptxas(ptx):
    """ptxas's report of a kernel (registers, spills), or "PTX only" without ptxas."""
    ptxas = shutil.which("ptxas") or next(
        (p for p in ("/usr/local/cuda/bin/ptxas",) if os.path.exists(p)), None)
    if ptxas is None:
        return "PTX only"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "k.ptx")
        with open(path, "w") as fh:
            fh.write(ptx)
        proc = subprocess.run([ptxas, "-arch=sm_90", "-v", "-c", path, "-o", os.devnull],
                              capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"ptxas failed:\n{proc.stderr[-2000:]}")
    return " ".join(line.split("info    :")[-1].strip() for line in proc.stderr.splitlines()
                    if "Used" in line or "spill" in line)


if __name__ == "__main__":
    sys.exit(main())
