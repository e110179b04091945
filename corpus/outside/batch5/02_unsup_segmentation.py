# Unsupervised image segmentation by backpropagation (Kanezaki-style):
# the network's own argmax labels, refined by superpixels, are used as targets.
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

parser = argparse.ArgumentParser(description="Unsupervised segmentation")
parser.add_argument("--nChannel", default=24, type=int)
parser.add_argument("--maxIter", default=20, type=int)
parser.add_argument("--minLabels", default=3, type=int)
parser.add_argument("--lr", default=0.1, type=float)
parser.add_argument("--nConv", default=3, type=int)
parser.add_argument("--size", default=32, type=int)
args = parser.parse_args([])

torch.manual_seed(1)


class SegNet(nn.Module):
    def __init__(self, input_dim):
        super(SegNet, self).__init__()
        self.conv1 = nn.Conv2d(input_dim, args.nChannel, kernel_size=3, stride=1, padding=1)
        self.bn1 = nn.BatchNorm2d(args.nChannel)
        self.conv2 = []
        self.bn2 = []
        for i in range(args.nConv - 1):
            self.conv2.append(nn.Conv2d(args.nChannel, args.nChannel, kernel_size=3, stride=1, padding=1))
            self.bn2.append(nn.BatchNorm2d(args.nChannel))
        self.conv3 = nn.Conv2d(args.nChannel, args.nChannel, kernel_size=1, stride=1, padding=0)
        self.bn3 = nn.BatchNorm2d(args.nChannel)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.bn1(x)
        for i in range(args.nConv - 1):
            x = self.conv2[i](x)
            x = F.relu(x)
            x = self.bn2[i](x)
        x = self.conv3(x)
        x = self.bn3(x)
        return x


def synthetic_image(size):
    """Three flat colour regions plus noise, and a grid 'superpixel' map."""
    img = torch.zeros(3, size, size)
    img[0, :, : size // 3] = 1.0
    img[1, :, size // 3: 2 * size // 3] = 1.0
    img[2, :, 2 * size // 3:] = 1.0
    img += 0.1 * torch.randn_like(img)
    cell = size // 8
    rows = torch.arange(size) // cell
    sp = (rows[:, None] * 8 + rows[None, :]).flatten()
    return img.unsqueeze(0), sp


data, superpixels = synthetic_image(args.size)
l_inds = [torch.nonzero(superpixels == u).flatten() for u in torch.unique(superpixels)]

model = SegNet(data.size(1))
model.train()
loss_fn = nn.CrossEntropyLoss()
optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)

for batch_idx in range(args.maxIter):
    optimizer.zero_grad()
    output = model(data)[0]
    output = output.permute(1, 2, 0).contiguous().view(-1, args.nChannel)
    ignore, target = torch.max(output, 1)
    im_target = target.clone()

    # superpixel refinement: every pixel of a superpixel gets its majority label
    for inds in l_inds:
        labels_per_sp = im_target[inds]
        u_labels, hist = torch.unique(labels_per_sp, return_counts=True)
        im_target[inds] = u_labels[torch.argmax(hist)]

    loss = loss_fn(output, im_target)
    loss.backward()
    optimizer.step()

    nLabels = len(torch.unique(target))
    if batch_idx % 5 == 0:
        print(batch_idx, "/", args.maxIter, ":", nLabels, round(loss.item(), 4))
    if nLabels <= args.minLabels:
        print("nLabels", nLabels, "reached minLabels", args.minLabels, ".")
        break
