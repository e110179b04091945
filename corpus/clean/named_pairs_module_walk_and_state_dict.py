"""BatchNorm layers kept in eval mode while the rest trains, a warm start from a state_dict with
renamed keys, and per-parameter gradient norms logged by name."""
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        return self.fc(self.conv(x).mean(dim=(2, 3)))


def freeze_bn_stats(model):
    for mod_name, mod in model.named_modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.eval()


torch.manual_seed(2)
net = Net()
old = {f"backbone.{k}": v for k, v in Net().state_dict().items()}
renamed = {}
for k, v in old.items():
    if k.startswith("backbone.conv."):
        renamed[k.replace("backbone.", "", 1)] = v.clone()
net.load_state_dict(renamed, strict=False)

opt = torch.optim.SGD(net.parameters(), lr=0.05)
imgs, labels = torch.randn(16, 1, 8, 8), torch.randint(0, 4, (16,))
for step in range(5):
    net.train()
    freeze_bn_stats(net)
    loss = nn.functional.cross_entropy(net(imgs), labels)
    opt.zero_grad()
    loss.backward()
    norms = {}
    for grad, pname in zip([p.grad for p in net.parameters()], [n for n, _ in net.named_parameters()]):
        norms[pname] = grad.norm().item()
    opt.step()
    print(step, round(loss.item(), 4), max(norms, key=norms.get))
