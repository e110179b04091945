# Report: https://github.com/espnet/espnet/pull/2362
# Mixed-precision trainer: when the gradient norm is not finite the optimizer step is
# skipped -- and scaler.update() with it. The next iteration's scaler.unscale_() then fails:
# "RuntimeError: unscale_() has already been called on this optimizer since the last update()".
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(1)  # small CPU job: avoid thread oversubscription
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"
amp_dtype = torch.float16 if device == "cuda" else torch.bfloat16

TRAIN_CONF = {"grad_clip": 5.0, "lr": 1e-3, "epochs": 2, "use_amp": True}


class ConformerLikeEncoder(nn.Module):
    def __init__(self, idim=40, adim=64, odim=30):
        super().__init__()
        self.embed = nn.Sequential(nn.Linear(idim, adim), nn.ReLU())
        self.ff = nn.Sequential(nn.LayerNorm(adim), nn.Linear(adim, 4 * adim), nn.SiLU(), nn.Linear(4 * adim, adim))
        self.conv = nn.Conv1d(adim, adim, 5, padding=2, groups=adim)
        self.out = nn.Linear(adim, odim)

    def forward(self, feats):
        x = self.embed(feats)
        x = x + 0.5 * self.ff(x)
        x = x + self.conv(x.transpose(1, 2)).transpose(1, 2)
        return self.out(x)


def log_fbank(wav):
    # frame energies -> log; an all-zero (silent) utterance gives log(0) = -inf
    frames = wav.unfold(-1, 160, 160)
    spec = torch.fft.rfft(frames).abs() ** 2
    return torch.log(spec[..., :40])


def make_iterator():
    batches = []
    for b in range(6):
        wav = torch.randn(4, 160 * 25)
        if b == 2:
            wav[1] = 0.0  # a silent utterance in the corpus
        labels = torch.randint(0, 30, (4, 25))
        batches.append((wav, labels))
    return batches


class Trainer:
    def __init__(self, model, conf):
        self.model = model.to(device)
        self.conf = conf
        self.optimizer = torch.optim.Adam(model.parameters(), lr=conf["lr"])
        self.scaler = torch.amp.GradScaler(device, enabled=conf["use_amp"])

    def train_one_epoch(self, iterator):
        for wav, labels in iterator:
            feats, labels = log_fbank(wav).to(device), labels.to(device)
            with torch.autocast(device_type=device, dtype=amp_dtype, enabled=self.conf["use_amp"]):
                logits = self.model(feats)
                loss = F.cross_entropy(logits.float().reshape(-1, 30), labels.reshape(-1))
            self.optimizer.zero_grad()
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.optimizer)
            grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.conf["grad_clip"])
            if not torch.isfinite(grad_norm):
                print(f"The grad norm is {grad_norm}. Skipping updating the model.")
            else:
                self.scaler.step(self.optimizer)
                self.scaler.update()

    def run(self, iterator):
        for epoch in range(self.conf["epochs"]):
            self.train_one_epoch(iterator)
            print(f"epoch {epoch} done")


model = ConformerLikeEncoder()
trainer = Trainer(model, TRAIN_CONF)
trainer.run(make_iterator())
