# Reproduction modelled on: https://github.com/d2l-ai/d2l-en/pull/1713
# FIXED VERSION: the recurrent weights are wrapped in nn.Parameter.
# "[pytorch] remove nn.Parameter": the RNN-from-scratch weights are created as plain tensors
# (torch.randn(...) * sigma) instead of nn.Parameter(...). They are not registered on the
# module, so configure_optimizers() (SGD over self.parameters()) and the gradient clipping
# never see them and the recurrent weights never train; only the output layer learns.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
np.random.seed(0)


class HyperParameters:
    def save_hyperparameters(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)


class RNNScratch(nn.Module, HyperParameters):
    """The RNN model implemented from scratch."""

    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.save_hyperparameters(num_inputs=num_inputs, num_hiddens=num_hiddens, sigma=sigma)
        self.W_xh = nn.Parameter(torch.randn(num_inputs, num_hiddens) * sigma)
        self.W_hh = nn.Parameter(torch.randn(num_hiddens, num_hiddens) * sigma)
        self.b_h = nn.Parameter(torch.zeros(num_hiddens))

    def forward(self, inputs, state=None):
        if state is None:
            state = torch.zeros((inputs.shape[1], self.num_hiddens), device=inputs.device)
        else:
            state, = state
        outputs = []
        for X in inputs:
            state = torch.tanh(torch.matmul(X, self.W_xh) + torch.matmul(state, self.W_hh) + self.b_h)
            outputs.append(state)
        return outputs, state


class RNNLMScratch(nn.Module, HyperParameters):
    """The RNN-based language model implemented from scratch."""

    def __init__(self, rnn, vocab_size, lr=0.01):
        super().__init__()
        self.save_hyperparameters(rnn=rnn, vocab_size=vocab_size, lr=lr)
        self.W_hq = nn.Parameter(torch.randn(self.rnn.num_hiddens, self.vocab_size) * self.rnn.sigma)
        self.b_q = nn.Parameter(torch.zeros(self.vocab_size))

    def one_hot(self, X):
        return F.one_hot(X.T, self.vocab_size).type(torch.float32)

    def output_layer(self, rnn_outputs):
        outputs = [torch.matmul(H, self.W_hq) + self.b_q for H in rnn_outputs]
        return torch.stack(outputs, 1)

    def forward(self, X, state=None):
        rnn_outputs, _ = self.rnn(self.one_hot(X), state)
        return self.output_layer(rnn_outputs)

    def loss(self, Y_hat, Y):
        return F.cross_entropy(Y_hat.reshape(-1, Y_hat.shape[-1]), Y.reshape(-1))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), self.lr)


class Trainer(HyperParameters):
    def __init__(self, max_epochs, gradient_clip_val=1.0):
        self.save_hyperparameters(max_epochs=max_epochs, gradient_clip_val=gradient_clip_val)

    def clip_gradients(self, grad_clip_val, model):
        params = [p for p in model.parameters() if p.requires_grad]
        norm = torch.sqrt(sum(torch.sum((p.grad ** 2)) for p in params))
        if norm > grad_clip_val:
            for param in params:
                param.grad[:] *= grad_clip_val / norm

    def fit(self, model, data):
        self.optim = model.configure_optimizers()
        for epoch in range(self.max_epochs):
            total = 0.0
            for X, Y in data:
                loss = model.loss(model(X), Y)
                self.optim.zero_grad()
                loss.backward()
                self.clip_gradients(self.gradient_clip_val, model)
                self.optim.step()
                total += loss.item()
            print(f"epoch {epoch}: ppl {np.exp(total / len(data)):.3f}")


def time_machine_like(vocab_size=12, num_steps=8, batch_size=16, n_batches=10):
    rng = np.random.RandomState(0)
    corpus = np.array([(3 * i + rng.randint(2)) % vocab_size for i in range(4000)])
    batches = []
    for _ in range(n_batches):
        starts = rng.randint(0, len(corpus) - num_steps - 1, size=batch_size)
        X = torch.tensor(np.stack([corpus[s:s + num_steps] for s in starts]))
        Y = torch.tensor(np.stack([corpus[s + 1:s + num_steps + 1] for s in starts]))
        batches.append((X, Y))
    return batches


data = time_machine_like()
rnn = RNNScratch(num_inputs=12, num_hiddens=32, sigma=0.1)
model = RNNLMScratch(rnn, vocab_size=12, lr=1.0)
trainer = Trainer(max_epochs=5, gradient_clip_val=1.0)
trainer.fit(model, data)
