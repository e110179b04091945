"""Streaming frame-level phone recognizer: long utterances are fed chunk by chunk, as they would
arrive from a microphone, and the recurrent encoder carries its state from chunk to chunk."""
import torch
import torch.nn.functional as F
from torch import nn

CONFIG = {
    "n_mels": 40,
    "n_phones": 12,
    "cell": "gru",
    "hidden": 64,
    "layers": 2,
    "chunk_frames": 25,
    "utterances": 16,
    "frames": 200,
    "batch": 8,
    "epochs": 3,
    "lr": 2e-3,
}

torch.manual_seed(3)


def synth_utterances(cfg):
    """Each phone has a spectral template; an utterance is a run of phones of random durations."""
    templates = torch.randn(cfg["n_phones"], cfg["n_mels"]).cumsum(dim=1) * 0.3
    feats = torch.empty(cfg["utterances"], cfg["frames"], cfg["n_mels"])
    labels = torch.empty(cfg["utterances"], cfg["frames"], dtype=torch.long)
    for u in range(cfg["utterances"]):
        t = 0
        while t < cfg["frames"]:
            phone = int(torch.randint(cfg["n_phones"], ()))
            dur = int(torch.randint(6, 20, ()))
            end = min(t + dur, cfg["frames"])
            ramp = torch.linspace(0.8, 1.2, end - t).unsqueeze(1)
            feats[u, t:end] = templates[phone] * ramp + 0.4 * torch.randn(end - t, cfg["n_mels"])
            labels[u, t:end] = phone
            t = end
    feats = (feats - feats.mean(dim=(0, 1))) / feats.std(dim=(0, 1))
    return feats, labels


class StreamingEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        rnn_cls = {"lstm": nn.LSTM, "gru": nn.GRU}[cfg["cell"]]
        self.frontend = nn.Sequential(nn.Linear(cfg["n_mels"], cfg["hidden"]), nn.ReLU())
        self.rnn = rnn_cls(cfg["hidden"], cfg["hidden"], num_layers=cfg["layers"], batch_first=True)
        self.classifier = nn.Linear(cfg["hidden"], cfg["n_phones"])
        self.state = None

    def reset(self):
        self.state = None

    def truncate_history(self):
        if self.state is None:
            return
        self.state = self.state.detach() if isinstance(self.state, torch.Tensor) else tuple(s.detach() for s in self.state)

    def forward(self, chunk):
        x = self.frontend(chunk)
        y, self.state = self.rnn(x, self.state)
        return self.classifier(y)


def stream_chunks(feats, labels, chunk_frames):
    for start in range(0, feats.shape[1], chunk_frames):
        yield feats[:, start:start + chunk_frames], labels[:, start:start + chunk_frames]


def run_epoch(model, feats, labels, cfg, optimizer=None):
    training = optimizer is not None
    model.train(training)
    correct = total = 0
    loss_sum = 0.0
    for b in range(0, feats.shape[0], cfg["batch"]):
        model.reset()
        batch_x, batch_y = feats[b:b + cfg["batch"]], labels[b:b + cfg["batch"]]
        for chunk_x, chunk_y in stream_chunks(batch_x, batch_y, cfg["chunk_frames"]):
            with torch.set_grad_enabled(training):
                model.truncate_history()
                logits = model(chunk_x)
                loss = F.cross_entropy(logits.reshape(-1, cfg["n_phones"]), chunk_y.reshape(-1))
            if training:
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            loss_sum += loss.item() * chunk_y.numel()
            correct += (logits.argmax(-1) == chunk_y).sum().item()
            total += chunk_y.numel()
    return loss_sum / total, correct / total


def main(cfg=CONFIG):
    feats, labels = synth_utterances(cfg)
    n_train = int(0.75 * feats.shape[0])
    model = StreamingEncoder(cfg)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    for epoch in range(cfg["epochs"]):
        tr_loss, tr_acc = run_epoch(model, feats[:n_train], labels[:n_train], cfg, optimizer)
        va_loss, va_acc = run_epoch(model, feats[n_train:], labels[n_train:], cfg)
        print(f"epoch {epoch + 1}: train loss {tr_loss:.3f} acc {tr_acc:.3f} | "
              f"valid loss {va_loss:.3f} frame acc {va_acc:.3f}")


if __name__ == "__main__":
    main()
