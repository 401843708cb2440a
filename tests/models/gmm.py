"""A Gaussian mixture fit by maximum likelihood with logsumexp and multivariate_normal.logpdf;
the parameters in a dict, the covariances from unconstrained square roots."""
import numpy as np
from scipy.special import logsumexp
from scipy.stats import multivariate_normal


def init_params(rng, num_components, dim):
    return {"log_proportions": 0.1 * rng.standard_normal(num_components),
            "means": rng.standard_normal((num_components, dim)),
            "roots": 0.1 * rng.standard_normal((num_components, dim, dim)) + np.eye(dim)}


def log_normalize(x):
    return x - logsumexp(x)


def unpack(params):
    normalized_log_proportions = log_normalize(params["log_proportions"])
    covariances = []
    for root in params["roots"]:
        covariances.append(root @ root.T + 0.1 * np.eye(root.shape[0]))
    return normalized_log_proportions, params["means"], covariances


def mixture_log_likelihood(params, data):
    log_proportions, means, covariances = unpack(params)
    cluster_lls = []
    for log_proportion, mean, cov in zip(log_proportions, means, covariances):
        cluster_lls.append(log_proportion + multivariate_normal.logpdf(data, mean, cov))
    return np.sum(logsumexp(np.vstack(cluster_lls), axis=0))


def loss(params, data):
    return -mixture_log_likelihood(params, data) / data.shape[0]


def start(rng):
    data = np.vstack([rng.standard_normal((15, 2)) * 0.5 + [1.5, 0.0], rng.standard_normal((15, 2)) * 0.5 - 1.0])
    return init_params(rng, 2, 2), data
