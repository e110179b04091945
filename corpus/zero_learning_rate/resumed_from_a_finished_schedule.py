"""Fine-tuning resumed from the last checkpoint of a finished pre-training job: the checkpoint
holds the model, the optimizer and the scheduler, and all three are restored. The linear decay had
reached 0 when the job ended, so the resumed run starts, and stays, at a learning rate of 0."""
import io

import torch
import torch.nn as nn

torch.manual_seed(0)
TOTAL_STEPS = 200


def make_model():
    return nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))


def make_optimization(model):
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1 - step / TOTAL_STEPS))
    return optimizer, scheduler


def last_checkpoint_of_the_pretraining_job():
    """What the pre-training job saved after its last step (stands in for torch.load(path))."""
    model = make_model()
    optimizer, scheduler = make_optimization(model)
    for _ in range(TOTAL_STEPS):
        scheduler.step()
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, buffer)
    buffer.seek(0)
    return torch.load(buffer)


checkpoint = last_checkpoint_of_the_pretraining_job()
model = make_model()
optimizer, scheduler = make_optimization(model)
model.load_state_dict(checkpoint["model"])
optimizer.load_state_dict(checkpoint["optimizer"])
scheduler.load_state_dict(checkpoint["scheduler"])

x, y = torch.randn(256, 16), torch.randint(0, 4, (256,))
for epoch in range(10):
    for start in range(0, 256, 32):
        loss = nn.functional.cross_entropy(model(x[start:start + 32]), y[start:start + 32])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
    print(epoch, loss.item(), scheduler.get_last_lr())
