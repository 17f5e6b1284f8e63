"""The conversion engine: validates the context, converts λ between two schemes of the
catalogue (``_schemes``), says what the conversion preserves, and tabulates it."""

import dataclasses
import math
import warnings
from fractions import Fraction

from .._validation import check_choice, check_int, check_real
from ..error import LOSSES
from ._base import (NONE, OPTIMIZERS, SAME_OPTIMUM, SAME_TRAJECTORY, Equivalence, LambdaContextError,
                    NoEquivalentLambdaError, SklearnLossMismatchWarning, _Context, _positive_result)
from ._schemes import SCHEMES


def _context(a, b, lr, batch_size, n_samples, n_outputs, momentum, optimizer, loss, target_std):
    """The validated context of a conversion between schemes ``a`` and ``b``.

    ``loss=None`` is the schemes' own loss where one of them has only one, else "mse";
    ``NoEquivalentLambdaError`` when they have two different ones.
    """
    ctx = _Context(
        lr=None if lr is None else check_real(lr, "lr", low=0.0, low_open=True),
        batch_size=None if batch_size is None else check_int(batch_size, "batch_size", low=1),
        n_samples=None if n_samples is None else check_int(n_samples, "n_samples", low=1),
        n_outputs=None if n_outputs is None else check_int(n_outputs, "n_outputs", low=1),
        momentum=check_real(momentum, "momentum", low=0.0, high=1.0, high_open=True),
        optimizer=check_choice(optimizer, "optimizer", OPTIMIZERS),
        loss="mse" if loss is None else check_choice(loss, "loss", LOSSES),
        target_std=(None if target_std is None
                    else check_real(target_std, "target_std", low=0.0, low_open=True)),
    )
    if ctx.optimizer == "adam" and ctx.momentum != 0.0:
        raise ValueError(f"momentum is SGD's; Adam's is its β1 (got momentum={ctx.momentum} "
                         "with optimizer='adam')")
    # The schemes' own loss after every argument is checked: two different ones are an
    # answer ("none"), not a bad argument.
    return ctx if loss is not None else dataclasses.replace(ctx, loss=_own_loss(a, b))


def _own_loss(a, b):
    """The loss of whichever of schemes ``a``, ``b`` is defined for one only, else "mse"."""
    own = [s for s in (a, b) if s.loss is not None]
    if len({s.loss for s in own}) > 1:
        raise NoEquivalentLambdaError(
            f"'{a.name}' {a.loss_reason} ({a.loss}) and '{b.name}' {b.loss_reason} ({b.loss}): "
            "no data error is the objective of both, and no λ_E relates them"
        )
    return own[0].loss if own else "mse"


def _ask(scheme, part, ctx):
    """``part(ctx)``, one of ``scheme``'s callables, a missing context named with the scheme."""
    try:
        return part(ctx)
    except LambdaContextError as missing:
        raise LambdaContextError(f"scheme {scheme.name!r} {missing}") from None


def _factor(scheme, ctx):
    """λ_E per unit of ``scheme``'s λ in ``ctx``; ``NoEquivalentLambdaError`` where none."""
    if scheme.loss is not None and ctx.loss != scheme.loss:
        raise NoEquivalentLambdaError(
            f"'{scheme.name}' {scheme.loss_reason}, so it regularizes a {scheme.loss} objective; "
            f"with loss={ctx.loss!r} E is a different function and no λ_E relates the two"
        )
    return _ask(scheme, scheme.factor, ctx)


def _schemes(from_scheme, to_scheme):
    for name, scheme in (("from_scheme", from_scheme), ("to_scheme", to_scheme)):
        if scheme not in SCHEMES:
            raise ValueError(f"{name} must be one of {list(SCHEMES)}, got {scheme!r}")
    return SCHEMES[from_scheme], SCHEMES[to_scheme]


def convert_lambda(value, from_scheme, to_scheme, *, lr=None, batch_size=None, n_samples=None,
                   n_outputs=None, momentum=0.0, optimizer="sgd", loss=None, target_std=None):
    """The λ of ``to_scheme`` that regularizes exactly as ``value`` does in ``from_scheme``.

    "Exactly" is what ``lambda_equivalence`` reports: for plain SGD the converted
    back-prop rules (``objective``, both ``textbook`` readings, ``decay``,
    ``decoupled``) take the same steps (the same trajectory up to rounding); coupled
    library schemes follow a multiple of the same gradient (step η/K for
    ``torch_weight_decay`` and ``keras_l2``, η/2 for the ½-costs), solvers share the
    minimizer of ``E = D + λ_E·Σw²``.  See the module docstring for each scheme's
    formula and source.

    Parameters
    ----------
    value : float
        λ ≥ 0 in ``from_scheme``'s convention (C > 0 for ``sklearn_logistic_c``).
    from_scheme, to_scheme : str
        Keys of ``SCHEMES`` (``"objective"`` is λ_E, what PSO uses).
    lr : float, optional
        Learning rate η of our run (``decay``).
    batch_size : int, optional
        Items per update m (``textbook_batch``; scikit-learn MLPs with sgd/adam).
    n_samples : int, optional
        Training-set size N (``textbook_dataset``, ``nielsen_lmbda``, ``sklearn_ridge_alpha``,
        ``sklearn_logistic_c``; scikit-learn MLPs with lbfgs, and to clip a batch size
        larger than N as scikit-learn does).
    n_outputs : int, optional
        Network outputs K (scikit-learn MLPs; torch, keras and optax with the squared error).
    momentum : float in [0, 1), default 0
        Classical momentum of an SGD run.  Coupled schemes are unaffected; ``decay``,
        ``decoupled`` and ``keras_weight_decay`` have no equivalent with momentum > 0.
    optimizer : {"sgd", "adam"}, default "sgd"
        The optimizer of the runs, for schemes that work with either (ours, Keras,
        optax).  The decoupled schemes have no equivalent with Adam.
    loss : {"mse", "cross_entropy"}, optional
        The data error D of the runs.  By default the schemes' own where one of them is
        defined for one loss only (``sklearn_logistic_c`` and ``sklearn_mlpclassifier_alpha``
        the cross-entropy; ``half_mse``, ``nielsen_lmbda``, ``sklearn_alpha``,
        ``sklearn_ridge_alpha``, ``glmnet_lambda``, ``statsmodels_alpha`` the MSE), else
        "mse".  A loss a scheme is not defined for has no equivalent.
    target_std : float, optional
        s_y, the standard deviation of the targets with the 1/N formula (``glmnet_lambda``).

    Returns
    -------
    float

    Raises
    ------
    LambdaContextError
        A scheme needs context that was not given.
    NoEquivalentLambdaError
        No λ makes the schemes equivalent (``lambda_equivalence`` gives kind "none").

    Warns
    -----
    SklearnLossMismatchWarning
        ``sklearn_alpha`` with several outputs (scikit-learn #8349).

    Examples
    --------
    >>> convert_lambda(0.01, "decay", "objective", lr=0.01)
    0.5
    >>> convert_lambda(0.5, "objective", "textbook_batch", batch_size=1)
    1.0
    >>> convert_lambda(1.0, "sklearn_ridge_alpha", "objective", n_samples=120)  # α/N
    0.008333333333333333
    >>> convert_lambda(2.0, "sklearn_logistic_c", "objective", n_samples=50)  # its log-loss
    0.005
    """
    value = check_real(value, "value", low=0.0)
    a, b = _schemes(from_scheme, to_scheme)
    ctx = _context(a, b, lr, batch_size, n_samples, n_outputs, momentum, optimizer, loss, target_std)
    fa, fb = _factor(a, ctx), _factor(b, ctx)
    for scheme, factor in ((from_scheme, fa), (to_scheme, fb)):
        if not (math.isfinite(factor) and factor > 0.0):
            raise ValueError(f"scheme {scheme!r}: one unit of its λ is λ_E = {factor!r} for {ctx}, "
                             "not a finite positive float64; the context is out of range")
    if a.inverse and value == 0.0:
        raise ValueError(f"value must be > 0 for {from_scheme!r} (an inverse strength C), got 0.0")
    if value == 0.0:  # no regularization: λ = 0, or C = inf for an inverse strength
        return math.inf if b.inverse else 0.0
    lam_E = fa / value if a.inverse else value * fa
    result = fb / lam_E if b.inverse else lam_E / fb
    if not (math.isfinite(result) and result > 0.0):
        # A step may have overflowed (underflowed) on the way to a representable λ: take
        # the exact quotient, correctly rounded, before calling it out of range.
        exact = Fraction(fa) / Fraction(value) if a.inverse else Fraction(value) * Fraction(fa)
        exact = Fraction(fb) / exact if b.inverse else exact / Fraction(fb)
        try:
            result = float(exact)
        except OverflowError:
            result = math.inf
    return _positive_result(result, value,
                            f"λ = {value!r} in {from_scheme!r} is λ = {{}} in {to_scheme!r} ({ctx})")


def _optimizer(scheme, ctx):
    """The optimizer of one side; its factor first, which raises where there is none.

    What the factor still asks for is the number's context, not the kind's: the catalogue
    raises ``NoEquivalentLambdaError`` before it asks (``ctx.need``).
    """
    try:
        _factor(scheme, ctx)
    except LambdaContextError:
        pass
    return _ask(scheme, scheme.optimizer, ctx)


def lambda_equivalence(from_scheme, to_scheme, *, lr=None, batch_size=None, n_samples=None,
                       n_outputs=None, momentum=0.0, optimizer="sgd", loss=None, target_std=None):
    """What ``convert_lambda(·, from_scheme, to_scheme, ...)`` preserves, and why.

    - ``"none"``: a scheme has no λ_E in this context (decoupled decay with Adam, or
      with momentum; a library fitting another loss; uneven batches for ``textbook_batch``).
    - ``"same optimum"``: a solver (no path at all), different optimizers (scikit-learn's
      own, Keras' Adam, SGD versus Adam), or Adam fed gradients of different scales (its
      step is scale-free except through ε): the same stationary point of E.
    - ``"same trajectory"``: the same optimizer on proportional gradients: the same steps
      up to rounding when ``to`` runs at ``lr_factor`` times ``from``'s learning rate.

    Parameters are those of ``convert_lambda``, but only the context that the kind and
    ``lr_factor`` depend on is needed: never ``lr`` or ``target_std``, which only set the
    number; ``batch_size`` and ``n_samples`` only to find an uneven last batch when both
    are given; ``n_outputs`` where a mean over K outputs scales the gradient of a scheme
    whose steps are compared (η/K).

    Returns
    -------
    Equivalence

    Raises
    ------
    LambdaContextError
        The kind needs context that was not given.

    Examples
    --------
    >>> lambda_equivalence("decay", "objective").lr_factor  # any lr
    1.0
    >>> lambda_equivalence("torch_adamw", "objective", optimizer="adam").kind
    'none'
    >>> lambda_equivalence("objective", "half_mse").lr_factor
    2.0
    """
    a, b = _schemes(from_scheme, to_scheme)
    try:
        ctx = _context(a, b, lr, batch_size, n_samples, n_outputs, momentum, optimizer, loss,
                       target_std)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SklearnLossMismatchWarning)
            opt_a, opt_b = _optimizer(a, ctx), _optimizer(b, ctx)
    except NoEquivalentLambdaError as err:
        return Equivalence(NONE, str(err))
    solvers = [s.name for s in (a, b) if s.kind == "solver"]
    if solvers:
        return Equivalence(SAME_OPTIMUM, f"{' and '.join(solvers)} "
                           f"{'hands its objective' if len(solvers) == 1 else 'hand their objectives'}"
                           " to a solver: only the minimizer of E is shared, not a path")
    if opt_a != opt_b:
        return Equivalence(SAME_OPTIMUM, f"'{from_scheme}' steps with {opt_a} and "
                           f"'{to_scheme}' with {opt_b}: both follow the gradient of E to its "
                           "stationary points, along different paths")
    scale_a, scale_b = _ask(a, a.grad_scale, ctx), _ask(b, b.grad_scale, ctx)
    if opt_a == "adam" and scale_a != scale_b:
        return Equivalence(SAME_OPTIMUM, f"both go through Adam, but on gradients of scales "
                           f"{scale_a:g} and {scale_b:g}: Adam's step m̂/(√v̂ + ε) forgets the "
                           "scale except through ε, so the paths differ slightly; the "
                           "stationary points of E are shared")
    factor = scale_a / scale_b
    return Equivalence(SAME_TRAJECTORY, f"both take {opt_a} steps along proportional "
                       f"gradients: '{to_scheme}' at {factor:g}× the learning rate of "
                       f"'{from_scheme}' takes the same steps", lr_factor=factor)


#: Context the table gives schemes defined for one output only (a scheme defined for one
#: loss is converted with it by default).
_TABLE_CONTEXT = {"sklearn_sgd_alpha": dict(n_outputs=1)}


def lambda_table(lam=0.01, *, lr=0.01, batch_size=10, n_samples=120, n_outputs=3, target_std=1.0):
    """A markdown table of what one λ means in every scheme, computed by ``convert_lambda``.

    Columns: the scheme, its rule, the λ_E that ``lam`` typed into it amounts to, the
    λ to type into it for λ_E = ``lam`` (with plain SGD where the scheme lets us choose),
    and what the conversion to ``objective`` preserves with SGD and with Adam
    (``lambda_equivalence``).  Schemes defined for the cross-entropy only are converted
    with their loss, ``loss="cross_entropy"`` (marked CE).  README.md shows it for the defaults.
    """
    ctx = dict(lr=lr, batch_size=batch_size, n_samples=n_samples, n_outputs=n_outputs,
               target_std=target_std)
    rows = [
        f"Context: learning rate η = {lr:g}, m = {batch_size} items per update, "
        f"N = {n_samples} training items, K = {n_outputs} outputs, s_y = {target_std:g}, "
        "no momentum; CE: with loss=\"cross_entropy\" (the scheme's only loss); K = 1: "
        "a one-output scheme.",
        "",
        f"| scheme | what λ does | λ = {lam:g} means λ_E = | λ for λ_E = {lam:g} "
        "| with SGD | with Adam |",
        "|---|---|---|---|---|---|",
    ]
    for name, scheme in SCHEMES.items():
        kw = dict(ctx, **_TABLE_CONTEXT.get(name, {}))
        note = (" (CE)" if scheme.loss == "cross_entropy" else " (K = 1)" if name in _TABLE_CONTEXT
                else "")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SklearnLossMismatchWarning)
                to_e = f"{convert_lambda(lam, name, 'objective', **kw):.4g}"
                from_e = f"{convert_lambda(lam, 'objective', name, **kw):.4g}"
        except NoEquivalentLambdaError:
            to_e = from_e = "no equivalent"
        to_e, from_e = to_e + note, from_e + note
        kinds = [lambda_equivalence(name, "objective", optimizer=opt, **kw).kind
                 for opt in OPTIMIZERS]
        rows.append(f"| `{name}` | {scheme.formula} | {to_e} | {from_e} | {kinds[0]} | {kinds[1]} |")
    return "\n".join(rows)
