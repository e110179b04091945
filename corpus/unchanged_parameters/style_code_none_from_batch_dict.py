"""Style-conditioned speech-feature decoder (toy mel frames): every decoder layer adds a projection
of the speaker style code. The last layer reads its style from the batch dict under a key the data
pipeline never fills (`"speaker_style"` instead of `"style"`), so it always gets None and skips its
style projection; nothing fails."""
import torch
import torch.nn as nn
import torch.nn.functional as F

MEL, STYLE = 16, 8


class StyledLayer(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.fc = nn.Linear(d_in, d_out)
        self.style_proj = nn.Linear(STYLE, d_out)

    def forward(self, x, style=None):
        h = self.fc(x)
        if style is not None:
            h = h + self.style_proj(style)[:, None, :]
        return torch.tanh(h)


class Decoder(nn.Module):
    def __init__(self, d=48):
        super().__init__()
        self.l1 = StyledLayer(MEL, d)
        self.l2 = StyledLayer(d, d)
        self.l3 = StyledLayer(d, MEL)

    def forward(self, batch):
        h = self.l1(batch["frames"], batch["style"])
        h = self.l2(h, batch["style"])
        return self.l3(h, batch.get("speaker_style"))


def make_batch(n=32, frames=10):
    style = torch.randn(n, STYLE)
    frames_in = torch.randn(n, frames, MEL)
    target = frames_in.roll(1, dims=1) + style[:, None, :MEL // 2].repeat(1, 1, 2)
    return {"frames": frames_in, "style": style}, target


torch.manual_seed(0)
decoder = Decoder()
optimizer = torch.optim.RMSprop(decoder.parameters(), lr=1e-3)
for step in range(60):
    batch, target = make_batch()
    loss = F.mse_loss(decoder(batch), target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 20 == 0:
        print(step, f"{loss.item():.4f}")
