"""What fit() shows and remembers while it trains: the history dict, the tqdm bar per epoch, the summary lines."""
from . import backend
from .selection import NAMES


def new_history():
    """Per-epoch lists (epoch, train_*, val_*), per-step lists (step, loss, lr), and the wall time so far."""
    keys = ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "val_macro_f1",
            "step", "loss", "lr"]
    return {**{k: [] for k in keys}, "wall_time": 0.0}


class EpochTotals:
    """Running sums over the batches of one epoch: loss (each batch's mean times its n), correct, counted."""

    def __init__(self, saved=None):
        self.loss, self.correct, self.n = saved or (0.0, 0, 0)

    def add(self, loss, correct, n):
        self.loss, self.correct, self.n = self.loss + loss * n, self.correct + correct, self.n + n

    def on_host(self):
        """False while the correct count is a device array (training.count_correct(read=False) on a GPU)."""
        return not hasattr(self.correct, "dtype") or backend.device_of(self.correct) == "cpu"

    def means(self):
        """(mean loss, accuracy) so far; a masked-LM batch may, rarely, count no token, hence the max. Reads a
        device's count back (a wait for the device)."""
        seen = max(self.n, 1)
        return self.loss / seen, int(self.correct) / seen

    def state(self):
        return [self.loss, int(self.correct), self.n]


def progress_bar(progress, total, initial, desc):
    """A tqdm bar over one epoch's batches (disabled when progress is False), starting at `initial` on resume."""
    from tqdm import tqdm  # imported here: evaluate() and the tests without bars do not need it
    return tqdm(total=total, initial=initial, desc=desc, disable=not progress, dynamic_ncols=True, leave=True)


def record_epoch(history, epoch, epochs, totals, result, best_now):
    """Append epoch `epoch` (0-based) to the history; returns its summary line."""
    history["epoch"].append(epoch + 1)
    train_loss, train_accuracy = totals.means()
    history["train_loss"].append(train_loss)
    history["train_accuracy"].append(train_accuracy)
    summary = f"epoch {epoch + 1}/{epochs}: train loss {train_loss:.4f}, accuracy {train_accuracy:.3f}"
    if result is None:
        return summary
    for key in ("loss", "accuracy", "macro_f1"):
        if key in result:
            history[f"val_{key}"].append(result[key])
    summary += f" | validation loss {result['loss']:.4f}, accuracy {result['accuracy']:.3f}"
    if "macro_f1" in result:
        summary += f", macro-F1 {result['macro_f1']:.3f}"
    return summary + (" (best so far)" if best_now else "")


def selection_line(best):
    """The line fit() logs when it loads the best epoch back."""
    summary = best.summary()
    if summary["best_epoch"] is None:               # resumed from a run that kept no scores: its weights stay
        return "no validation score was recorded for this run's epochs: keeping the weights it ended with"
    stop = f", stopped early at epoch {best.stopped_at} (patience {best.patience})" if best.should_stop else ""
    return (f"keeping epoch {summary['best_epoch']} of {summary['epochs_trained']}: best validation "
            f"{NAMES[best.select_by]} {summary['best_score']:.4f}{stop}")
