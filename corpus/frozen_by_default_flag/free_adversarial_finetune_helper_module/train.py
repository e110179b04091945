# Adversarially fine-tunes an activity recogniser for 3-axis accelerometer windows (walking,
# running, resting): the network trained earlier on clean windows is restored and trained
# further against bounded input perturbations; clean accuracy is printed after each epoch.
import torch

import robust as rb

torch.manual_seed(0)


def windows(n, length=32):
    labels = torch.randint(0, 3, (n,))
    t = torch.arange(length, dtype=torch.float32)
    freq = torch.tensor([0.25, 0.6, 0.05])[labels][:, None, None]
    amp = torch.tensor([1.0, 2.0, 0.2])[labels][:, None, None]
    phase = torch.rand(n, 3, 1) * 6.28
    signal = amp * torch.sin(freq * t + phase)
    return signal + 0.2 * torch.randn(n, 3, length), labels


clean_checkpoint = rb.ActivityNet().state_dict()
trainer = rb.FreeAdversarialTrainer(clean_checkpoint, epsilon=0.1, replays=3)
x, y = windows(512)
for epoch in range(3):
    for i in range(0, 512, 64):
        loss = trainer.train_batch(x[i:i + 64], y[i:i + 64])
    with torch.no_grad():
        accuracy = (trainer.model(x).argmax(1) == y).float().mean()
    print(f"epoch {epoch} adversarial loss {loss:.4f} clean accuracy {accuracy:.3f}")
