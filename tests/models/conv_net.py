"""A small convolutional network whose layers are objects holding their shapes: each layer's
forward takes its own parameters; convolution by einsum over image patches."""
import numpy as np
from scipy.special import logsumexp


class ConvLayer:
    def __init__(self, kernel_shape, num_filters):
        self.kernel_shape = kernel_shape
        self.num_filters = num_filters

    def build_weights(self, rng, input_channels):
        return 0.3 * rng.standard_normal((self.num_filters, input_channels) + self.kernel_shape), \
            np.zeros(self.num_filters)

    def forward(self, params, inputs):
        weights, biases = params
        kh, kw = self.kernel_shape
        rows, cols = inputs.shape[2] - kh + 1, inputs.shape[3] - kw + 1
        patches = np.stack([np.stack([inputs[:, :, i:i + kh, j:j + kw] for j in range(cols)], axis=2)
                            for i in range(rows)], axis=2)
        conv = np.einsum("bcijhw,fchw->bfij", patches, weights)
        return np.tanh(conv + biases[None, :, None, None])


class FullLayer:
    def __init__(self, size):
        self.size = size

    def build_weights(self, rng, input_size):
        return 0.3 * rng.standard_normal((input_size, self.size)), np.zeros(self.size)

    def forward(self, params, inputs):
        weights, biases = params
        return inputs.reshape(inputs.shape[0], -1) @ weights + biases


class ConvNet:
    def __init__(self):
        self.layers = [ConvLayer((2, 2), 3), FullLayer(2)]

    def loss(self, params, images, targets):
        activations = images
        for layer, layer_params in zip(self.layers, params):
            activations = layer.forward(layer_params, activations)
        log_probs = activations - logsumexp(activations, axis=1, keepdims=True)
        return -np.mean(np.sum(log_probs * targets, axis=1))


def start(rng):
    net = ConvNet()
    params = [net.layers[0].build_weights(rng, 1), net.layers[1].build_weights(rng, 3 * 3 * 3)]
    images = rng.standard_normal((5, 1, 4, 4))
    targets = np.eye(2)[rng.integers(0, 2, 5)]
    return net, params, images, targets
