"""A feed-forward network whose parameters are one flat float64 vector θ.

Layout (docs/design.md §3): for each layer ``l`` in order, ``W_l`` of shape
``(d_{l-1}, d_l)`` stored row-major, then ``b_l`` of shape ``(d_l,)``.  A swarm
particle *is* such a θ, so every function in swarmreg works on θ directly and
``pack``/``unpack`` exist only for people who want the matrices.
"""

from __future__ import annotations

import numpy as np

from ._kernels import error as error_kernels
from ._kernels.activations import HIDDEN
from ._kernels.outputs import OUTPUTS
from ._docs import fill
from ._validation import as_float_matrix, check_memory, check_theta

__all__ = ["Network", "HIDDEN_ACTIVATIONS", "OUTPUT_ACTIVATIONS"]

#: The hidden activations, by name (the registry ``_kernels.activations.HIDDEN``).
HIDDEN_ACTIVATIONS = HIDDEN
#: The output activations, by name (the registry ``_kernels.outputs.OUTPUTS``).
OUTPUT_ACTIVATIONS = OUTPUTS


class Network:
    """Fully connected feed-forward network over a flat parameter vector.

    Parameters
    ----------
    layers : sequence of int
        Widths ``[d, h1, ..., K]``: input width, hidden widths, output width.
        At least two entries, each ≥ 1, and few enough parameters that a mask and one θ
        (9 bytes per parameter) fit in the memory available (ValueError otherwise).
    hidden : {<HIDDEN>}
        Activation of every hidden layer (``HIDDEN_ACTIVATIONS``).
    output : {<OUTPUT>}
        Output activation (``OUTPUT_ACTIVATIONS``): ``softmax`` for K-class classification (K ≥ 2),
        ``identity`` for regression, ``logistic`` for binary (K = 1) or
        one-vs-rest classification.

    Attributes
    ----------
    layers : tuple of int
    n_params : int
        Length of θ: ``Σ_l (d_{l-1} + 1) · d_l``.
    weight_mask : ndarray of bool, shape (n_params,)
        True on weight entries, False on biases (read-only).

    Examples
    --------
    >>> net = Network([4, 7, 3])
    >>> net.n_params
    59
    """

    __slots__ = ("_layers", "_hidden", "_output", "_sizes", "_offsets", "_weight_mask")

    def __init__(self, layers, hidden="tanh", output="softmax"):
        try:
            sizes = [int(w) for w in layers]
        except (TypeError, ValueError):
            raise TypeError(f"layers must be a sequence of integers, got {layers!r}") from None
        if any(isinstance(w, (bool, np.bool_)) or int(w) != w for w in layers):
            raise TypeError(f"layers must be a sequence of integers, got {layers!r}")
        if len(sizes) < 2:
            raise ValueError(f"layers needs at least an input and an output width, got {sizes}")
        if min(sizes) < 1:
            raise ValueError(f"every layer width must be >= 1, got layers={sizes}")
        if hidden not in HIDDEN_ACTIVATIONS:
            raise ValueError(f"hidden must be one of {sorted(HIDDEN_ACTIVATIONS)}, got {hidden!r}")
        if output not in OUTPUT_ACTIVATIONS:
            raise ValueError(f"output must be one of {sorted(OUTPUT_ACTIVATIONS)}, got {output!r}")
        if sizes[-1] < OUTPUT_ACTIVATIONS[output].min_width:
            raise ValueError(
                f"output={output!r} needs an output width >= {OUTPUT_ACTIVATIONS[output].min_width}"
                " (one unit per class); use output='logistic' for a single binary output"
            )
        self._layers = tuple(sizes)
        self._hidden = hidden
        self._output = output
        self._sizes = np.array(sizes, dtype=np.int64)  # a writeable copy, as the kernels are typed
        # offsets[l] is where W_l starts; W_l is followed by b_l.
        offsets = [0]
        for d_in, d_out in zip(sizes[:-1], sizes[1:]):
            offsets.append(offsets[-1] + (d_in + 1) * d_out)
        # The weight mask (1 byte per parameter) is allocated here; a network that cannot
        # also hold one float64 θ is of no use, so refuse it before allocating anything.
        check_memory(9 * offsets[-1], f"layers={sizes} ({offsets[-1]} parameters)",
                     "use narrower layers")
        self._offsets = tuple(offsets)
        mask = np.zeros(offsets[-1], dtype=bool)
        for off, d_in, d_out in zip(offsets, sizes[:-1], sizes[1:]):
            mask[off : off + d_in * d_out] = True
        mask.flags.writeable = False
        self._weight_mask = mask

    # -- description -----------------------------------------------------------------
    @property
    def layers(self) -> tuple:
        return self._layers

    @property
    def hidden(self) -> str:
        return self._hidden

    @property
    def output(self) -> str:
        return self._output

    @property
    def n_inputs(self) -> int:
        return self._layers[0]

    @property
    def n_outputs(self) -> int:
        return self._layers[-1]

    @property
    def n_params(self) -> int:
        return self._offsets[-1]

    @property
    def n_weights(self) -> int:
        return int(self._weight_mask.sum())

    @property
    def weight_mask(self) -> np.ndarray:
        return self._weight_mask

    @property
    def is_classifier(self) -> bool:
        return OUTPUT_ACTIVATIONS[self._output].classifier

    def __repr__(self):
        return f"Network({list(self._layers)}, hidden={self._hidden!r}, output={self._output!r})"

    def __eq__(self, other):
        return isinstance(other, Network) and (self._layers, self._hidden, self._output) == (
            other._layers,
            other._hidden,
            other._output,
        )

    def __hash__(self):
        return hash((self._layers, self._hidden, self._output))

    def __reduce__(self):
        # Rebuilt from its description: the arrays come back as fresh, writeable copies
        # (joblib may unpickle arrays as read-only memory maps, which Numba types apart).
        return Network, (self._layers, self._hidden, self._output)

    # -- kernel arguments (used by the trainers) ------------------------------------
    @property
    def _kernel_sizes(self):
        """The layer widths as the jitted kernels take them: (n_layers + 1,) int64."""
        return self._sizes

    # -- flat vector <-> matrices ----------------------------------------------------
    def unpack(self, theta):
        """Per-layer ``(W, b)`` views into θ (no copy: writing to them writes θ).

        Parameters
        ----------
        theta : ndarray, shape (n_params,)
            Must be a C-contiguous float64 array for the views to alias it.

        Returns
        -------
        list of (ndarray (d_{l-1}, d_l), ndarray (d_l,))
        """
        theta = check_theta(self, theta, allow_stack=False, copy=False)
        params = []
        for off, d_in, d_out in zip(self._offsets, self._layers[:-1], self._layers[1:]):
            w_end = off + d_in * d_out
            params.append((theta[off:w_end].reshape(d_in, d_out), theta[w_end : w_end + d_out]))
        return params

    def pack(self, params):
        """Flatten per-layer ``(W, b)`` pairs into a new θ of shape ``(n_params,)``."""
        params = list(params)
        if len(params) != len(self._layers) - 1:
            raise ValueError(
                f"params must hold {len(self._layers) - 1} (W, b) pairs for layers "
                f"{list(self._layers)}, got {len(params)}"
            )
        theta = np.empty(self.n_params)
        for l, ((w, b), off, d_in, d_out) in enumerate(
            zip(params, self._offsets, self._layers[:-1], self._layers[1:])
        ):
            w = np.asarray(w, dtype=np.float64)
            b = np.asarray(b, dtype=np.float64)
            if w.shape != (d_in, d_out) or b.shape != (d_out,):
                raise ValueError(
                    f"layer {l}: expected W of shape {(d_in, d_out)} and b of shape {(d_out,)}, "
                    f"got {w.shape} and {b.shape}"
                )
            theta[off : off + d_in * d_out] = w.ravel()
            theta[off + d_in * d_out : off + (d_in + 1) * d_out] = b
        return theta

    def initial_theta(self, seed=None):
        """A random starting θ for gradient training (Glorot-uniform).

        Every weight and bias of layer l is uniform in ``±sqrt(f / (d_{l-1} + d_l))``
        with f the ``init_factor`` of the layer's own activation: 2 for the logistic
        function, else 6.  (scikit-learn's MLP uses the same bounds but takes f from the
        hidden activation for every layer.)

        Parameters
        ----------
        seed : int, np.random.Generator or None

        Returns
        -------
        ndarray, shape (n_params,)
        """
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        theta = np.empty(self.n_params)
        n_layers = len(self._layers) - 1
        for l, (off, d_in, d_out) in enumerate(zip(self._offsets, self._layers[:-1], self._layers[1:])):
            act = (HIDDEN_ACTIVATIONS[self._hidden] if l < n_layers - 1
                   else OUTPUT_ACTIVATIONS[self._output])
            bound = np.sqrt(act.init_factor / (d_in + d_out))
            theta[off : off + (d_in + 1) * d_out] = rng.uniform(-bound, bound, (d_in + 1) * d_out)
        return theta

    def init_half_widths(self):
        """The Glorot-uniform half-width of every coordinate of θ (``initial_theta``'s
        ranges): ``sqrt(f / (d_{l-1} + d_l))`` on layer l's weights and biases.

        Returns
        -------
        ndarray, shape (n_params,)
        """
        half = np.empty(self.n_params)
        n_layers = len(self._layers) - 1
        for l, (off, d_in, d_out) in enumerate(zip(self._offsets, self._layers[:-1], self._layers[1:])):
            act = (HIDDEN_ACTIVATIONS[self._hidden] if l < n_layers - 1
                   else OUTPUT_ACTIVATIONS[self._output])
            half[off : off + (d_in + 1) * d_out] = np.sqrt(act.init_factor / (d_in + d_out))
        return half

    # -- evaluation ------------------------------------------------------------------
    def forward(self, theta, X):
        """Network outputs (after the output activation).

        Parameters
        ----------
        theta : array_like, shape (n_params,)
        X : array_like, shape (n_samples, n_inputs)

        Returns
        -------
        ndarray, shape (n_samples, n_outputs)
            Class probabilities for ``softmax``/``logistic``, values for ``identity``.
        """
        theta = check_theta(self, theta, allow_stack=False)
        X = as_float_matrix(X, "X", n_cols=self.n_inputs)
        xb, _, _ = error_kernels.to_blocks(X)
        out = np.empty((X.shape[0], self.n_outputs))
        activate, emit = error_kernels.forward_pointers(self._hidden, self._output)
        buf = error_kernels.scratch(1, self._sizes, xb.shape[2])[0]
        error_kernels.forward(theta, xb, X.shape[0], self._sizes, activate, emit, buf, out)
        return out

    def predict(self, theta, X):
        """Class labels (classifiers) or values (``identity`` output).

        Returns
        -------
        ndarray
            ``softmax``: argmax, int64 of shape (n_samples,).  ``logistic``: with one
            output, ``int(p > 0.5)``; with several, the argmax (one-vs-rest).
            ``identity``: float64 of shape (n_samples,) when K = 1, else (n_samples, K).
        """
        out = self.forward(theta, X)
        if self._output == "identity":
            return out[:, 0] if self.n_outputs == 1 else out
        if self.n_outputs == 1:
            return (out[:, 0] > 0.5).astype(np.int64)
        return np.argmax(out, axis=1).astype(np.int64)


Network.__doc__ = fill(Network.__doc__, HIDDEN=HIDDEN_ACTIVATIONS, OUTPUT=OUTPUT_ACTIVATIONS)
