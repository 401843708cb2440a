"""A neural-network classifier, written as for autograd: parameters in a list of (weights,
biases) tuples, an L2 helper, a log-softmax readout."""
import numpy as np
from scipy.special import logsumexp


def init_params(scale, layer_sizes, rng):
    params = []
    for m, n in zip(layer_sizes[:-1], layer_sizes[1:]):
        params.append((scale * rng.standard_normal((m, n)), scale * rng.standard_normal(n)))
    return params


def predict(params, inputs):
    for W, b in params:
        outputs = inputs @ W + b
        inputs = np.tanh(outputs)
    return outputs - logsumexp(outputs, axis=1, keepdims=True)


def l2_norm(params):
    total = 0.0
    for W, b in params:
        total = total + np.sum(W ** 2) + np.sum(b ** 2)
    return total


def log_posterior(params, inputs, targets, l2_reg):
    log_prior = -l2_reg * l2_norm(params)
    log_lik = np.sum(predict(params, inputs) * targets)
    return log_prior + log_lik


def loss(params, inputs, targets, l2_reg=0.01):
    return -log_posterior(params, inputs, targets, l2_reg) / inputs.shape[0]


def data(rng):
    inputs = rng.standard_normal((20, 4))
    labels = (inputs[:, 0] + inputs[:, 1] ** 2 > 0.5).astype(int) + (inputs[:, 2] > 0.8)
    return inputs, np.eye(3)[labels]


def start(rng):
    return (init_params(0.3, [4, 8, 3], rng), *data(rng))
