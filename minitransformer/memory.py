"""How much memory a training step (or an evaluation batch) of a Transformer encoder needs, before running it.

A step keeps every layer's activations for backward: per layer about 15 float32 values per (token, d_model) unit,
5 per (token, d_ff) unit and 3 per (head, query, key) triple (the attention probabilities, the dropout mask and
the dropped probabilities), plus one layer's worth of attention gradients while backward runs. Those coefficients
were fitted to the peak that tracemalloc measured for TransformerClassifier over d_model 32-128, d_ff 64-1024,
1-4 layers, batch 2-16 and length 32-512 (estimates within -25%..+6% of it); tests/test_memory.py checks a
configuration outside that set. Attention grows with T², so at long lengths it is almost all of it.

    need = step_bytes(encoder_dims(model), batch_size=32, seq_len=512)
    check_fits(model, batch_size=32, seq_len=512, device="cpu")   # MemoryEstimateError with what would fit
"""
import os

FLOAT = 4  # bytes per float32
# floats kept per unit: (per layer) token x d_model, token x d_ff, head x query x key; (once) the same, outside layers
TRAIN = {"layer_d": 15.3, "layer_ff": 5.2, "layer_attention": 3.0, "attention": 1.6, "d": 10.7, "ff": 0.0}
EVAL = {"layer_d": 0.0, "layer_ff": 0.7, "layer_attention": 0.9, "attention": 0.2, "d": 5.6, "ff": 1.7}
MARGIN = 1.25  # the fit underestimates small shapes by up to 25%; allocator fragmentation adds more


class MemoryEstimateError(ValueError):
    """The step would not fit in the memory available; the message says what would."""


def encoder_dims(model):
    """{"d_model", "d_ff", "heads", "layers"} of a TransformerClassifier or a BERT-style model, from its config."""
    config = getattr(model, "config", None)
    if config is None:
        raise TypeError(f"encoder_dims: {type(model).__name__} has no config to read its sizes from")
    if hasattr(config, "d_model"):
        return {"d_model": config.d_model, "d_ff": config.d_ff, "heads": config.num_heads, "layers": config.num_layers}
    return {"d_model": config.hidden_size, "d_ff": config.intermediate_size, "heads": config.num_attention_heads,
            "layers": config.num_hidden_layers}


def step_bytes(dims, batch_size, seq_len, train=True):
    """Estimated peak bytes of one forward (+ backward when train) on a (batch_size, seq_len) batch, activations
    only (weights, gradients and optimizer state are parameter_bytes' part)."""
    c = TRAIN if train else EVAL
    B, T, D, F = batch_size, seq_len, dims["d_model"], dims["d_ff"]
    per_layer = c["layer_d"] * B * T * D + c["layer_ff"] * B * T * F + c["layer_attention"] * B * dims["heads"] * T * T
    once = c["d"] * B * T * D + c["ff"] * B * T * F + c["attention"] * B * dims["heads"] * T * T
    return int(FLOAT * (dims["layers"] * per_layer + once))


def parameter_bytes(model, train=True):
    """Bytes still to allocate for training: gradients plus AdamW's two moments (the weights already exist)."""
    return 3 * sum(p.data.nbytes for p in model.parameters()) if train else 0


def available_bytes(device="cpu"):
    """Free memory on `device`: the GPU's free bytes, or MemAvailable limited by the cgroup's limit (containers).
    None when it cannot be read (then nothing is refused)."""
    if device != "cpu":
        from . import backend
        free, _total = backend.cupy().cuda.runtime.memGetInfo()
        return int(free)
    free = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    free = int(line.split()[1]) * 1024
    except OSError:
        return None
    for path, used in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                       ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            with open(path) as f, open(used) as g:
                limit, current = f.read().strip(), int(g.read().strip())
            if limit.isdigit() and int(limit) < 1 << 60:
                free = min(free if free is not None else 1 << 62, int(limit) - current)
            break
        except (OSError, ValueError):
            continue
    return free


def largest(fits, upper):
    """The largest n in 1..upper with fits(n) (fits is monotone), or 0 when not even 1 fits."""
    low, high = 0, upper
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    return low


def gib(n):
    return f"{n / 2**30:.1f} GiB"


def check_fits(model, batch_size, seq_len, device="cpu", train=True, available=None):
    """Raise MemoryEstimateError, naming the largest batch size and length that would fit, when a step of
    (batch_size, seq_len) needs more than the available memory. Returns the estimate in bytes."""
    dims = encoder_dims(model)
    fixed = parameter_bytes(model, train)
    available = available_bytes(device) if available is None else available
    need = MARGIN * step_bytes(dims, batch_size, seq_len, train) + fixed
    if available is None or need <= available:
        return int(need)
    fits = lambda b, t: MARGIN * step_bytes(dims, b, t, train) + fixed <= available  # noqa: E731
    batch = largest(lambda b: fits(b, seq_len), batch_size)
    length = largest(lambda t: fits(batch_size, t), seq_len)
    options = [f"--batch-size {batch}"] if batch else []
    options += [f"--max-length {length} (at --batch-size {batch_size})"] if length >= 3 else []
    hint = " or ".join(options) if options else "a smaller model (fewer layers or heads, a smaller --d-model)"
    kind = "a training step" if train else "an evaluation batch"
    raise MemoryEstimateError(
        f"{kind} of {batch_size} texts x {seq_len} tokens would need about {gib(need)} ({dims['layers']} layers x "
        f"{dims['heads']} heads of {seq_len}x{seq_len} attention weights dominate at this length), but "
        f"{gib(available)} is available on {device}. What fits: {hint}.")
