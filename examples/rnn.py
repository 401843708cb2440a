"""A recurrent network with tanh units, written as a Python for loop over time. Its gradient is
back-propagation (section 6.5 of Deep Learning, Goodfellow, Bengio and Courville) through the
graph the loop unrolls into; chapter 10 of the book is about such networks.

Each sequence is a sine wave of its own frequency and phase, with a little noise. At every
step the network reads one value and predicts the next:

    h_t = tanh(x_t W_x + h_{t-1} W_h + b),    prediction_t = h_t W_y + c

To predict well it has to infer the frequency from what it has seen so far and keep it in h.
srcad differentiates the loop as written: the generated gradient runs the loop forward, saving
each h_t on a tape, then backwards through time (back-propagation through time). The script
prints the loss falling, compares the trained network's one-step error with predicting that
the next value equals the last, and saves a PNG of a test sequence, its one-step predictions,
and a continuation the network generates by feeding its own predictions back in.

    python examples/rnn.py [--quick] [--out DIR]
"""
import numpy as np

import srcad
from shared import command_line, pyplot, save

HIDDEN = 16


def sine_waves(count, length, rng, noise=0.03):
    t = np.arange(length)
    frequency = rng.uniform(0.15, 0.6, (count, 1))
    phase = rng.uniform(0, 2 * np.pi, (count, 1))
    return np.sin(frequency * t + phase) + noise * rng.standard_normal((count, length))


def step(params, x, h):
    """One step of the recurrence: the new state and its prediction of the next value."""
    Wx, Wh, b, Wy, c = params
    h = np.tanh(x @ Wx + h @ Wh + b)
    return h, h @ Wy + c


def loss(params, xs):
    """The mean squared error of every one-step prediction in the batch ``xs`` (sequences as rows)."""
    Wh = params[1]
    h = np.zeros((xs.shape[0], Wh.shape[0]))
    total = 0.0
    for t in range(xs.shape[1] - 1):
        h, prediction = step(params, xs[:, t:t + 1], h)
        total = total + np.mean((prediction[:, 0] - xs[:, t + 1]) ** 2)
    return total / (xs.shape[1] - 1)


def predict_and_continue(params, xs, steps):
    """One-step predictions along ``xs`` (one sequence), then ``steps`` values generated freely."""
    h = np.zeros((1, params[1].shape[0]))
    predictions = []
    for x in xs:
        h, prediction = step(params, np.array([[x]]), h)
        predictions.append(prediction[0, 0])
    generated = [predictions[-1]]
    for _ in range(steps - 1):
        h, prediction = step(params, np.array([[generated[-1]]]), h)
        generated.append(prediction[0, 0])
    return np.array(predictions), np.array(generated)


def train(sequences, steps, rng, batch_size=32):
    params = (rng.standard_normal((1, HIDDEN)) * 0.5, rng.standard_normal((HIDDEN, HIDDEN)) / np.sqrt(HIDDEN),
              np.zeros(HIDDEN), rng.standard_normal((HIDDEN, 1)) / np.sqrt(HIDDEN), np.zeros(1))
    loss_and_grad = srcad.value_and_grad(loss)
    opt = srcad.optimizers.adam(lr=0.01)
    state = opt.init(params)
    losses = []
    for number in range(steps):
        batch = sequences[rng.integers(0, len(sequences), batch_size)]
        value, grads = loss_and_grad(params, batch)
        params, state = opt.update(params, grads, state)
        losses.append(float(value))
        if number % (steps // 6) == 0:
            print(f"step {number:4d}   one-step mean squared error {value:.4f}")
    return params, losses, loss_and_grad


def plot(params, sequence, seen, out):
    predictions, generated = predict_and_continue(params, sequence[:seen], len(sequence) - seen)
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(9, 3.6), layout="constrained")
    t = np.arange(len(sequence))
    axes.plot(t, sequence, color="0.6", marker=".", label="the sequence")
    axes.plot(t[1:seen + 1], predictions, color="tab:blue", label="one-step predictions")
    axes.plot(t[seen:], generated, color="tab:red", linestyle="--", label="generated from its own predictions")
    axes.axvline(seen - 0.5, color="0.3", linewidth=0.8)
    axes.set(xlabel="t", ylabel="x_t", title="a tanh RNN on a sine wave it has not seen")
    axes.legend(loc="lower left", fontsize=8)
    return save(figure, out, "rnn.png")


def main(quick=False, out=None, seed=0):
    rng = np.random.default_rng(seed)
    length = 30
    train_set, test_set = sine_waves(512, length, rng), sine_waves(256, length, rng)
    params, losses, loss_and_grad = train(train_set, steps=60 if quick else 600, rng=rng)
    error = float(loss(params, test_set))
    repeat_last = float(np.mean((test_set[:, 1:] - test_set[:, :-1]) ** 2))
    print(f"\non new sequences: one-step mean squared error {error:.4f}; "
          f"predicting that the next value is the last one: {repeat_last:.4f}")
    figure = plot(params, sine_waves(1, 60, rng)[0], seen=40, out=out)
    print(f"\nThe generated gradient walks the loop back in time ({loss_and_grad.source.count(chr(10))} lines; "
          f"print loss_and_grad.source to read it).")
    return {"losses": losses, "test error": error, "repeat last": repeat_last, "figure": figure}


if __name__ == "__main__":
    quick, out = command_line(__doc__)
    main(quick=quick, out=out)
