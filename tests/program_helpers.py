"""Functions in another module, for tests of calls across modules."""
import numpy as np


def cube(x):
    return x ** 3


def scaled_tanh(x, scale=2.0):
    return np.tanh(x) * scale


def nested_call(x):
    return cube(scaled_tanh(x)) + x
