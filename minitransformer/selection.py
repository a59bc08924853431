"""Model selection: keep the epoch whose validation score was best, and stop early when it stops improving.

    best = BestEpoch("macro_f1", patience=3)
    best.update(epoch, evaluate(model, val_loader), model)   # after each epoch: True when this one is the best
    if best.should_stop: break                               # `patience` epochs in a row without a better score
    best.restore(model)                                      # the best epoch's weights back in the model

Scores: "macro_f1" and "accuracy" (higher is better) or "loss" (lower is better), as validation measured them.
Only a strictly better score counts, so among equal epochs the earliest is kept. The best weights are held as
host NumPy copies (a copy is made only when an epoch improves) and travel in the checkpoint, so a resumed run
keeps the same epoch an uninterrupted one would.
"""
from .io.checkpoint import to_numpy

SELECT_BY = ("macro_f1", "accuracy", "loss")
NAMES = {"macro_f1": "macro-F1", "accuracy": "accuracy", "loss": "loss"}


class BestEpoch:
    """Tracks the best validation score by `select_by` and the epochs since it; see the module docstring."""

    def __init__(self, select_by="macro_f1", patience=None):
        if select_by not in SELECT_BY:
            raise ValueError(f"select_by must be one of {SELECT_BY}, got {select_by!r}")
        if patience is not None and (not isinstance(patience, int) or patience < 1):
            raise ValueError(f"patience must be a positive number of epochs or None, got {patience!r}")
        self.select_by, self.patience = select_by, patience
        self.epoch, self.score, self.epochs_seen, self.stopped_at = None, None, 0, None
        self.weights = None                              # {name: ndarray} of the best epoch

    def better(self, score):
        if self.score is None:
            return True
        return score < self.score if self.select_by == "loss" else score > self.score

    def update(self, epoch, result, model):
        """Record epoch `epoch` (1-based) with its validation `result`; True when it is the best so far."""
        if self.select_by not in result:
            raise ValueError(f"select_by={self.select_by!r}: validation reported only {sorted(result)}")
        score = float(result[self.select_by])
        self.epochs_seen = epoch
        if not self.better(score):
            if self.patience and epoch - self.epoch >= self.patience:
                self.stopped_at = epoch
            return False
        self.epoch, self.score = epoch, score
        self.weights = {name: to_numpy(value).copy() for name, value in model.state_dict().items()}
        return True

    @property
    def should_stop(self):
        return self.stopped_at is not None

    def restore(self, model):
        """Load the best epoch's weights into `model` (nothing to do before any epoch was scored)."""
        if self.weights is not None:
            model.load_state_dict(self.weights)

    def summary(self):
        """JSON-ready: which epoch was kept and why, for metrics.json."""
        name = NAMES[self.select_by]
        why = (f"best validation {name} ({self.score:.4f}) of {self.epochs_seen} epochs"
               if self.epoch is not None else "no epoch was scored in this run")
        if self.stopped_at is not None:
            why += f"; stopped early after {self.patience} epochs without a better one (patience {self.patience})"
        kept = f"kept epoch {self.epoch}" if self.epoch is not None else "kept the last weights"
        return {"select_by": self.select_by, "best_epoch": self.epoch, "best_score": self.score,
                "epochs_trained": self.epochs_seen, "patience": self.patience,
                "stopped_early": self.stopped_at is not None, "reason": f"{kept}: {why}"}

    def state_dict(self):
        """(JSON-ready state, arrays) for a checkpoint."""
        state = {"select_by": self.select_by, "patience": self.patience, "epoch": self.epoch, "score": self.score,
                 "epochs_seen": self.epochs_seen, "stopped_at": self.stopped_at}
        return state, dict(self.weights or {})

    def load_state_dict(self, state, arrays):
        """Continue from state_dict(); the saved criterion must be this one (a run cannot switch it half-way)."""
        if state.get("select_by") != self.select_by:
            raise ValueError(f"the checkpoint selected epochs by {state.get('select_by')!r}, not "
                             f"{self.select_by!r}: resume with the run's own setting")
        self.epoch, self.score = state["epoch"], state["score"]
        self.epochs_seen, self.stopped_at = state["epochs_seen"], state["stopped_at"]
        self.weights = dict(arrays) if arrays else None
