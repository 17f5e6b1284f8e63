"""Why a jitted training loop returned: one integer code per stop reason.

The trainers' loops (``backprop.backprop_epochs``, the swarm drivers) return one of
these codes; ``REASONS`` names each with the ``TrainResult.stop_reason`` it becomes
(``result.STOP_REASONS`` says what each means).
"""

RAN_OUT, HIT_TARGET, STALLED, DIVERGED = 0, 1, 2, 3

#: The stop reason of each code.
REASONS = {RAN_OUT: "max_iter", HIT_TARGET: "target_error", STALLED: "patience",
           DIVERGED: "diverged"}
