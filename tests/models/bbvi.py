"""Black-box variational inference with reparameterised samples: a diagonal Gaussian fit to
an unnormalised two-dimensional density."""
import numpy as np
from scipy import stats


def log_density(x):
    mu, log_sigma = x[:, 0], x[:, 1]
    sigma_density = stats.norm.logpdf(log_sigma, 0, 1.35)
    mu_density = stats.norm.logpdf(mu, 0, np.exp(log_sigma))
    return sigma_density + mu_density


def gaussian_entropy(log_std):
    return 0.5 * log_std.shape[0] * (1.0 + np.log(2 * np.pi)) + np.sum(log_std)


def variational_objective(params, noise):
    mean, log_std = params[:2], params[2:]
    samples = noise * np.exp(log_std) + mean
    lower_bound = gaussian_entropy(log_std) + np.mean(log_density(samples))
    return -lower_bound


loss = variational_objective


def start(rng):
    return np.array([-1.0, -1.0, -5.0, -5.0]) * 0.2, rng.standard_normal((50, 2))
