"""Subject-invariant sleep staging from synthetic single-channel EEG epochs. A small family of
gradient Functions shares one identity forward: ReverseGrad feeds a subject adversary, ScaleGrad
an artifact-detection auxiliary head whose pull on the encoder is damped."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(23)
N_STAGES, N_SUBJECTS, SAMPLES = 5, 8, 128


class _GradIdentity(torch.autograd.Function):
    """Identity in the forward pass; subclasses decide what happens to the gradient."""

    @staticmethod
    def forward(ctx, x, coeff):
        ctx.coeff = coeff
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class ReverseGrad(_GradIdentity):
    @staticmethod
    def backward(ctx, grad):
        return -ctx.coeff * grad, None


class ScaleGrad(_GradIdentity):
    @staticmethod
    def backward(ctx, grad):
        return ctx.coeff * grad, None


class SleepNet(nn.Module):
    def __init__(self, width=32):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv1d(1, width, 7, stride=2, padding=3), nn.BatchNorm1d(width), nn.ReLU(),
            nn.Conv1d(width, width, 5, stride=2, padding=2), nn.AdaptiveAvgPool1d(1), nn.Flatten(),
        )
        self.stage = nn.Linear(width, N_STAGES)
        self.subject = nn.Sequential(nn.Linear(width, 32), nn.ReLU(), nn.Linear(32, N_SUBJECTS))
        self.artifact = nn.Linear(width, 1)

    def forward(self, eeg, adv_coeff):
        feat = self.encoder(eeg)
        subject_logits = self.subject(ReverseGrad.apply(feat, adv_coeff))
        artifact_logit = self.artifact(ScaleGrad.apply(feat, 0.2)).squeeze(1)
        stage_logits = self.stage(feat.relu_())
        return stage_logits, subject_logits, artifact_logit


def epochs(n):
    stage = torch.randint(0, N_STAGES, (n,))
    subject = torch.randint(0, N_SUBJECTS, (n,))
    t = torch.linspace(0, 1, SAMPLES)
    rhythm = torch.sin(2 * torch.pi * (2 + 3 * stage[:, None].float()) * t)
    offset = 0.3 * (subject[:, None].float() / N_SUBJECTS)
    artifact = (torch.rand(n) < 0.2).float()
    spikes = artifact[:, None] * 3 * (torch.rand(n, SAMPLES) < 0.05).float()
    x = rhythm + offset + spikes + 0.4 * torch.randn(n, SAMPLES)
    return x.unsqueeze(1), stage, subject, artifact


model = SleepNet()
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
for step in range(1, 61):
    eeg, stage, subject, artifact = epochs(64)
    stage_logits, subject_logits, artifact_logit = model(eeg, adv_coeff=min(1.0, step / 30))
    loss = (
        F.cross_entropy(stage_logits, stage)
        + 0.5 * F.cross_entropy(subject_logits, subject)
        + 0.3 * F.binary_cross_entropy_with_logits(artifact_logit, artifact)
    )
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 20 == 0:
        acc = (stage_logits.argmax(1) == stage).float().mean().item()
        print(f"step {step}: loss {loss.item():.3f} stage acc {acc:.2f}")
