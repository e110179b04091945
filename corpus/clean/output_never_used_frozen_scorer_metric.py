"""A denoiser trained with MSE; a frozen, pretrained-looking "quality scorer" is run on its output
with gradients on (nobody wrapped it in no_grad) only to print a score. The scorer is frozen and
kept out of the optimizer, so its unused output costs nothing."""
import torch
import torch.nn as nn

torch.manual_seed(4)
denoiser = nn.Sequential(nn.Conv1d(1, 8, 5, padding=2), nn.ReLU(), nn.Conv1d(8, 1, 5, padding=2))
scorer = nn.Sequential(nn.Conv1d(1, 4, 9, padding=4), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(4, 1))
scorer.load_state_dict({k: torch.randn_like(v) * 0.1 for k, v in scorer.state_dict().items()})
scorer.requires_grad_(False)
scorer.eval()

opt = torch.optim.Adam(denoiser.parameters(), lr=2e-3)
clean = torch.sin(torch.linspace(0, 12, 64)).repeat(16, 1, 1)
for step in range(12):
    noisy = clean + 0.3 * torch.randn_like(clean)
    restored = denoiser(noisy)
    quality = scorer(restored).mean()
    loss = nn.functional.mse_loss(restored, clean)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 4 == 0:
        print(f"step {step}: mse {loss.item():.4f} quality {quality.item():.3f}")
