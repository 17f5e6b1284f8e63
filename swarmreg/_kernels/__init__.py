"""swarmreg's jitted kernels (private): plain arrays in, numbers out, no validation.

``jit``        the compile options of every kernel, and function pointers between them
``error``      the forward pass and the data error over blocks of items, in pieces
``gradient``   back-propagation of the data error, item by item
``pso``        the particle-swarm loop
``backprop``   the back-propagation training loop
``fastmath``   vectorizable exp and tanh
``pcg64``      NumPy's PCG64 stream stepped inside jitted code
``atomic``     an atomic counter, to share out tasks between threads

The public modules validate every argument first (docs/design.md §6): a kernel does
not check bounds.
"""
