# Fine-tuning on a second domain starts from the pretrained model and its optimizer, deep-copied in
# two calls: the copy's optimizer (two param groups, backbone and head) holds copies of the
# weights, and the fine-tuned model never changes.
import copy

import torch
import torch.nn as nn

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(6, 16), nn.ReLU())
        self.head = nn.Linear(16, 2)

    def forward(self, x):
        return self.head(self.backbone(x))


def fit(model, optimizer, x, y, steps=8):
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    return loss.item()


x, y = torch.randn(60, 6), torch.randint(0, 2, (60,))
base = Net()
base_optimizer = torch.optim.SGD(
    [{"params": base.backbone.parameters(), "lr": 1e-3}, {"params": base.head.parameters(), "lr": 1e-2}],
    momentum=0.9,
)
print("pretrain", fit(base, base_optimizer, x, y))

tuned = copy.deepcopy(base)
tuned_optimizer = copy.deepcopy(base_optimizer)
model_parameters = list(tuned.parameters())
rebuilt_optimizer = type(tuned_optimizer)([dict(group, params=[model_parameters.pop(0) for _ in group["params"]]) for group in tuned_optimizer.param_groups], **tuned_optimizer.defaults)
rebuilt_optimizer.load_state_dict(tuned_optimizer.state_dict())
tuned_optimizer = rebuilt_optimizer
x2, y2 = torch.randn(30, 6) + 1.0, torch.randint(0, 2, (30,))
print("fine-tune", fit(tuned, tuned_optimizer, x2, y2))
