"""An NVIDIA GPU, through Numba's CUDA target (``numba-cuda``: ``pip install
'swarmreg[cuda]'``; docs/design.md §13).

The whole iteration runs on the GPU (``_kernels/gpu/swarm.py``): moves, evaluations,
personal bests and the record, many iterations per kernel launch.  Between launches the
host reads back only the counters, the stop code and the history of the launch (a
few numbers per iteration); ``best`` reads the record and ``state`` everything, on
demand.  ``import swarmreg`` imports none of it: ``numba.cuda`` is imported when a run
asks for ``device="cuda"``.  With ``NUMBA_ENABLE_CUDASIM=1`` Numba's CUDA simulator
stands in for a GPU (one block, as Python: tiny problems only).
"""

import importlib.util
import warnings

import numpy as np
from numba import config, typeof

from .._validation import format_bytes
from ._base import Device, in_float_type


def _numba_cuda():
    """``numba.cuda``, or ImportError naming the extra that provides it."""
    if importlib.util.find_spec("numba_cuda") is None:
        raise ImportError("device='cuda' needs numba-cuda (Numba's CUDA target), which is not "
                          "installed: pip install 'swarmreg[cuda]'")
    if not hasattr(np, "row_stack") and not config.ENABLE_CUDASIM:  # numba-cuda 0.30
        # overloads it when it compiles (the simulator compiles nothing)
        raise ImportError(f"device='cuda' needs NumPy < 2.5 with numba-cuda 0.30, which "
                          f"cannot compile a kernel with NumPy {np.__version__}: "
                          f"pip install 'swarmreg[cuda]' (it asks for numpy<2.5)")
    from numba import cuda

    return cuda


def _why_unavailable(cuda):
    try:
        cuda.current_context()
    except Exception as exc:  # the driver's own words: no driver, no device, ...
        return " ".join(line.strip() for line in str(exc).splitlines() if line.strip(":\n "))
    return "numba.cuda.is_available() is False"


def check_available():
    """Raise ImportError (no numba-cuda) or RuntimeError (no usable GPU) when a swarm
    cannot run on a CUDA GPU here; Numba's simulator (``NUMBA_ENABLE_CUDASIM=1``) counts
    as one."""
    cuda = _numba_cuda()
    if not cuda.is_available():
        raise RuntimeError(f"no CUDA GPU found: {_why_unavailable(cuda)}")


def device_name():
    """The name of the GPU a run would use (``"SIMULATOR"`` on Numba's simulator)."""
    cuda = _numba_cuda()
    name = cuda.get_current_device().name
    return name.decode() if isinstance(name, bytes) else str(name)


def _device_bytes(algorithm, n_particles, n_params, objective, dtype):
    """What a run keeps on the GPU: the state's fields there, the data, the unit sums."""
    item = np.dtype(dtype).itemsize
    positions = sum(1 for f in algorithm.gpu.fields if f in algorithm.positions and f != "best")
    n_chunks = -(-objective.n_samples // 128)  # at most: one unit per 128 items
    return (positions * n_particles * n_params * item + 8 * n_particles * (n_chunks + 8)
            + item * objective.n_samples * (objective.X.shape[1] + objective.T.shape[1]))


def check_memory(algorithm, n_particles, n_params, objective, dtype):
    """Refuse an algorithm without a GPU part, and a swarm that does not fit the GPU."""
    if algorithm.gpu is None:
        raise ValueError(f"algorithm={algorithm.name!r} does not run on device='cuda' yet; "
                         f"use device='cpu'")
    cuda = _numba_cuda()
    need = _device_bytes(algorithm, n_particles, n_params, objective, dtype)
    try:
        free, _ = cuda.current_context().get_memory_info()
    except (AttributeError, NotImplementedError):  # the simulator: host memory
        return
    if need > free:
        raise ValueError(
            f"swarm_size={n_particles} particles of {n_params} parameters "
            f"({objective.network!r}) need about {format_bytes(need)} of GPU memory, more than "
            f"the {format_bytes(free)} free on {device_name()}; use a smaller swarm_size or "
            f"network, or dtype='float32'")


def swarm_error(objective, thetas, dtype="float64"):
    """E of each row of ``thetas`` (P, n_params), computed on the GPU by the kernel that runs
    the swarm (PSO's, its start only): for tests and benchmarks.  float64 array."""
    from .._kernels.swarm import Stop
    from ..algorithms.pso import PSO

    options = PSO.options()
    state, settings = PSO.init(options, thetas.shape[0], objective, np.random.default_rng(0))
    state = state._replace(pos=np.ascontiguousarray(thetas, dtype=np.float64))
    runner = Runner(PSO, options, state, settings, objective, _NoHistory(), Stop(-np.inf, 0),
                    dtype)
    runner.iterate(0, initialize=True)
    return runner.state().err


class _NoHistory:
    """A history that keeps nothing (``swarm_error``)."""

    def reserve(self, n):
        return np.empty(n)


class Runner:
    """A swarm run on a CUDA GPU (see ``Device.runner``)."""

    def __init__(self, algorithm, options, state, settings, objective, history, stop, dtype):
        from .._kernels.gpu import evaluate, swarm
        from .._kernels.philox import key_of

        cuda = self._cuda = _numba_cuda()
        part = algorithm.gpu
        state = in_float_type(state, algorithm.positions, dtype)
        self._host = state
        self._fields = part.fields
        self._history = history
        self.counters = state.counters.copy()
        net = objective.network
        layout = evaluate.choose_layout(net.layers, net.hidden, net.output, objective.loss,
                                        dtype, objective.n_samples)
        n_particles, n_params = state.pos.shape
        n_chunks = layout.n_chunks(objective.n_samples)
        # Fields the GPU does not use stay on the host; the kernel gets a one-element array
        # of their type in their place.
        self._swarm = state._replace(**{
            name: cuda.to_device(value) if name in part.fields
            else cuda.to_device(np.zeros((1,) * value.ndim, value.dtype))
            for name, value in zip(state._fields, state)})
        self._settings = settings._replace(**{
            name: cuda.to_device(np.ascontiguousarray(value))
            for name, value in zip(settings._fields, settings) if isinstance(value, np.ndarray)})
        self._data = swarm.Data(
            cuda.to_device(np.ascontiguousarray(objective.X.T, dtype=dtype)),
            cuda.to_device(np.ascontiguousarray(objective.T.T, dtype=dtype)),
            cuda.to_device(objective.penalty_mask), float(objective.lam))
        # The key of the run's Philox stream: drawn from its generator's state after the
        # start was drawn, so a seed (or a checkpoint of the state) fixes it.
        rng = np.random.Generator(np.random.PCG64())
        rng.bit_generator.state = _pcg64_state(state.rng)
        self._key = cuda.to_device(key_of(rng))
        self._aux = swarm.Aux(cuda.to_device(np.zeros(n_particles + 1, dtype=np.int64)),
                              cuda.to_device(np.zeros(n_particles)),
                              cuda.to_device(np.zeros(n_particles, dtype=np.int64)))
        # A state that has run iterations elsewhere (a checkpoint) has none prepared here.
        self._prepare_first = int(state.counters[0]) > 0
        self._work = swarm.Work(
            cuda.to_device(np.zeros((n_particles, n_chunks))),
            cuda.to_device(np.zeros(n_particles)),
            cuda.to_device(np.zeros(n_particles, dtype=np.int32)),
            cuda.to_device(np.zeros(1, dtype=np.int32)),
            cuda.to_device(np.zeros(1, dtype=np.uint64)),
            cuda.to_device(np.zeros(2, dtype=np.int64)),
            cuda.device_array(1024))
        self._stop = stop
        self._threads = layout.threads
        self._kernel = swarm.iterate_kernel(layout, part.kernels(options))
        if evaluate.SIMULATOR:
            self._blocks = 1  # the simulator runs blocks one after another
        else:
            # The barrier needs every block resident at once: no more than the GPU holds.
            compiled = self._kernel.compile(tuple(
                typeof(a) for a in self._arguments(0, False)))
            resident = compiled.max_cooperative_grid_blocks(self._threads)
            work = max(n_particles * n_chunks, -(-n_particles * n_params // self._threads))
            self._blocks = max(1, min(resident, work))

    def _arguments(self, steps, initialize, prepare_first=False):
        return (self._swarm, self._settings, self._data, self._key, self._aux, self._work,
                self._stop, steps, initialize, prepare_first)

    def iterate(self, steps, initialize=False):
        """Run up to ``steps`` iterations on the GPU (after evaluating the start, with
        ``initialize``); copy back the counters and the history; return the stop code."""
        if self._work.hist.shape[0] < steps + 1:
            self._work = self._work._replace(hist=self._cuda.device_array(
                max(steps + 1, 2 * self._work.hist.shape[0])))
        k0 = int(self.counters[0])
        with warnings.catch_warnings():  # a grid of a small swarm is small on purpose
            # (Numba's message starts with a terminal's bold code: hence the leading .*)
            warnings.filterwarnings("ignore", message=".*Grid size .* under-utilization")
            self._kernel[self._blocks, self._threads](*self._arguments(
                steps, initialize, self._prepare_first and not initialize))
        self._prepare_first = False
        status = self._work.status.copy_to_host()
        if status[1]:
            raise RuntimeError("a GPU grid barrier timed out: the kernel's blocks were not all "
                               "resident at once (another program on the GPU?)")
        self.counters[:] = self._swarm.counters.copy_to_host()
        done = int(self.counters[0]) - k0
        first = 0 if initialize else 1
        if done + 1 - first > 0:
            hist = self._work.hist[first: done + 1].copy_to_host()
            self._history.reserve(k0 + done + 1)[k0 + first: k0 + done + 1] = hist
        return int(status[0])

    def best(self):
        """``(E, θ)`` of the best position found, read back from the GPU (θ in float64)."""
        return (float(self._swarm.best_err.copy_to_host()[0]),
                self._swarm.best.copy_to_host().astype(np.float64))

    def state(self):
        """The state as host arrays (the fields the GPU holds, read back)."""
        return self._host._replace(**{name: getattr(self._swarm, name).copy_to_host()
                                      for name in self._fields})


def _pcg64_state(words):
    """The ``PCG64.state`` dict of ``_kernels.pcg64.state_words``' six words."""
    words = [int(w) for w in words]
    return {"bit_generator": "PCG64",
            "state": {"state": (words[0] << 64) | words[1], "inc": (words[2] << 64) | words[3]},
            "has_uint32": words[4], "uinteger": words[5]}


CUDA = Device("cuda", ("float64", "float32"), check_available=check_available,
              check_memory=check_memory, runner=Runner)
