"""An LSTM over a Python loop, with a softmax readout; gates computed by a helper."""
import numpy as np
from scipy.special import logsumexp


def init_params(rng, input_size, state_size, output_size, scale=0.3):
    params = {"init_cells": scale * rng.standard_normal((1, state_size)),
              "init_hiddens": scale * rng.standard_normal((1, state_size)),
              "predict": scale * rng.standard_normal((state_size + 1, output_size))}
    for gate in ("change", "forget", "ingate", "outgate"):
        params[gate] = scale * rng.standard_normal((input_size + state_size + 1, state_size))
    return params


def sigmoid(x):
    return 0.5 * (np.tanh(x) + 1.0)


def concat_and_multiply(weights, *args):
    cat_state = np.hstack(args + (np.ones((args[0].shape[0], 1)),))
    return cat_state @ weights


def update_lstm(params, input, hiddens, cells):
    change = np.tanh(concat_and_multiply(params["change"], input, hiddens))
    forget = sigmoid(concat_and_multiply(params["forget"], input, hiddens))
    ingate = sigmoid(concat_and_multiply(params["ingate"], input, hiddens))
    outgate = sigmoid(concat_and_multiply(params["outgate"], input, hiddens))
    cells = cells * forget + ingate * change
    hiddens = outgate * np.tanh(cells)
    return hiddens, cells


def hiddens_to_output_probs(params, hiddens):
    output = concat_and_multiply(params["predict"], hiddens)
    return output - logsumexp(output, axis=1, keepdims=True)


def loss(params, inputs, targets):
    num_sequences = inputs.shape[1]
    hiddens = np.repeat(params["init_hiddens"], num_sequences, axis=0)
    cells = np.repeat(params["init_cells"], num_sequences, axis=0)
    total = 0.0
    for t in range(inputs.shape[0] - 1):
        hiddens, cells = update_lstm(params, inputs[t], hiddens, cells)
        total = total + np.sum(hiddens_to_output_probs(params, hiddens) * targets[t + 1])
    return -total / np.prod(targets.shape[:2])


def start(rng, steps=5, sequences=3, symbols=4):
    onehot = np.eye(symbols)[rng.integers(0, symbols, (steps, sequences))]
    return init_params(rng, symbols, 4, symbols), onehot, onehot
