"""Optimizers (SGD, Adam, AdamW), BERT parameter groups, learning-rate schedules and gradient clipping."""
from .adam import Adam, AdamW, adamw_step  # noqa: F401
from .clip import clip_grad_norm  # noqa: F401
from .groups import bert_param_groups  # noqa: F401
from .optimizer import Optimizer  # noqa: F401
from .schedules import (LambdaLR, get_constant_schedule_with_warmup, get_cosine_schedule_with_warmup,  # noqa: F401
                        get_linear_schedule_with_warmup)
from .sgd import SGD  # noqa: F401

clip_grad_norm_ = clip_grad_norm  # the PyTorch spelling (trailing _ = in place)
