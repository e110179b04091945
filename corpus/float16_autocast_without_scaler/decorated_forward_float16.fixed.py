"""A denoiser whose forward is decorated to run in float16; its uncertainty head's loss is a small
regulariser averaged over the whole image, and nothing scales the loss."""
import torch
import torch.nn as nn


class Denoiser(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 12, 3, padding=1), nn.ReLU(), nn.Conv2d(12, 12, 3, padding=1), nn.ReLU())
        self.out = nn.Conv2d(12, 1, 3, padding=1)
        self.log_var = nn.Conv2d(12, 1, 1)

    @torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    def forward(self, noisy):
        h = self.body(noisy)
        return self.out(h), self.log_var(h)


def fit(model, steps=10, device="cpu"):
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
    for _ in range(steps):
        clean = torch.rand(8, 1, 100, 100, device=device)
        noisy = clean + 0.1 * torch.randn_like(clean)
        denoised, log_var = model(noisy)
        loss = nn.functional.mse_loss(denoised.float(), clean) + 5e-4 * log_var.float().abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()


if __name__ == "__main__":
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    fit(Denoiser().to(dev), device=dev)
