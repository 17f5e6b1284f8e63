"""The CUDA kernels of ``device="cuda"`` (docs/design.md §13), compiled by Numba's CUDA
target (``numba-cuda``, the ``cuda`` extra) when a run first needs them.

``evaluate``  the error of a set of particles: one thread per item (a few items), a
              particle's θ in shared memory, the network's shape compiled in
``swarm``     a swarm algorithm's iterations, many per launch: move, evaluate and keep
              the record on the device, with grid-wide barriers between the phases

Nothing here is imported by ``import swarmreg``: ``devices.cuda`` imports it for a run
on a GPU (or on Numba's CUDA simulator, ``NUMBA_ENABLE_CUDASIM=1``, on which every
kernel also runs).
"""
