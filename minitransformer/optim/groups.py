"""BERT-style parameter groups: weight decay on the weight matrices, none on biases and normalisation weights."""

NO_DECAY_NAME_PARTS = ("layernorm", "layer_norm", "norm")  # matched case-insensitively


def decays(name, param):
    """The rule: no decay for a bias (name ends in "bias"), a normalisation weight (name contains "norm", any
    case, which covers "LayerNorm" and "layer_norm"), or any parameter with fewer than 2 dimensions (gains,
    scales and biases under other names); every other parameter (matrices, embeddings) is decayed.

    Why: decay pulls a weight toward 0. For a matrix that is a useful prior; for a LayerNorm gain it pulls
    toward "switch the feature off", and for a bias toward an arbitrary point, so BERT leaves both alone.
    """
    lowered = name.lower()
    if lowered.endswith("bias") or any(part in lowered for part in NO_DECAY_NAME_PARTS):
        return False
    return param.ndim >= 2


def bert_param_groups(named_parameters, weight_decay=0.01):
    """[{"params": decayed, "weight_decay": wd}, {"params": the rest, "weight_decay": 0.0}] for an optimizer.

    `named_parameters` is an iterable of (name, tensor) pairs, a dict name -> tensor, or a module with
    `.named_parameters()`. Both groups are always returned (maybe empty) so the optimizer's group structure,
    and so its state_dict, does not depend on the model. A tensor listed twice (tied weights) is kept once.
    """
    if hasattr(named_parameters, "named_parameters"):
        named_parameters = named_parameters.named_parameters()
    if isinstance(named_parameters, dict):
        named_parameters = named_parameters.items()
    if isinstance(weight_decay, bool) or not isinstance(weight_decay, (int, float)) or not weight_decay >= 0:
        raise ValueError(f"invalid weight_decay {weight_decay!r}: expected a number >= 0")
    decay, no_decay, seen = [], [], set()
    for item in named_parameters:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
            raise TypeError(f"expected (name, tensor) pairs, e.g. model.named_parameters(), got {item!r:.80}")
        name, param = item
        if not hasattr(param, "ndim"):
            raise TypeError(f"parameter {name!r} is a {type(param).__name__}, expected a tensor")
        if id(param) in seen:
            continue
        seen.add(id(param))
        (decay if decays(name, param) else no_decay).append(param)
    if not seen:
        raise ValueError("bert_param_groups got no parameters")
    return [{"params": decay, "weight_decay": float(weight_decay)},
            {"params": no_decay, "weight_decay": 0.0}]
