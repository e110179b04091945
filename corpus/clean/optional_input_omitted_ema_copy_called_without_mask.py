"""Masked-token self-distillation (data2vec style, toy): the student's encoder layers see the
token mask through a mask embedding projection; the EMA teacher is another instance of the same
layer class, never trained by the optimizer (requires_grad off, updated as an average), and sees
the whole sequence, so it is called without the mask."""
import torch
import torch.nn as nn
import torch.nn.functional as F

DIM, SEQ = 32, 12


class MaskAwareLayer(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.mix = nn.Linear(dim, dim)
        self.mask_proj = nn.Linear(1, dim)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x, mask=None):
        h = self.mix(x)
        if mask is not None:
            h = h + self.mask_proj(mask[..., None].float())
        return self.norm(x + F.gelu(h))


student_layers = nn.ModuleList([MaskAwareLayer(DIM) for _ in range(2)])
teacher_layer = MaskAwareLayer(DIM)
teacher_layer.requires_grad_(False)
head = nn.Linear(DIM, DIM)
optimizer = torch.optim.AdamW(list(student_layers.parameters()) + list(head.parameters()), lr=1e-3)

torch.manual_seed(0)
for step in range(50):
    tokens = torch.randn(16, SEQ, DIM)
    mask = torch.rand(16, SEQ) < 0.3
    h = tokens.masked_fill(mask[..., None], 0.0)
    for layer in student_layers:
        h = layer(h, mask)
    target = teacher_layer(tokens).detach()
    loss = F.smooth_l1_loss(head(h)[mask], target[mask])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        for p_t, p_s in zip(teacher_layer.parameters(), student_layers[-1].parameters()):
            p_t.mul_(0.99).add_(p_s, alpha=0.01)
    if step % 10 == 0:
        print(f"step {step}: {loss.item():.4f}")
