"""A neural-network regressor with a Gaussian likelihood from scipy.stats: parameters in
a dict, the network a nested function that captures them."""
import numpy as np
from scipy import stats


def init_params(rng, hidden=10):
    return {"W1": 0.5 * rng.standard_normal((1, hidden)), "b1": np.zeros(hidden),
            "W2": 0.5 * rng.standard_normal((hidden, 1)), "b2": np.zeros(1), "log_noise": np.array(-1.0)}


def loss(params, x, y):
    def network(inputs):
        hidden = np.tanh(inputs @ params["W1"] + params["b1"])
        return hidden @ params["W2"] + params["b2"]

    predictions = network(x)[:, 0]
    noise = np.exp(params["log_noise"])
    log_likelihood = np.sum(stats.norm.logpdf(y, loc=predictions, scale=noise))
    log_prior = -0.5 * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    return -(log_likelihood + log_prior) / len(y)


def start(rng):
    x = np.linspace(-2.0, 2.0, 25)[:, None]
    y = np.sin(2.0 * x[:, 0]) + 0.1 * rng.standard_normal(25)
    return init_params(rng), x, y
