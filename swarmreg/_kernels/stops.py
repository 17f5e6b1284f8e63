"""Why a training run stopped: the one table of stop reasons, and the integer code of each
that a jitted loop returns.

The trainers' loops (``backprop.backprop_epochs``, the swarm drivers) return a code;
``REASONS`` names each with the ``TrainResult.stop_reason`` it becomes, and
``STOP_REASONS`` says what every reason means (``swarmreg.result.STOP_REASONS``).
"""

#: Every ``TrainResult.stop_reason`` and what it means.
STOP_REASONS = {
    "max_iter": "the budget of iterations (epochs) ran out",
    "target_error": "the error E reached target_error",
    "patience": "patience iterations (epochs) passed without a new lowest E",
    "callback": "the callback returned True",
    "diverged": "back-prop's E became non-finite; theta is the last finite one",
    "converged": "L-BFGS-B met its tolerances",
    "failed": "L-BFGS-B stopped on an error; the reason reads 'failed: <scipy's message>'",
    "interrupted": "Ctrl-C (KeyboardInterrupt) ended the run: TrainingInterrupted carries the "
                   "result so far",
}

RAN_OUT, HIT_TARGET, STALLED, DIVERGED = 0, 1, 2, 3

#: The stop reason of each code a jitted loop returns.
REASONS = {RAN_OUT: "max_iter", HIT_TARGET: "target_error", STALLED: "patience",
           DIVERGED: "diverged"}
