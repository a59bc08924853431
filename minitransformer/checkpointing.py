"""Training checkpoints: everything needed to continue a run exactly as if it had never stopped.

One .npz file (written atomically by io.checkpoint.save_npz: temp file + rename, so a crash never leaves half a
checkpoint) holding

    arrays  "model/<name>"               every parameter and buffer (model.state_dict())
            "optimizer/<i>/<name>"       the optimizer's per-parameter arrays (AdamW's m and v)
    meta    step, epoch                  where the run stands (epoch = the loader's epoch: the one in progress)
            model_config                 the model's config, to rebuild it
            optimizer, scheduler         their state_dicts (arrays replaced by the names above)
            rng                          backend.get_rng_state(): dropout masks continue the same stream
            loader                       train_loader.state_dict(): which batches of which epoch are left
            extra                        anything else the caller keeps (fit() stores its history)
    arrays  "extra/<name>"               arrays the caller keeps (fit() stores the best epoch's weights)

Resuming needs every piece: the weights alone would restart AdamW's moments at zero, the schedule at warmup,
dropout at other masks and the data at another order, and the run would drift away from the uninterrupted one.
"""
import dataclasses
import os
import shutil
import time

import numpy as np

from . import backend
from .io.checkpoint import load_npz, save_npz

FORMAT = "minitransformer.training_checkpoint"
CHECKPOINT_NAME = "checkpoint.npz"      # the name fit() uses inside its checkpoint_dir


def model_config(model):
    """The model's config as a JSON-ready dict (a dataclass, or anything with to_dict()), else None."""
    config = getattr(model, "config", None)
    if config is None:
        return None
    if hasattr(config, "to_dict"):
        return config.to_dict()
    if dataclasses.is_dataclass(config):
        return dataclasses.asdict(config)
    return dict(config) if isinstance(config, dict) else None


def _split_optimizer_state(state_dict):
    """(arrays, JSON-ready dict): each array in the optimizer's state is moved out under a name."""
    arrays, state = {}, {}
    for index, entry in state_dict["state"].items():
        state[str(index)] = {}
        for name, value in entry.items():
            if hasattr(value, "shape") and not isinstance(value, np.generic):
                key = f"optimizer/{index}/{name}"
                arrays[key] = value
                state[str(index)][name] = {"__array__": key}
            else:
                state[str(index)][name] = value
    return arrays, {"state": state, "param_groups": state_dict["param_groups"]}


def _join_optimizer_state(saved, arrays):
    """The inverse of _split_optimizer_state: the optimizer's state_dict with its arrays back in place."""
    state = {}
    for index, entry in saved["state"].items():
        state[int(index)] = {name: arrays[value["__array__"]] if isinstance(value, dict) else value
                             for name, value in entry.items()}
    # JSON turned tuples (AdamW's betas) into lists; the optimizers accept either
    return {"state": state, "param_groups": saved["param_groups"]}


def save_checkpoint(path, model, optimizer=None, scheduler=None, loader=None, step=0, epoch=0, extra=None,
                    extra_arrays=None):
    """Write model, optimizer, scheduler, RNG and loader state (+ `extra`, JSON-ready, and `extra_arrays`, a dict
    of arrays) to `path` atomically."""
    arrays = {f"model/{name}": value for name, value in model.state_dict().items()}
    arrays.update({f"extra/{name}": value for name, value in (extra_arrays or {}).items()})
    meta = {"format": FORMAT, "version": 1, "step": int(step), "epoch": int(epoch),
            "model_class": type(model).__name__, "model_config": model_config(model),
            "rng": backend.get_rng_state(), "extra": extra or {}}
    if optimizer is not None:
        optimizer_arrays, meta["optimizer"] = _split_optimizer_state(optimizer.state_dict())
        arrays.update(optimizer_arrays)
    if scheduler is not None:
        meta["scheduler"] = scheduler.state_dict()
    if loader is not None and hasattr(loader, "state_dict"):
        meta["loader"] = loader.state_dict()
    save_npz(path, arrays, meta)
    return path


def load_checkpoint(path):
    """(arrays, meta) of a checkpoint written by save_checkpoint, or a clear error for any other file."""
    arrays, meta = load_npz(path)
    if not meta or meta.get("format") != FORMAT:
        found = None if not meta else meta.get("format")
        raise ValueError(f"{path}: not a training checkpoint (format {found!r}, expected {FORMAT!r}); "
                         "model.npz files hold weights only, resume from the run's checkpoint.npz")
    return arrays, meta


def restore_checkpoint(path, model, optimizer=None, scheduler=None, loader=None, restore_rng=True):
    """Load a checkpoint into existing objects (built as for the original run); returns its meta dict, with the
    `extra_arrays` given to save_checkpoint under meta["extra_arrays"].

    The order matters: the optimizer's state first, so its groups carry the saved "initial_lr" before the
    scheduler sets the lr it had reached.
    """
    arrays, meta = load_checkpoint(path)
    weights = {name[len("model/"):]: value for name, value in arrays.items() if name.startswith("model/")}
    model.load_state_dict(weights)
    if optimizer is not None:
        if "optimizer" not in meta:
            raise ValueError(f"{path}: the checkpoint holds no optimizer state, so the run cannot continue exactly")
        optimizer.load_state_dict(_join_optimizer_state(meta["optimizer"], arrays))
    if scheduler is not None:
        if "scheduler" not in meta:
            raise ValueError(f"{path}: the checkpoint holds no scheduler state, but a scheduler was given")
        scheduler.load_state_dict(meta["scheduler"])
    if loader is not None and "loader" in meta and hasattr(loader, "load_state_dict"):
        loader.load_state_dict(meta["loader"])
    meta["extra_arrays"] = {name[len("extra/"):]: value for name, value in arrays.items()
                            if name.startswith("extra/")}
    if restore_rng:
        rng = meta["rng"]
        # get_rng_state's PCG64 state went through JSON: its big integers come back as Python ints, exactly
        backend.set_rng_state(rng)
    return meta


KEEP = ("last", "every")


class Checkpoints:
    """When and where fit() writes its checkpoints: DIR/checkpoint.npz every `every_steps` updates and/or
    `every_seconds` of training, at each epoch's end and when asked to stop; keep="every" also keeps each one as
    DIR/checkpoints/step-<N>.npz (a hard link when the file system allows, else a copy)."""

    def __init__(self, directory, every_steps=None, every_seconds=None, keep="last"):
        if keep not in KEEP:
            raise ValueError(f"Checkpoints: keep must be one of {KEEP}, got {keep!r}")
        for name, value in (("every_steps", every_steps), ("every_seconds", every_seconds)):
            if value is not None and value <= 0:
                raise ValueError(f"Checkpoints: {name} must be positive or None, got {value}")
        self.directory = os.fspath(directory)
        self.path = os.path.join(self.directory, CHECKPOINT_NAME)
        self.every_steps, self.every_seconds, self.keep = every_steps, every_seconds, keep
        self.last_saved = time.perf_counter()
        self.last_good_step = None           # the step of the newest file written (or found when resuming)

    def due(self, step):
        """True when `step` updates (or the time since the last save) call for a checkpoint."""
        by_steps = self.every_steps and step % self.every_steps == 0
        return bool(by_steps or (self.every_seconds and time.perf_counter() - self.last_saved >= self.every_seconds))

    def save(self, model, optimizer, scheduler, loader, step, epoch, extra, extra_arrays=None):
        """Write the checkpoint (atomically) and, with keep="every", its numbered copy."""
        save_checkpoint(self.path, model, optimizer, scheduler, loader, step=step, epoch=epoch, extra=extra,
                        extra_arrays=extra_arrays)
        if self.keep == "every":
            kept = os.path.join(self.directory, "checkpoints", f"step-{step:08d}.npz")
            os.makedirs(os.path.dirname(kept), exist_ok=True)
            if os.path.exists(kept):
                os.remove(kept)
            try:
                os.link(self.path, kept)     # checkpoint.npz is replaced by rename, so the link keeps these bytes
            except OSError:
                shutil.copy2(self.path, kept)
        self.last_saved, self.last_good_step = time.perf_counter(), step
        return self.path
