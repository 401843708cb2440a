"""A character-level recurrent network over a Python loop, with a softmax readout."""
import numpy as np
from scipy.special import logsumexp


def init_params(rng, input_size, state_size, output_size, scale=0.3):
    return {"init_hiddens": scale * rng.standard_normal((1, state_size)),
            "change": scale * rng.standard_normal((input_size + state_size + 1, state_size)),
            "predict": scale * rng.standard_normal((state_size + 1, output_size))}


def concat_and_multiply(weights, *args):
    cat_state = np.hstack(args + (np.ones((args[0].shape[0], 1)),))
    return cat_state @ weights


def rnn_predict(params, inputs):
    def update_rnn(input, hiddens):
        return np.tanh(concat_and_multiply(params["change"], input, hiddens))

    def hiddens_to_output_probs(hiddens):
        output = concat_and_multiply(params["predict"], hiddens)
        return output - logsumexp(output, axis=1, keepdims=True)

    num_sequences = inputs.shape[1]
    hiddens = np.repeat(params["init_hiddens"], num_sequences, axis=0)
    output = [hiddens_to_output_probs(hiddens)]
    for input in inputs:  # iterate over time steps
        hiddens = update_rnn(input, hiddens)
        output.append(hiddens_to_output_probs(hiddens))
    return output


def loss(params, inputs, targets):
    logprobs = rnn_predict(params, inputs)
    total = 0.0
    for t in range(len(inputs) - 1):
        total = total + np.sum(logprobs[t] * targets[t + 1])
    return -total / np.prod(targets.shape[:2])


def start(rng, steps=6, sequences=3, symbols=4):
    onehot = np.eye(symbols)[rng.integers(0, symbols, (steps, sequences))]
    return init_params(rng, symbols, 5, symbols), onehot, onehot
