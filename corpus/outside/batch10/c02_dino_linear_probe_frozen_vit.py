"""Linear evaluation of a self-supervised ViT (DINO eval_linear.py protocol): the pretrained backbone
is kept in eval mode and only queried under torch.no_grad(); a linear classifier on the [CLS]
tokens of the last n blocks (+ average-pooled patch tokens) is trained with SGD + cosine schedule."""
import argparse

import torch
import torch.nn as nn

parser = argparse.ArgumentParser('Evaluation with linear classification on ImageNet')
parser.add_argument('--n_last_blocks', default=4, type=int)
parser.add_argument('--avgpool_patchtokens', default=False, type=bool)
parser.add_argument('--epochs', default=3, type=int)
parser.add_argument('--lr', default=0.001, type=float)
parser.add_argument('--batch_size_per_gpu', default=16, type=int)
parser.add_argument('--num_labels', default=10, type=int)
args = parser.parse_args()
torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class Block(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio=2.0):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim, eps=1e-6), nn.LayerNorm(dim, eps=1e-6)
        self.attn = nn.MultiheadAttention(dim, num_heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(dim, int(dim * mlp_ratio)), nn.GELU(), nn.Linear(int(dim * mlp_ratio), dim))

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class VisionTransformer(nn.Module):
    def __init__(self, img_size=32, patch_size=8, embed_dim=32, depth=4, num_heads=4):
        super().__init__()
        self.embed_dim = embed_dim
        self.patch_embed = nn.Conv2d(3, embed_dim, kernel_size=patch_size, stride=patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.randn(1, (img_size // patch_size) ** 2 + 1, embed_dim) * 0.02)
        self.blocks = nn.ModuleList([Block(embed_dim, num_heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)

    def prepare_tokens(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        return x + self.pos_embed

    def get_intermediate_layers(self, x, n=1):
        x = self.prepare_tokens(x)
        output = []
        for i, blk in enumerate(self.blocks):
            x = blk(x)
            if len(self.blocks) - i <= n:
                output.append(self.norm(x))
        return output


class LinearClassifier(nn.Module):
    """Linear layer to train on top of frozen features"""

    def __init__(self, dim, num_labels=1000):
        super().__init__()
        self.num_labels = num_labels
        self.linear = nn.Linear(dim, num_labels)
        self.linear.weight.data.normal_(mean=0.0, std=0.01)
        self.linear.bias.data.zero_()

    def forward(self, x):
        return self.linear(x.view(x.size(0), -1))


def train(model, linear_classifier, optimizer, loader, epoch, n, avgpool):
    linear_classifier.train()
    for it, (inp, target) in enumerate(loader):
        inp, target = inp.to(device), target.to(device)
        # forward
        with torch.no_grad():
            intermediate_output = model.get_intermediate_layers(inp, n)
            output = torch.cat([x[:, 0] for x in intermediate_output], dim=-1)
            if avgpool:
                output = torch.cat((output.unsqueeze(-1),
                                    torch.mean(intermediate_output[-1][:, 1:], dim=1).unsqueeze(-1)), dim=-1)
                output = output.reshape(output.shape[0], -1)
        output = linear_classifier(output)
        loss = nn.CrossEntropyLoss()(output, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f} lr {optimizer.param_groups[0]['lr']:.2e}")


# ============ building network ... ============
model = VisionTransformer().to(device)  # weights come from the DINO checkpoint in the real run
model.eval()
embed_dim = model.embed_dim * (args.n_last_blocks + int(args.avgpool_patchtokens))
linear_classifier = LinearClassifier(embed_dim, num_labels=args.num_labels).to(device)

images = torch.rand(64, 3, 32, 32)
labels = torch.randint(0, args.num_labels, (64,))
train_loader = [(images[i:i + args.batch_size_per_gpu], labels[i:i + args.batch_size_per_gpu])
                for i in range(0, 64, args.batch_size_per_gpu)]

# set optimizer
optimizer = torch.optim.SGD(linear_classifier.parameters(), args.lr * args.batch_size_per_gpu / 256.,
                            momentum=0.9, weight_decay=0)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs, eta_min=0)
for epoch in range(args.epochs):
    train(model, linear_classifier, optimizer, train_loader, epoch, args.n_last_blocks, args.avgpool_patchtokens)
    scheduler.step()
