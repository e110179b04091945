"""Linear probing of a pretrained EEG transformer (EEGPT downstream protocol).

A learnable channel-mixing convolution adapts the dataset's electrodes to the montage the
encoder was pretrained on, the pretrained encoder is evaluated as-is, and two linear probes
read out the class.  Only the adapter and the probes are given to the optimizer: the encoder
is part of the gradient path (the adapter is trained through it) but is never updated, which
is what "linear probing" means.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

N_CHANS_DATA, N_CHANS_MODEL, N_SAMPLES, PATCH, EMBED = 22, 16, 256, 32, 32


class PatchEmbed(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Conv1d(1, EMBED, kernel_size=PATCH, stride=PATCH)

    def forward(self, x):
        B, C, T = x.shape
        x = self.proj(x.reshape(B * C, 1, T))           # (B*C, E, T/PATCH)
        return x.transpose(1, 2).reshape(B, C * (T // PATCH), EMBED)


class EEGTransformer(nn.Module):
    def __init__(self, depth=2):
        super().__init__()
        self.patch_embed = PatchEmbed()
        self.pos_embed = nn.Parameter(torch.randn(1, N_CHANS_MODEL * (N_SAMPLES // PATCH), EMBED) * 0.02)
        layer = nn.TransformerEncoderLayer(EMBED, 4, 64, dropout=0.0, batch_first=True)
        self.blocks = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(EMBED)

    def forward(self, x):
        return self.norm(self.blocks(self.patch_embed(x) + self.pos_embed))


class LitEEGPTLinearProbe(nn.Module):
    def __init__(self, n_classes=4):
        super().__init__()
        self.chan_conv = nn.Conv1d(N_CHANS_DATA, N_CHANS_MODEL, 1)
        self.target_encoder = EEGTransformer()
        self.linear_probe1 = nn.Linear(EMBED, 16)
        self.linear_probe2 = nn.Linear(16 * (N_SAMPLES // PATCH), n_classes)

    def forward(self, x):
        x = self.chan_conv(x)
        self.target_encoder.eval()
        z = self.target_encoder(x)                                    # (B, C*P, E)
        z = z.reshape(x.shape[0], N_CHANS_MODEL, N_SAMPLES // PATCH, EMBED).mean(1)
        h = self.linear_probe1(F.dropout(z, 0.1, self.training)).flatten(1)
        return self.linear_probe2(h)

    def configure_optimizers(self):
        return torch.optim.AdamW(
            list(self.chan_conv.parameters()) +
            list(self.linear_probe1.parameters()) +
            list(self.linear_probe2.parameters()),
            lr=1e-3, weight_decay=0.01)


def make_motor_imagery(n=96):
    t = torch.arange(N_SAMPLES) / 128.0
    y = torch.randint(0, 4, (n,))
    x = 0.5 * torch.randn(n, N_CHANS_DATA, N_SAMPLES)
    for i, c in enumerate(y.tolist()):
        x[i, 3 * c:3 * c + 3] += torch.sin(2 * torch.pi * (8 + 4 * c) * t)
    return x, y


if __name__ == "__main__":
    model = LitEEGPTLinearProbe()
    pretrained = {k: v * 1.5 for k, v in model.target_encoder.state_dict().items()}
    model.target_encoder.load_state_dict(pretrained)   # stands in for the EEGPT checkpoint
    optimizer = model.configure_optimizers()

    x, y = make_motor_imagery()
    for epoch in range(3):
        model.train()
        for i in range(0, x.shape[0], 16):
            loss = F.cross_entropy(model(x[i:i + 16]), y[i:i + 16])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch} loss {loss.item():.4f}")
