"""The marginal likelihood of a Gaussian process with a squared-exponential kernel, through
cholesky, solve and slogdet."""
import numpy as np


def rbf_covariance(kernel_params, x, xp):
    output_scale = np.exp(kernel_params[0])
    lengthscales = np.exp(kernel_params[1:])
    diffs = np.expand_dims(x / lengthscales, 1) - np.expand_dims(xp / lengthscales, 0)
    return output_scale * np.exp(-0.5 * np.sum(diffs ** 2, axis=2))


def unpack_kernel_params(params):
    mean = params[0]
    noise_scale = np.exp(params[1]) + 0.0001
    return mean, noise_scale, params[2:]


def log_marginal_likelihood(params, x, y):
    mean, noise_scale, kernel_params = unpack_kernel_params(params)
    cov_y_y = rbf_covariance(kernel_params, x, x) + noise_scale * np.eye(len(y))
    residual = y - mean
    chol = np.linalg.cholesky(cov_y_y)
    alpha = np.linalg.solve(cov_y_y, residual)
    sign, logdet = np.linalg.slogdet(cov_y_y)
    half_logdet_from_chol = np.sum(np.log(np.diag(chol)))
    return -0.5 * residual @ alpha - 0.25 * logdet - 0.5 * half_logdet_from_chol - 0.5 * len(y) * np.log(2 * np.pi)


def loss(params, x, y):
    return -log_marginal_likelihood(params, x, y)


def start(rng):
    x = np.linspace(-3.0, 3.0, 12)[:, None]
    y = np.cos(x[:, 0]) + 0.1 * rng.standard_normal(12)
    return np.array([0.1, -1.0, 0.2, 0.3]), x, y
