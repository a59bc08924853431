"""The optimizer updates over cache-sized blocks on the pool: a multi-tensor step runs one update over a flat array
of every parameter (optim/flat.py), tens of MB that no cache holds, while the update makes ~12 passes over its
arrays; block by block, those passes stay in the cache, and the blocks run in parallel. Elementwise, so each
block is the reference kernel on a slice, and the result is the reference's to the bit."""
from .. import optim
from .threads import in_pool, run_jobs

BLOCK = 1 << 17  # elements: param, grad, moments and scratch of one block, 2.5 MB, stay in the cache


def _blocks(size):
    return [(start, min(start + BLOCK, size)) for start in range(0, size, BLOCK)]


def adamw_step(param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay, scratch):
    if param.ndim != 1 or param.size <= 2 * BLOCK or in_pool():
        return optim.adamw_step.reference(param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps,
                                          weight_decay, scratch)

    def work(block):
        part = slice(*block)
        optim.adamw_step.reference(param[part], grad[part], exp_avg[part], exp_avg_sq[part], step, lr, beta1, beta2,
                                   eps, weight_decay, scratch[part])

    run_jobs(work, _blocks(param.size))


def sgd_step(param, grad, momentum_buffer, lr, momentum, dampening, weight_decay, nesterov, scratch):
    if param.ndim != 1 or param.size <= 2 * BLOCK or in_pool() or (momentum != 0 and momentum_buffer is None):
        return optim.sgd_step.reference(param, grad, momentum_buffer, lr, momentum, dampening, weight_decay,
                                        nesterov, scratch)

    def work(block):
        part = slice(*block)
        optim.sgd_step.reference(param[part], grad[part], None if momentum_buffer is None else momentum_buffer[part],
                                 lr, momentum, dampening, weight_decay, nesterov, scratch[part])

    run_jobs(work, _blocks(param.size))
    return momentum_buffer
