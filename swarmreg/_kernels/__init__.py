"""swarmreg's jitted kernels (private): plain arrays in, numbers out, no validation.

``jit``          the compile options of every kernel, their cache, and function pointers
``activations``  the hidden activations' registry: an entry's pieces and init factor
``outputs``      the output activations' registry
``losses``       the data errors' registry: each one's pieces per output activation
``error``        the forward pass and the data error over blocks of items, in pieces
``gradient``     back-propagation of the data error, item by item
``backprop``     the back-propagation training loop, and the optimizers' table
``swarm``        the loop every swarm algorithm shares (``swarmreg.algorithms``)
``stops``        the stop reasons and their codes
``fastmath``     vectorizable exp and tanh
``pcg64``        NumPy's PCG64 stream stepped inside jitted code
``atomic``       an atomic counter, to share out tasks between threads

The public modules validate every argument first (docs/design.md §6): a kernel does
not check bounds.
"""
