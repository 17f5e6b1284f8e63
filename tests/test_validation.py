"""Every validation rule: the exception type and a message that names the argument."""

import numpy as np
import pytest

import swarmreg as sr

NET = sr.Network([4, 5, 3])
REG = sr.Network([4, 2], output="identity")
X = np.random.default_rng(0).normal(size=(10, 4))
Y = np.arange(10) % 3


def pso(**kw):
    args = dict(network=NET, X=X, y=Y, max_iter=1, swarm_size=2)
    args.update(kw)
    return sr.train_pso(args.pop("network"), args.pop("X"), args.pop("y"), **args)


def error(**kw):
    args = dict(network=NET, theta=np.zeros(NET.n_params), X=X, y=Y, lam=0.1)
    args.update(kw)
    return sr.regularized_error(**args)


CASES = [
    # data shapes
    ("X columns vs first layer", lambda: pso(X=X[:, :3]), ValueError,
     "X has 3 columns but the network's input layer has 4"),
    ("X not 2-D", lambda: pso(X=X[0]), ValueError, r"X must be 2-D"),
    ("y length vs X rows", lambda: pso(y=Y[:9]), ValueError, "y has 9 rows but X has 10"),
    ("output width vs targets", lambda: pso(y=np.zeros((10, 2))), ValueError,
     "y has 2 target columns but the network's output layer has 3"),
    ("1-D y for several regression outputs", lambda: pso(network=REG, y=np.zeros(10)), ValueError,
     r"y is 1-D but the network has 2 outputs"),
    ("y 3-D", lambda: pso(y=np.zeros((10, 3, 1))), ValueError, "y must be 1-D or 2-D"),
    ("empty X", lambda: pso(X=np.zeros((0, 4)), y=np.zeros(0, int)), ValueError, "X must not be empty"),
    ("NaN in X", lambda: pso(X=np.where(X > 1, np.nan, X)), ValueError, "X must be finite"),
    ("inf in y", lambda: pso(network=REG, y=np.full((10, 2), np.inf)), ValueError, "y must be finite"),
    ("string X", lambda: pso(X=X.astype(str)), TypeError, "X must hold real numbers"),
    ("object X", lambda: pso(X=X.astype(object)), TypeError, "X must hold real numbers"),
    ("bool X", lambda: pso(X=X > 0), TypeError, "X must hold real numbers"),
    ("complex y", lambda: pso(y=Y.astype(complex)), TypeError, "y must hold real numbers"),
    ("string X scalar", lambda: pso(X="data.csv"), TypeError, "X must be a numeric array, got a string"),
    ("label too large", lambda: pso(y=np.arange(10) % 4), ValueError,
     r"class labels must lie in \[0, 3\).*\[0, 3\]"),
    ("negative label", lambda: pso(y=-(np.arange(10) % 3)), ValueError, r"class labels must lie in \[0, 3\)"),
    ("fractional label", lambda: pso(y=Y + 0.5), ValueError, "integer class labels"),
    ("binary label 2", lambda: pso(network=sr.Network([4, 1], output="logistic"), y=Y), ValueError,
     r"class labels must lie in \[0, 2\)"),
    ("soft targets outside [0, 1]", lambda: pso(y=np.full((10, 3), 2.0)), ValueError,
     r"targets for a 'softmax' output must lie in \[0, 1\]"),
    # λ and loss
    ("negative lam", lambda: pso(lam=-1e-3), ValueError, "lam must be >= 0.0"),
    ("NaN lam", lambda: pso(lam=float("nan")), ValueError, "lam must be finite"),
    ("string lam", lambda: pso(lam="0.1"), TypeError, "lam must be a real number"),
    ("unknown loss", lambda: pso(loss="mae"), ValueError, r"loss must be one of \['mse', 'cross_entropy'\]"),
    ("cross-entropy on identity output", lambda: pso(network=REG, y=np.zeros((10, 2)), loss="cross_entropy"),
     ValueError, "loss='cross_entropy' needs a 'softmax' or 'logistic' output"),
    ("include_biases not bool", lambda: pso(include_biases="yes"), TypeError, "include_biases must be True or False"),
    ("network not a Network", lambda: pso(network="4,5,3"), TypeError, "network must be a swarmreg.Network"),
    # swarm settings
    ("swarm of one", lambda: pso(swarm_size=1), ValueError, "swarm_size must be >= 2"),
    ("fractional swarm", lambda: pso(swarm_size=2.5), TypeError, "swarm_size must be an integer"),
    ("zero iterations", lambda: pso(max_iter=0), ValueError, "max_iter must be >= 1"),
    ("bounds lo >= hi", lambda: pso(bounds=(1.0, 1.0)), ValueError, r"bounds must satisfy lo < hi, got \(1.0, 1.0\)"),
    ("bounds not a pair", lambda: pso(bounds=5.0), TypeError, r"bounds must be a pair \(lo, hi\)"),
    ("infinite bound", lambda: pso(bounds=(-np.inf, 1.0)), ValueError, r"bounds\[0\] must be finite"),
    ("box too wide for float64", lambda: pso(bounds=(-1e308, 1e308)), ValueError, "hi − lo must be a finite"),
    ("patience beyond int64", lambda: pso(patience=2**64), ValueError, r"patience must be < 2\*\*63"),
    ("negative inertia", lambda: pso(inertia=-0.1), ValueError, "inertia must be >= 0.0"),
    ("negative c1", lambda: pso(c1=-1.0), ValueError, "c1 must be >= 0.0"),
    ("negative c2", lambda: pso(c2=-1.0), ValueError, "c2 must be >= 0.0"),
    ("zero v_max", lambda: pso(v_max=0.0), ValueError, "v_max must be > 0.0"),
    ("negative init velocity", lambda: pso(init_velocity=-0.1), ValueError, "init_velocity must be >= 0.0"),
    ("death probability > 1", lambda: pso(death_prob=1.5), ValueError, "death_prob must be <= 1.0"),
    ("unknown topology", lambda: pso(topology="star"), ValueError, r"topology must be one of \['global', 'ring'\]"),
    ("zero patience", lambda: pso(patience=0), ValueError, "patience must be >= 1"),
    ("NaN target", lambda: pso(target_error=float("nan")), ValueError, "target_error must be finite"),
    ("negative seed", lambda: pso(seed=-1), ValueError, "seed must be >= 0"),
    ("float seed", lambda: pso(seed=1.5), TypeError, "seed must be an integer"),
    ("callback not callable", lambda: pso(callback=3), TypeError, "callback must be callable"),
    # regularized_error's own arguments
    ("theta wrong length", lambda: error(theta=np.zeros(7)), ValueError, r"theta must have shape \(43,\)"),
    ("theta 3-D", lambda: error(theta=np.zeros((2, 2, 43))), ValueError, "theta must have shape"),
    ("theta with inf", lambda: error(theta=np.full(43, np.inf)), ValueError, "theta must be finite"),
    ("theta strings", lambda: error(theta=np.array(["a"] * 43)), TypeError, "theta must hold real numbers"),
]


@pytest.mark.parametrize("call, exc, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_a_clear_error(call, exc, message):
    with pytest.raises(exc, match=message):
        call()


def test_progress_without_tqdm_says_what_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    with pytest.raises(ImportError, match=r"progress=True needs tqdm: pip install 'swarmreg\[progress\]'"):
        pso(progress=True)


def test_read_only_data_is_copied_so_the_kernels_are_typed_once():
    # Numba types a read-only array apart: every kernel would compile a second time.
    from swarmreg._validation import as_float_matrix, encode_targets

    X = np.arange(12.0).reshape(6, 2)
    Y = np.linspace(0.0, 1.0, 12).reshape(6, 2)
    for a in (X, Y):
        a.flags.writeable = False
    assert as_float_matrix(X, n_cols=2).flags.writeable
    net = sr.Network([2, 3, 2], output="identity")
    T = encode_targets(net, Y, 6)
    assert T.flags.writeable
    np.testing.assert_array_equal(T, Y)
