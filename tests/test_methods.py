"""Methods of the user's own classes: ``self`` holds configuration (shapes, constants, other
objects) and is a constant; the method's source is transformed like a function's."""
import numpy as np
import pytest

import srcad
from gradcheck import assert_all_modes

RNG = np.random.default_rng(5)
W1, W2 = RNG.normal(size=(4, 3)) * 0.5, RNG.normal(size=(2, 4)) * 0.5
X = RNG.normal(size=3)


class Dense:
    def __init__(self, activation, scale):
        self.activation = activation
        self.scale = scale

    def forward(self, W, x):
        return self.activation(W @ x) * self.scale


class Model:
    def __init__(self):
        self.layers = [Dense(np.tanh, 1.5), Dense(np.sin, 0.5)]
        self.hidden = Dense(np.tanh, 2.0)
        self.penalty = 0.1

    def loss(self, params, x):
        for layer, W in zip(self.layers, params):
            x = layer.forward(W, x)
        return np.sum(x ** 2) + self.penalty * sum(np.sum(W ** 2) for W in params)

    def first_layer(self, W, x):
        return np.sum(self.hidden.forward(W, x) ** 2) + np.sum(self.layers[1].forward(W, x))


def loss_of_a_model(model, params, x):
    return model.loss(params, x)


def loss_of_a_layer(layer, W, x):
    return np.sum(layer.forward(W, x))


MODEL = Model()


@pytest.mark.parametrize("f, args, wrt", [
    (MODEL.loss, ([W1, W2], X), 0),
    (MODEL.loss, ([W1, W2], X), 1),
    (MODEL.first_layer, (W1, X), 0),
    (MODEL.first_layer, (W1, X), 1),
    (loss_of_a_model, (MODEL, [W1, W2], X), 1),
    (loss_of_a_layer, (Dense(np.tanh, 3.0), W1, X), 1),
], ids=["bound method, params", "bound method, input", "attribute of self, weights", "attribute of self, input",
        "a model passed in", "a layer passed in"])
def test_methods_in_every_mode(f, args, wrt):
    assert_all_modes(f, args, wrt)


def test_a_method_of_a_value_that_carries_a_derivative_is_refused():
    def through(W, x):
        return np.sum((W * 2.0).forward(W, x))

    with pytest.raises(srcad.NonDifferentiableError, match="forward"):
        srcad.grad(through)(W1, X)
